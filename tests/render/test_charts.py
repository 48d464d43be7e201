from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tbreport.render import charts
from tbreport.render.charts import (
    LineChart,
    downsample,
    line_chart,
    prepare_series,
    render_all,
    render_chart,
    robust_range,
    run_colors,
    smooth,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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


def test_robust_range_ignores_outliers_only_when_they_stretch_the_range() -> None:
    flat_with_spike = [1.0] * 50 + [2.0] * 49 + [1e38]
    lo, hi = robust_range(flat_with_spike)
    assert hi < 10 and lo < 1.0
    rising = list(np.linspace(0.0, 1.0, 40))
    lo, hi = robust_range(rising)
    assert lo < 0.0 and hi > 1.0  # nothing clipped on a plain curve


def test_robust_range_degenerate_inputs() -> None:
    assert robust_range([]) == (-1.0, 1.0)
    assert robust_range([float("nan")]) == (-1.0, 1.0)
    lo, hi = robust_range([3.0, 3.0])
    assert lo < 3.0 < hi
    lo, hi = robust_range([0.0])
    assert lo < 0.0 < hi


@given(
    st.lists(st.floats(min_value=-1e9, max_value=1e9), min_size=1, max_size=3000),
    st.integers(min_value=1, max_value=200),
)
def test_downsample_keeps_extremes_and_order(values: list[float], buckets: int) -> None:
    y = np.asarray(values)
    x = np.arange(y.size, dtype=np.float64)
    idx = downsample(x, y, buckets)
    assert np.all(np.diff(idx) > 0)
    kept = y[idx]
    assert kept.max() == y.max() and kept.min() == y.min()
    assert idx[0] == 0 and idx[-1] == y.size - 1
    assert idx.size <= max(4 * buckets, y.size)


def test_downsample_keeps_nonfinite_points() -> None:
    y = np.sin(np.arange(10_000) / 100.0)
    y[1234] = np.nan
    y[4321] = np.inf
    idx = downsample(np.arange(y.size, dtype=np.float64), y, 100)
    assert 1234 in idx and 4321 in idx
    assert idx.size < 500


def test_prepare_series_dedupes_steps_keeping_the_last_write_and_sorts() -> None:
    steps = np.array([0, 1, 2, 3, 2, 3, 4])  # resumed at step 2 without purge
    values = np.array([0.0, 1.0, 9.0, 9.0, 2.0, 3.0, 4.0])
    p = prepare_series(steps, np.arange(7.0), values, color="#000000", smoothing=0.0)
    assert p.series.x.tolist() == [0, 1, 2, 3, 4]
    assert p.series.y.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]  # no zig-zag
    assert p.last_value == 4.0 and p.last_step == 4 and p.count == 5


def test_prepare_series_counts_and_marks_nonfinite() -> None:
    values = np.array([1.0, np.nan, np.inf, -np.inf, 2.0])
    p = prepare_series(np.arange(5), np.arange(5.0), values, color="#000000", smoothing=0.6)
    assert (p.nan, p.posinf, p.neginf) == (1, 1, 1)
    assert p.series.nan_x.tolist() == [1.0]
    assert p.series.posinf_x.tolist() == [2.0]
    assert p.series.neginf_x.tolist() == [3.0]


def test_x_axes() -> None:
    wall = np.array([1000.0, 4600.0])
    rel = prepare_series([0, 1], wall, [1.0, 2.0], color="#000", smoothing=0, x_axis="relative")
    assert rel.series.x.tolist() == [0.0, 1.0]  # hours since the run's first event
    wall_p = prepare_series([0, 1], wall, [1.0, 2.0], color="#000", smoothing=0, x_axis="wall")
    assert wall_p.series.x.tolist() == pytest.approx([1000 / 86400, 4600 / 86400])
    with pytest.raises(ValueError, match="x_axis"):
        prepare_series([0], [0.0], [1.0], color="#000", smoothing=0, x_axis="epoch")


