"""One ``events.out.tfevents.*`` file.

Semantics (TensorBoard's writer, minus its silent losses):

- the caller's thread serialises and frames each record and appends it to an
  in-memory buffer; every ``max_queue`` records the buffer is handed to the OS
  (one ``write`` system call, no fsync), so a crash of the training process
  loses at most ``max_queue`` records;
- a background thread flushes to the OS every ``flush_secs``;
- :meth:`EventFileWriter.flush` returns only once every record added before it
  is written and ``fsync``-ed;
- an I/O error, including one met by the background thread, is raised by the
  next call on the writer;
- writing after :meth:`EventFileWriter.close` raises ``WriterClosedError``;
  ``close()`` is idempotent;
- writers still open at interpreter exit are flushed and closed (``atexit``), by
  the process that opened them only (a forked child exiting normally must not
  write its copy of the parent's buffer a second time).

Why no writer thread per record batch, as TensorBoard has: in CPython a
hand-off to another thread costs a GIL switch (up to the 5 ms switch interval)
while the training loop keeps the GIL busy; measured here, that made a
queue-plus-thread design 100x slower per ``add_scalar`` than appending to a
buffer. Buffered appends never block on the disk: the kernel's page cache
takes the ``write``.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import socket
import sys
import threading
import time
import weakref

from tbreport.errors import WriterClosedError
from tbreport.proto import event_pb2
from tbreport.record import encode_record

__all__ = ["EventFileWriter", "event_file_name"]

logger = logging.getLogger(__name__)

_uid = itertools.count()
_uid_lock = threading.Lock()
_open_writers: weakref.WeakSet[EventFileWriter] = weakref.WeakSet()
_BUFFER_SIZE = 1 << 20


def event_file_name(filename_suffix: str = "", now: float | None = None) -> str:
    """``events.out.tfevents.<10-digit secs>.<host>.<pid>.<n><suffix>``, as TensorBoard names them."""
    with _uid_lock:
        n = next(_uid)
    secs = int(time.time() if now is None else now)
    return (
        f"events.out.tfevents.{secs:010d}.{socket.gethostname()}.{os.getpid()}.{n}{filename_suffix}"
    )


class EventFileWriter:
    """Writes framed ``Event`` records to a new event file in ``logdir``."""

    def __init__(
        self,
        logdir: str | os.PathLike[str],
        *,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
    ) -> None:
        if isinstance(max_queue, bool) or not isinstance(max_queue, int) or max_queue < 0:
            raise ValueError(f"max_queue must be an integer >= 0, got {max_queue!r}")
        if not isinstance(flush_secs, (int, float)) or not flush_secs > 0:
            raise ValueError(f"flush_secs must be a number > 0, got {flush_secs!r}")
        self.logdir = os.fspath(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        self.path = os.path.join(self.logdir, event_file_name(filename_suffix))
        self._file = open(self.path, "xb", buffering=_BUFFER_SIZE)  # noqa: SIM115 - see close()
        # 0 means no limit, as torch's queue.Queue(0): records reach the OS on flush
        # (explicit or every flush_secs) or when the 1 MiB buffer fills.
        self._max_queue = max_queue or sys.maxsize
        self._pid = os.getpid()
        self._unflushed = 0
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        self._closed = False
        self._stop = threading.Event()
        header = event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2")
        header.source_metadata.writer = "tbreport"
        self._file.write(encode_record(header.SerializeToString()))
        self._file.flush()
        self._thread = threading.Thread(
            target=self._flush_periodically,
            args=(float(flush_secs),),
            name="tbreport-flush",
            daemon=True,
        )
        self._thread.start()
        _open_writers.add(self)

    # -- the caller's side ----------------------------------------------------

    def add_event(self, event: event_pb2.Event) -> None:
        """Append one ``Event`` message."""
        self.add_serialized(event.SerializeToString(deterministic=True))

    def add_serialized(self, data: bytes) -> None:
        """Append one already-serialised ``Event``."""
        record = encode_record(data)
        with self._lock:
            if self._error is not None or self._closed:
                self._raise_state()
            try:
                self._file.write(record)
                self._unflushed += 1
                if self._unflushed >= self._max_queue:
                    self._file.flush()
                    self._unflushed = 0
            except BaseException as exc:
                self._error = exc
                raise

    def flush(self) -> None:
        """Return once every record added so far is on disk (written and fsync'ed)."""
        with self._lock:
            if self._error is not None:
                self._raise_state()
            if self._closed:
                return
            self._sync(fsync=True)

    def close(self) -> None:
        """Flush everything to disk, stop the flush thread and close the file. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            _open_writers.discard(self)
            self._stop.set()
            try:
                if self._error is None:
                    self._sync(fsync=True)
            finally:
                try:
                    self._file.close()
                except OSError as exc:
                    if self._error is None:
                        self._error = exc
        if threading.current_thread() is not self._thread:
            self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    @property
    def closed(self) -> bool:
        return self._closed

    def _sync(self, *, fsync: bool) -> None:
        try:
            self._file.flush()
            self._unflushed = 0
            if fsync:
                os.fsync(self._file.fileno())
        except BaseException as exc:
            self._error = exc
            raise

    def _raise_state(self) -> None:
        if self._error is not None:
            raise self._error
        raise WriterClosedError(f"{self.path}: the writer is closed; create a new SummaryWriter")

    # -- the background thread -----------------------------------------------

    def _flush_periodically(self, flush_secs: float) -> None:
        while not self._stop.wait(flush_secs):
            with self._lock:
                if self._closed or self._error is not None:
                    return
                try:
                    self._sync(fsync=False)
                except Exception as exc:
                    logger.error("flushing %s failed: %s", self.path, exc)
                    return


@atexit.register
def _close_all_at_exit() -> None:
    pid = os.getpid()
    for writer in list(_open_writers):
        if writer._pid != pid:
            # Inherited through fork: the parent owns the file and its buffered
            # records; writing them here too would duplicate them.
            continue
        try:
            writer.close()
        except Exception as exc:  # a failing disk at exit: say so, never hang
            logger.error("could not flush %s at exit: %s", writer.path, exc)
