"""The one way tbreport writes an output: the report, the summary, the e-mail, the CSV.

It behaves like a careful Unix tool, for every command and every output:

- ``-`` is standard output;
- a regular file is replaced atomically: the new content is written to a temporary
  file beside it, which is renamed over it once complete (a reader never sees half a
  report; an interrupted build leaves the old file as it was and no temporary file);
- a symbolic link is written through: the link stays, its target gets the content;
- a device, a FIFO or ``/dev/stdout`` (any path that is one of this process's open
  files, ``/dev/fd/N``) is written to as it is, never replaced: ``-o /dev/null`` and
  ``-o >(gzip > r.gz)`` work, and ``-o /dev/stdout`` writes to the same place as ``-``;
- a new file gets the permissions the umask leaves of 0666; a replaced file keeps its own;
- a missing parent directory is created (with the umask's permissions), everywhere;
- :meth:`Output.check` finds what would fail (a directory in the way, no permission)
  before any work is done;
- every error is an :class:`~tbreport.errors.OutputError` naming the path as the user
  gave it, never a temporary file.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from typing import IO, Union

from tbreport._workers import interrupts_held
from tbreport.errors import OutputError

__all__ = ["STDOUT", "Output", "remove_temporaries"]

PathArg = Union[str, "os.PathLike[str]"]

#: the path that means standard output
STDOUT = "-"

_FD_DIRS = ("/proc/self/fd/", "/dev/fd/")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _open_fd(path: str) -> int | None:
    """The file descriptor ``path`` names when it is (a link to) one of this
    process's open files, such as ``/dev/stdout`` -> ``/proc/self/fd/1``; else ``None``."""
    current = path
    for _ in range(40):  # the kernel's own limit on a chain of links
        for prefix in _FD_DIRS:
            if current.startswith(prefix) and current[len(prefix) :].isdigit():
                return int(current[len(prefix) :])
        if not os.path.islink(current):
            return None
        target = os.readlink(current)
        current = os.path.join(os.path.dirname(current), target)
    return None


class Output:
    """One output path, as the user gave it (see the module docstring)."""

    def __init__(self, path: PathArg) -> None:
        self.given = os.fspath(path)
        if not self.given:
            raise OutputError("the output path is empty", path=self.given)

    def __repr__(self) -> str:
        return f"Output({self.given!r})"

    @property
    def is_stdout(self) -> bool:
        return self.given == STDOUT

    def _error(self, exc: OSError | str) -> OutputError:
        reason = exc if isinstance(exc, str) else (exc.strerror or str(exc))
        return OutputError(f"{self.given}: {reason}", path=self.given)

    def _target(self) -> tuple[str, os.stat_result | None]:
        """The file to replace (links followed) and its status (``None``: a new file)."""
        real = os.path.realpath(self.given)
        try:
            return real, os.stat(real)
        except (FileNotFoundError, NotADirectoryError):
            return real, None

    def _streamed(self) -> bool:
        """Whether the path is written to as it is (a device, a FIFO, an open file)."""
        if self.is_stdout or _open_fd(self.given) is not None:
            return True
        try:
            mode = os.stat(self.given).st_mode
        except OSError:
            return False
        return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))

    # -- before any work

    def check(self) -> None:
        """Raise :class:`OutputError` now if writing the output would fail later."""
        try:
            self._check()
        except OSError as exc:
            raise self._error(exc) from None

    def _check(self) -> None:
        if self.is_stdout or _open_fd(self.given) is not None:
            return
        if self._streamed():
            if not os.access(self.given, os.W_OK):
                raise self._error("not writable (permission denied)")
            return
        real, st = self._target()
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise self._error("is a directory; give a file name")
        if st is not None and not os.access(real, os.W_OK):
            raise self._error("the file is not writable (permission denied)")
        parent = os.path.dirname(real) or "."
        while not os.path.exists(parent):  # created when written: check the nearest ancestor
            parent = os.path.dirname(parent) or "."
        if not os.path.isdir(parent):
            raise self._error(f"{parent} is not a directory")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise self._error(f"cannot create files in {parent} (permission denied)")

    # -- writing

    def write_bytes(self, data: bytes) -> None:
        with self.open_binary() as fh:
            fh.write(data)

    def write_text(self, text: str) -> None:
        with self.open_text() as fh:
            fh.write(text)

    def _std_stream(self) -> IO[str] | None:
        """``sys.stdout`` (or ``sys.stderr``) when the output is one of them."""
        if self.is_stdout:
            return sys.stdout
        fd = _open_fd(self.given)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                if fd is not None and fd == stream.fileno():
                    return stream
        return None

    @contextlib.contextmanager
    def open_text(self) -> Iterator[IO[str]]:
        """A text stream (UTF-8, ``\\n`` line ends) whose content becomes the output
        when the ``with`` block completes (nothing is replaced if it raises)."""
        std = self._std_stream()
        if std is not None:
            yield std
            std.flush()
            return
        with self.open_binary() as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            try:
                yield text
                text.flush()
            finally:
                text.detach()

    @contextlib.contextmanager
    def open_binary(self) -> Iterator[IO[bytes]]:
        """A binary stream whose content becomes the output (see :meth:`open_text`)."""
        std = self._std_stream()
        if std is not None:
            std.flush()
            buffer = getattr(std, "buffer", None)
            if buffer is None:  # a text-only stream (a test's capture): decode into it
                sink = io.BytesIO()
                yield sink
                std.write(sink.getvalue().decode("utf-8", "replace"))
            else:
                yield buffer
                buffer.flush()
            return
        try:
            fd = _open_fd(self.given)
            if fd is not None:
                with os.fdopen(os.dup(fd), "wb") as fh:
                    yield fh
                return
            if self._streamed():
                with open(self.given, "wb") as fh:
                    yield fh
                return
            with self._replacing() as fh:
                yield fh
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._error(exc) from None

    @contextlib.contextmanager
    def _replacing(self) -> Iterator[IO[bytes]]:
        real, st = self._target()
        parent = os.path.dirname(real) or "."
        os.makedirs(parent, exist_ok=True)
        mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
        tmp = ""
        try:
            with interrupts_held():  # a Ctrl-C now arrives once the file is known
                fd, tmp = tempfile.mkstemp(
                    prefix=f".{os.path.basename(real)}.", suffix=".tmp", dir=parent
                )
                _TEMPORARIES.add(tmp)
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), mode)
                yield fh
            os.replace(tmp, real)
        except BaseException:  # Ctrl-C included: no temporary file is left behind
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            raise
        finally:
            _TEMPORARIES.discard(tmp)


#: the temporary files being written now (removed by :func:`remove_temporaries`)
_TEMPORARIES: set[str] = set()


def remove_temporaries() -> None:
    """Remove every temporary file an :class:`Output` is writing now: for a process
    about to end without unwinding (a second Ctrl-C, see :mod:`tbreport.cli.interrupt`)."""
    for tmp in list(_TEMPORARIES):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _TEMPORARIES.discard(tmp)
