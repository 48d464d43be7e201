"""Metric math: aggregates, directions, sparklines, smoothing, deltas, groups, bands."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tbreport
from tbreport import metrics
from tbreport.metrics import (
    aggregate,
    attempt_count,
    attempt_starts,
    band,
    delta,
    direction,
    group_note,
    group_runs,
    key_metrics,
    mean_std,
    metric_stats,
    points,
    smooth,
    sparkline,
)
from tbreport.model import ScalarSeries
from tbreport.options import check_group_regex
from tests.sweep import make_sweep


def series(steps: list[int], values: list[float], tag: str = "loss") -> ScalarSeries:
    return ScalarSeries(
        tag,
        np.array(steps, dtype=np.int64),
        np.arange(len(steps), dtype=np.float64),
        np.array(values, dtype=np.float64),
    )


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sweep(tmp_path_factory.mktemp("sweep"))


def test_points_keep_every_logged_point_in_logged_order() -> None:
    st_, va = points(series([3, 1, 3, 2, -7], [1.0, 2.0, 3.0, 4.0, 5.0]))
    assert st_.tolist() == [3, 1, 3, 2, -7] and va.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    empty = points(series([], []))
    assert empty[0].size == 0 and empty[1].size == 0


def test_attempts_start_where_a_step_goes_back() -> None:
    assert attempt_starts([0, 1, 2, 0, 1, 1, 5, 3]).tolist() == [0, 3, 7]
    assert attempt_starts([4, 4, 4]).tolist() == [0]  # a repeated step is no restart
    assert attempt_starts([]).tolist() == []
    assert attempt_count(series([0, 10, 5, 20, 0], [1.0] * 5)) == 3


@given(st.lists(st.tuples(st.integers(-5, 5), st.floats(-1e6, 1e6)), min_size=1, max_size=30))
def test_aggregates_cover_every_point_as_logged(pairs: list[tuple[int, float]]) -> None:
    s = series([p[0] for p in pairs], [p[1] for p in pairs])
    values = [p[1] for p in pairs]
    assert aggregate(s, "last") == (pairs[-1][1], pairs[-1][0])  # the last point logged
    assert aggregate(s, "first") == (pairs[0][1], pairs[0][0])
    assert aggregate(s, "min")[0] == min(values)
    assert aggregate(s, "max")[0] == max(values)
    assert aggregate(s, "mean")[0] == pytest.approx(sum(values) / len(values), abs=1e-6)
    assert aggregate(s, "mean")[1] is None
    low, at = aggregate(s, "min")
    assert pairs[values.index(low)][0] == at  # the first point holding the minimum


def test_nan_makes_min_max_mean_nan_but_not_last() -> None:
    s = series([0, 1, 2], [1.0, math.nan, 0.5])
    assert math.isnan(aggregate(s, "min")[0]) and aggregate(s, "min")[1] is None
    assert math.isnan(aggregate(s, "max")[0]) and math.isnan(aggregate(s, "mean")[0])
    assert aggregate(s, "last") == (0.5, 2)
    with pytest.raises(ValueError, match="unknown aggregate 'median'"):
        aggregate(s, "median")
    with pytest.raises(ValueError, match="no points"):
        aggregate(series([], []), "last")


@pytest.mark.parametrize(
    ("tag", "way"),
    [
        ("val/loss", "min"),
        ("train/error_rate", "min"),
        ("top1_error", "min"),
        ("perplexity", "min"),
        ("val/accuracy", "max"),
        ("eval/F1", "max"),
        ("val/mAP", "max"),
        ("episode/reward", "max"),
        ("lr", None),
        ("grad/norm", None),
        ("layer2/weights", None),
    ],
)
def test_direction(tag: str, way: str | None) -> None:
    assert direction(tag) == way


def test_sparkline() -> None:
    assert sparkline([]) == ""
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]) == "▄▄▄"
    assert sparkline([1, math.nan, 3]) == "▁·█"
    assert sparkline([math.nan, math.inf]) == "··"
    long = sparkline(np.linspace(0, 1, 1000), width=16)
    assert len(long) == 16 and long[0] == "▁" and long[-1] == "█"
    assert sparkline(np.linspace(1, 0, 5), width=16) == "█▆▅▃▁"


def test_metric_stats_best_follows_the_direction() -> None:
    loss = metric_stats("r", series([0, 1, 2, 3], [3.0, 1.0, math.nan, 2.0], tag="loss"))
    assert loss is not None
    assert (loss.last, loss.last_step, loss.best, loss.best_step) == (2.0, 3, 1.0, 1)
    assert loss.nonfinite == 1 and loss.count == 4 and len(loss.spark) == 4
    acc = metric_stats("r", series([0, 1, 2], [0.1, 0.9, 0.5], tag="acc"))
    assert acc is not None and (acc.best, acc.best_step) == (0.9, 1)
    lr = metric_stats("r", series([0, 1], [0.1, 0.01], tag="lr"))
    assert lr is not None and lr.best is None and lr.best_step is None
    assert metric_stats("r", series([], [])) is None


def test_mean_std_is_the_sample_std_and_a_nan_member_makes_it_nan() -> None:
    mean, std, n = mean_std([1.0, 2.0, 3.0, None])
    assert (mean, n) == (2.0, 3) and std == pytest.approx(1.0)
    assert mean_std([4.0]) == (4.0, 0.0, 1)
    for bad in (math.nan, math.inf):
        m, s, n = mean_std([1.0, 2.0, None, bad])
        assert math.isnan(m) and math.isnan(s) and n == 3
    m, s, n = mean_std([None])
    assert math.isnan(m) and math.isnan(s) and n == 0


def test_delta() -> None:
    d = delta(0.8, 1.0, "val/loss")
    assert d is not None and d.absolute == pytest.approx(-0.2) and d.relative == pytest.approx(-0.2)
    assert d.better is True and d.mark == "better" and d.text() == "-0.2 (-20.0 %)"
    w = delta(0.8, 1.0, "val/accuracy")
    assert w is not None and w.better is False and w.mark == "worse"
    n = delta(2.0, 1.0, "lr")
    assert n is not None and n.better is None and n.mark == "" and n.text() == "+1 (+100.0 %)"
    z = delta(1.0, 0.0, "loss")
    assert z is not None and z.relative is None and z.text() == "+1"
    assert delta(None, 1.0, "loss") is None and delta(1.0, None, "loss") is None
    same = delta(1.0, 1.0, "loss")
    assert same is not None and same.better is None


def test_group_runs_replaces_the_match_with_a_star() -> None:
    names = ["lr_0.1/seed_1", "lr_0.1/seed_2", "lr_0.01/seed_1", "baseline", "lr_0.01/seed_22"]
    groups = group_runs(names, r"seed_\d+")
    assert [(g.label, g.members) for g in groups] == [
        ("lr_0.1/*", ("lr_0.1/seed_1", "lr_0.1/seed_2")),
        ("lr_0.01/*", ("lr_0.01/seed_1", "lr_0.01/seed_22")),
    ]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("(", "not a valid regular expression"), ("x*", "matches the empty string")],
)
def test_bad_group_regex(pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_group_regex(pattern)


def test_band_is_mean_and_sample_std_where_two_runs_overlap() -> None:
    x = np.arange(10, dtype=np.float64)
    b = band([(x, x), (x, x + 2.0), (x[5:], x[5:] + 100.0)], smoothing=0.0)
    assert b is not None
    bx, mean, lo, hi = b
    assert (mean - lo)[:5] == pytest.approx(np.full(5, math.sqrt(2.0)))
    assert bx.tolist() == x.tolist()
    assert mean[:5] == pytest.approx(x[:5] + 1.0)
    assert (hi - mean)[:5] == pytest.approx(np.full(5, math.sqrt(2.0)))
    assert mean[5:] == pytest.approx((3 * x[5:] + 102.0) / 3)
    assert band([(x, x)], smoothing=0.0) is None
    assert band([(x[:3], x[:3]), (x[5:], x[5:])], smoothing=0.0) is None  # never two at once
    big = band([(np.arange(5000.0), np.zeros(5000)), (np.arange(5000.0), np.ones(5000))])
    assert big is not None and big[0].size == 600


def test_key_metrics_order(sweep: Path) -> None:
    runs = [r.purged() for r in tbreport.load(sweep).runs.values()]
    # validation before training; within a step, the tag more runs have first
    assert key_metrics(runs) == ["val/loss", "val/accuracy", "train/loss"]
    assert key_metrics(runs, prefer=["val/accuracy", "nope"], limit=2) == [
        "val/accuracy",
        "val/loss",
    ]
    import re

    assert key_metrics(runs, tag_filter=re.compile("^val/")) == ["val/loss", "val/accuracy"]


def test_group_note_counts_members_without_the_tag() -> None:
    assert group_note(3, 3, ()) == ""
    assert group_note(2, 3, ()) == "2 of 3 runs"
    assert group_note(3, 3, ("a", "b", "c", "d")) == "not finite: a, b, c and 1 more"


def tb_smooth_reference(values: list[float], weight: float) -> list[float]:
    """TensorBoard's scalar-chart smoothing, written out as its TypeScript does it."""
    last = 0.0 if values else math.nan
    num_accum = 0
    constant = all(v == values[0] for v in values)
    out = []
    for v in values:
        if constant or not math.isfinite(v):
            out.append(v)
        else:
            last = last * weight + (1 - weight) * v
            num_accum += 1
            debias = 1 - weight**num_accum if weight != 1 else 1
            out.append(last / debias)
    return out


