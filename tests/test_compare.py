"""Run comparison: values per step, aggregates, directions, sparklines, deltas, groups,
bands, the comparison table and its CSV."""

from __future__ import annotations

import base64
import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tbreport
from tbreport.compare import (
    aggregate,
    band,
    build_comparison,
    check_baseline,
    check_group_regex,
    colors_for,
    delta,
    direction,
    group_colors,
    group_note,
    group_runs,
    key_metrics,
    mean_std,
    metric_stats,
    points,
    select_runs,
    sparkline,
)
from tbreport.model import ScalarSeries
from tests.sweep import MARKUP_RUN, make_sweep


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


def test_points_keep_the_last_write_of_each_step_in_step_order() -> None:
    st_, va = points(series([3, 1, 3, 2, -7], [1.0, 2.0, 3.0, 4.0, 5.0]))
    assert st_.tolist() == [-7, 1, 2, 3] and va.tolist() == [5.0, 2.0, 4.0, 3.0]
    empty = points(series([], []))
    assert empty[0].size == 0 and empty[1].size == 0


@given(st.lists(st.tuples(st.integers(-5, 5), st.floats(-1e6, 1e6)), min_size=1, max_size=30))
def test_aggregates_agree_with_a_dict(pairs: list[tuple[int, float]]) -> None:
    s = series([p[0] for p in pairs], [p[1] for p in pairs])
    by_step = dict(pairs)  # the last write wins
    steps = sorted(by_step)
    values = [by_step[k] for k in steps]
    assert aggregate(s, "last") == (values[-1], steps[-1])
    assert aggregate(s, "first") == (values[0], steps[0])
    assert aggregate(s, "min")[0] == min(values)
    assert aggregate(s, "max")[0] == max(values)
    assert aggregate(s, "mean")[0] == pytest.approx(sum(values) / len(values), abs=1e-6)
    assert aggregate(s, "mean")[1] is None
    low, at = aggregate(s, "min")
    assert by_step[at] == low  # type: ignore[index]


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
    colors = group_colors(names, groups)
    assert colors["lr_0.1/seed_1"] == colors["lr_0.1/seed_2"] == colors["lr_0.1/*"]
    assert colors["lr_0.01/seed_1"] == colors["lr_0.01/seed_22"] != colors["lr_0.1/seed_1"]
    assert colors["baseline"] not in (colors["lr_0.1/*"], colors["lr_0.01/*"])
    assert colors_for(names, None) == {n: c for n, c in colors_for(names, None).items()}
    assert len(set(colors_for(names, None).values())) == len(names)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("(", "not a valid regular expression"), ("x*", "matches the empty string")],
)
def test_bad_group_regex(pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_group_regex(pattern)


def test_check_baseline_names_the_choices() -> None:
    check_baseline("a", ["a", "b"])
    check_baseline("g/*", ["a"], ["g/*"])
    with pytest.raises(
        ValueError, match=r"--baseline 'c' is not a run of the report \(runs: a, b; groups: g/\*\)"
    ):
        check_baseline("c", ["a", "b"], ["g/*"])


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
    runs = select_runs(tbreport.load(sweep), None)
    assert key_metrics(runs) == ["val/loss", "train/loss", "val/accuracy"]
    assert key_metrics(runs, prefer=["val/accuracy", "nope"], limit=2) == [
        "val/accuracy",
        "val/loss",
    ]
    import re

    assert key_metrics(runs, tag_filter=re.compile("^val/")) == ["val/loss", "val/accuracy"]


def test_comparison_table_and_csv(sweep: Path) -> None:
    logdir = tbreport.load(sweep)
    runs = select_runs(logdir, None)
    tags = ["val/loss", "lr_free"]
    colors = colors_for([r.name for r in runs], r"seed_\d+")
    cmp = build_comparison(
        logdir, runs, tags, colors, baseline="lr_0.1/seed_1", group_by=r"seed_\d+"
    )
    assert [r.name for r in cmp.rows] == [r.name for r in runs]
    assert cmp.hparam_names == ["lr", "seed", "optimizer"]
    row = {r.name: r for r in cmp.rows}
    base = row["lr_0.1/seed_1"]
    assert base.is_baseline and base.last[0].delta is None
    other = row["lr_0.01/seed_2"]
    s = logdir.runs["lr_0.01/seed_2"].scalars["val/loss"]
    assert other.last[0].value == float(s.values[-1]) and other.last[0].step == 200
    assert other.best[0].value == float(s.values.min())
    assert other.last[0].delta is not None
    assert other.last[0].delta.absolute == pytest.approx(float(s.values[-1]) - base.last[0].value)  # type: ignore[operator]
    assert other.hparams == ["0.01", "2", "adam"]
    assert other.group == "lr_0.01/*"
    assert row[MARKUP_RUN].hparams == ["", "", ""] and row[MARKUP_RUN].group == ""
    (g1, g2) = cmp.groups
    assert (g1.name, g1.members) == ("lr_0.01/*", ("lr_0.01/seed_1", "lr_0.01/seed_2"))
    lasts = [float(logdir.runs[m].scalars["val/loss"].values[-1]) for m in g1.members]
    assert g1.last[0].value == pytest.approx(np.mean(lasts))
    assert g1.last[0].std == pytest.approx(np.std(lasts, ddof=1))
    assert " ± " in g1.last[0].text
    assert g1.hparams == ["0.01", "1, 2", "adam"]
    assert g2.name == "lr_0.1/*" and len(g2.members) == 3

    rows = list(csv.reader(io.StringIO(cmp.csv())))
    header = rows[0]
    assert header[:7] == ["kind", "name", "group", "members", "lr", "seed", "optimizer"]
    assert header[7:12] == [
        "val/loss last",
        "val/loss step",
        "val/loss best",
        "val/loss last std",
        "val/loss last delta",
    ]
    by_name = {r[1]: dict(zip(header, r)) for r in rows[1:]}
    assert float(by_name["lr_0.01/seed_2"]["val/loss last"]) == float(s.values[-1])
    assert by_name["lr_0.01/*"]["kind"] == "group" and by_name["lr_0.01/*"]["members"] == "2"
    assert by_name[MARKUP_RUN]["val/loss step"] == "40"
    assert by_name["lr_0.1/seed_1"]["val/loss last delta"] == ""
    assert by_name[MARKUP_RUN]["lr_free last"] == ""
    uri = cmp.csv_data_uri()
    assert uri.startswith("data:text/csv;charset=utf-8;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).decode("utf-8") == "\ufeff" + cmp.csv()


def test_csv_neutralises_formulas(tmp_path: Path) -> None:
    from tbreport import SummaryWriter

    with SummaryWriter(tmp_path / "=HYPERLINK(1)") as w:
        w.add_scalar("-loss", 1.0, 0)
    logdir = tbreport.load(tmp_path)
    runs = select_runs(logdir, None)
    cmp = build_comparison(logdir, runs, ["-loss"], colors_for([r.name for r in runs], None))
    rows = list(csv.reader(io.StringIO(cmp.csv())))
    assert rows[0][4] == "'-loss last"
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_unknown_baseline() -> None:
    logdir = tbreport.load(Path(__file__).parent / "data" / "corpus" / "exp1")
    runs = select_runs(logdir, None)
    with pytest.raises(ValueError, match="--baseline 'x' is not a run"):
        build_comparison(logdir, runs, ["loss"], {}, baseline="x")


def test_with_bands_adds_one_band_per_group_of_two_or_more(sweep: Path) -> None:
    from tbreport.compare import with_bands
    from tbreport.render.base import BuildOptions, Context
    from tbreport.render.charts import LineChart, line_chart, prepare_series

    runs = select_runs(tbreport.load(sweep), None)
    entries = [(r, r.scalars["val/loss"]) for r in runs]
    lines = [
        prepare_series(s.steps, s.wall_times, s.values, color="#000", smoothing=0.6)
        for _, s in entries
    ]
    spec, _ = line_chart(lines)
    for x_axis in ("step", "relative"):
        opts = BuildOptions(group_by=r"seed_\d+", x_axis=x_axis)
        ctx = Context(options=opts, colors=colors_for([r.name for r in runs], opts.group_by))
        banded = with_bands(spec, entries, ctx)
        assert isinstance(banded, LineChart)
        assert [b[0] for b in banded.bands] == [ctx.colors["lr_0.01/*"], ctx.colors["lr_0.1/*"]]
        for _, bx, lo, hi in banded.bands:
            assert bx.size > 1 and bool((hi >= lo).all())
    # on the wall-clock axis the seeds of the sweep never run at the same time: no band
    wall = Context(options=BuildOptions(group_by=r"seed_\d+", x_axis="wall"), colors={})
    assert with_bands(spec, entries, wall) is spec
    plain = Context(options=BuildOptions(), colors={})
    assert with_bands(spec, entries, plain) is spec
    one = Context(options=BuildOptions(group_by="x_does_not_match"), colors={})
    assert with_bands(spec, entries, one) is spec


def test_with_bands_draws_the_baseline_as_a_dashed_line(sweep: Path) -> None:
    from tbreport.compare import baseline_value, with_bands
    from tbreport.render.base import BuildOptions, Context
    from tbreport.render.charts import LineChart, line_chart, prepare_series

    logdir = tbreport.load(sweep)
    runs = select_runs(logdir, None)
    entries = [(r, r.scalars["val/loss"]) for r in runs]
    lines = [
        prepare_series(s.steps, s.wall_times, s.values, color="#000", smoothing=0.6)
        for _, s in entries
    ]
    spec, _ = line_chart(lines)
    last = {r.name: float(s.values[-1]) for r, s in entries}
    opts = BuildOptions(baseline="lr_0.1/seed_2")
    ctx = Context(options=opts, colors=colors_for([r.name for r in runs], None))
    out = with_bands(spec, entries, ctx)
    assert isinstance(out, LineChart) and out.bands == ()
    assert out.references == ((ctx.colors["lr_0.1/seed_2"], last["lr_0.1/seed_2"]),)
    opts = BuildOptions(baseline="lr_0.1/*", group_by=r"seed_\d+")
    ctx = Context(options=opts, colors=colors_for([r.name for r in runs], opts.group_by))
    out = with_bands(spec, entries, ctx)
    members = [f"lr_0.1/seed_{i}" for i in (1, 2, 3)]
    assert isinstance(out, LineChart) and len(out.bands) == 2
    (ref,) = out.references
    assert ref == (ctx.colors["lr_0.1/*"], pytest.approx(np.mean([last[m] for m in members])))
    assert baseline_value("nope", last) is None
    # a baseline without the tag: no line
    only = [(r, s) for r, s in entries if r.name != "lr_0.1/seed_2"]
    ctx = Context(options=BuildOptions(baseline="lr_0.1/seed_2"), colors={})
    assert with_bands(spec, only, ctx) is spec


def _group_of_three(tmp_path: Path, third: list[float]) -> tbreport.Logdir:
    for i, values in enumerate([[1.0, 0.4], [1.0, 0.6], third]):
        with tbreport.SummaryWriter(tmp_path / "exp" / f"seed_{i}") as w:
            for step, v in enumerate(values):
                w.add_scalar("val/loss", v, step)
    return tbreport.load(tmp_path)


def test_a_diverged_member_makes_the_group_nan_and_is_named(tmp_path: Path) -> None:
    logdir = _group_of_three(tmp_path, [1.0, math.nan])
    runs = select_runs(logdir, None)
    cmp = build_comparison(logdir, runs, ["val/loss"], {}, group_by=r"seed_\d+")
    (g,) = cmp.groups
    last, best = g.last[0], g.best[0]
    assert last.value is not None and math.isnan(last.value)
    assert (last.n, last.total, last.nonfinite) == (3, 3, ("exp/seed_2",))
    assert last.text == "NaN" and last.note == "not finite: exp/seed_2"
    # best covers the same three members (seed_2's best is its finite 1.0)
    assert best.n == 3 and best.value == pytest.approx((0.4 + 0.6 + 1.0) / 3)
    assert best.note == ""


def test_a_member_without_any_finite_value_has_a_nan_best(tmp_path: Path) -> None:
    logdir = _group_of_three(tmp_path, [math.nan, math.nan])
    cmp = build_comparison(
        logdir, select_runs(logdir, None), ["val/loss"], {}, group_by="seed_\\d+"
    )
    last, best = cmp.groups[0].last[0], cmp.groups[0].best[0]
    assert last.value is not None and math.isnan(last.value)
    assert best.value is not None and math.isnan(best.value)
    assert best.n == last.n == 3 and best.nonfinite == last.nonfinite == ("exp/seed_2",)


def test_group_note_counts_members_without_the_tag() -> None:
    assert group_note(3, 3, ()) == ""
    assert group_note(2, 3, ()) == "2 of 3 runs"
    assert group_note(3, 3, ("a", "b", "c", "d")) == "not finite: a, b, c and 1 more"
