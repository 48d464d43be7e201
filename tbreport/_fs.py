"""The filesystem layer: local paths and fsspec URLs (``s3://``, ``gs://``, ``hf://``, ...).

One small API for the writer and the reader, so neither knows which store it talks to:

* :func:`is_remote`, :func:`join`, :func:`basename`, :func:`dirname` on path strings
  (posix ``/`` for URLs, ``os.path`` for local paths);
* :func:`read_bytes`, :func:`write_bytes` (atomic: a local temp file renamed into
  place, or one object PUT), :func:`makedirs`;
* :func:`list_event_files` (every ``*tfevents*`` file under a root, by one recursive
  listing) and :func:`prefetch` (fetch a list of files in parallel, in order, with a
  bounded window of bytes held in memory).

fsspec and its backends are imported only when a remote path is used, so
``import tbreport; tbreport.SummaryWriter`` stays light. Credentials and endpoints
come from the backend's standard places (for S3: ``AWS_ACCESS_KEY_ID`` /
``AWS_PROFILE`` / ``~/.aws``, ``AWS_ENDPOINT_URL``; for GCS: application default
credentials) and from fsspec's own configuration (``~/.config/fsspec/*.json``,
``FSSPEC_<PROTOCOL>_<KWARG>`` variables).

Every failure of a remote store becomes one line: a missing backend raises
:class:`~tbreport.errors.MissingDependencyError` naming the extra to install; a
missing bucket, missing or refused credentials and an unreachable server raise
:class:`~tbreport.errors.StorageError` naming the object or prefix. A missing
object stays a ``FileNotFoundError``.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
import tempfile
import threading
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from tbreport.errors import MissingDependencyError, StorageError

__all__ = [
    "basename",
    "dirname",
    "get_fs",
    "is_remote",
    "join",
    "list_event_files",
    "makedirs",
    "prefetch",
    "protocol",
    "read_bytes",
    "storage_error",
    "write_bytes",
]

logger = logging.getLogger(__name__)

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
# protocol -> the tbreport extra that installs its fsspec backend
_EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs"}


def protocol(path: str) -> str:
    """``"s3"`` for ``s3://b/k``; ``""`` for a local path (``file://`` URLs included)."""
    m = _URL.match(path)
    if m is None:
        return ""
    proto = m.group(1).lower()
    return "" if proto in ("file", "local") else proto