def _close(a: list[float], b: list[float]) -> bool:
    for x, y in zip(a, b):
        if math.isnan(x) and math.isnan(y):
            continue
        if math.isinf(x) or math.isinf(y):
            if x != y:
                return False
            continue
        if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, abs(y))):
            return False
    return len(a) == len(b)


def test_smooth_matches_tensorboard_on_a_known_series() -> None:
    values = [1.0, 2.0, float("nan"), 3.0, float("inf"), 4.0, -float("inf"), 5.0]
    got = smooth(values, 0.6).tolist()
    assert _close(got, tb_smooth_reference(values, 0.6))
    assert got[0] == 1.0  # debiased: the first point is the first value


@given(
    st.lists(
        st.one_of(
            st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
            st.sampled_from([float("nan"), float("inf"), -float("inf")]),
        ),
        max_size=1200,
    ),
    st.floats(min_value=0.0, max_value=0.999),
)
def test_smooth_equals_reference(values: list[float], weight: float) -> None:
    assert _close(smooth(values, weight).tolist(), tb_smooth_reference(values, weight))


def test_smooth_huge_values_use_the_exact_loop() -> None:
    values = [1e300, -1e300, 5.0, 7.0]
    assert _close(smooth(values, 0.9).tolist(), tb_smooth_reference(values, 0.9))


