"""EventFileWriter: naming, header, flush semantics, errors, close and exit behaviour."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tbreport.errors import WriterClosedError
from tbreport.kinds.scalar import encode_scalar_event
from tbreport.proto import event_pb2
from tbreport.record import iter_records
from tbreport.writer.event_file import EventFileWriter


def events(path: str | Path) -> list[event_pb2.Event]:
    return [event_pb2.Event.FromString(r) for r in iter_records(Path(path).read_bytes())]


def test_file_name_and_header(tmp_path: Path) -> None:
    before = int(time.time())
    w = EventFileWriter(tmp_path / "run", filename_suffix=".v2")
    name = os.path.basename(w.path)
    m = re.fullmatch(r"events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d+)\.v2", name)
    assert m, name
    assert before <= int(m.group(1)) <= int(time.time())
    assert m.group(2) == socket.gethostname()
    assert int(m.group(3)) == os.getpid()
    w.close()
    (header,) = events(w.path)
    assert header.file_version == "brain.Event:2"
    assert header.source_metadata.writer == "tbreport"


def test_two_writers_in_one_dir_get_distinct_files(tmp_path: Path) -> None:
    a, b = EventFileWriter(tmp_path), EventFileWriter(tmp_path)
    assert a.path != b.path
    a.close()
    b.close()


def test_flush_puts_every_record_on_disk_without_close(tmp_path: Path) -> None:
    w = EventFileWriter(tmp_path, max_queue=1000, flush_secs=3600)
    for i in range(25):
        w.add_serialized(encode_scalar_event(b"x", float(i), i, 1.0))
    w.flush()
    got = events(w.path)
    assert [e.step for e in got[1:]] == list(range(25))
    w.close()


def test_max_queue_hands_records_to_the_os(tmp_path: Path) -> None:
    w = EventFileWriter(tmp_path, max_queue=5, flush_secs=3600)
    for i in range(5):
        w.add_serialized(encode_scalar_event(b"x", 1.0, i, 1.0))
    # no flush(): the 5th record reached the OS because the queue was full
    assert len(events(w.path)) == 6
    w.close()


def test_periodic_flush(tmp_path: Path) -> None:
    w = EventFileWriter(tmp_path, max_queue=1000, flush_secs=0.05)
    w.add_serialized(encode_scalar_event(b"x", 1.0, 1, 1.0))
    deadline = time.monotonic() + 5
    while len(events(w.path)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(events(w.path)) == 2
    w.close()


class _FailingSink:
    """Wraps a writer's sink; every write (or every fsync) fails as a full disk does."""

    def __init__(self, real: Any, fail_on: str) -> None:
        self.real, self.fail_on = real, fail_on
        self.path, self.paths = real.path, real.paths

    def write(self, data: bytes) -> None:
        if self.fail_on == "write":
            raise OSError(28, "No space left on device")
        self.real.write(data)

    def snapshot(self, *, periodic: bool) -> Any:
        def fail() -> None:
            raise OSError(28, "No space left on device")

        if self.fail_on == "fsync" and not periodic:
            return fail
        return self.real.snapshot(periodic=periodic)

    def close(self) -> None:
        self.real.close()


def test_io_error_in_background_flush_is_raised_on_next_call(tmp_path: Path) -> None:
    w = EventFileWriter(tmp_path, max_queue=1000, flush_secs=0.02)
    w._sink = _FailingSink(w._sink, "write")  # type: ignore[assignment]
    w.add_serialized(encode_scalar_event(b"x", 1.0, 1, 1.0))
    deadline = time.monotonic() + 5
    while w._error is None and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(OSError, match="No space left"):
        w.add_serialized(encode_scalar_event(b"x", 1.0, 2, 1.0))
    with pytest.raises(OSError, match="No space left"):
        w.flush()
    with pytest.raises(OSError, match="No space left"):
        w.close()  # closes the file and reports the error once more
    assert w.closed
    w.close()


def test_io_error_on_write_is_raised(tmp_path: Path) -> None:
    w = EventFileWriter(tmp_path, max_queue=1)
    w._sink = _FailingSink(w._sink, "write")  # type: ignore[assignment]
    with pytest.raises(OSError, match="No space left"):
        w.add_serialized(b"")
    with pytest.raises(OSError):
        w.flush()
    with pytest.raises(OSError):
        w.close()
    assert w.closed


def test_io_error_on_fsync_is_raised_by_flush_and_sticks(tmp_path: Path) -> None:
    w = EventFileWriter(tmp_path, max_queue=1000)
    w._sink = _FailingSink(w._sink, "fsync")  # type: ignore[assignment]
    w.add_serialized(b"")
    with pytest.raises(OSError, match="No space left"):
        w.flush()
    with pytest.raises(OSError, match="No space left"):
        w.add_serialized(b"")
    with pytest.raises(OSError):
        w.close()
    assert w.closed


def test_write_after_close_raises_and_close_is_idempotent(tmp_path: Path) -> None:
    w = EventFileWriter(tmp_path)
    w.close()
    w.close()
    assert w.closed
    with pytest.raises(WriterClosedError, match="closed"):
        w.add_serialized(b"")
    w.flush()  # flushing a closed writer is harmless


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_queue"):
        EventFileWriter(tmp_path, max_queue=-1)
    with pytest.raises(ValueError, match="flush_secs"):
        EventFileWriter(tmp_path, flush_secs=0)


def test_data_is_flushed_at_interpreter_exit(tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        from tbreport import SummaryWriter
        w = SummaryWriter({str(tmp_path)!r}, max_queue=100000, flush_secs=3600)
        for i in range(1000):
            w.add_scalar("loss", i * 0.5, i)
        # no close(), no flush(): exit must not lose anything
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
    (path,) = tmp_path.glob("events.out.tfevents.*")
    got = events(path)
    assert [e.step for e in got[1:]] == list(range(1000))
    assert got[-1].summary.value[0].simple_value == 499.5


def test_max_queue_zero_means_no_count_limit_as_in_torch(tmp_path: Path) -> None:
    w = EventFileWriter(tmp_path, max_queue=0, flush_secs=3600)
    for i in range(100):
        w.add_serialized(encode_scalar_event(b"x", 1.0, i, 1.0))
    assert len(events(w.path)) == 1  # still buffered: only the header reached the OS
    w.flush()
    assert len(events(w.path)) == 101
    w.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_exiting_normally_does_not_write_the_parents_buffer(tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import os, sys
        from tbreport import SummaryWriter
        w = SummaryWriter({str(tmp_path)!r}, max_queue=1000, flush_secs=3600)
        for i in range(5):
            w.add_scalar("x", float(i), i)
        pid = os.fork()
        if pid == 0:
            sys.exit(0)  # a normal exit runs atexit in the child
        os.waitpid(pid, 0)
        w.close()
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
    (path,) = tmp_path.glob("events.out.tfevents.*")
    assert [e.step for e in events(path)[1:]] == [0, 1, 2, 3, 4]
