"""``tbreport.load(path) -> Logdir``: read a whole TensorBoard logdir into the data model.

Stages: :func:`~tbreport.reader.discover.find_runs` lists the runs;
:func:`~tbreport.reader.events.scan_file` frames, CRC-checks and pre-decodes each
event file (in worker processes when the logdir is big); then each run's records
are decoded in file order by the owning kind's ``decode`` function (legacy and
tensor forms), remembering the first ``SummaryMetadata`` of every tag because
writers strip it from later values.

Nothing damaged inside a valid logdir raises: every problem becomes one line in
``Logdir.warnings`` (repeated problems aggregated), and everything intact is kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import math
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any, Union, cast

import numpy as np
import numpy.typing as npt

from tbreport import _fs
from tbreport._workers import ignore_interrupts, interrupts_held
from tbreport.fmt import shown_name
from tbreport.kinds import KINDS, by_event_field, claim, fast_path_kind
from tbreport.kinds.base import Accumulator, At, ColumnSink, Kind, Meta
from tbreport.model import EventFileInfo, LoadWarning, Logdir, Restart, Run, SessionLogEntry
from tbreport.proto import event_pb2
from tbreport.reader.discover import RunDir, find_runs
from tbreport.reader.events import FileScan, scan_file

__all__ = ["build_run", "load"]

logger = logging.getLogger(__name__)

PathArg = Union[str, "os.PathLike[str]"]

#: below this many bytes of event files, worker processes cost more than they save
PARALLEL_MIN_BYTES = 48 * 1024 * 1024
#: a tag longer than this is read as its first SHORT_TAG_CHARS characters and a hash
MAX_TAG_CHARS = 1000
SHORT_TAG_CHARS = 200
#: a worker sends back at most this many bytes of records for the protobuf path; a file
#: with more (images, audio) is read again by the loading process: sending it would hold
#: it twice there (the pickle and its copy) for no gain, as copying it is all the work
TRANSFER_MAX_BYTES = 32 * 1024 * 1024

_SESSION_STATUS = {0: "UNSPECIFIED", 1: "START", 2: "STOP", 3: "CHECKPOINT"}

#: Wall times are seconds since the epoch. Beyond ~year 2286 as seconds (1e10) they
#: are milliseconds (``time.time() * 1000``), microseconds or nanoseconds
#: (``time.time_ns()``): (lower bound, divisor, unit) of each band, largest first.
WALL_TIME_UNITS: tuple[tuple[float, float, str], ...] = (
    (1e16, 1e9, "nanoseconds"),
    (1e13, 1e6, "microseconds"),
    (1e10, 1e3, "milliseconds"),
)


def wall_seconds(wall: float) -> tuple[float, str]:
    """``wall`` in seconds, and the unit it was written in (``""``: seconds already)."""
    if wall >= 1e10 and math.isfinite(wall):
        for low, divisor, unit in WALL_TIME_UNITS:
            if wall >= low:
                return wall / divisor, unit
    return wall, ""


def walls_seconds(
    walls: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], dict[str, int]]:
    """:func:`wall_seconds` of every element; how many were converted from each unit."""
    big = np.isfinite(walls) & (walls >= 1e10)
    if not big.any():
        return walls, {}
    out = walls.astype(np.float64, copy=True)
    units: dict[str, int] = {}
    upper = math.inf
    for low, divisor, unit in WALL_TIME_UNITS:
        band = big & (walls >= low) & (walls < upper)
        n = int(band.sum())
        if n:
            out[band] = walls[band] / divisor
            units[unit] = n
        upper = low
    return out, units


def load(
    path: PathArg | Sequence[PathArg],
    *,
    workers: int | None = None,
    use_fast_path: bool = True,
    progress: Callable[[int], Any] | None = None,
) -> Logdir:
    """Read every run under ``path`` (a logdir, an event file, or several logdirs).

    With several logdirs, run names are prefixed with each logdir's path below their
    common parent (usually just its base name). A name that is not UTF-8 on disk
    (``b"caf\\xe9"``) is read, and named with escapes (``"caf\\\\xe9"``,
    :func:`tbreport.fmt.shown_name`); ``Run.path`` keeps the real path.
    ``workers``: processes used to read event files (default: the idle CPUs when
    the logdir holds more than ~48 MB of event files, else 1; workers are only
    forked on Linux and similar, from a single-threaded process). ``use_fast_path=False``
    decodes every record with protobuf (slower; the fast path gives the same result).
    ``progress``: called with the bytes to read, it returns a bar (tqdm's ``update``,
    ``close`` and ``leave``) that is told each file's size once it is read.

    Raises :class:`~tbreport.errors.NoRunsFoundError` when ``path`` is missing or
    holds no event files. Damaged files never raise: see ``Logdir.warnings``.
    """
    started = time.perf_counter()
    roots = (
        [os.fspath(path)] if isinstance(path, (str, os.PathLike)) else [os.fspath(p) for p in path]
    )
    warnings: list[LoadWarning] = []
    found: list[RunDir] = []
    prefixes = _prefixes(roots)
    for root, prefix in zip(roots, prefixes):
        runs = find_runs(root, warnings)
        if prefix:
            for rd in runs:
                rd.name = prefix if rd.name == "." else f"{prefix}/{rd.name}"
        for rd in runs:  # a name that is not UTF-8 on disk: shown (and keyed) with \xNN escapes
            rd.name = shown_name(rd.name)
        found.extend(runs)
    files = [f for rd in found for f in rd.event_files]
    sizes = [n for rd in found for n in (rd.sizes or [0] * len(rd.event_files))]
    logger.debug("reading %d event files of %d runs", len(files), len(found))
    logdir = Logdir(tuple(roots))
    # Scans arrive in file order; each run is built as soon as its files are in,
    # so only one run's intermediate columns are alive at a time.
    sizes = [n if _fs.is_remote(f) else n or _size_or_zero(f) for f, n in zip(files, sizes)]
    bar = progress(sum(sizes)) if progress is not None else None  # by bytes read
    done = iter(sizes)
    try:
        with contextlib.closing(_scan_files(files, sizes, workers, use_fast_path)) as scans:
            for rd in found:
                run_scans = []
                for _ in rd.event_files:
                    run_scans.append(next(scans))
                    if bar is not None:
                        bar.update(next(done))
                _add_run(logdir, rd, build_run(rd.name, rd.path, run_scans, warnings), warnings)
    except BaseException:
        if bar is not None:  # interrupted (or a bug): the bar goes
            bar.leave = False
            bar.close()
        raise
    if bar is not None:
        bar.close()
    logdir.runs = dict(sorted(logdir.runs.items()))
    logdir.warnings = warnings
    for w in warnings:
        logger.debug("%s", w)
    logger.info(
        "read %d runs (%d event files, %d points) in %.2f s; %d warnings",
        len(logdir.runs),
        len(files),
        sum(run.point_count() for run in logdir.runs.values()),
        time.perf_counter() - started,
        len(warnings),
    )
    return logdir


def _add_run(logdir: Logdir, rd: RunDir, run: Run, warnings: list[LoadWarning]) -> None:
    if rd.name in logdir.runs:
        warnings.append(LoadWarning(rd.path, f"run name {rd.name!r} seen twice; kept the first"))
        return
    logdir.runs[rd.name] = run


def _prefixes(roots: list[str]) -> list[str]:
    """Run-name prefixes for several logdirs: their paths below their common parent
    (``a/runs``, ``b/runs``), or their base names if one holds another."""
    if len(roots) < 2:
        return [""] * len(roots)
    absolute = [os.path.abspath(r) for r in roots]
    try:
        common = os.path.commonpath(absolute)
        rel = [os.path.relpath(r, common).replace(os.sep, "/") for r in absolute]
    except ValueError:  # different drives
        rel = ["."]
    if "." in rel or len(set(rel)) < len(rel):
        rel = [os.path.basename(r) or r for r in absolute]
    return rel


def build_run(name: str, path: str, scans: Sequence[FileScan], warnings: list[LoadWarning]) -> Run:
    """The :class:`Run` made of ``scans`` (its event files, in order); problems go to ``warnings``."""
    builder = _RunBuilder(name, path, warnings)
    # Data is data: NaN payloads or overflowing casts in what a writer stored are no
    # reason for numpy warnings.
    with np.errstate(all="ignore"):
        for scan in scans:
            builder.add_file(scan)
        return builder.finish()


def _scan_files(
    files: list[str], sizes: list[int], workers: int | None, use_fast_path: bool
) -> Generator[FileScan, None, None]:
    """Scans of ``files``, in order; in worker processes when that pays off and is safe.

    Remote files (of every root: ``sizes`` as listed) start downloading in parallel, in
    this order, before the first is read; what is still queued if reading stops early
    is dropped.
    """
    remote = [(f, n) for f, n in zip(files, sizes) if _fs.is_remote(f)]
    if remote:
        _fs.prefetch([f for f, _ in remote], [n for _, n in remote])
    try:
        if workers is None:
            total = sum(n or _size_or_zero(f) for f, n in zip(files, sizes))
            workers = _cpus() if total >= PARALLEL_MIN_BYTES else 1
        workers = max(1, min(workers, len(files)))
        context = _fork_context() if workers > 1 else None
        if context is None:
            for f in files:
                yield scan_file(f, use_fast_path=use_fast_path)
            return
        # Pool starts its processes before its helper threads, so fork() is safe here;
        # the workers leave Ctrl-C to this process (tbreport._workers)
        with interrupts_held():
            pool = context.Pool(workers, initializer=ignore_interrupts)
        with pool:  # leaving it (done, or Ctrl-C) terminates the workers
            for scan in pool.imap(_scan_one, [(f, use_fast_path) for f in files]):
                yield scan_file(scan.path, use_fast_path=use_fast_path) if scan.deferred else scan
    finally:
        if remote:
            _fs.prefetch(())  # nothing left to fetch, or reading stopped: cancel the rest


def _fork_context() -> Any:
    """The 'fork' multiprocessing context when forking is safe, else ``None`` (no workers).

    'spawn' and 'forkserver' re-import the caller's ``__main__`` in every worker, which
    re-runs an unguarded script (or fails from stdin / a notebook), so tbreport only
    uses 'fork', and only while this process runs a single thread.
    """

    if "fork" not in multiprocessing.get_all_start_methods() or sys.platform == "darwin":
        return None
    if threading.active_count() > 1:
        return None
    return multiprocessing.get_context("fork")


def _cpus() -> int:
    """CPUs this process may use that are not already busy (by the 1-minute load)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cpus = os.cpu_count() or 1
    try:
        # the load average counts this process too, when it was busy until now
        busy = max(0.0, os.getloadavg()[0] - 1.0)
    except (AttributeError, OSError):
        busy = 0.0
    # Workers on a saturated machine only add fork and transfer costs.
    return max(1, min(cpus, int(cpus - busy + 0.5)))


