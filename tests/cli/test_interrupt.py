"""Ctrl-C at any stage of every command, on the real program (``python -m tbreport``).

Each test starts the command in its own session (its own process group, as a
shell's job is), waits until it is in the stage under test, then sends SIGINT to
the whole group, as a terminal's Ctrl-C does (the chart and reader workers get it
too). The stage is known from what the command itself says with ``-vv`` (its
``debug: reading``/``drawing``/``writing`` lines) or, for the exact-stderr test, from
its chart workers having started. If the signal came too late (the stage was
over: the command went on, or finished), the run is repeated, a few times at most.

What must hold: exit status 130, the one line ``tbreport: error: interrupted`` and
nothing else (no traceback), no output file and no temporary file, no process of the
group left.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tbreport import SummaryWriter
from tbreport.cli.interrupt import MESSAGE
from tests.logdirs import build_big_images

try:
    import psutil
except ImportError:  # /proc is read instead
    psutil = None

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="process groups and /proc as on Linux"
)

ROOT = Path(__file__).resolve().parents[2]
ATTEMPTS = 4
#: the longest a command may take to end once interrupted (a hang guard, not a timing)
GRACE = 20.0


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 runs x 80 scalar tags x 1,000 steps: reading takes a while, 80 charts need the pool."""
    root = tmp_path_factory.mktemp("wide")
    for r in range(3):
        with SummaryWriter(str(root / f"run{r}")) as w:
            for step in range(1000):
                for t in range(80):
                    w.add_scalar(
                        f"g{t % 5}/tag{t}", math.sin(step / 50 + t + r) + 1 / (step + 1), step
                    )
    return root


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report of ~40 MB: writing it takes a while."""
    return build_big_images(tmp_path_factory.mktemp("big") / "logdir", megabytes=30)


@dataclass
class Interrupted:
    status: int
    stderr: str
    group: int
    stage_over: bool  # the command reported the stage done before it saw the signal

    @property
    def messages(self) -> list[str]:
        """stderr without the -vv debug and info lines."""
        return [
            line
            for line in self.stderr.splitlines()
            if not line.startswith(("tbreport: debug: ", "tbreport: info: "))
        ]


def _group_members(group: int) -> list[int]:
    """The live (not zombie) processes of process group ``group``."""
    if psutil is not None:
        out = []
        for p in psutil.process_iter(["status"]):
            try:
                if os.getpgid(p.pid) == group and p.info["status"] != psutil.STATUS_ZOMBIE:
                    out.append(p.pid)
            except (ProcessLookupError, psutil.Error):
                continue
        return out
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            out.append(int(entry))
    return out


def _children(pid: int) -> list[int]:
    if psutil is not None:
        try:
            return [c.pid for c in psutil.Process(pid).children()]
        except psutil.Error:
            return []
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _start(argv: Sequence[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tbreport", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a shell job
    )


def _finish(proc: subprocess.Popen[str], head: str) -> tuple[int, str]:
    try:
        _, rest = proc.communicate(timeout=GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"still running {GRACE} s after Ctrl-C")
    return proc.returncode, head + rest


def _interrupt(
    argv: Sequence[str], stage: str, over: str, *, twice: bool = False, group: bool = True
) -> Interrupted:
    """Run ``argv -vv``; Ctrl-C once its stderr has a line starting with ``stage``; a
    line starting with ``over`` says the stage ended (then it is run again)."""
    for _ in range(ATTEMPTS):
        proc = _start([*argv, "-vv"])
        assert proc.stderr is not None
        head = ""
        for line in proc.stderr:
            head += line
            if line.startswith(stage):
                break
        else:
            pytest.fail(f"never reached {stage!r}:\n{head}")
        kill = os.killpg if group else os.kill
        kill(proc.pid, signal.SIGINT)
        if twice:
            kill(proc.pid, signal.SIGINT)
        status, err = _finish(proc, head)
        before = err.split(MESSAGE, 1)[0]
        stage_over = status == 0 or any(
            line.startswith(over) for line in before[len(head) :].splitlines()
        )
        result = Interrupted(status, err, proc.pid, stage_over)
        if not stage_over:
            return result
    pytest.fail(f"Ctrl-C never landed in {stage!r} in {ATTEMPTS} runs")


def _nothing_left(result: Interrupted, out_dir: Path) -> None:
    assert result.status == 130, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert result.messages == [MESSAGE], result.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == [], "an output or temporary file is left"
    deadline = time.monotonic() + 5
    while _group_members(result.group) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group_members(result.group) == [], "a worker outlived the command"


READING = ("tbreport: debug: reading ", "tbreport: info: read ")
DRAWING = ("tbreport: debug: drawing ", "tbreport: info: drew ")
WRITING = ("tbreport: debug: writing ", "tbreport: info: wrote ")


@pytest.mark.parametrize("stage", [READING, DRAWING], ids=["reading", "drawing"])
def test_build(wide: Path, tmp_path: Path, stage: tuple[str, str]) -> None:
    result = _interrupt(["build", str(wide), "-o", str(tmp_path / "r.html")], *stage)
    _nothing_left(result, tmp_path)


def test_build_while_writing(big: Path, tmp_path: Path) -> None:
    result = _interrupt(["build", str(big), "-o", str(tmp_path / "r.html")], *WRITING)
    _nothing_left(result, tmp_path)


def test_build_while_drawing_only_the_main_process_interrupted(wide: Path, tmp_path: Path) -> None:
    # `kill -INT PID`: the workers never see the signal; the command must end them
    argv = ["build", str(wide), "-o", str(tmp_path / "r.html")]
    _nothing_left(_interrupt(argv, *DRAWING, group=False), tmp_path)


@pytest.mark.parametrize("stage", [READING, DRAWING], ids=["reading", "drawing"])
def test_a_second_ctrl_c_is_quiet_too(wide: Path, tmp_path: Path, stage: tuple[str, str]) -> None:
    argv = ["build", str(wide), "-o", str(tmp_path / "r.html")]
    _nothing_left(_interrupt(argv, *stage, twice=True), tmp_path)


@pytest.mark.parametrize("stage", [READING, WRITING], ids=["reading", "writing"])
def test_scalars(wide: Path, tmp_path: Path, stage: tuple[str, str]) -> None:
    result = _interrupt(["scalars", str(wide), "-o", str(tmp_path / "s.csv")], *stage)
    _nothing_left(result, tmp_path)


def test_ls(wide: Path, tmp_path: Path) -> None:
    _nothing_left(_interrupt(["ls", str(wide)], *READING), tmp_path)


@pytest.mark.parametrize(
    "stage",
    [READING, ("tbreport: debug: drawing the e-mail", "tbreport: debug: writing ")],
    ids=["reading", "drawing"],
)
def test_email(wide: Path, tmp_path: Path, stage: tuple[str, str]) -> None:
    argv = ["email", str(wide), "--to", "a@example.com", "-o", str(tmp_path / "m.eml")]
    _nothing_left(_interrupt(argv, *stage), tmp_path)


def test_while_the_workers_draw_stderr_is_exactly_one_line(wide: Path, tmp_path: Path) -> None:
    """No -v: the chart stage is known by its workers having started."""
    for _ in range(ATTEMPTS):
        proc = _start(["build", str(wide), "-o", str(tmp_path / "r.html"), "-j", "2"])
        deadline = time.monotonic() + 60
        while not _children(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if proc.poll() is not None:
            continue
        os.killpg(proc.pid, signal.SIGINT)
        status, err = _finish(proc, "")
        if status == 0:  # done before the signal: again
            (tmp_path / "r.html").unlink()
            continue
        assert err == MESSAGE + "\n"
        _nothing_left(Interrupted(status, err, proc.pid, False), tmp_path)
        return
    pytest.fail("the chart workers were never seen")


READER = """\
import sys
from tbreport.reader.load import load
try:
    load(sys.argv[1], workers=2)
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    sys.exit(130)
print("read", file=sys.stderr)
"""


def test_the_reader_workers_leave_ctrl_c_to_the_parent(wide: Path) -> None:
    """The reader's worker processes (a big logdir, idle cores; forced here)."""
    for _ in range(ATTEMPTS):
        proc = subprocess.Popen(
            [sys.executable, "-c", READER, str(wide)],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while not _children(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        if proc.poll() is not None:
            continue
        os.killpg(proc.pid, signal.SIGINT)
        status, err = _finish(proc, "")
        if err == "read\n":  # done before the signal: again
            continue
        assert (status, err) == (130, "interrupted\n")
        deadline = time.monotonic() + 5
        while _group_members(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _group_members(proc.pid) == []
        return
    pytest.fail("the reader's workers were never seen")