def _spec(n_runs: int = 3, n: int = 500) -> LineChart:
    rng = np.random.default_rng(0)
    colors = run_colors([f"r{i}" for i in range(n_runs)])
    lines = []
    for i in range(n_runs):
        v = np.exp(-np.arange(n) / 100) + rng.normal(0, 0.05, n)
        v[10] = np.nan
        v[20] = 1e30
        lines.append(
            prepare_series(
                np.arange(n), np.arange(n) * 1.0, v, color=colors[f"r{i}"], smoothing=0.6
            )
        )
    spec, beyond = line_chart(lines)
    assert beyond >= n_runs  # the 1e30 spikes
    return spec


def test_png_is_deterministic_quantised_and_small() -> None:
    import base64
    import io

    from PIL import Image

    spec = _spec()
    a, b = render_chart(spec, "png"), render_chart(spec, "png")
    assert a == b
    assert a.data_uri.startswith("data:image/png;base64,")
    png = base64.b64decode(a.data_uri.split(",", 1)[1])
    with Image.open(io.BytesIO(png)) as img:
        assert img.mode == "P"  # palette: quantised
        assert img.size == (a.width, a.height) == (640, 300)
        assert not img.info.get("Software")
    assert len(png) < 60_000


def test_svg_is_deterministic_inline_ready_and_salted() -> None:
    spec = _spec()
    a, b = render_chart(spec, "svg", salt="s1"), render_chart(spec, "svg", salt="s1")
    assert a.svg == b.svg and a.svg.startswith("<svg")
    assert "http" not in a.svg and "<?xml" not in a.svg and "DOCTYPE" not in a.svg
    assert "<metadata" not in a.svg
    c = render_chart(spec, "svg", salt="s2")
    assert c.svg != a.svg  # ids differ between charts of one page


def test_render_all_in_a_pool_equals_in_process() -> None:
    specs = [(_spec(2, 200 + 10 * i), f"salt{i}") for i in range(9)]
    seen: list[int] = []
    pooled = render_all(specs, jobs=2, progress=seen.append)
    assert len(seen) == 9
    assert pooled == [render_chart(s, "png", salt) for s, salt in specs]


def test_render_rejects_unknown_format() -> None:
    with pytest.raises(ValueError, match="png or svg"):
        render_chart(_spec(), "gif")


def test_run_colors_are_stable_and_distinct() -> None:
    names = [f"run{i}" for i in range(40)]
    colors = run_colors(names)
    assert colors == run_colors(names)
    assert len(set(colors.values())) == 40
    assert colors["run0"] == charts.PALETTE[0]


_PARENT = os.getpid()


@dataclass(frozen=True)
class _DiesInAWorker:
    """Kills the worker process that draws it; draws normally in the parent."""

    size: tuple[float, float] = (2.0, 1.0)

    def draw(self, fig: Figure) -> None:
        if os.getpid() != _PARENT:
            os._exit(3)
        fig.add_subplot(1, 1, 1).plot([0, 1], [0, 1])


def test_a_crashed_worker_falls_back_to_drawing_here() -> None:
    from tbreport.render.charts import ChartPool

    with ChartPool(jobs=2) as pool:
        for i in range(10):
            pool.submit(_DiesInAWorker(), f"s{i}")
        out = pool.results()
    assert len(out) == 10 and all(r.data_uri.startswith("data:image/png") for r in out)


@pytest.mark.parametrize("weight", [0.0001, 0.6, 0.999])
@pytest.mark.parametrize("scale", [1e-30, 1.0, 1e30])
def test_smooth_long_series_with_a_spike_matches_the_loop(weight: float, scale: float) -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(0.0, 1.0, 20_000) * scale
    values[100] = 1e5 * scale
    got = smooth(values, weight)
    want = charts._debiased_ema_loop(values, weight)
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
