from __future__ import annotations

import math
import re

import numpy as np
import pytest

from tbreport.kinds.histogram import decode_histogram
from tbreport.model import HistogramPoint, Run, Series
from tbreport.options import BuildOptions
from tbreport.proto import summary_pb2
from tbreport.render import histogram as hist
from tbreport.render.base import Context
from tbreport.render.histogram import (
    BASIS_POINTS,
    MAX_RIDGES,
    clean_buckets,
    percentiles,
    rebin,
    value_range,
)
from tests.logdirs._write import tf1_histogram

DBL_MAX = 1.7976931348623157e308


def uniform(
    lo: float = 0.0, hi: float = 10.0, buckets: int = 10, total: float = 1000.0, step: int = 0
) -> HistogramPoint:
    edges = np.linspace(lo, hi, buckets + 1)
    return HistogramPoint(
        step=step,
        wall_time=float(step),
        left=edges[:-1],
        right=edges[1:],
        counts=np.full(buckets, total / buckets),
        minimum=lo,
        maximum=hi,
        total=total,
    )


def tf1(values: np.ndarray, step: int = 0) -> HistogramPoint:  # type: ignore[type-arg]
    value = summary_pb2.Summary.Value(tag="h", histo=tf1_histogram(values))
    return decode_histogram(value, step, float(step))


def test_percentiles_of_a_uniform_histogram() -> None:
    got = percentiles(uniform())
    want = np.asarray(BASIS_POINTS) / 1000.0
    assert np.allclose(got, want)


def test_percentiles_of_an_empty_histogram_are_nan() -> None:
    empty = HistogramPoint(step=0, wall_time=0.0)
    assert np.isnan(percentiles(empty)).all()


def test_rebin_keeps_the_total_inside_the_grid() -> None:
    h = uniform()
    counts = rebin(h, np.linspace(-5, 15, 41))
    assert counts.sum() == 1000.0
    assert counts[:10].sum() == 0 and counts[30:].sum() == 0


def test_value_range_of_a_constant_histogram_is_not_empty() -> None:
    c = HistogramPoint(
        step=0,
        wall_time=0.0,
        left=np.array([3.5]),
        right=np.array([3.5]),
        counts=np.array([10.0]),
        minimum=3.5,
        maximum=3.5,
        total=10,
    )
    r = value_range([c])
    assert r.lo < 3.5 < r.hi and not r.clipped


def test_dbl_max_buckets_are_clipped_to_their_inner_edge() -> None:
    h = HistogramPoint(
        step=0,
        wall_time=0.0,
        left=np.array([-DBL_MAX, -1.0, 0.0]),
        right=np.array([-1.0, 0.0, DBL_MAX]),
        counts=np.array([1.0, 5.0, 1.0]),
        minimum=math.nan,
        maximum=math.nan,
        total=7,
    )
    left, right, counts = clean_buckets(h)
    assert np.isfinite(left).all() and np.isfinite(right).all() and counts.sum() == 7
    r = value_range([h])
    assert (r.lo, r.hi) == (-1.025, 0.025)  # the inner edges, padded by 2.5 %
    nothing = value_range([HistogramPoint(step=0, wall_time=0.0)])
    assert nothing.lo < nothing.hi


def test_tf1_histograms_at_the_edges_get_a_finite_readable_axis() -> None:
    rng = np.random.default_rng(0)
    normal = rng.normal(0, 0.1, 2000)
    cases = {
        "plain": normal,
        "outer_pos": np.concatenate([normal, [1e300, 5e25]]),
        "outer_neg": np.concatenate([normal, [-1e300, -5e25]]),
        "neg_inf": np.concatenate([normal, [-np.inf]]),
    }
    for name, values in cases.items():
        h = tf1(values)
        r = value_range([h])
        assert math.isfinite(r.lo) and math.isfinite(r.hi), name
        # the axis spans the bulk of the values, not the one far outlier
        assert -1.0 < r.lo < -0.2 and 0.2 < r.hi < 1.0, (name, r)
        assert r.clipped == (name in ("outer_pos", "outer_neg")), name
        if r.clipped:
            assert "not drawn" in r.note and "1e+300" in r.note
        if name == "neg_inf":  # no axis holds it: said, not drawn
            assert r.unbounded == 1 and r.note == "1 value at ±inf or beyond ±1e+308 not drawn."
        grid = np.linspace(r.lo, r.hi, 31)
        counts = rebin(h, grid)
        assert np.isfinite(counts).all() and counts.sum() >= 0.99 * normal.size
        assert np.isfinite(percentiles(h)[1:-1]).all()


