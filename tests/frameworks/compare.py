"""Run a framework twice (torch's writer, then tbreport's through tbreport.patch()) and
compare what the two logdirs hold, read back with tbreport.load."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

import tbreport
from tbreport.model import Logdir


def both(tmp_path: Path, train: Callable[[Path], None]) -> tuple[Logdir, Logdir]:
    """``train(logdir)`` with torch's writer and with tbreport's; both logdirs, read back."""
    theirs, ours = tmp_path / "torch", tmp_path / "tbreport"
    train(theirs)
    with tbreport.patch():
        train(ours)
    return tbreport.load(theirs), tbreport.load(ours)


def assert_same(
    theirs: Logdir, ours: Logdir, *, values: bool = True, timing: tuple[str, ...] = ()
) -> None:
    """Same runs, tags, steps and (``values``) numbers, except for the tags in ``timing``
    (run times, throughput); same hparams; same graph nodes."""

    # add_hparams names its sub-run by the current time, in every writer
    def names(logdir: Logdir) -> dict[str, str]:
        return {re.sub(r"\d{9,}\.\d+", "<time>", n): n for n in logdir.runs}

    assert list(names(ours)) == list(names(theirs))
    assert [w.message for w in ours.warnings] == [w.message for w in theirs.warnings]
    ours_by = names(ours)
    for key, name in names(theirs).items():
        t, o = theirs.runs[name], ours.runs[ours_by[key]]
        assert sorted(o.scalars) == sorted(t.scalars), name
        for tag, series in t.scalars.items():
            assert np.array_equal(o.scalars[tag].steps, series.steps), (name, tag)
            if values and tag not in timing:
                np.testing.assert_allclose(o.scalars[tag].values, series.values, rtol=1e-5)
        for kind in ("images", "histograms", "texts", "audio"):
            assert sorted(getattr(o, kind)) == sorted(getattr(t, kind)), (name, kind)
        assert (o.hparams is None) == (t.hparams is None), name
        if t.hparams is not None and o.hparams is not None:
            assert o.hparams.values == t.hparams.values
            assert [m.tag for m in o.hparams.metric_infos] == [
                m.tag for m in t.hparams.metric_infos
            ]
        assert (o.graph is None) == (t.graph is None), name
        if t.graph is not None and o.graph is not None:
            assert {n.name for n in o.graph.nodes} == {n.name for n in t.graph.nodes}


def written_by_tbreport(logdir: Path) -> bool:
    """Every event file under ``logdir`` has tbreport's header."""
    from tbreport.proto import event_pb2
    from tbreport.record import iter_records

    files = list(logdir.rglob("events.out.tfevents.*"))
    assert files
    for f in files:
        header = event_pb2.Event.FromString(next(iter(iter_records(f.read_bytes()))))
        if header.source_metadata.writer != "tbreport":
            return False
    return True
