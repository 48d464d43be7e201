"""The writer under fork and signals (each case runs in a fresh interpreter).

- a forked child that keeps logging with an inherited writer writes its own points
  to a file of its own, never the parent's buffered points a second time, and loses
  none of its own, whether it exits through ``sys.exit`` or ``multiprocessing``;
- SIGTERM flushes every buffered point, then the process ends by the signal as it
  would have (or the handler installed before tbreport's runs): never swallowed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tbreport.proto import event_pb2
from tbreport.record import iter_records
from tbreport.writer import event_file
from tbreport.writer.event_file import EventFileWriter

ROOT = Path(__file__).parents[2]
needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def points(run: Path) -> dict[str, list[tuple[str, int]]]:
    """{file name: [(tag, step), ...]} of every event file in ``run``."""
    out = {}
    for path in sorted(run.glob("events.out.tfevents.*")):
        events = [event_pb2.Event.FromString(r) for r in iter_records(path.read_bytes())]
        out[path.name] = [(v.tag, e.step) for e in events for v in e.summary.value]
    return out


def run(code: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,  # type: ignore[call-overload]
    )


@needs_fork
def test_forked_child_writes_its_own_file_and_never_the_parents_buffer(tmp_path: Path) -> None:
    result = run(
        f"""
        import os, sys
        from tbreport import SummaryWriter
        w = SummaryWriter({str(tmp_path)!r}, max_queue=1000, flush_secs=3600)
        for i in range(5):
            w.add_scalar("parent", float(i), i)   # buffered, not yet written
        pid = os.fork()
        if pid == 0:
            for i in range(7):
                w.add_scalar("child", float(i), i)
            sys.exit(0)                          # no close(): exit must flush it
        os.waitpid(pid, 0)
        for i in range(5, 8):
            w.add_scalar("parent", float(i), i)
        w.close()
        print(pid)
        """
    )
    assert result.returncode == 0, result.stderr
    child_pid = int(result.stdout.split()[-1])
    files = points(tmp_path)
    assert len(files) == 2
    child_file = next(name for name in files if f".{child_pid}." in name)
    parent_file = next(name for name in files if name != child_file)
    assert files[parent_file] == [("parent", i) for i in range(8)]
    assert files[child_file] == [("child", i) for i in range(7)]


@needs_fork
def test_multiprocessing_children_lose_none_of_their_points(tmp_path: Path) -> None:
    result = run(
        f"""
        import multiprocessing as mp
        from tbreport import SummaryWriter
        w = SummaryWriter({str(tmp_path)!r}, max_queue=1000, flush_secs=3600)
        w.add_scalar("parent", 0.0, 0)
        def work(n):
            for i in range(50):
                w.add_scalar("worker", float(n), i)
        if __name__ == "__main__":
            ctx = mp.get_context("fork")
            procs = [ctx.Process(target=work, args=(n,)) for n in range(3)]
            for p in procs: p.start()
            for p in procs: p.join()
            w.close()
        """
    )
    assert result.returncode == 0, result.stderr
    files = points(tmp_path)
    assert len(files) == 4  # the parent's file and one per child
    everything = [p for pts in files.values() for p in pts]
    assert everything.count(("parent", 0)) == 1
    assert sorted(p for p in everything if p[0] == "worker") == sorted(
        ("worker", i) for i in range(50) for _ in range(3)
    )


def test_sigterm_flushes_everything_then_ends_the_process_by_the_signal(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from tbreport import SummaryWriter
                w = SummaryWriter({str(tmp_path)!r}, max_queue=1000, flush_secs=3600)
                w.add_scalars("sub", {{"a": 1.0}}, 0)
                for i in range(999):
                    w.add_scalar("x", float(i), i)
                print("ready", flush=True)
                time.sleep(60)
                """
            ),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == -signal.SIGTERM  # not swallowed: died by the signal
    proc.stdout.close()
    (main,) = points(tmp_path).values()
    assert main == [("x", i) for i in range(999)]
    assert list(points(tmp_path / "sub_a").values()) == [[("sub", 0)]]


def test_sigterm_chains_to_the_handler_installed_before(tmp_path: Path) -> None:
    marker = tmp_path / "handler-ran"
    result = run(
        f"""
        import os, signal, sys
        def handler(signum, frame):
            open({str(marker)!r}, "w").write(str(signum))
            sys.exit(3)
        signal.signal(signal.SIGTERM, handler)
        from tbreport import SummaryWriter
        w = SummaryWriter({str(tmp_path / "run")!r}, max_queue=1000, flush_secs=3600)
        for i in range(20):
            w.add_scalar("x", float(i), i)
        os.kill(os.getpid(), signal.SIGTERM)
        signal.pause()
        """
    )
    assert result.returncode == 3, result.stderr
    assert marker.read_text() == str(int(signal.SIGTERM))
    (main,) = points(tmp_path / "run").values()
    assert main == [("x", i) for i in range(20)]


def test_an_ignored_sigterm_stays_ignored(tmp_path: Path) -> None:
    result = run(
        f"""
        import os, signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        from tbreport import SummaryWriter
        w = SummaryWriter({str(tmp_path)!r})
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGTERM)
        w.add_scalar("after", 1.0, 1)
        w.close()
        """
    )
    assert result.returncode == 0, result.stderr
    assert list(points(tmp_path).values()) == [[("after", 1)]]


def test_a_signal_inside_a_writer_call_is_handled_when_the_call_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    w = EventFileWriter(tmp_path, max_queue=1000, flush_secs=3600)  # installs the handler
    monkeypatch.setattr(event_file, "_previous_handler", lambda signum, frame: calls.append(signum))
    monkeypatch.setattr(event_file, "_SIGNAL_LOCK_WAIT", 0.05)
    w.add_serialized(event_pb2.Event(step=1).SerializeToString())
    with w._lock:  # as if SIGTERM arrived while this thread was inside add_serialized
        event_file._on_signal(signal.SIGTERM, None)
        assert calls == [] and event_file._deferred_signal is not None
    assert len(list(iter_records(Path(w.path).read_bytes()))) == 1  # only the header so far
    w.add_serialized(event_pb2.Event(step=2).SerializeToString())  # the call ends: flush, chain
    assert calls == [signal.SIGTERM] and event_file._deferred_signal is None
    assert len(list(iter_records(Path(w.path).read_bytes()))) == 3
    w.close()


def test_kill_9_loses_at_most_max_queue_minus_one_points(tmp_path: Path) -> None:
    result = run(
        f"""
        import os, signal
        from tbreport import SummaryWriter
        w = SummaryWriter({str(tmp_path)!r}, max_queue=10, flush_secs=3600)
        for i in range(25):
            w.add_scalar("x", float(i), i)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    assert result.returncode == -signal.SIGKILL
    (main,) = points(tmp_path).values()  # the file is whole up to its last record
    assert main == [("x", i) for i in range(20)]  # 5 of 25 were still in the buffer