def _section(runs: list[Run], **opts: object) -> tuple[object, object]:
    colors = {r.name: c for r, c in zip(runs, ("#ff7043", "#0077bb", "#cc3311"))}
    sections = hist.build(runs, Context(options=BuildOptions(**opts), colors=colors))
    assert len(sections) == 2
    return sections[0], sections[1]


def _run(name: str, points: list[HistogramPoint], tag: str = "w/x") -> Run:
    return Run(name=name, path=name, histograms={tag: Series(tag=tag, points=points)})


def test_a_tags_runs_share_one_value_axis() -> None:
    a = _run("a", [uniform(0, 1, step=s) for s in range(5)])
    b = _run("b", [uniform(-3, 2, step=s) for s in range(5)])
    h, d = _section([a, b])
    (card,) = h.groups[0].items  # type: ignore[attr-defined]
    assert card.tag == "w/x" and [p.run for p in card.panels] == ["a", "b"]
    ticks = [re.findall(r'<g class="ax x">.*?</g>', p.svg)[0] for p in card.panels]
    assert ticks[0] == ticks[1]  # the same value ticks at the same places
    labels = re.findall(r">([^<]+)</text>", ticks[0])
    assert labels == ["\u22122", "0", "2"]  # run b's range, in run a's panel too
    (dcard,) = d.groups[0].items  # type: ignore[attr-defined]
    dticks = [re.findall(r'<g class="ax y">.*?</g>', p.svg)[0] for p in dcard.panels]
    assert dticks[0] == dticks[1]


def test_ridges_one_per_step_with_integer_step_ticks() -> None:
    steps = [0, 7, 13, 20, 26, 33, 40]
    run = _run("a", [uniform(0, 1, step=s) for s in steps])
    h, _ = _section([run])
    (panel,) = h.groups[0].items[0].panels  # type: ignore[attr-defined]
    svg = panel.svg
    ridges = re.findall(
        r'<path color="(#[0-9a-f]{6})" transform="translate\(([\d.]+) ([\d.]+)\)', svg
    )
    assert len(ridges) == len(steps)
    ys = [float(y) for _, _, y in ridges]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)  # oldest at the back (top), in order
    assert len({c for c, _, _ in ridges}) == len(steps)  # brighter to darker
    assert [f"step {s:,}" for s in steps] == re.findall(r"<title>(step [\d,]+)</title>", svg)
    off = re.search(r'<g class="ax y off">(.*?)</g>', svg)
    assert off is not None
    labels = re.findall(r">([^<]+)</text>", off.group(1))
    assert labels and all(re.fullmatch(r"\d[\d,]*", s) for s in labels)  # no "2.5"
    assert '<g class="ax y ov">' in svg and "--ov:translate(" in svg  # the overlay's axis


def test_many_steps_are_thinned_to_max_ridges() -> None:
    run = _run("a", [uniform(0, 1, step=s) for s in range(300)])
    h, _d = _section([run])
    (panel,) = h.groups[0].items[0].panels  # type: ignore[attr-defined]
    assert panel.shown == MAX_RIDGES and panel.total == 300
    assert panel.svg.count("<title>step ") == MAX_RIDGES
    assert "<title>step 0</title>" in panel.svg and "<title>step 299</title>" in panel.svg


def test_markup_from_logs_is_escaped() -> None:
    run = _run('<b>"r"</b>', [uniform(0, 1)], tag="<script>x</script>")
    h, d = _section([run])
    for section in (h, d):
        (panel,) = section.groups[0].items[0].panels  # type: ignore[attr-defined]
        assert "<script>" not in panel.svg and "<b>" not in panel.svg
        assert "&lt;script&gt;" in panel.svg


@pytest.mark.parametrize("x_axis", ["step", "relative", "wall"])
def test_distributions_for_every_x_axis(x_axis: str) -> None:
    run = _run("a", [uniform(0, 1, step=s) for s in range(0, 50, 10)])
    _, d = _section([run], x_axis=x_axis)
    (panel,) = d.groups[0].items[0].panels  # type: ignore[attr-defined]
    assert panel.svg.count("<path fill-opacity=") == 4 and 'class="med"' in panel.svg
    assert re.search(r'<g class="ax x">.*<text', panel.svg)
