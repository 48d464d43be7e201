"""`tbreport scalars`: every point as CSV or JSON, as written, to a file or stdout."""

from __future__ import annotations

import csv
import io
import json
import pathlib
import subprocess
import sys

import pytest

from tbreport.cli import main
from tests.conftest import CORPUS, expected_tbreport, same_float


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
        for run, data in expected_tbreport().items()
        for tag, points in data["scalars"].items()
    }
    assert set(got) == set(want)
    for key, points in want.items():
        assert len(got[key]) == len(points), key
        for (s, w, v), (es, ew, ev) in zip(got[key], points):
            assert s == es and w == ew and same_float(v, ev), key
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
    want = expected_tbreport()
    assert set(data) == set(want)
    for run, runs in want.items():
        assert data[run] == runs["scalars"], run


def test_scalars_csv_rows_are_in_the_order_written(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scalars", str(CORPUS / "torch_resume")]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:]
    walls = [float(r[3]) for r in rows]
    assert walls == sorted(walls)  # this run's records were written in time order
    assert [r[1] for r in rows[:4]] == ["resumed/loss", "resumed/other"] * 2
    assert [int(r[2]) for r in rows if r[1] == "resumed/loss"][18:22] == [18, 19, 12, 13]


def test_unwritable_output_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    (tmp_path / "a_file").write_text("x")
    target = tmp_path / "a_file" / "out.csv"  # a file where a directory should be
    assert main(["scalars", str(CORPUS / "exp1"), "-o", str(target)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"tbreport: error: {target}: {tmp_path / 'a_file'} is not a directory"]


def test_a_closed_pipe_is_not_an_error(tmp_path: pathlib.Path) -> None:
    """`tbreport ls runs/ | head -1`: exit 0 and nothing on stderr."""

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


def test_scalars_csv_neutralises_formula_looking_text_cells(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    """A run or tag a spreadsheet would run as a formula gets a leading ' (as the
    report's own CSV); values stay numbers, negative ones included."""
    from tbreport import SummaryWriter

    for run in ("=HYPERLINK(1)", "+cmd", "@SUM(A1)", "-x", "plain"):
        with SummaryWriter(tmp_path / run) as w:
            w.add_scalar("=1+1", -0.5, 0)
            w.add_scalar("ok/tag", 2.0, 1)
    assert main(["scalars", str(tmp_path)]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:]
    assert {r[0] for r in rows} == {"'=HYPERLINK(1)", "'+cmd", "'@SUM(A1)", "'-x", "plain"}
    assert {r[1] for r in rows} == {"'=1+1", "ok/tag"}
    assert sorted({float(r[4]) for r in rows}) == [-0.5, 2.0]  # numbers, not text
    assert all(not r[0].startswith(("=", "+", "-", "@")) for r in rows)
