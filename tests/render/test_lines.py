"""Line charts: y-range, downsampling, preparing a series, group bands and the baseline line."""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure
from PIL import Image

import tbreport
from tbreport.metrics import SPARSE_POINTS, baseline_value, is_schedule, needs_smoothing
from tbreport.options import BuildOptions
from tbreport.render.charts import LINE_FONT, LINE_SIZE, render_chart, step_label
from tbreport.render.colors import attempt_color, hex_to_lab
from tbreport.render.lines import (
    BAND_PX,
    DENSE_POINTS,
    PNG_WIDTH_PX,
    LineChart,
    PreparedLine,
    downsample,
    line_chart,
    prepare_series,
    robust_range,
    wants_log,
    with_bands,
)
from tbreport.select import colors_for
from tests.sweep import make_sweep


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sweep(tmp_path_factory.mktemp("sweep"))


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


def test_prepare_series_draws_each_attempt_as_its_own_line() -> None:
    steps = np.array([0, 1, 2, 3, 2, 3, 4])  # resumed at step 2 without purge
    values = np.array([0.0, 1.0, 9.0, 9.0, 2.0, 3.0, 4.0])
    p = prepare_series(steps, np.arange(7.0), values, color="#425066", smoothing=0.0)
    assert [s.x.tolist() for s in p.segments] == [[0, 1, 2, 3], [2, 3, 4]]  # no zig-zag
    assert [s.y.tolist() for s in p.segments] == [[0.0, 1.0, 9.0, 9.0], [2.0, 3.0, 4.0]]
    assert [s.label for s in p.segments] == ["attempt 1", "attempt 2"]
    first, second = (s.color for s in p.segments)
    assert first == "#425066" and second != first
    # the same colour family: attempt 2 is a lighter or darker mix of the run's colour
    assert second == attempt_color("#425066", 1)
    a, b = hex_to_lab(first), hex_to_lab(second)
    assert abs(a[1] - b[1]) < 6 and abs(a[2] - b[2]) < 12 and abs(a[0] - b[0]) > 15
    # every logged point counts; the last is the last one logged
    assert p.last_value == 4.0 and p.last_step == 4 and p.count == 7
    spec, _ = line_chart([p])
    assert len(spec.series) == 2
    one = prepare_series(np.arange(5), np.arange(5.0), np.arange(5.0), color="#000000", smoothing=0)
    assert [s.label for s in one.segments] == [""]  # a run that never went back: no label