def test_smooth_rejects_bad_weight() -> None:
    with pytest.raises(ValueError, match="smoothing"):
        smooth([1.0, 2.0], 1.0)


@pytest.mark.parametrize("weight", [0.0001, 0.6, 0.999])
@pytest.mark.parametrize("scale", [1e-30, 1.0, 1e30])
def test_smooth_long_series_with_a_spike_matches_the_loop(weight: float, scale: float) -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(0.0, 1.0, 20_000) * scale
    values[100] = 1e5 * scale
    got = smooth(values, weight)
    want = metrics._debiased_ema_loop(values, weight)
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


def test_key_metrics_follow_the_declared_dataset_type(tmp_path: Path) -> None:
    """A metric an hparams experiment declares as measured on validation data ranks with
    the validation tags, one declared on training data with the training tags, whatever
    the tag says (TensorBoard's own ``hparams_config`` writes the declaration)."""
    from tensorboard.plugins.hparams import api_pb2
    from tensorboard.plugins.hparams import summary_v2 as hp

    config = hp.hparams_config_pb(
        hparams=[hp.HParam("lr", hp.RealInterval(1e-4, 1.0))],
        metrics=[
            hp.Metric("score", dataset_type=api_pb2.DATASET_VALIDATION),
            hp.Metric("fit_loss", dataset_type=api_pb2.DATASET_TRAINING),
            hp.Metric("other"),
        ],
    )
    with tbreport.SummaryWriter(str(tmp_path / "run")) as w:
        w.file_writer.add_summary(config)
        for step in range(5):
            for tag in ("score", "fit_loss", "other", "zebra/accuracy"):
                w.add_scalar(tag, 1.0 / (step + 1), step)
    logdir = tbreport.load(tmp_path)
    declared = logdir.declared_metrics()
    assert declared["score"].dataset_type == "validation"
    assert declared["fit_loss"].dataset_type == "training"
    assert declared["other"].dataset_type == ""
    runs = [r.purged() for r in logdir.runs.values()]
    # validation ("score", declared) before hparams metrics ("other") before training
    # ("fit_loss", declared); "zebra/accuracy" says nothing of its data: after hparams
    assert key_metrics(runs, declared=declared) == ["score", "other", "fit_loss", "zebra/accuracy"]
