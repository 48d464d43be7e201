"""One ``events.out.tfevents.*`` file (or, on an object store, a short series of them).

Semantics (TensorBoard's writer, minus its silent losses):

- the caller's thread serialises and frames each record and appends it to an
  in-memory buffer; every ``max_queue`` records the buffer is handed to the OS
  (one ``write`` system call, no fsync);
- a background thread hands buffered records on every ``flush_secs``;
- :meth:`EventFileWriter.flush` returns only once every record added before it
  is durable: written and ``fsync``-ed locally, uploaded on an object store;
- an I/O error, including one met by the background thread, is raised by the
  next call on the writer (a failed upload is retried instead: see below);
- writing after :meth:`EventFileWriter.close` raises ``WriterClosedError``;
  ``close()`` is idempotent; :meth:`EventFileWriter.reopen` starts a new file;
- writers still open at interpreter exit are flushed and closed (``atexit``);
- **SIGTERM** flushes every open writer of the process, then goes on to the handler
  that was there before (or, if that was the default, terminates the process by the
  signal as before): nothing is lost and the signal is never swallowed;
- **fork**: a child that keeps using an inherited writer drops the copy of the
  parent's unwritten buffer (the parent writes it) and writes its own records to a
  new file of its own in the same directory (``...<host>.<child pid>.<n>``), flushed
  when the child exits (also through ``multiprocessing``'s exit path);
- ``kill -9`` cannot be caught: it loses what was not yet handed to the OS, at most
  ``max_queue - 1`` records (9 by default) or the last ``flush_secs`` seconds.
  ``max_queue=1`` hands every record to the OS at once and loses none.

**Object stores** (``s3://``, ``gs://``, any fsspec URL) cannot append. A remote
event file is kept in memory and each flush (``flush()``, every ``flush_secs``,
``close()``, SIGTERM) PUTs the whole file again under the same name; a PUT replaces
an object whole, so readers see the previous version or the new one, never a part.
Once a file passes :data:`SEGMENT_BYTES` it is sealed and the next records start a
new file (a name that sorts after it), so one upload never exceeds that size and
memory stays bounded. ``flush()`` returns only after its PUTs succeeded; a failed
PUT raises :class:`~tbreport.errors.StorageError` from ``flush()``/``close()`` (the
background thread logs it and retries) and the records stay buffered for the next try.

Why no writer thread per record batch, as TensorBoard has: in CPython a hand-off to
another thread costs a GIL switch (up to the 5 ms switch interval) while the
training loop keeps the GIL busy; measured here, that made a queue-plus-thread
design 100x slower per ``add_scalar`` than appending to a buffer.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import sys
import threading
import weakref
from types import FrameType
from typing import Any, Callable, Optional, Union

from tbreport import _fs
from tbreport.errors import StorageError, WriterClosedError
from tbreport.proto import event_pb2
from tbreport.record import encode_record
from tbreport.writer.env import WriterEnv, current

__all__ = ["SEGMENT_BYTES", "EventFileWriter", "event_file_name"]

logger = logging.getLogger(__name__)

_open_writers: weakref.WeakSet[EventFileWriter] = weakref.WeakSet()
_BUFFER_SIZE = 1 << 20
#: a remote event file is sealed, and a new one started, past this size
SEGMENT_BYTES = 8 << 20


def event_file_name(
    filename_suffix: str = "", now: float | None = None, env: WriterEnv | None = None
) -> str:
    """``events.out.tfevents.<10-digit secs>.<host>.<pid>.<n><suffix>``, as TensorBoard names them."""
    env = env or current()
    n = env.next_id()
    secs = int(env.clock() if now is None else now)
    return f"events.out.tfevents.{secs:010d}.{env.hostname()}.{env.pid()}.{n}{filename_suffix}"


def _header(env: WriterEnv) -> bytes:
    header = event_pb2.Event(wall_time=env.clock(), file_version="brain.Event:2")
    header.source_metadata.writer = "tbreport"
    return encode_record(header.SerializeToString())


# ---------------------------------------------------------------------- sinks


class _LocalSink:
    """An event file on a local disk: appends with ``write``, durable with ``fsync``."""

    def __init__(self, logdir: str, name: str, header: bytes) -> None:
        _fs.makedirs(logdir)
        self.path = os.path.join(_fs.local_path(logdir), name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        self._fd = os.open(self.path, flags | getattr(os, "O_BINARY", 0), 0o666)
        try:
            self.write(header)
        except BaseException:
            os.close(self._fd)
            raise

    @property
    def paths(self) -> list[str]:
        return [self.path]

    def write(self, data: Union[bytes, bytearray]) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]

    def snapshot(self, *, periodic: bool) -> Optional[Callable[[], None]]:
        """What makes the written records durable (run outside the writer's lock)."""
        if periodic:
            return None  # handing records to the OS is enough between flushes
        return lambda: os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)

    def abandon(self) -> None:
        """Forget the file without writing (a forked child's copy of the parent's)."""
        with contextlib.suppress(OSError):
            os.close(self._fd)


