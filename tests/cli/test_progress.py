"""What ``tbreport`` says on stderr: the progress bars on a terminal (a pty here), the
one success line of every command that writes a file."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from tbreport.cli import main
from tbreport.fmt import fmt_bytes
from tests.conftest import CORPUS

ROOT = Path(__file__).resolve().parents[2]


def _on_a_terminal(argv: list[str]) -> list[str]:
    """Run ``python -m tbreport argv`` with stdout and stderr on a pty; the lines the
    terminal shows at the end (each line as its last carriage return left it)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 x 100
    proc = subprocess.Popen(
        [sys.executable, "-m", "tbreport", *argv],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"},
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the program closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return [line.rsplit("\r", 1)[-1].rstrip() for line in text.split("\n") if line.strip("\r ")]


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pty")
def test_the_bar_covers_reading_and_drawing_and_leaves_its_last_lines(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    screen = _on_a_terminal(["build", str(CORPUS / "exp1"), "-o", str(out)])
    reading = [line for line in screen if line.startswith("tbreport: reading")]
    drawing = [line for line in screen if line.startswith("tbreport: drawing")]
    assert len(reading) == 1 and "100%" in reading[0], screen
    assert len(drawing) == 1 and "100%" in drawing[0] and " charts" in drawing[0], screen
    assert screen[-1].startswith(f"tbreport: wrote {out} (")
    assert screen.index(reading[0]) < screen.index(drawing[0]) < len(screen) - 1


def test_no_bar_without_a_terminal(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tbreport",
            "build",
            str(CORPUS / "exp1"),
            "-o",
            str(tmp_path / "r.html"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        line for line in done.stderr.splitlines() if line.startswith("tbreport: wrote ")
    ]
    assert len(done.stderr.splitlines()) == 1


def test_every_command_that_writes_a_file_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logdir = str(CORPUS / "exp1")
    csv_out, eml_out, html_out = tmp_path / "s.csv", tmp_path / "m.eml", tmp_path / "r.html"
    assert main(["scalars", logdir, "-o", str(csv_out)]) == 0
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err == (
        f"tbreport: wrote {csv_out} ({fmt_bytes(csv_out.stat().st_size)}): "
        "80 scalar points of 2 tags in 2 runs\n"
    )
    assert main(["email", logdir, "--to", "a@example.com", "-o", str(eml_out)]) == 0
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err.startswith(
        f"tbreport: wrote {eml_out} ({fmt_bytes(eml_out.stat().st_size)}): HTML "
    )
    assert said.err.count("\n") == 1
    assert main(["build", logdir, "-o", str(html_out)]) == 0
    assert capsys.readouterr().err == (
        f"tbreport: wrote {html_out} ({fmt_bytes(html_out.stat().st_size)}): "
        "2 runs, 2 scalar tags, 80 scalar points\n"
    )
    # standard output is the data: the CSV alone; the message says where it went
    assert main(["scalars", logdir]) == 0
    assert capsys.readouterr().err == ""
    assert main(["email", logdir, "--to", "a@example.com", "-o", "-"]) == 0
    assert capsys.readouterr().err.startswith("tbreport: wrote the message to standard output: ")
    # -q: nothing
    for argv in (["scalars", logdir, "-o", str(csv_out)], ["build", logdir, "-o", str(html_out)]):
        assert main([*argv, "-q"]) == 0
        assert capsys.readouterr().err == ""
