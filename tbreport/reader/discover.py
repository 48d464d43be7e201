"""Finding the runs of a logdir.

A run is every directory holding a *file* whose name contains ``tfevents``; its
name is the directory's path relative to the logdir in posix form (``"."`` for the
logdir itself). Symlinked directories are followed as TensorBoard follows them
(``runs/latest -> exp1`` is a run of its own, with a note); a link back to an
enclosing directory is a loop and not followed. Unreadable directories and broken
links are reported, never raised.

A remote logdir (``s3://bucket/exp``, ``gs://...``; see :mod:`tbreport._fs`) is
listed with one recursive listing; each run keeps its files' listed sizes, with which
:func:`tbreport.reader.load.load` starts their parallel download.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field

from tbreport import _fs
from tbreport.errors import NoRunsFoundError
from tbreport.fmt import plural
from tbreport.model import LoadWarning

__all__ = ["RunDir", "find_runs", "is_event_file_name"]

logger = logging.getLogger(__name__)


@dataclass
class RunDir:
    """A run found on disk: its name, directory and event files (sorted by name);
    ``sizes``: the files' sizes as a remote listing gave them (empty for local runs)."""

    name: str
    path: str
    event_files: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Visit:
    """A directory to list: its run name, depth, the (dev, inode) of the directories
    above it, and the symlink it was reached through ("" if none)."""

    path: str
    name: str
    depth: int
    ancestors: tuple[tuple[int, int], ...]
    link: str


def _link_target(link: str) -> str:
    try:
        return os.readlink(link)
    except OSError:
        return "?"


def is_event_file_name(name: str) -> bool:
    return "tfevents" in name


def find_runs(root: str | os.PathLike[str], warnings: list[LoadWarning]) -> list[RunDir]:
    """Every run under ``root``, sorted by name; problems are appended to ``warnings``.

    ``root`` may also be a single event file (a run named ``"."``). Raises
    :class:`~tbreport.errors.NoRunsFoundError` if ``root`` does not exist, is not a
    directory or an event file, or holds no event files at all.
    """
    root_str = os.fspath(root)
    if _fs.is_remote(root_str):
        return _find_remote_runs(root_str)
    try:
        st = os.stat(root_str)
    except OSError as exc:
        reason = "does not exist" if isinstance(exc, FileNotFoundError) else exc.strerror
        raise NoRunsFoundError(f"{root_str}: {reason}; pass a TensorBoard logdir") from None
    if stat.S_ISREG(st.st_mode):
        if not is_event_file_name(os.path.basename(root_str)):
            raise NoRunsFoundError(
                f"{root_str}: not a logdir and not an event file (its name lacks 'tfevents')"
            )
        return [RunDir(".", os.path.dirname(root_str) or ".", [root_str])]
    if not stat.S_ISDIR(st.st_mode):
        raise NoRunsFoundError(f"{root_str}: not a directory; pass a TensorBoard logdir")

    runs: list[RunDir] = []
    max_depth = 0
    links: dict[str, str] = {}  # symlinked directory -> its target, where runs were found
    # Iterative walk (no recursion limit). Symlinked directories are followed, as
    # TensorBoard does (``runs/latest -> exp1`` is a run of its own); a link back to an
    # enclosing directory (a real loop, by (dev, inode)) is not.
    stack: list[_Visit] = [_Visit(root_str, ".", 0, (), "")]
    while stack:
        visit = stack.pop()
        path, name = visit.path, visit.name
        max_depth = max(max_depth, visit.depth)
        try:
            dst = os.stat(path)
        except OSError as exc:
            warnings.append(
                LoadWarning(path, f"cannot read directory: {exc.strerror}", category="unreadable")
            )
            continue
        key = (dst.st_dev, dst.st_ino)
        if key in visit.ancestors:
            warnings.append(
                LoadWarning(
                    path,
                    "symlink loop (a link to an enclosing directory); not followed",
                    category="symlink",
                )
            )
            continue
        listed = _list(visit, (*visit.ancestors, key), warnings)
        if listed is None:
            continue
        files, subdirs = listed
        if files:
            runs.append(RunDir(name, path, files))
            if visit.link and visit.link not in links:
                links[visit.link] = _link_target(visit.link)
        stack.extend(reversed(subdirs))
    for link, target in links.items():
        warnings.append(
            LoadWarning(
                link,
                f"a symlink to {target}; its runs are read as runs of their own, as "
                "TensorBoard does",
                category="symlink",
            )
        )
    if not runs:
        raise NoRunsFoundError(
            f"{root_str}: no *tfevents* files under it (looked {plural(max_depth, 'level')} deep)"
        )
    runs.sort(key=lambda r: r.name)
    return runs


def _list(
    visit: _Visit, ancestors: tuple[tuple[int, int], ...], warnings: list[LoadWarning]
) -> tuple[list[str], list[_Visit]] | None:
    """The event files and subdirectories of one directory (``None``: unreadable)."""
    try:
        with os.scandir(visit.path) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        warnings.append(
            LoadWarning(visit.path, f"cannot list directory: {exc.strerror}", category="unreadable")
        )
        return None
    files: list[str] = []
    subdirs: list[_Visit] = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
            is_file = entry.is_file()
        except OSError as exc:
            warnings.append(
                LoadWarning(entry.path, f"cannot stat: {exc.strerror}", category="unreadable")
            )
            continue
        if is_dir:
            child = entry.name if visit.name == "." else f"{visit.name}/{entry.name}"
            link = visit.link or (entry.path if entry.is_symlink() else "")
            subdirs.append(_Visit(entry.path, child, visit.depth + 1, ancestors, link))
        elif is_event_file_name(entry.name):
            if is_file:
                files.append(entry.path)
            elif entry.is_symlink():
                warnings.append(
                    LoadWarning(entry.path, "broken symlink; skipped", category="symlink")
                )
    return files, subdirs


def _find_remote_runs(root: str) -> list[RunDir]:
    """:func:`find_runs` for a URL: group the listed event files by directory."""
    kind, files = _fs.list_event_files(root, is_event_file_name)
    if kind == "missing":
        raise NoRunsFoundError(
            f"{root}: does not exist (no object under it); pass a TensorBoard logdir"
        )
    if kind == "other":
        raise NoRunsFoundError(
            f"{root}: not a logdir and not an event file (its name lacks 'tfevents')"
        )
    if kind == "file":
        return [RunDir(".", _fs.dirname(root), [root], [files[0][1]])]
    by_dir: dict[str, list[str]] = {}
    base = root.rstrip("/")
    for url, _size in files:
        by_dir.setdefault(_fs.dirname(url), []).append(url)
    if not by_dir:
        raise NoRunsFoundError(f"{root}: no *tfevents* files under it")
    sizes = dict(files)
    runs = []
    for directory, urls in by_dir.items():
        rel = directory[len(base) :].strip("/") if directory.startswith(base) else directory
        ordered = sorted(urls)
        runs.append(RunDir(rel or ".", directory, ordered, [sizes[u] for u in ordered]))
    runs.sort(key=lambda r: r.name)
    return runs