class _RemoteSink:
    """An event file on an object store: the whole file is PUT again on each sync."""

    def __init__(self, logdir: str, new_name: Callable[[int], str], env: WriterEnv) -> None:
        self._logdir = logdir
        self._new_name = new_name
        self._env = env
        self._secs = -1
        self.sealed: list[tuple[str, bytes]] = []  # full files not yet uploaded
        self.paths: list[str] = []  # every file started, oldest first
        self._start()
        # PUT the header now: a missing bucket or missing credentials fail here,
        # in SummaryWriter(...), not at the first flush minutes later.
        _fs.write_bytes(self.path, bytes(self._seg))

    def _start(self) -> None:
        name = self._new_name(self._secs + 1)
        self._secs = int(name.split(".")[3])
        self.path = _fs.join(self._logdir, name)
        self._seg = bytearray(_header(self._env))
        self._sent = len(self._seg)  # a header-only file is never uploaded again
        self.paths.append(self.path)

    def write(self, data: Union[bytes, bytearray]) -> None:
        self._seg += data

    def snapshot(self, *, periodic: bool) -> Optional[Callable[[], None]]:
        """Under the writer's lock: the uploads that make everything written so far durable."""
        jobs = list(self.sealed)
        if len(self._seg) > self._sent:
            data = bytes(self._seg)
            if len(data) >= SEGMENT_BYTES:
                self.sealed.append((self.path, data))
                jobs.append((self.path, data))
                self._start()
            else:
                jobs.append((self.path, data))
        if not jobs:
            return None
        return lambda: self._upload(jobs)

    def _upload(self, jobs: list[tuple[str, bytes]]) -> None:
        # The writer holds its upload lock: uploads never overtake each other.
        for path, data in jobs:
            _fs.write_bytes(path, data)
            self.sealed = [(p, d) for p, d in self.sealed if d is not data]
            if path == self.path:
                self._sent = max(self._sent, len(data))

    def close(self) -> None:
        pass

    def abandon(self) -> None:
        self.sealed = []
        self._seg = bytearray()


_Sink = Union[_LocalSink, _RemoteSink]


# --------------------------------------------------------------------- writer


