"""The tbreport command, in process (main([...])) and as `python -m tbreport`."""

from __future__ import annotations

import csv
import io
import os
import pathlib
import stat
import subprocess
import sys
import threading

import pytest

from tbreport.cli import main
from tests.conftest import CORPUS


def test_only_unreadable_event_files_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    (tmp_path / "events.out.tfevents.1.x").write_bytes(b"garbage, not records")
    for command in ("ls", "scalars"):
        assert main([command, str(tmp_path)]) == 2
        err = capsys.readouterr().err.splitlines()
        assert err[0].startswith("tbreport: warning: ") and "not an event file" in err[0]
        assert err[-1].startswith("tbreport: error: ") and "none holds a readable record" in err[-1]


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["scalars", str(CORPUS), "--format", "xml"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "exit status" in out and "  2  " in out and "ls" in out and "scalars" in out


def test_python_dash_m(tmp_path: pathlib.Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tbreport", "scalars", str(CORPUS / "exp1"), "-o", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "run,tag,step,wall_time,value"
    assert len(proc.stdout.splitlines()) == 1 + 80
    proc = subprocess.run(
        [sys.executable, "-m", "tbreport", "ls", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1


# ----------------------------------------------------------- one command-line style


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--help"],
        ["ls", "--help"],
        ["scalars", "--help"],
        ["build", "--help"],
        ["email", "--help"],
    ],
)
def test_version_and_help_import_neither_numpy_nor_matplotlib(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from tbreport.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'matplotlib', 'jinja2', 'google.protobuf') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=False
    )
    assert "HEAVY []" in done.stderr, done.stderr
    assert done.stdout  # the version or the help was printed


def test_verbosity_before_and_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["-q", "scalars"], ["scalars", "-q"], ["scalars", "--quiet"]):
        assert main([*argv, str(CORPUS)]) == 0
        assert capsys.readouterr().err == ""  # -q: no warnings
    assert main(["ls", str(CORPUS / "exp1"), "-v"]) == 0
    assert "tbreport: info: read 2 runs" in capsys.readouterr().err


def test_one_message_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scalars", str(CORPUS)]) == 0
    err = capsys.readouterr().err.splitlines()
    # three damaged files; the empty file is a note (shown with -v)
    assert len(err) == 3 and all(line.startswith("tbreport: warning: ") for line in err)
    assert main(["scalars", str(CORPUS), "-v"]) == 0
    assert "tbreport: info: note: " in capsys.readouterr().err


def test_ls_and_scalars_take_several_logdirs(capsys: pytest.CaptureFixture[str]) -> None:
    logdirs = [str(CORPUS / "exp1"), str(CORPUS / "torch_scalars")]
    assert main(["ls", *logdirs]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert names == [
        "exp1/lr_0.01",
        "exp1/lr_0.1",
        "torch_scalars",
        "torch_scalars/train_val_train",
        "torch_scalars/train_val_val",
    ]
    assert main(["scalars", *logdirs]) == 0
    runs = {row[0] for row in csv.reader(io.StringIO(capsys.readouterr().out))}
    assert runs == {"run", *names}


# ----------------------------------------------------------- outputs like a Unix tool


def _argv(command: str, output: str) -> list[str]:
    logdir = str(CORPUS / "exp1")
    extra = {"build": ["-q"], "email": ["--to", "a@example.com", "-q"], "scalars": []}[command]
    return [command, logdir, "-o", output, *extra]


@pytest.mark.parametrize("command", ["build", "email", "scalars"])
def test_dash_is_standard_output_in_every_command(
    command: str, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(_argv(command, "-")) == 0
    out = capfdbinary.readouterr().out
    start = {"build": b"<!DOCTYPE html>", "email": b"Subject: ", "scalars": b"run,tag,"}[command]
    assert out.startswith(start)


@pytest.mark.parametrize("command", ["build", "email", "scalars"])
def test_every_command_creates_a_missing_directory_and_checks_before_work(
    command: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new" / "dir" / "out.file"
    assert main(_argv(command, str(target))) == 0
    assert target.stat().st_size > 0
    (tmp_path / "taken").mkdir()
    capsys.readouterr()
    # a directory in the way, and a logdir that does not exist: the output is checked first
    argv = _argv(command, str(tmp_path / "taken"))
    argv[1] = str(tmp_path / "no_such_logdir")
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"tbreport: error: {tmp_path / 'taken'}: is a directory; give a file name\n"
    )


def test_a_symlinked_report_stays_a_link(tmp_path: pathlib.Path) -> None:
    (tmp_path / "reports").mkdir()
    link = tmp_path / "latest.html"
    link.symlink_to("reports/r1.html")
    assert main(["build", str(CORPUS / "exp1"), "-o", str(link), "-q"]) == 0
    assert link.is_symlink() and (tmp_path / "reports" / "r1.html").read_text().startswith(
        "<!DOCTYPE html>"
    )


@pytest.mark.parametrize("command", ["build", "email", "scalars"])
def test_every_command_writes_to_a_device_and_a_fifo_never_replacing_them(
    command: str, tmp_path: pathlib.Path
) -> None:
    assert main(_argv(command, os.devnull)) == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)  # still the device
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    try:
        assert main(_argv(command, str(fifo))) == 0
    finally:
        reader.join(timeout=60)
    start = {"build": b"<!DOCTYPE html>", "email": b"Subject: ", "scalars": b"run,tag,"}[command]
    assert got and got[0].startswith(start) and b"".join(got).count(start) == 1
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still the FIFO
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]  # no temporary file


@pytest.mark.parametrize("command", ["build", "email", "scalars"])
def test_every_command_honours_the_umask(command: str, tmp_path: pathlib.Path) -> None:
    old = os.umask(0o027)
    try:
        assert main(_argv(command, str(tmp_path / "out"))) == 0
        assert main(_argv(command, str(tmp_path / "new" / "out"))) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o750  # a created parent too
    # a replaced file keeps its own permissions
    (tmp_path / "out").chmod(0o604)
    assert main(_argv(command, str(tmp_path / "out"))) == 0
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o604
