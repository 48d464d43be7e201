"""The one selection step every output shares: runs, purging, colours, groups, the
baseline, the build time, and --strict turning damage into the error that names it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import tbreport
from tbreport.errors import (
    CorruptRecordError,
    DamagedInputError,
    EventDecodeError,
    NoRunsFoundError,
    RecordError,
    TruncatedRecordError,
    UsageError,
)
from tbreport.model import LoadWarning
from tbreport.record import encode_record
from tbreport.select import build_time, select, strict_error
from tests.conftest import CORPUS
from tests.sweep import make_sweep

EDGE = CORPUS / "edge_cases"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sweep(tmp_path_factory.mktemp("sweep"))


def test_runs_are_selected_purged_and_coloured(sweep: Path) -> None:
    logdir = tbreport.load(sweep)
    sel = select(logdir, runs=r"^lr_0\.1/", group_by=r"seed_\d+", baseline="lr_0.1/*")
    assert sel.names == [n for n in logdir.runs if n.startswith("lr_0.1/")]
    assert sel.filtered_out == len(logdir.runs) - len(sel.runs)
    assert [g.label for g in sel.groups] == ["lr_0.1/*"]
    assert len({sel.colors[n] for n in sel.names}) == 1  # a group shares one colour
    assert sel.raw_runs == [logdir.runs[n] for n in sel.names]


def test_resumed_runs_are_purged() -> None:
    logdir = tbreport.load(CORPUS / "torch_resume")
    sel = select(logdir)
    (raw,), (purged,) = sel.raw_runs, sel.runs
    assert purged.point_count() < raw.point_count()


def test_tags_filter_and_scalar_tags(sweep: Path) -> None:
    sel = select(tbreport.load(sweep), tags="^val/")
    assert sel.scalar_tags() == ["val/accuracy", "val/loss"]
    assert sel.want_tag("val/x") and not sel.want_tag("train/loss")


def test_bad_selections(sweep: Path) -> None:
    logdir = tbreport.load(sweep)
    with pytest.raises(NoRunsFoundError, match="no run matches --runs 'zzz'"):
        select(logdir, runs="zzz")
    with pytest.raises(UsageError, match="--baseline 'nope' is not a run"):
        select(logdir, baseline="nope")
    with pytest.raises(UsageError, match="--runs"):
        select(logdir, runs="(")
    with pytest.raises(UsageError, match="matches the empty string"):
        select(logdir, group_by="x*")


def test_build_time_honours_source_date_epoch(monkeypatch: pytest.MonkeyPatch, sweep: Path) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_time() == 1700000000.0
    assert select(tbreport.load(sweep)).built == 1700000000.0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    assert build_time() > 1700000000.0


def _copy(case: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(EDGE / case, tmp_path / case))


@pytest.mark.parametrize(
    ("case", "cls"),
    [("truncated", TruncatedRecordError), ("crc_corrupt", CorruptRecordError)],
)
def test_strict_raises_the_record_error_of_the_first_problem(
    case: str, cls: type[RecordError], tmp_path: Path
) -> None:
    logdir = tbreport.load(_copy(case, tmp_path))
    select(logdir)  # without --strict: fine
    with pytest.raises(cls) as exc:
        select(logdir, strict=True)
    (issue,) = logdir.warnings
    assert exc.value.issues == [issue] and isinstance(exc.value, DamagedInputError)
    assert exc.value.path == issue.path and exc.value.path.endswith(".vm")
    assert (exc.value.offset, exc.value.index) == (issue.offset, issue.index)
    assert exc.value.offset > 0 and exc.value.index > 0
    assert "--strict makes damaged input an error" in str(exc.value)


def test_strict_undecodable_record_and_other_damage(tmp_path: Path) -> None:
    run = tmp_path / "r"
    run.mkdir()
    good = tbreport.SummaryWriter(run)
    good.add_scalar("x", 1.0, 0)
    good.close()
    (path,) = run.iterdir()
    with open(path, "ab") as fh:
        fh.write(encode_record(b"\xff\xff\xff"))  # intact frame, not an Event
    logdir = tbreport.load(tmp_path)
    with pytest.raises(EventDecodeError) as exc:
        select(logdir, strict=True)
    assert exc.value.path == str(path) and exc.value.index == 2
    assert not isinstance(exc.value, RecordError)
    (path.parent / "events.out.tfevents.9.garbage").write_bytes(b"not a record stream" * 4)
    path.unlink()  # the good file with the undecodable record goes; the garbage comes first
    good = tbreport.SummaryWriter(run)
    good.add_scalar("x", 1.0, 0)
    good.close()
    garbage = tbreport.load(tmp_path)
    with pytest.raises(RecordError) as rec:
        select(garbage, strict=True)
    assert type(rec.value) is RecordError and "not an event file" in str(rec.value)
    other = strict_error([LoadWarning("p", "skipped something")])
    assert type(other) is DamagedInputError and str(other).startswith("p: skipped something")


@pytest.fixture(scope="module")
def symlinked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.logdirs import build_symlinked

    return build_symlinked(tmp_path_factory.mktemp("symlinked") / "logdir")


def test_notes_of_a_healthy_logdir_never_fail_strict(symlinked: Path) -> None:
    """An unknown plugin, two graphs in a run and ``runs/latest -> exp1`` are notes:
    listed, not damage. TensorBoard lists the symlinked run as a run of its own."""
    logdir = tbreport.load(symlinked)
    assert list(logdir.runs) == ["runs/exp1", "runs/exp2", "runs/latest"]
    assert logdir.runs["runs/latest"].point_count() == logdir.runs["runs/exp1"].point_count()
    text = "\n".join(str(w) for w in logdir.notes)
    assert "a symlink to exp1" in text and "'acme_attention_maps'" in text
    assert logdir.damage == [] and logdir.notes == logdir.warnings
    sel = select(logdir, strict=True)
    assert sel.names == list(logdir.runs)
    assert logdir.runs["runs/exp1"].graph is not None and logdir.runs["runs/exp1"].graph.others


def test_a_real_symlink_loop_is_a_note_and_not_followed(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with tbreport.SummaryWriter(run) as w:
        w.add_scalar("x", 1.0, 0)
    (run / "back").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "empty_writer").mkdir()
    (tmp_path / "empty_writer" / "events.out.tfevents.1.host").write_bytes(b"")
    logdir = tbreport.load(tmp_path)
    assert list(logdir.runs) == ["empty_writer", "run"]
    assert sorted(w.category for w in logdir.notes) == ["empty", "symlink"]
    assert "symlink loop" in str(logdir.notes[0]) + str(logdir.notes[1])
    select(logdir, strict=True)  # notes only


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_damage(tmp_path: Path) -> None:
    run = tmp_path / "r"
    with tbreport.SummaryWriter(run) as w:
        w.add_scalar("x", 1.0, 0)
    locked = run / "events.out.tfevents.2.locked"
    locked.write_bytes((next(run.iterdir())).read_bytes())
    locked.chmod(0)
    logdir = tbreport.load(tmp_path)
    assert [w.category for w in logdir.damage] == ["unreadable"]
    with pytest.raises(DamagedInputError, match="locked"):
        select(logdir, strict=True)