class EventFileWriter:
    """Writes framed ``Event`` records to a new event file in ``logdir`` (a local
    directory or an fsspec URL such as ``s3://bucket/run``)."""

    def __init__(
        self,
        logdir: str | os.PathLike[str],
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
        *,
        env: WriterEnv | None = None,
    ) -> None:
        if isinstance(max_queue, bool) or not isinstance(max_queue, int) or max_queue < 0:
            raise ValueError(f"max_queue must be an integer >= 0, got {max_queue!r}")
        if not isinstance(flush_secs, (int, float)) or not flush_secs > 0:
            raise ValueError(f"flush_secs must be a number > 0, got {flush_secs!r}")
        self.logdir = os.fspath(logdir)
        self._env = env or current()
        # 0 means no limit, as torch's queue.Queue(0): records reach the OS on flush
        # (explicit or every flush_secs) or when the 1 MiB buffer fills.
        self._max_queue = max_queue or sys.maxsize
        self._flush_secs = float(flush_secs)
        self._suffix = filename_suffix
        self._closed = False
        self._last_path = ""
        self._paths_done: list[str] = []
        self._open()

    def _open(self) -> None:
        """Create the file (and the flush thread) in this process."""
        # A plain lock on the hot path (an RLock costs ~25% more per add_scalar);
        # the upload lock is reentrant so a signal handler can tell it holds it.
        self._lock = threading.Lock()
        self._upload_lock = threading.RLock()
        self._buf = bytearray()
        self._unflushed = 0
        self._error: BaseException | None = None
        self._pid = os.getpid()
        self._sink: _Sink | None = self._new_sink()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._flush_periodically, name="tbreport-flush", daemon=True
        )
        self._thread.start()
        self._closed = False
        _open_writers.add(self)
        _install_signal_handler()

    def _new_sink(self) -> _Sink:
        if _fs.is_remote(self.logdir):
            return _RemoteSink(
                self.logdir,
                lambda min_secs: event_file_name(
                    self._suffix, max(int(self._env.clock()), min_secs), self._env
                ),
                self._env,
            )
        name = event_file_name(self._suffix, env=self._env)
        return _LocalSink(self.logdir, name, _header(self._env))

    # -- the caller's side ----------------------------------------------------

    @property
    def path(self) -> str:
        """The event file being written (locally, the only one)."""
        sink = self._sink
        return sink.path if sink is not None else self._last_path

    @property
    def _file_name(self) -> str:
        # the name torch's (TensorBoard's) EventFileWriter gives this attribute
        return self.path

    @property
    def _ev_writer(self) -> EventFileWriter:
        # tensorboardX's EventFileWriter keeps the file name one level down,
        # ``event_writer._ev_writer._file_name``; code that reads it keeps working.
        return self

    def written_paths(self) -> list[str]:
        """Every event file this writer has written to, oldest first."""
        sink = self._sink
        return list(sink.paths) if sink is not None else list(self._paths_done)

    def get_logdir(self) -> str:
        """The directory this writer writes into."""
        return self.logdir

    def add_event(self, event: event_pb2.Event) -> None:
        """Append one ``Event`` message."""
        self.add_serialized(event.SerializeToString(deterministic=True))

    def add_serialized(self, data: bytes) -> None:
        """Append one already-serialised ``Event``."""
        record = encode_record(data)
        with self._lock:
            if self._sink is None or self._error is not None:
                self._not_writable()
            self._buf += record
            self._unflushed += 1
            if self._unflushed >= self._max_queue or len(self._buf) >= _BUFFER_SIZE:
                self._write_out()
        if _deferred_signal is not None:
            _run_deferred_signal()

    def _write_out(self) -> None:
        """Hand the buffer to the sink (the OS, or the in-memory remote file). Under the lock."""
        if not self._buf:
            return
        data, self._buf = self._buf, bytearray()
        self._unflushed = 0
        assert self._sink is not None
        try:
            self._sink.write(data)
        except BaseException as exc:
            self._error = exc
            raise

    def _not_writable(self) -> None:
        if self._error is not None:
            raise self._error
        if not self._closed and self._pid != os.getpid():
            self._reopen_in_child()
            return
        raise WriterClosedError(f"{self.path}: the writer is closed; create a new SummaryWriter")

    def flush(self) -> None:
        """Return once every record added so far is durable (fsync'ed, or uploaded)."""
        with self._upload_lock:
            with self._lock:
                if self._error is not None:
                    raise self._error
                if self._sink is None:
                    return  # closed, or inherited through fork and unused
                self._write_out()
                job = self._sink.snapshot(periodic=False)
            if job is not None:
                self._run_job(job, "flushing")
        if _deferred_signal is not None:
            _run_deferred_signal()

    def _run_job(self, job: Callable[[], None], doing: str) -> None:
        try:
            job()
        except StorageError:
            raise  # remote: the records stay buffered for the next try
        except BaseException as exc:
            with self._lock:
                self._error = exc
            raise

    def close(self) -> None:
        """Flush everything, stop the flush thread and close the file. Idempotent.

        On an object store whose final upload fails, raises
        :class:`~tbreport.errors.StorageError` and stays open with every record
        still buffered: call ``close()`` (or ``flush()``) again to retry.
        """
        with self._upload_lock:
            with self._lock:
                if self._closed:
                    return
                if self._sink is None:  # inherited through fork, never used here
                    self._closed = True
                    return
                job = None
                if self._error is None:
                    try:
                        self._write_out()
                        job = self._sink.snapshot(periodic=False)
                    except BaseException:
                        job = None
            try:
                if job is not None:
                    self._run_job(job, "closing")
            except StorageError as exc:
                raise StorageError(
                    f"{exc}; the writer stays open with its records: call close() again to retry",
                    path=exc.path,
                ) from exc
            except BaseException:
                with self._lock:
                    self._stop.set()
                    self._finish_close()
                    self._error = None  # reported now, once
                raise
            with self._lock:
                self._stop.set()
                self._finish_close()
        if threading.current_thread() is not self._thread:
            self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _finish_close(self) -> None:
        sink, self._sink = self._sink, None
        self._closed = True
        _open_writers.discard(self)
        if sink is None:
            return
        self._last_path = sink.path
        self._paths_done = list(sink.paths)
        try:
            sink.close()
        except OSError as exc:
            if self._error is None:
                self._error = exc

    def reopen(self) -> None:
        """After :meth:`close`, start a new event file in the same directory (as torch's
        ``EventFileWriter.reopen``). Does nothing while the writer is open."""
        with self._lock:
            if not self._closed:
                return
            self._open()

    @property
    def closed(self) -> bool:
        return self._closed

    # -- fork -----------------------------------------------------------------

    def _forget_after_fork(self) -> None:
        """In a forked child: drop the parent's file and buffer; they are the parent's."""
        self._lock = threading.Lock()
        self._upload_lock = threading.RLock()
        self._buf = bytearray()
        self._unflushed = 0
        self._error = None
        sink, self._sink = self._sink, None
        if sink is not None:
            self._last_path = sink.path
            self._paths_done = []
            sink.abandon()

    def _reopen_in_child(self) -> None:
        """The child's first record: a file of its own (its pid in the name). Under the lock."""
        logger.debug(
            "%s: used in forked process %d; writing a file of its own", self.path, os.getpid()
        )
        self._open()
        if "multiprocessing" in sys.modules:
            # multiprocessing children leave through os._exit after running its
            # finalizers, not atexit: flush there too.
            from multiprocessing import util

            util.Finalize(self, _close_quietly, args=(weakref.ref(self),), exitpriority=10)

    # -- the background thread -----------------------------------------------

    def _flush_periodically(self) -> None:
        failing = False
        while not self._stop.wait(self._flush_secs):
            with self._upload_lock:
                with self._lock:
                    if self._sink is None or self._error is not None:
                        return
                    try:
                        self._write_out()
                        job = self._sink.snapshot(periodic=True)
                    except Exception as exc:
                        logger.error("flushing %s failed: %s", self.path, exc)
                        return
                if job is None:
                    continue
                try:
                    self._run_job(job, "flushing")
                    if failing:
                        logger.warning("%s: uploading works again", self.path)
                    failing = False
                except StorageError as exc:
                    if not failing:
                        logger.warning("%s; will retry every %g s", exc, self._flush_secs)
                    failing = True
                except Exception as exc:
                    logger.error("flushing %s failed: %s", self.path, exc)
                    return

    # -- signals --------------------------------------------------------------

    def _owned_here(self) -> bool:
        """Whether the thread running a signal handler was interrupted inside this writer."""
        if self._upload_lock._is_owned():  # type: ignore[attr-defined]
            return True
        # Another thread (the flush thread) holds the lock for microseconds at a time;
        # a lock still held after this long is held by the interrupted thread itself.
        if self._lock.acquire(timeout=_SIGNAL_LOCK_WAIT):
            self._lock.release()
            return False
        return True

    def _flush_for_signal(self) -> None:
        if self._pid != os.getpid() or self._sink is None:
            return
        try:
            self.flush()
        except Exception as exc:
            logger.error("could not flush %s on a signal: %s", self.path, exc)