def is_remote(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a URL of a non-local filesystem (``s3://``, ``gs://``, ...)."""
    return isinstance(path, str) and protocol(path) != ""


def local_path(path: str) -> str:
    """``path`` without a ``file://`` prefix."""
    m = _URL.match(path)
    return path[m.end() :] if m is not None and not is_remote(path) else path


def join(base: str, *parts: str) -> str:
    """``base/part/...``: posix separators for URLs, ``os.path.join`` for local paths."""
    if not is_remote(base):
        return os.path.join(base, *parts)
    out = base.rstrip("/")
    for part in parts:
        out = f"{out}/{part.strip('/')}"
    return out


def basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1] if is_remote(path) else os.path.basename(path)


def dirname(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[0] if is_remote(path) else os.path.dirname(path)


# ------------------------------------------------------------------ backends


def _missing_backend(url: str, proto: str, detail: str) -> MissingDependencyError:
    extra = _EXTRAS.get(proto)
    if extra is not None:
        hint = f"pip install 'tbreport[{extra}]'"
    else:
        hint = f"pip install fsspec and the fsspec backend for {proto}:// ({detail})"
    return MissingDependencyError(f"{url}: {proto}:// paths need an extra package: {hint}")


def get_fs(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path inside it (``bucket/key``)."""
    proto = protocol(url)
    try:
        fsspec: Any = importlib.import_module("fsspec")  # lazily: see the module docstring
    except ImportError:
        raise _missing_backend(url, proto, "fsspec is not installed") from None
    try:
        fs, inner = fsspec.core.url_to_fs(url)
    except ImportError as exc:
        raise _missing_backend(url, proto, " ".join(str(exc).split())) from None
    except ValueError as exc:  # "Protocol not known: foo"
        raise StorageError(f"{url}: no filesystem for {proto}:// ({exc})", path=url) from None
    return fs, inner


# -------------------------------------------------------------------- errors

_CREDENTIAL_ERRORS = {
    "NoCredentialsError",
    "PartialCredentialsError",
    "CredentialRetrievalError",
    "DefaultCredentialsError",
    "RefreshError",
}
_CONNECTION_ERRORS = {
    "EndpointConnectionError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ConnectionClosedError",
    "ResponseStreamingError",
    "ClientConnectorError",
    "ServerDisconnectedError",
    "ClientPayloadError",
    "IncompleteReadError",
}


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def storage_error(exc: BaseException, path: str, doing: str) -> BaseException:
    """The one-line :class:`StorageError` for a backend failure met while ``doing``
    (``"reading"``, ``"writing"``, ``"listing"``) ``path``; other errors come back as they are.

    A missing object stays a ``FileNotFoundError``; a missing bucket does not.
    """
    if isinstance(exc, (StorageError, MissingDependencyError)):
        return exc
    names = _names(exc)
    text = " ".join(str(exc).split()) or type(exc).__name__
    proto = protocol(path) or "file"
    if names & _CREDENTIAL_ERRORS:
        where = {
            "s3": "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws/credentials",
            "gs": "GOOGLE_APPLICATION_CREDENTIALS or `gcloud auth application-default login`",
            "gcs": "GOOGLE_APPLICATION_CREDENTIALS or `gcloud auth application-default login`",
        }.get(proto, f"the {proto} backend's configuration")
        return StorageError(
            f"{path}: no credentials for {proto}:// ({text}); set {where}", path=path
        )
    if isinstance(exc, FileNotFoundError) and "bucket" in text.lower():
        bucket = path.split("://", 1)[-1].split("/", 1)[0]
        return StorageError(
            f"{path}: the bucket {bucket!r} does not exist; create it or check the name", path=path
        )
    if isinstance(exc, FileNotFoundError):
        return exc
    if isinstance(exc, PermissionError) or "AccessDenied" in text or "403" in text:
        return StorageError(
            f"{path}: access denied while {doing} ({text}); check the credentials' permissions",
            path=path,
        )
    if names & _CONNECTION_ERRORS or isinstance(exc, (ConnectionError, TimeoutError)):
        return StorageError(
            f"{path}: the storage server could not be reached while {doing} ({text})", path=path
        )
    if isinstance(exc, OSError) or "ClientError" in names or "BotoCoreError" in names:
        return StorageError(f"{path}: {doing} failed: {text}", path=path)
    return exc


# --------------------------------------------------------------- whole files


def read_bytes(path: str) -> bytes:
    """The contents of ``path``. ``FileNotFoundError`` if it is missing; remote
    transport problems raise :class:`StorageError` naming ``path``."""
    if not is_remote(path):
        with open(local_path(path), "rb") as fh:
            return fh.read()
    pending = _take_prefetched(path)
    if pending is not None:
        return pending.result()
    return _fetch(path)


def _fetch(path: str) -> bytes:
    fs, inner = get_fs(path)
    try:
        data = fs.cat_file(inner)
    except Exception as exc:
        raise storage_error(exc, path, "reading") from exc
    return bytes(data)


def write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` whole: readers see the old contents or the new, never a part.

    Locally through a temporary file renamed into place; remotely as one object PUT.
    """
    if is_remote(path):
        fs, inner = get_fs(path)
        try:
            fs.pipe_file(inner, data)
        except Exception as exc:
            raise storage_error(exc, path, "writing") from exc
        return
    path = local_path(path)
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def makedirs(path: str) -> None:
    """Create a local directory (and its parents); object stores need none."""
    if not is_remote(path):
        os.makedirs(local_path(path), exist_ok=True)


# ------------------------------------------------------------------- listing


def list_event_files(root: str, is_event_file: Any) -> tuple[str, list[tuple[str, int]]]:
    """What the remote ``root`` holds, by one recursive listing (S3: ``ListObjectsV2``
    pages, not a request per directory), as ``(kind, [(url, size), ...])``:

    ``"dir"`` with every file below ``root`` whose base name passes ``is_event_file``,
    sorted by path; ``"file"`` with ``root`` itself when it is such a file; ``"other"``
    when it is a file that is not; ``"missing"`` when nothing is there.
    """
    fs, inner = get_fs(root)
    inner = inner.rstrip("/")
    try:
        found: dict[str, Any] = fs.find(inner, withdirs=False, detail=True)
    except Exception as exc:
        error = storage_error(exc, root, "listing")
        if isinstance(error, FileNotFoundError):
            return "missing", []
        raise error from exc
    if not found:
        return "missing", []
    if list(found) == [inner]:
        size = int(found[inner].get("size") or 0)
        kind = "file" if is_event_file(inner.rsplit("/", 1)[-1]) else "other"
        return kind, [(root, size)]
    files = sorted(
        (p, int(info.get("size") or 0))
        for p, info in found.items()
        if p != inner and is_event_file(p.rsplit("/", 1)[-1])
    )
    return "dir", [(fs.unstrip_protocol(p), size) for p, size in files]


# ------------------------------------------------------------------ prefetch

#: files fetched ahead of the reader, at most this many bytes held at once
PREFETCH_BYTES = 256 * 1024 * 1024
PREFETCH_WORKERS = 8

_prefetcher: _Prefetcher | None = None
_prefetch_lock = threading.Lock()


class _Prefetcher:
    """Fetches a list of remote files in parallel, in order, ahead of their reader.

    At most ``workers`` requests run at once and at most ``max_bytes`` of fetched
    data (by the listed sizes) wait for the reader; taking a file starts the next.
    """

    def __init__(self, paths: list[tuple[str, int]], workers: int, max_bytes: int) -> None:
        self._queue = deque(paths)
        self._pending: dict[str, Future[bytes]] = {}
        self._sizes: dict[str, int] = {}
        self._held = 0
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="tbreport-fetch")
        self._fill()

    def _fill(self) -> None:
        with self._lock:
            while self._queue and (not self._pending or self._held < self._max_bytes):
                path, size = self._queue.popleft()
                self._pending[path] = self._pool.submit(_fetch, path)
                self._sizes[path] = size
                self._held += size

    def take(self, path: str) -> Future[bytes] | None:
        with self._lock:
            future = self._pending.pop(path, None)
            if future is None:
                return None
            self._held -= self._sizes.pop(path, 0)
            done = not self._queue and not self._pending
        self._fill()
        if done:
            self._pool.shutdown(wait=False)
        return future

    @property
    def exhausted(self) -> bool:
        with self._lock:
            return not self._queue and not self._pending

    def cancel(self) -> None:
        with self._lock:
            self._queue.clear()
            for future in self._pending.values():
                future.cancel()
            self._pending.clear()
            self._held = 0
        self._pool.shutdown(wait=False)


def prefetch(
    paths: Iterable[str],
    sizes: Iterable[int] | None = None,
    *,
    workers: int = PREFETCH_WORKERS,
    max_bytes: int = PREFETCH_BYTES,
) -> None:
    """Start fetching the remote ``paths`` in parallel, in this order; :func:`read_bytes`
    of one of them then waits for its fetch instead of starting its own. Replaces any
    earlier prefetch. Local paths are ignored (the OS reads ahead by itself)."""
    global _prefetcher
    paths = list(paths)
    size_list = list(sizes) if sizes is not None else [0] * len(paths)
    # pair before leaving out local paths, so a mixed list keeps its sizes right
    listed = [(p, s) for p, s in zip(paths, size_list) if is_remote(p)]
    with _prefetch_lock:
        if _prefetcher is not None:
            _prefetcher.cancel()
        _prefetcher = _Prefetcher(listed, workers, max_bytes) if listed else None


def _take_prefetched(path: str) -> Future[bytes] | None:
    global _prefetcher
    with _prefetch_lock:
        current = _prefetcher
    if current is None:
        return None
    future = current.take(path)
    if current.exhausted:
        with _prefetch_lock:
            if _prefetcher is current:
                _prefetcher = None
    return future


def _forget_prefetch_after_fork() -> None:
    # The fetching threads do not exist in a forked child: its reads go direct.
    global _prefetcher, _prefetch_lock
    _prefetcher = None
    _prefetch_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_prefetch_after_fork)