def _noisy(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 2.0 * np.exp(-np.arange(n) / 400.0) + rng.gamma(2.0, 0.1, n)


def test_schedules_and_sparse_series_are_drawn_raw_unless_asked() -> None:
    n = 2001
    x = np.arange(n)
    warmup_cosine = np.where(
        x < 100, 0.1 * x / 100, 0.05 * (1 + np.cos(np.pi * (x - 100) / (n - 100))) + 1e-5
    )
    step_schedule = np.where(x < 1000, 0.1, np.where(x < 1500, 0.01, 0.001))
    constant = np.full(n, 1e-3)
    for values in (warmup_cosine, step_schedule, constant, np.arange(n) ** 0.5):
        assert is_schedule(values) and not needs_smoothing(values)
        p = prepare_series(x, x * 1.0, values, color="#000000", smoothing=0.6)
        assert p.series.smoothed is None and p.series.band is None and not p.smoothed
        assert not p.series.smoothable
        forced = prepare_series(
            x, x * 1.0, values, color="#000000", smoothing=0.6, always_smooth=True
        )
        assert forced.series.smoothed is not None
    sparse = _noisy(21)  # val/* every 100 steps
    assert not is_schedule(sparse) and not needs_smoothing(sparse)
    p = prepare_series(np.arange(21) * 100, np.arange(21.0), sparse, color="#000", smoothing=0.6)
    assert p.series.smoothed is None and np.isnan(p.last_smoothed)
    noisy = _noisy(SPARSE_POINTS)
    assert needs_smoothing(noisy)
    assert prepare_for_values(noisy).series.smoothed is not None


def prepare_for_values(values: np.ndarray) -> PreparedLine:
    n = values.size
    return prepare_series(np.arange(n), np.arange(n * 1.0), values, color="#000000", smoothing=0.6)


def test_a_dense_noisy_series_is_a_smoothed_line_over_a_min_max_band() -> None:
    values = _noisy(2001)  # 2,000 raw grad_norm-like points
    p = prepare_for_values(values)
    s = p.series
    assert s.smoothed is not None and s.band is not None
    bx, lo, hi = s.band
    assert np.all(np.diff(bx) >= 0) and np.all(lo <= hi)
    assert lo.min() == values.min() and hi.max() == values.max()  # every extreme inside
    assert bx.size <= 2 * (PNG_WIDTH_PX // BAND_PX)  # a bucket per few pixels, not a point
    # a smoothed series of few points keeps its faded raw line instead
    assert prepare_for_values(_noisy(DENSE_POINTS)).series.band is None
    # the drawing: a filled band, the smoothed line, no raw line
    fig = Figure(figsize=LINE_SIZE)
    LineChart(series=(s,), ylim=robust_range(values)).draw(fig)
    ax = fig.axes[0]
    assert len(ax.collections) == 1 and len(ax.lines) == 1
    assert ax.lines[0].get_ydata().tolist() == s.smoothed.tolist()


def test_a_positive_series_over_three_decades_gets_a_log_axis() -> None:
    n = 2001
    x = np.arange(n)
    cosine = 0.05 * (1 + np.cos(np.pi * x / n)) + 1e-5  # 0.1 .. 1e-5: 4 decades
    step = np.where(x < 1000, 0.1, np.where(x < 1500, 0.01, 0.001))  # 2 decades
    lines = [prepare_series(x, x * 1.0, v, color="#000000", smoothing=0.6) for v in (cosine, step)]
    spec, beyond = line_chart(lines)
    assert spec.log_y and beyond == 0
    lo, hi = spec.ylim
    assert 0 < lo < 1e-5 and hi > 0.1  # every decade shown
    assert not line_chart(lines[1:])[0].log_y  # two decades: linear
    with_zero = prepare_series(x, x * 1.0, np.r_[0.0, cosine[1:]], color="#000", smoothing=0)
    assert not line_chart([with_zero])[0].log_y  # a value <= 0: a log axis would hide it
    forced, _ = line_chart(lines[1:], log_y=True)  # --log-y
    assert forced.log_y and forced.ylim[0] > 0
    assert wants_log("train/lr", BuildOptions(log_y="lr$")) is True
    assert wants_log("train/loss", BuildOptions(log_y="lr$")) is None
    fig = Figure(figsize=LINE_SIZE)
    spec.draw(fig)
    assert fig.axes[0].get_yscale() == "log"


def test_line_charts_are_drawn_at_twice_their_css_size_with_legible_text() -> None:
    p = prepare_for_values(_noisy(300))
    spec, _ = line_chart([p])
    rendered = render_chart(spec, "png")
    png = Image.open(io.BytesIO(base64.b64decode(rendered.data_uri.split(",", 1)[1])))
    # the <img> says the CSS size; the PNG holds twice as many pixels each way
    assert (rendered.width, rendered.height) == (
        round(LINE_SIZE[0] * 100),
        round(LINE_SIZE[1] * 100),
    )
    assert png.size == (2 * rendered.width, 2 * rendered.height)
    # a card at a 1280 px window shows the chart ~476 CSS px wide (the browser test
    # measures it): tick and axis text of LINE_FONT points is >= 11 CSS px there
    assert LINE_FONT / 72 * 100 * 476 / rendered.width >= 11
    fig = Figure(figsize=spec.size)
    spec.draw(fig)
    ax = fig.axes[0]
    sizes = {t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()}
    assert sizes == {LINE_FONT} and ax.xaxis.label.get_fontsize() == LINE_FONT


def test_step_ticks_read_as_tensorboards() -> None:
    assert [step_label(v) for v in (0, 300, 1500, 20000, 600000, 1.5e6)] == [
        "0",
        "300",
        "1,500",
        "20k",
        "600k",
        "1.5M",
    ]


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


def _entries(sweep: Path) -> tuple[list, LineChart]:  # type: ignore[type-arg]
    runs = [r.purged() for r in tbreport.load(sweep).runs.values()]
    entries = [(r, r.scalars["val/loss"]) for r in runs]
    lines = [
        prepare_series(s.steps, s.wall_times, s.values, color="#000", smoothing=0.6)
        for _, s in entries
    ]
    return entries, line_chart(lines)[0]


def test_with_bands_adds_one_band_per_group_of_two_or_more(sweep: Path) -> None:
    entries, spec = _entries(sweep)
    names = [r.name for r, _ in entries]
    colors = colors_for(names, r"seed_\d+")
    for x_axis in ("step", "relative"):
        banded = with_bands(
            spec, entries, colors=colors, smoothing=0.6, x_axis=x_axis, group_by=r"seed_\d+"
        )
        assert [b[0] for b in banded.bands] == [colors["lr_0.01/*"], colors["lr_0.1/*"]]
        for _, bx, lo, hi in banded.bands:
            assert bx.size > 1 and bool((hi >= lo).all())
    # on the wall-clock axis the seeds of the sweep never run at the same time: no band
    wall = with_bands(spec, entries, colors={}, smoothing=0.6, x_axis="wall", group_by=r"seed_\d+")
    assert wall is spec
    assert with_bands(spec, entries, colors={}, smoothing=0.6) is spec
    assert with_bands(spec, entries, colors={}, smoothing=0.6, group_by="x_does_not_match") is spec


def test_with_bands_draws_the_baseline_as_a_dashed_line(sweep: Path) -> None:
    entries, spec = _entries(sweep)
    names = [r.name for r, _ in entries]
    last = {r.name: float(s.values[-1]) for r, s in entries}
    colors = colors_for(names, None)
    out = with_bands(spec, entries, colors=colors, smoothing=0.6, baseline="lr_0.1/seed_2")
    assert out.bands == ()
    assert out.references == ((colors["lr_0.1/seed_2"], last["lr_0.1/seed_2"]),)
    colors = colors_for(names, r"seed_\d+")
    out = with_bands(
        spec, entries, colors=colors, smoothing=0.6, baseline="lr_0.1/*", group_by=r"seed_\d+"
    )
    members = [f"lr_0.1/seed_{i}" for i in (1, 2, 3)]
    assert len(out.bands) == 2
    (ref,) = out.references
    assert ref == (colors["lr_0.1/*"], pytest.approx(np.mean([last[m] for m in members])))
    assert baseline_value("nope", last) is None
    # a baseline without the tag: no line
    only = [(r, s) for r, s in entries if r.name != "lr_0.1/seed_2"]
    assert with_bands(spec, only, colors={}, smoothing=0.6, baseline="lr_0.1/seed_2") is spec


# ------------------------------------------------------------------ outliers (issue 11)


def _readme_example() -> str:
    """The README's first writing example, as it stands."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for block in readme.split("```python\n")[1:]:
        code = block.split("```", 1)[0]
        if 'add_scalar("train/loss", 1 / (step + 1), step)' in code:
            return code
    raise AssertionError("the README's 1/(step+1) example is gone")


def test_the_readme_example_keeps_its_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(_readme_example(), "README.md", "exec"), {})  # writes runs/<date>_<host>
    run = next(iter(tbreport.load(str(tmp_path / "runs")).runs.values()))
    loss = run.scalars["train/loss"]
    assert loss.values[0] == 1.0 and len(loss) == 100
    line = prepare_series(loss.steps, loss.wall_times, loss.values, color="#1f77b4", smoothing=0.6)
    spec, beyond = line_chart([line])
    assert beyond == 0
    assert spec.ylim[0] < float(loss.values.min()) and spec.ylim[1] > 1.0
    # TensorBoard's rule would have cut it: the full range is > 2x the 5th-95th percentiles
    q5, q95 = np.percentile(loss.values, [5, 95])
    assert 1.0 - float(loss.values.min()) > 2 * (q95 - q5)


def _drawn_markers(spec: LineChart) -> list[str]:
    from matplotlib.figure import Figure  # matplotlib: only to look at what is drawn

    fig = Figure()
    spec.draw(fig)
    return [ln.get_marker() for ln in fig.axes[0].lines if ln.get_marker() in ("^", "v")]


def test_a_real_spike_is_still_clipped_and_marked() -> None:
    values = np.linspace(0.0, 1.0, 200)
    values[77] = 1e6
    line = prepare_series(np.arange(200), np.arange(200.0), values, color="#1f77b4", smoothing=0.6)
    spec, beyond = line_chart([line])
    assert beyond == 1 and -0.1 < spec.ylim[0] < 0.0 and 1.0 < spec.ylim[1] < 1.1
    assert _drawn_markers(spec) == ["^"]  # the spike: a marker on the top edge
    # --no-outlier-clip: every point in range, nothing marked
    spec, beyond = line_chart([line], clip_outliers=False)
    assert beyond == 0 and spec.ylim[1] > 1e6 and _drawn_markers(spec) == []


@pytest.mark.parametrize(
    "values",
    [
        [1 / (s + 1) ** 2 for s in range(100)],  # a faster decay
        [1 / (s + 1) for s in range(30)],  # a shorter run
        [-500 + 700 * (1 - math.exp(-s / 10)) for s in range(200)],  # a rising reward
        [0.1 * s for s in range(50)] + [5.0 * 2**k for k in range(6)],  # diverging at the end
    ],
    ids=["fast-decay", "short", "rising", "diverging"],
)
def test_a_trend_is_never_clipped(values: list[float]) -> None:
    lo, hi = robust_range(values)
    assert lo < min(values) and hi > max(values)


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 0.5, 1e6] + [1 / (s + 1) for s in range(3, 100)],  # in the steep start
        [1e38] + [2 - 0.01 * s for s in range(60)],  # at the very start
        [*np.linspace(0, 1, 100), 1e6, 1e6, *np.linspace(1, 0, 100)],  # two points
    ],
    ids=["in-the-start", "first-point", "two-points"],
)
def test_a_spike_anywhere_is_clipped(values: list[float]) -> None:
    assert robust_range(values)[1] < 10


def test_spikes_of_several_runs_are_found_run_by_run() -> None:
    # the spike's time neighbours are in its own run, not in the next run's values
    a = np.linspace(0.0, 1.0, 100)
    b = np.linspace(1.0, 0.0, 100)
    b[0] = 1e6
    assert robust_range([a, b])[1] < 10
    assert robust_range([a, b], ignore_outliers=False)[1] > 1e6
