"""The tbreport command, in process (main([...])) and as `python -m tbreport`."""

from __future__ import annotations

import csv
import io
import json
import math
import pathlib
import shutil
import subprocess
import sys
from typing import Any

import pytest

from tbreport.cli import main

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "data" / "corpus"


def _expected_tbreport() -> dict[str, Any]:
    runs: dict[str, Any] = json.loads((CORPUS / "expected_tbreport.json").read_text("utf-8"))[
        "runs"
    ]
    return runs


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def test_ls_lists_every_run_then_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls", str(CORPUS)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["RUN", "KINDS", "TAGS", "POINTS", "STEPS"]
    names = [line.split()[0] for line in lines[1 : lines.index("")]]
    assert names == sorted(_expected_tbreport())
    row = next(line for line in lines if line.startswith("torch_pr "))
    assert row.split() == ["torch_pr", "pr_curves", "2", "4", "0..2"]
    row = next(line for line in lines if line.startswith("tf2_summaries "))
    assert "scalars,images,audio,histograms,texts,tensors" in row
    assert "4 warnings:" in out
    assert "crc_corrupt" in out and "record 5 (byte 230)" in out


def test_scalars_csv_matches_expected_point_for_point(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scalars", str(CORPUS)]) == 0
    captured = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(captured.out)))
    assert rows[0] == ["run", "tag", "step", "wall_time", "value"]
    got: dict[tuple[str, str], list[tuple[int, float, float]]] = {}
    for run, tag, step, wall, value in rows[1:]:
        got.setdefault((run, tag), []).append((int(step), float(wall), float(value)))
    want = {
        (run, tag): [(int(s), float(w), float(v)) for s, w, v in points]
        for run, data in _expected_tbreport().items()
        for tag, points in data["scalars"].items()
    }
    assert set(got) == set(want)
    for key, points in want.items():
        assert len(got[key]) == len(points), key
        for (s, w, v), (es, ew, ev) in zip(got[key], points):
            assert s == es and w == ew and _same(v, ev), key
    assert "warning:" in captured.err  # damaged files are reported, on stderr


def test_scalars_csv_spells_non_finite_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scalars", str(CORPUS / "torch_scalars")]) == 0
    text = capsys.readouterr().out
    values = {row[4] for row in csv.reader(io.StringIO(text)) if row[1] == "special/values"}
    assert {"nan", "inf", "-inf"} <= values
    assert "123456792.0" in values  # float32 rounding kept, full precision printed


def test_scalars_json_to_file(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "s.json"
    assert main(["scalars", str(CORPUS), "--format", "json", "-o", str(out)]) == 0
    data = json.loads(out.read_text("utf-8"))["runs"]
    want = _expected_tbreport()
    assert set(data) == set(want)
    for run, runs in want.items():
        assert data[run] == runs["scalars"], run


def test_missing_logdir_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    assert main(["ls", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tbreport: error: ") and "does not exist" in err


def test_logdir_without_event_files_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "notes.txt").write_text("hi")
    assert main(["ls", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no *tfevents* files" in err


def test_only_unreadable_event_files_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    (tmp_path / "events.out.tfevents.1.x").write_bytes(b"garbage, not records")
    for command in ("ls", "scalars"):
        assert main([command, str(tmp_path)]) == 2
        err = capsys.readouterr().err.splitlines()
        assert err[0].startswith("tbreport: warning: ") and "not an event file" in err[0]
        assert err[-1].startswith("tbreport: error: ") and "none holds a readable record" in err[-1]


def test_unwritable_output_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    (tmp_path / "a_file").write_text("x")
    target = tmp_path / "a_file" / "out.csv"  # a file where a directory should be
    assert main(["scalars", str(CORPUS / "exp1"), "-o", str(target)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"tbreport: error: {target}: {tmp_path / 'a_file'} is not a directory"]


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


def test_scalars_csv_rows_are_in_the_order_written(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scalars", str(CORPUS / "torch_resume")]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:]
    walls = [float(r[3]) for r in rows]
    assert walls == sorted(walls)  # this run's records were written in time order
    assert [r[1] for r in rows[:4]] == ["resumed/loss", "resumed/other"] * 2
    assert [int(r[2]) for r in rows if r[1] == "resumed/loss"][18:22] == [18, 19, 12, 13]


def test_a_closed_pipe_is_not_an_error(tmp_path: pathlib.Path) -> None:
    """`tbreport ls runs/ | head -1`: exit 0 and nothing on stderr."""
    import subprocess
    import sys

    from tbreport import SummaryWriter

    for i in range(1500):  # enough rows to overflow a pipe buffer
        with SummaryWriter(tmp_path / f"run_{i:04d}_with_a_reasonably_long_name") as w:
            w.add_scalar("loss", 1.0, 0)
    for command in ("ls", "scalars"):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tbreport", command, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.stderr.close()
        assert proc.wait(timeout=60) == 0, err
        assert "error" not in err


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
    assert len(err) == 4 and all(line.startswith("tbreport: warning: ") for line in err)


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


def test_plurals(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    (tmp_path / "one").mkdir()
    assert main(["ls", str(tmp_path / "one")]) == 2
    assert "(looked 0 levels deep)" in capsys.readouterr().err
    (tmp_path / "one" / "sub").mkdir()
    assert main(["ls", str(tmp_path / "one")]) == 2
    assert "(looked 1 level deep)" in capsys.readouterr().err
    shutil.copytree(CORPUS / "edge_cases" / "truncated", tmp_path / "t")
    assert main(["ls", str(tmp_path / "t")]) == 0
    assert "\n1 warning:\n" in capsys.readouterr().out


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
