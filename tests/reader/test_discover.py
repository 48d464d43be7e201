from __future__ import annotations

import os
import pathlib

import pytest

import tbreport
from tbreport.errors import NoRunsFoundError
from tbreport.model import LoadWarning
from tbreport.reader.discover import find_runs

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "data" / "corpus"


def _event_file(path: pathlib.Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    src = next((CORPUS / "exp1" / "lr_0.1").glob("*tfevents*"))
    path.write_bytes(src.read_bytes())


def test_runs_are_dirs_with_event_files(tmp_path: pathlib.Path) -> None:
    _event_file(tmp_path / "events.out.tfevents.1.a")
    _event_file(tmp_path / "b" / "c" / "events.out.tfevents.2.b")
    _event_file(tmp_path / "b" / "c" / "events.out.tfevents.1.b")
    (tmp_path / "d" / "events.out.tfevents.dir").mkdir(parents=True)  # a dir, not a file
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "notes.txt").write_text("x")
    warnings: list[LoadWarning] = []
    runs = find_runs(tmp_path, warnings)
    assert [r.name for r in runs] == [".", "b/c"]
    assert [os.path.basename(f) for f in runs[1].event_files] == [
        "events.out.tfevents.1.b",
        "events.out.tfevents.2.b",
    ]
    assert warnings == []


def test_symlink_loop_and_broken_link_are_warnings(tmp_path: pathlib.Path) -> None:
    _event_file(tmp_path / "run" / "events.out.tfevents.1.a")
    (tmp_path / "run" / "loop").symlink_to(tmp_path)
    (tmp_path / "run" / "events.out.tfevents.broken").symlink_to(tmp_path / "nowhere")
    logdir = tbreport.load(tmp_path)
    assert list(logdir.runs) == ["run"]
    text = "\n".join(str(w) for w in logdir.warnings)
    assert "symlink loop" in text and "broken symlink" in text


def test_missing_empty_and_non_event_paths(tmp_path: pathlib.Path) -> None:
    with pytest.raises(NoRunsFoundError, match="does not exist"):
        tbreport.load(tmp_path / "missing")
    with pytest.raises(NoRunsFoundError, match=r"no \*tfevents\* files"):
        tbreport.load(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(NoRunsFoundError, match="not an event file"):
        tbreport.load(tmp_path / "notes.txt")


def test_runs_read_files_in_sorted_order_and_concatenate(corpus: pathlib.Path) -> None:
    run = tbreport.load(corpus / "torch_resume").runs["."]
    assert [os.path.basename(f.path) for f in run.files] == sorted(
        p.name for p in (corpus / "torch_resume").glob("*tfevents*")
    )
    assert run.scalars["resumed/loss"].steps.tolist()[:21] == [*range(20), 12]


def test_several_logdirs_get_distinct_prefixes(tmp_path: pathlib.Path) -> None:
    for parent in ("a", "b"):
        _event_file(tmp_path / parent / "runs" / "events.out.tfevents.1.h")
        _event_file(tmp_path / parent / "runs" / "x" / "events.out.tfevents.1.h")
    logdir = tbreport.load([tmp_path / "a" / "runs", tmp_path / "b" / "runs"])
    assert list(logdir.runs) == ["a/runs", "a/runs/x", "b/runs", "b/runs/x"]
    assert logdir.warnings == []
