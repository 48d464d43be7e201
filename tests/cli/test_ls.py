"""`tbreport ls`: the listing, its warnings, and its errors."""

from __future__ import annotations

import pathlib
import shutil

import pytest

from tbreport.cli import main
from tests.conftest import CORPUS, expected_tbreport


def test_ls_lists_every_run_then_notes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls", str(CORPUS)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split() == ["RUN", "KINDS", "TAGS", "POINTS", "STEPS"]
    names = [line.split()[0] for line in lines[1 : lines.index("")]]
    assert names == sorted(expected_tbreport())
    row = next(line for line in lines if line.startswith("torch_pr "))
    assert row.split() == ["torch_pr", "pr_curves", "2", "4", "0..2"]
    row = next(line for line in lines if line.startswith("tf2_summaries "))
    assert "scalars,images,audio,histograms,texts,tensors" in row
    assert "\n1 note (not damage):\n" in out and "empty file (0 bytes)" in out
    assert "CRC" not in out  # damage goes to stderr, one line per file
    damaged = err.splitlines()
    assert len(damaged) == 3 and all(line.startswith("tbreport: warning: ") for line in damaged)
    assert "crc_corrupt" in damaged[0] and "record 5 (byte 230)" in damaged[0]


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


def test_plurals(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    (tmp_path / "one").mkdir()
    assert main(["ls", str(tmp_path / "one")]) == 2
    assert "(looked 0 levels deep)" in capsys.readouterr().err
    (tmp_path / "one" / "sub").mkdir()
    assert main(["ls", str(tmp_path / "one")]) == 2
    assert "(looked 1 level deep)" in capsys.readouterr().err
    shutil.copytree(CORPUS / "edge_cases" / "truncated", tmp_path / "t")
    (tmp_path / "t" / "empty").mkdir()
    (tmp_path / "t" / "empty" / "events.out.tfevents.1.x").write_bytes(b"")
    assert main(["ls", str(tmp_path / "t")]) == 0
    assert "\n1 note (not damage):\n" in capsys.readouterr().out
