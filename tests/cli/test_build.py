"""``tbreport build`` in-process: exit codes, one-line errors, options reach the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tbreport.cli import main
from tests.conftest import CORPUS


def test_build_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "r.html"
    code = main(["build", str(CORPUS / "exp1"), "-o", str(out), "--title", "T", "-q"])
    assert code == 0
    html = out.read_text(encoding="utf-8")
    assert "<title>T</title>" in html
    assert capsys.readouterr().err == ""


def test_options_are_passed_through(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code = main(
        [
            "build",
            str(CORPUS),
            "-o",
            str(out),
            "--runs",
            "exp1",
            "--tags",
            "^loss$",
            "--smoothing",
            "0",
            "--x-axis",
            "wall",
            "--format",
            "svg",
            "--jobs",
            "1",
            "--image-steps",
            "3",
            "-q",
        ]
    )
    assert code == 0
    html = out.read_text(encoding="utf-8")
    assert "smoothing 0.0 · x-axis wall · charts SVG" in html
    assert 'class="svgchart"' in html


def test_several_logdirs(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert (
        main(["build", str(CORPUS / "exp1"), str(CORPUS / "tbx_hparams"), "-o", str(out), "-q"])
        == 0
    )
    html = out.read_text(encoding="utf-8")
    assert "exp1/lr_0.1" in html and "tbx_hparams/tbx_trial_0" in html


@pytest.mark.parametrize(
    "args",
    [
        ["--smoothing", "1.5"],
        ["--smoothing", "abc"],
        ["--runs", "("],
        ["--x-axis", "epoch"],
        ["--format", "gif"],
        ["--jobs", "-1"],
        ["--graph-timeout", "0"],
    ],
)
def test_bad_arguments_exit_2(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["build", str(CORPUS), "-o", str(tmp_path / "r.html"), *args])
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_no_event_files_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["build", str(empty), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tbreport: error:") and err.count("\n") == 1
    assert main(["build", str(tmp_path / "missing"), "-o", str(tmp_path / "r.html")]) == 2
    assert not (tmp_path / "r.html").exists()


def test_only_unreadable_event_files_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["build", str(CORPUS / "edge_cases" / "empty_file"), "-o", str(tmp_path / "r.html")]
    )
    assert code == 2
    assert "none holds a readable record" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_strict_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["build", str(CORPUS / "edge_cases"), "-o", str(tmp_path / "r.html"), "--strict"])
    assert code == 2
    assert "strict" in capsys.readouterr().err


def test_unwritable_output_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["build", str(CORPUS / "exp1"), "-o", str(blocker / "r.html"), "-q"])
    assert code == 2
    assert capsys.readouterr().err.startswith("tbreport: error:")


def test_one_line_says_what_was_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Like coverage.py's "Wrote HTML report to ...": the path, its size, what it holds;
    nothing with -q; stdout stays the report's alone with ``-o -``."""
    from tbreport import SummaryWriter

    with SummaryWriter(tmp_path / "logs" / "a") as w:
        for step in range(3):
            w.add_scalar("loss", 1.0 / (step + 1), step)
    out = tmp_path / "r.html"
    assert main(["build", str(tmp_path / "logs"), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    size = out.stat().st_size
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(f"tbreport: wrote {out} (")
    assert line.endswith("): 1 run, 1 scalar tag, 3 scalar points")
    assert f"{size / 1024:.1f} KB" in line or f"{size:,} B" in line
    assert main(["build", "-q", str(tmp_path / "logs"), "-o", str(out)]) == 0
    assert capsys.readouterr().err == ""
    assert main(["build", str(tmp_path / "logs"), "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("<!DOCTYPE html>")
    assert (
        captured.err
        == "tbreport: wrote the report to standard output: 1 run, 1 scalar tag, 3 scalar points\n"
    )


#: the live chart's payload with --no-outlier-clip
CLIP_OFF = '"clip":false'


def test_no_outlier_clip_shows_every_point(tmp_path: Path) -> None:
    from tbreport import SummaryWriter  # the writer: only to make this logdir

    logdir = tmp_path / "runs"
    with SummaryWriter(str(logdir / "spiky")) as w:
        for step in range(200):
            w.add_scalar("loss", 1e6 if step == 77 else step / 199, step)
    clipped, shown = tmp_path / "clipped.html", tmp_path / "shown.html"
    assert main(["build", str(logdir), "-o", str(clipped), "-q"]) == 0
    assert main(["build", str(logdir), "-o", str(shown), "-q", "--no-outlier-clip"]) == 0
    html = clipped.read_text(encoding="utf-8")
    assert "1 point beyond the y-range (see Min/Max)" in html and CLIP_OFF not in html
    html = shown.read_text(encoding="utf-8")
    assert "beyond the y-range (see Min/Max)" not in html and CLIP_OFF in html
    assert "off here: --no-outlier-clip" in html
