from __future__ import annotations

import math

import numpy as np

from tbreport.model import (
    HistogramPoint,
    HParams,
    LoadWarning,
    Logdir,
    MetricInfo,
    Restart,
    Run,
    ScalarSeries,
    Series,
    TextPoint,
)


def _series(steps: list[int], restarts: tuple[Restart, ...] = ()) -> ScalarSeries:
    n = len(steps)
    return ScalarSeries(
        "loss",
        np.asarray(steps, dtype=np.int64),
        np.arange(n, dtype=np.float64),
        np.asarray([float(s) * 10 for s in steps]),
        restarts=restarts,
    )


def test_scalar_series_helpers() -> None:
    s = _series([3, 1, 2])
    assert len(s) == 3
    assert s.last() == (2, 2.0, 20.0)
    assert s.step_range() == (1, 3)
    assert list(s) == [(3, 0.0, 30.0), (1, 1.0, 10.0), (2, 2.0, 20.0)]
    empty = _series([])
    assert empty.last() is None and empty.step_range() is None


def test_purged_drops_points_before_start_with_step_at_or_after_it() -> None:
    # steps 0..4, then a START at step 2 (seen after 5 points), then 2, 3
    s = _series([0, 1, 2, 3, 4, 2, 3], (Restart(index=5, step=2, ordinal=0),))
    assert s.purged().steps.tolist() == [0, 1, 2, 3]
    assert s.purged().restarts == ()
    # TensorBoard's UI ignores the run's first START
    assert s.purged(skip_first_start=True).steps.tolist() == s.steps.tolist()
    # the raw view is untouched
    assert len(s) == 7


def test_run_purged_and_counts() -> None:
    texts: Series[TextPoint] = Series(
        "t",
        [TextPoint(5, 0.0, ("a",), ()), TextPoint(1, 0.0, ("b",), ())],
        restarts=(Restart(2, 3, 1),),
    )
    run = Run(".", "/x", scalars={"loss": _series([0, 1])}, texts={"t": texts})
    assert run.kinds() == ("scalars", "texts")
    assert run.tag_count() == 2
    assert run.point_count() == 4
    assert run.step_range() == (0, 5)
    purged = run.purged()
    assert [p.step for p in purged.texts["t"]] == [1]
    assert len(run.texts["t"]) == 2


def test_histogram_mean_and_text() -> None:
    h = HistogramPoint(0, 0.0, np.array([0.0]), np.array([1.0]), np.array([4.0]), total=4.0)
    assert math.isnan(h.mean)
    h2 = HistogramPoint(0, 0.0, total=4.0, value_sum=2.0)
    assert h2.mean == 0.5 and h2.num_buckets == 0
    assert TextPoint(0, 0.0, ("a", "b"), (2,)).text == "a\nb"


def test_warning_str() -> None:
    assert str(LoadWarning("a/b", "bad", 3)) == "a/b: bad (x3)"
    assert str(LoadWarning("a/b", "bad")) == "a/b: bad"


def test_hparams_table_joins_experiment_in_parent_with_sub_runs() -> None:
    parent = Run(
        "sweep", "/s", hparams=HParams(metric_infos=[MetricInfo("hparam/acc")], has_experiment=True)
    )
    trial = Run(
        "sweep/t0",
        "/s/t0",
        scalars={"hparam/acc": _series([0, 1])},
        hparams=HParams(values={"lr": 0.1}, has_session=True, status="STATUS_SUCCESS"),
    )
    lone = Run(
        "other",
        "/o",
        scalars={"hparam/x": _series([4])},
        hparams=HParams(values={"opt": "adam"}, has_session=True),
    )
    logdir = Logdir(("/",), runs={"sweep": parent, "sweep/t0": trial, "other": lone})
    rows = {r.run: r for r in logdir.hparams_table()}
    assert rows["sweep/t0"].hparams == {"lr": 0.1}
    assert rows["sweep/t0"].metrics == {"hparam/acc": 10.0}
    assert rows["sweep/t0"].status == "STATUS_SUCCESS"
    assert rows["other"].metrics == {"hparam/x": 40.0}
    assert "sweep" not in rows


def test_scalar_rows_interleave_tags_in_the_order_written() -> None:
    a = _series([0, 1, 2])
    a.records = np.asarray([1, 3, 5], dtype=np.uint32)
    b = _series([0, 1])
    b.records = np.asarray([2, 4], dtype=np.uint32)
    run = Run(".", "/", scalars={"a": a, "b": b})
    tags, tag_index, position = run.scalar_rows()
    assert tags == ["a", "b"]
    assert list(zip(tag_index.tolist(), position.tolist())) == [
        (0, 0), (1, 0), (0, 1), (1, 1), (0, 2),
    ]  # fmt: skip
    b.records = None  # unknown order: tag by tag
    _, tag_index, position = run.scalar_rows()
    assert tag_index.tolist() == [0, 0, 0, 1, 1]
    assert run.purged().scalars["a"].records is a.records  # nothing to purge: same series
    empty = Run(".", "/")
    assert [x.tolist() if hasattr(x, "tolist") else x for x in empty.scalar_rows()] == [[], [], []]
