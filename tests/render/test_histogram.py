from __future__ import annotations

import numpy as np

from tbreport.model import HistogramPoint
from tbreport.render.histogram import BASIS_POINTS, percentiles, rebin, value_range


def uniform(
    lo: float = 0.0, hi: float = 10.0, buckets: int = 10, total: float = 1000.0
) -> HistogramPoint:
    edges = np.linspace(lo, hi, buckets + 1)
    return HistogramPoint(
        step=0,
        wall_time=0.0,
        left=edges[:-1],
        right=edges[1:],
        counts=np.full(buckets, total / buckets),
        minimum=lo,
        maximum=hi,
        total=total,
    )


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
    lo, hi = value_range([c])
    assert lo < 3.5 < hi


def test_value_range_ignores_dbl_max_edges() -> None:
    h = HistogramPoint(
        step=0,
        wall_time=0.0,
        left=np.array([-1.7976931348623157e308, -1.0, 0.0]),
        right=np.array([-1.0, 0.0, 1.7976931348623157e308]),
        counts=np.array([1.0, 5.0, 1.0]),
        minimum=-1.5,
        maximum=2.0,
        total=7,
    )
    assert value_range([h]) == (-1.5, 2.0)
    nothing = HistogramPoint(step=0, wall_time=0.0)
    lo, hi = value_range([nothing])
    assert lo < hi