def _close_quietly(ref: weakref.ref[EventFileWriter]) -> None:
    writer = ref()
    if writer is not None and writer._pid == os.getpid():
        try:
            writer.close()
        except Exception as exc:  # a failing disk at exit: say so, never hang
            logger.error("could not flush %s at exit: %s", writer.path, exc)


@atexit.register
def _close_all_at_exit() -> None:
    for writer in list(_open_writers):
        # Writers inherited through fork and never used here belong to the parent.
        _close_quietly(weakref.ref(writer))


def _after_fork_in_child() -> None:
    global _deferred_signal
    _deferred_signal = None
    for writer in list(_open_writers):
        writer._forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# ------------------------------------------------------------------- SIGTERM

_previous_handler: Any = None
_SIGNAL_LOCK_WAIT = 2.0
_handler_installed = False
_deferred_signal: tuple[int, FrameType | None] | None = None


def _install_signal_handler() -> None:
    """Flush open writers on SIGTERM, then chain to the handler that was there before.

    Installed once, from the main thread, and only over a handler that would have
    ended the process or a Python handler (never over one set from C or ignored).
    ``TBREPORT_NO_SIGNAL_HANDLER=1`` turns this off.
    """
    global _previous_handler, _handler_installed
    sigterm = getattr(signal, "SIGTERM", None)
    if _handler_installed or sigterm is None or os.environ.get("TBREPORT_NO_SIGNAL_HANDLER"):
        return
    if threading.current_thread() is not threading.main_thread():
        return  # signal.signal works in the main thread only; the next writer tries again
    try:
        previous = signal.getsignal(sigterm)
    except (ValueError, OSError):
        return
    if previous is None or previous == signal.SIG_IGN:
        return
    _previous_handler = previous
    signal.signal(sigterm, _on_signal)
    _handler_installed = True


def _on_signal(signum: int, frame: FrameType | None) -> None:
    global _deferred_signal
    writers = [w for w in list(_open_writers) if w._pid == os.getpid()]
    if any(w._owned_here() for w in writers):
        # The signal interrupted this thread inside a writer: flushing now could
        # write half-updated state. The writer call finishes first, then flushes.
        _deferred_signal = (signum, frame)
        return
    _flush_and_chain(signum, frame, writers)


def _run_deferred_signal() -> None:
    global _deferred_signal
    pending = _deferred_signal
    if pending is None or threading.current_thread() is not threading.main_thread():
        return
    _deferred_signal = None
    writers = [w for w in list(_open_writers) if w._pid == os.getpid()]
    _flush_and_chain(pending[0], pending[1], writers)


def _flush_and_chain(signum: int, frame: FrameType | None, writers: list[EventFileWriter]) -> None:
    for writer in writers:
        writer._flush_for_signal()
    previous = _previous_handler
    if callable(previous):
        previous(signum, frame)
        return
    # The default action: end the process by the signal, as it would have been.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