def _size_or_zero(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _scan_one(args: tuple[str, bool]) -> FileScan:
    scan = scan_file(args[0], use_fast_path=args[1])
    if sum(len(data) for _, _, data in scan.slow) > TRANSFER_MAX_BYTES:
        return FileScan(scan.path, deferred=True)
    return scan


# ----------------------------------------------------------------- run builder


def _first_wall(scan: FileScan) -> float | None:
    """The wall time of the file's first intact record: the slow path's first event or
    the fast path's first point, whichever came first in the file."""
    best: tuple[int, float] | None = None
    if scan.columns is not None:
        for idx, _, walls, _ in scan.columns.groups:
            if len(idx) and (best is None or int(idx[0]) < best[0]):
                best = (int(idx[0]), float(walls[0]))
    if scan.slow and (best is None or scan.slow[0][0] < best[0]):
        try:
            event = event_pb2.Event.FromString(scan.slow[0][2])
        except Exception:  # protobuf's DecodeError (its base class varies by version)
            return best[1] if best else None
        best = (scan.slow[0][0], float(event.wall_time))
    return wall_seconds(best[1])[0] if best else None


class _RunBuilder:
    """Accumulates the records of one run, in file order, then builds the :class:`Run`.

    Each value goes to the kind that claims it (:func:`tbreport.kinds.claim`); the
    builder is the :class:`~tbreport.kinds.base.RunSink` the kinds read into.
    """

    def __init__(self, name: str, path: str, warnings: list[LoadWarning]) -> None:
        self.run = Run(name, path)
        self.warnings = warnings
        self.meta: dict[str, Meta] = {}
        self.accums: dict[str, Accumulator] = {}  # kind name -> its accumulator
        self.fast = fast_path_kind()  # the kind of what the vectorised fast path decodes
        self.fast_meta_first = Meta(self.fast.plugin_names[0], b"", "", "")
        self.starts: list[tuple[int, int]] = []  # (record index in the run, step)
        self.base = 0
        self.file = ""
        self.offset = -1  # the byte offset of the record being read
        self.wall_units: dict[str, int] = {}  # unit -> wall times written in it (converted)
        # (file or "" for the run, problem) -> [count, first example, category, at]
        self.problems: dict[tuple[str, str], list[Any]] = {}
        self.file_version: float | None = None  # the latest file_version seen in the run
        self.most_recent_step = -1  # for files older than brain.Event:2
        self.tag_purges: dict[str, list[tuple[int, int]]] = {}  # tag -> (record index, step)
        self.file_log: list[tuple[int, int, list[str] | None]] = []
        # tags whose first metadata was read by the fast path, and where
        self.fast_meta: dict[str, int] = {}
        self.short_tags: dict[str, str] = {}  # a tag too long to show -> how it is shown

    # -- the sink the kinds read into

    def _accum(self, kind: Kind) -> Accumulator:
        acc = self.accums.get(kind.name)
        if acc is None:
            made = kind.accumulator()
            if made is None:
                raise TypeError(f"kind {kind.name!r} keeps no per-tag series")
            acc = self.accums[kind.name] = made
        return acc

    def add(self, kind: Kind, at: At, item: Any) -> None:
        self._accum(kind).add(at.tag, at.meta, at.record, item)

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(LoadWarning(path, message))

    # -- warnings

    def problem(
        self,
        key: str,
        example: str,
        *,
        per_file: bool = False,
        category: str = "skipped",
        at: tuple[int, int] = (-1, -1),
    ) -> None:
        """Count a problem; one warning per (run, problem), or per (file, problem).
        ``at``: (byte offset, record index) of the first occurrence in the file being
        read, when known: the warning then names that file (the first one, per run)."""
        where = (self.file if per_file else "", key)
        first = self.file if at != (-1, -1) else ""
        entry = self.problems.setdefault(where, [0, example, category, at, first])
        entry[0] += 1

    # -- files

    def add_file(self, scan: FileScan) -> None:
        self.file = scan.path
        if scan.error:
            self.warnings.append(LoadWarning(scan.path, scan.error, category="unreadable"))
        for note in scan.notes:
            self.warnings.append(
                LoadWarning(
                    scan.path,
                    note.message,
                    category=note.category,
                    offset=note.offset,
                    index=note.index,
                )
            )
        info = EventFileInfo(
            scan.path, scan.size, scan.intact, scan.damaged, first_wall_time=_first_wall(scan)
        )
        if scan.columns is not None:
            columns = cast(ColumnSink, self._accum(self.fast))
            for tag, (idx, steps, walls, values) in zip(scan.columns.tags, scan.columns.groups):
                walls, units = walls_seconds(walls)
                for unit, n in units.items():
                    self.wall_units[unit] = self.wall_units.get(unit, 0) + n
                columns.add_columns(tag, self.base, idx, steps, walls, values)
            for tag, first in scan.columns.meta_first.items():
                # the tag's metadata, seen by the fast path at this record
                self.fast_meta.setdefault(tag, self.base + first)
        self.file_log = []
        slow, scan.slow = scan.slow, []
        slow.reverse()
        while slow:  # each record dropped once decoded: the file's bytes are not held twice
            index, offset, data = slow.pop()
            try:
                event = event_pb2.Event.FromString(data)
            except Exception:  # protobuf's DecodeError (its base class varies by version)
                self.problem(
                    "records that are not Event protos; skipped them",
                    f"record {index} (byte {offset})",
                    per_file=True,
                    category="undecodable",
                    at=(offset, index),
                )
                continue
            info = self._safe_event(event, self.base + index, offset, info)
            if self._old_format():  # see _out_of_order_purges
                summary = event.HasField("summary")
                short = self.short_tags
                values = event.summary.value
                tags = [str(short.get(v.tag, v.tag)) for v in values] if summary else None
                self.file_log.append((self.base + index, int(event.step), tags))
        if self._old_format():
            self._out_of_order_purges(scan)
        self.run.files.append(info)
        self.base += scan.span

    def _old_format(self) -> bool:
        """Whether records now being read predate ``brain.Event:2`` (or say no version)."""
        return self.file_version is None or self.file_version < 2

    def _out_of_order_purges(self, scan: FileScan) -> None:
        """Files older than ``brain.Event:2`` mark restarts by going back in step: a
        summary whose step is below the latest step purges its tags' later points
        (what TensorBoard's ``EventAccumulator`` does for such files)."""
        records: list[tuple[int, int, list[str] | None]] = list(self.file_log)
        if scan.columns is not None:
            for tag, (idx, steps, _, _) in zip(scan.columns.tags, scan.columns.groups):
                at = (idx.astype(np.int64) + self.base).tolist()
                records.extend((i, s, [tag]) for i, s in zip(at, steps.tolist()))
        records.sort(key=lambda r: r[0])
        for index, step, tags in records:
            if tags is not None and step < self.most_recent_step:
                for tag in tags:
                    self.tag_purges.setdefault(tag, []).append((index, step))
            else:
                self.most_recent_step = step

    def _safe_event(
        self, event: Any, index: int, offset: int, info: EventFileInfo
    ) -> EventFileInfo:
        self.offset = offset
        try:
            return self._event(event, index, info)
        except Exception as exc:  # a bug or a proto too odd to decode: never crash a load
            logger.debug("decoding record %d of %s failed", index, self.file, exc_info=True)
            self.problem(
                "records that could not be decoded; skipped them",
                f"record {index - self.base} (byte {offset}): {type(exc).__name__}: {exc}",
                per_file=True,
            )
            return info

    # -- events

    def _event(self, event: Any, index: int, info: EventFileInfo) -> EventFileInfo:
        what = event.WhichOneof("what")
        step = int(event.step)
        wall, unit = wall_seconds(float(event.wall_time))
        if unit:
            self.wall_units[unit] = self.wall_units.get(unit, 0) + 1
        if what == "summary":
            for value in event.summary.value:
                self._value(value, index, step, wall)
        elif what == "file_version":
            version = str(event.file_version)
            try:
                self.file_version = float(version.rpartition(":")[2])
            except ValueError:
                self.problem("unknown event file versions", repr(version), per_file=True)
            info = dataclasses.replace(
                info,
                file_version=str(event.file_version),
                writer=str(event.source_metadata.writer),
            )
        elif what == "session_log":
            self._session_log(event.session_log, index, step, wall)
        elif what is not None and (kind := by_event_field(what)) is not None:
            kind.read_event(self, event, step)
        # log_message is deprecated; TensorBoard ignores it too
        return info

    def _session_log(self, log: Any, index: int, step: int, wall: float) -> None:
        status = _SESSION_STATUS.get(int(log.status), "UNSPECIFIED")
        self.run.session_logs.append(
            SessionLogEntry(step, wall, status, str(log.msg), str(log.checkpoint_path))
        )
        # TensorBoard honours START only in brain.Event:2 files (older ones use steps)
        if status == "START" and self.file_version is not None and self.file_version >= 2:
            self.starts.append((index, step))

    def _value(self, value: Any, index: int, step: int, wall: float) -> None:
        tag = str(value.tag) or str(value.node_name)
        if len(tag) > MAX_TAG_CHARS:
            tag = self._shortened(tag, index)
        meta = self.meta.get(tag)
        if meta is None and self.fast_meta.get(tag, index) < index:
            meta = self.meta[tag] = self.fast_meta_first
        if meta is None and value.HasField("metadata"):
            m = value.metadata
            meta = self.meta[tag] = Meta(
                str(m.plugin_data.plugin_name),
                bytes(m.plugin_data.content),
                str(m.display_name),
                str(m.summary_description),
            )
        plugin = meta.plugin_name if meta else ""
        which = value.WhichOneof("value")
        kind = claim(which, plugin)
        try:
            if kind is not None:
                kind.read_value(self, value, At(tag, meta, index, step, wall))
            elif which is None:
                self.problem("values holding no data; skipped them", f"tag {tag!r}")
            else:
                self.problem(f"{which} values (obsolete); skipped them", f"tag {tag!r}")
        except ValueError as exc:
            # saying where: the record may be one in millions
            self.problem(
                f"{plugin or which} values that could not be decoded; skipped them",
                f"record {index - self.base} (byte {self.offset}) tag {tag!r} step {step}: {exc}",
                at=(self.offset, index - self.base),
            )

    def _shortened(self, tag: str, index: int) -> str:
        """A tag too long to show (it is repeated in a report's headings, anchors, alt
        texts: a 5 MB tag made a 55 MB report): its start, a hash keeping two such tags
        apart, its length."""
        short = self.short_tags.get(tag)
        if short is None:
            digest = hashlib.sha256(tag.encode("utf-8", "surrogatepass")).hexdigest()[:12]
            short = self.short_tags[tag] = f"{tag[:SHORT_TAG_CHARS]}…{digest} ({len(tag):,} chars)"
        self.problem(
            f"tags over {MAX_TAG_CHARS:,} characters; shown shortened to their first "
            f"{SHORT_TAG_CHARS} and a hash",
            f"record {index - self.base} (byte {self.offset}): {short!r}",
            per_file=True,
            category="shortened",
            at=(self.offset, index - self.base),
        )
        return short

    # -- finish

    def _restarts(self, tag: str, idx: npt.NDArray[np.int64]) -> tuple[Restart, ...]:
        """The restarts that apply to the series of ``tag`` (record indices ``idx``)."""
        purges = self.tag_purges.get(tag, [])
        if not self.starts and not purges:
            return ()
        out = []
        marks = [(at, step, ordinal) for ordinal, (at, step) in enumerate(self.starts)]
        marks += [(at, step, -1) for at, step in purges]
        for at, step, ordinal in sorted(marks):
            before = int(np.searchsorted(idx, at))
            if before:
                out.append(Restart(before, step, ordinal))
        return tuple(out)

    def finish(self) -> Run:
        run = self.run
        for acc in self.accums.values():
            acc.store(run, self._restarts, self.meta)
        for kind in KINDS:
            kind.finish(self)
        for unit, count in sorted(self.wall_units.items()):  # the same on either path
            times = "wall time" if count == 1 else "wall times"
            self.warnings.append(
                LoadWarning(
                    run.path,
                    f"{count:,} {times} written in {unit}, not seconds (beyond the year "
                    f"2286 as seconds); converted to seconds and shown as times",
                    category="converted",
                )
            )
        for (path, key), (count, example, category, at, first) in self.problems.items():
            offset, index = at
            times = f"{count} " if count > 1 else ""
            self.warnings.append(
                LoadWarning(
                    path or first or run.path,
                    f"{times}{key} (first: {example})",
                    count,
                    category=category,
                    offset=offset,
                    index=index,
                )
            )
        return run
