"""Line charts of scalar series: preparing the lines, the y-range, group bands.

Preparing happens in the report's process (vectorised numpy): split a run's series
into its attempts where the steps go back (each its own line, "attempt 2" in a shade
of the run's colour), smooth what is neither a schedule nor sparse
(:func:`tbreport.metrics.needs_smoothing`), band a dense smoothed series
(:func:`envelope`), split out non-finite points, downsample to what the pixels can
show (:func:`downsample`, which keeps every extreme) and pick the y-axis
(:func:`y_axis`: logarithmic over 3 decades or by ``--log-y``; a robust range,
:func:`robust_range`). The result is a small picklable :class:`LineChart`
spec that :func:`tbreport.render.charts.render_chart` draws, in a worker process.

:func:`with_bands` adds what comparing runs puts on such a chart: a mean ± std band per
``--group-by`` group and a dashed line at the ``--baseline``'s last value. The scalar
section and the e-mail's charts both use it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tbreport.metrics import (
    aggregate,
    attempt_starts,
    band,
    baseline_value,
    group_runs,
    needs_smoothing,
    points,
    smooth,
    spans_decades,
    wall_per_step,
)
from tbreport.model import Run, ScalarSeries
from tbreport.options import BuildOptions
from tbreport.render.charts import (
    LINE_FONT,
    LINE_MARGINS,
    LINE_SCALE,
    LINE_SIZE,
    axes,
    format_x,
)
from tbreport.render.colors import attempt_color

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "BAND_PX",
    "DENSE_POINTS",
    "OUTLIER_STRETCH",
    "PNG_WIDTH_PX",
    "SVG_WIDTH_PX",
    "LineChart",
    "PreparedLine",
    "Series",
    "downsample",
    "envelope",
    "line_chart",
    "prepare_for",
    "prepare_series",
    "robust_range",
    "run_start_times",
    "spikes",
    "step_origin",
    "wants_log",
    "with_bands",
    "x_values",
    "y_axis",
]

FloatArray = npt.NDArray[np.float64]

#: pixel width lines are downsampled for: a PNG chart's plot area is ~420 CSS px drawn
#: at twice that (:data:`~tbreport.render.charts.LINE_SCALE`); SVG lines stay coarser
#: (every point is markup)
PNG_WIDTH_PX = 560
SVG_WIDTH_PX = 200

#: a smoothed series of more points than this is drawn as its smoothed line over a
#: light min–max band (:func:`envelope`) rather than every raw point
DENSE_POINTS = 500
#: the band's buckets: one per this many of ``width_px``'s pixels
BAND_PX = 4

#: the y-range leaves out outliers only when the values beyond the 5th-95th
#: percentiles would stretch it by more than this factor
OUTLIER_STRETCH = 2.0
#: a spike lies this many percentile spans beyond the 5th-95th percentiles...
OUTLIER_REACH = 0.5
#: ... in a burst of at most this many consecutive points...
SPIKE_POINTS = 3
#: ... each this many times as far from the median as the points just before and
#: after the burst (the start of a decaying loss, 1, 0.5, 0.33, ..., is no burst: each
#: point is about twice as far as the next)
CLIFF = 5.0

#: the largest |y| an axis reaches (matplotlib overflows computing spans near DBL_MAX);
#: values beyond are drawn clipped, with a marker on the edge
Y_LIMIT = 1e307


def robust_range(
    values: npt.ArrayLike | Sequence[npt.ArrayLike],
    *,
    ignore_outliers: bool = True,
    log: bool = False,
) -> tuple[float, float]:
    """The y-range of a chart: every finite value, except isolated spikes.

    ``values``: one series, or a sequence of series (each run's line), each in x order.
    TensorBoard's "ignore outliers" takes the 5th-95th percentiles, which cuts the start
    of every plain loss curve; here a point is left out only when it is a spike
    (:func:`spikes`) and the values beyond the percentiles would stretch the range more
    than :data:`OUTLIER_STRETCH` times. ``ignore_outliers=False``: every finite value.

    Padded by 5 % of the span on each side; a flat or empty series gets a sensible
    non-empty range. Points outside are *not* dropped by the caller: they are drawn as
    markers on the edge of the plot. With ``log``, the full range of the positive
    values, padded in powers of ten (a log axis is there to show every decade; values
    <= 0 lie below it: marked on its bottom edge).
    """
    pieces = _pieces(values)
    v = np.concatenate(pieces) if pieces else np.empty(0)
    if log:
        v = v[v > 0]
        if v.size == 0:
            return (0.1, 10.0)
        lo, hi = robust_range(np.log10(v), ignore_outliers=False)
        return (float(10.0 ** max(lo, -300.0)), float(10.0 ** min(hi, 300.0)))
    if v.size == 0:
        return (-1.0, 1.0)
    lo, hi = float(v.min()), float(v.max())
    if ignore_outliers and v.size >= 5:
        with np.errstate(over="ignore", invalid="ignore"):  # +-1e308: spans overflow
            qlo, median, qhi = (float(q) for q in np.percentile(v, [5.0, 50.0, 95.0]))
            if qhi > qlo and (hi - lo) > OUTLIER_STRETCH * (qhi - qlo):
                kept = np.concatenate([p[~spikes(p, qlo, qhi, median)] for p in pieces])
                if kept.size:
                    lo, hi = float(kept.min()), float(kept.max())
    # matplotlib needs a span it can compute: beyond +-Y_LIMIT points are clipped (marked)
    lo, hi = (min(max(x, -Y_LIMIT), Y_LIMIT) for x in (lo, hi))
    big = max(abs(lo), abs(hi))
    if not hi - lo > big * 1e-12 + 1e-300:  # flat (or a few subnormals apart: no span)
        pad = big * 0.1 if big > 1e-300 else 1.0
        return (lo - pad, hi + pad)
    pad = (hi - lo) * 0.05
    return (lo - pad, hi + pad)


def _pieces(values: npt.ArrayLike | Sequence[npt.ArrayLike]) -> list[FloatArray]:
    """The finite values of each series in ``values`` (one series, or several)."""
    raw: list[Any] = [values]
    if isinstance(values, (list, tuple)) and values and all(np.ndim(p) == 1 for p in values):
        raw = list(values)
    out = []
    for piece in raw:
        a = np.asarray(piece, dtype=np.float64).ravel()
        a = a[np.isfinite(a)]
        if a.size:
            out.append(a)
    return out


def spikes(values: npt.ArrayLike, qlo: float, qhi: float, median: float) -> npt.NDArray[np.bool_]:
    """Which points of one series (finite, in x order) are spikes, given the chart's
    5th-95th percentiles ``qlo``, ``qhi`` and its ``median``.

    A spike is a burst of at most :data:`SPIKE_POINTS` consecutive points, each more
    than :data:`OUTLIER_REACH` percentile spans beyond the percentiles (on one side), and
    each :data:`CLIFF` times as far from the median as the points just before and after
    the burst: a jump out and back. A trend is no burst: the first points of a
    decaying loss are each about twice as far from the median as the next.
    """
    v = np.asarray(values, dtype=np.float64)
    n = v.size
    out = np.zeros(n, dtype=bool)
    reach = OUTLIER_REACH * (qhi - qlo)
    with np.errstate(over="ignore", invalid="ignore"):
        offset = np.abs(v - median)
        padded = np.concatenate(([np.nan], offset, [np.nan]))  # NaN: no neighbour
        for far in (v > qhi + reach, v < qlo - reach):  # above, then below
            if not far.any():
                continue
            for width in range(1, min(SPIKE_POINTS, n - 1) + 1):
                starts = np.arange(n - width + 1)
                inside = np.ones(starts.size, dtype=bool)
                low = np.full(starts.size, np.inf)
                for k in range(width):
                    inside &= far[starts + k]
                    low = np.minimum(low, offset[starts + k])
                # the farther from the median of the neighbours there are
                near = np.fmax(padded[starts], padded[starts + width + 1])
                burst = inside & (low > CLIFF * near)
                for k in range(width):
                    out[starts[burst] + k] = True
    return out


def downsample(x: npt.ArrayLike, y: npt.ArrayLike, buckets: int) -> npt.NDArray[np.intp]:
    """Indices to keep so a line drawn ``buckets`` pixels wide looks the same (M4).

    ``x`` must be sorted. Per pixel column it keeps the first, last, minimum and maximum
    point, so every extreme survives, in x order. Non-finite ``y`` are kept as they are
    (they break the line and are marked).
    """
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    n = xa.size
    if n <= 4 * max(buckets, 1):
        return np.arange(n)
    bucket = _buckets(xa, buckets)
    finite = np.isfinite(ya)
    keep = [np.flatnonzero(~finite)]
    idx = np.flatnonzero(finite)
    if idx.size:
        b = bucket[idx]
        yv = ya[idx]
        order = np.lexsort((yv, b))  # by bucket, then value
        sb = b[order]
        starts = np.flatnonzero(np.r_[True, sb[1:] != sb[:-1]])
        ends = np.r_[starts[1:], sb.size] - 1
        keep.append(idx[order[starts]])  # minimum per bucket
        keep.append(idx[order[ends]])  # maximum per bucket
        # first and last (in x) of each bucket
        bstarts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
        bends = np.r_[bstarts[1:], b.size] - 1
        keep.append(idx[bstarts])
        keep.append(idx[bends])
    return np.unique(np.concatenate(keep))


def _buckets(x: FloatArray, buckets: int) -> npt.NDArray[np.int64]:
    """The bucket (0 .. ``buckets - 1``) of each of the sorted ``x``, equal x-ranges."""
    x0, x1 = float(x[0]), float(x[-1])
    span = x1 - x0
    if not span > 0:
        return np.zeros(x.size, dtype=np.int64)
    return np.minimum(((x - x0) / span * buckets).astype(np.int64), buckets - 1)


def envelope(
    x: npt.ArrayLike, y: npt.ArrayLike, buckets: int
) -> tuple[FloatArray, FloatArray, FloatArray] | None:
    """The min–max band of a dense series: per bucket of the (sorted) ``x``, the smallest
    and largest finite ``y`` from the bucket's first to its last x. ``(x, lo, hi)`` to
    fill between, or ``None`` without two finite points."""
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    finite = np.isfinite(ya) & np.isfinite(xa)
    xa, ya = xa[finite], ya[finite]
    if xa.size < 2:
        return None
    b = _buckets(xa, max(1, buckets))
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    ends = np.r_[starts[1:], b.size] - 1
    lo = np.minimum.reduceat(ya, starts)
    hi = np.maximum.reduceat(ya, starts)
    bx = np.column_stack((xa[starts], xa[ends])).ravel()
    return bx, np.repeat(lo, 2), np.repeat(hi, 2)


@dataclass(frozen=True)
class Series:
    """One line in a :class:`LineChart` (a run's series, or one attempt of it when its
    steps go back), already smoothed, sorted and downsampled.

    ``smoothed`` is ``None`` for a series drawn raw (no smoothing asked, a schedule, a
    sparse series). ``band`` (x, lo, hi) is the min–max envelope of a dense smoothed
    series: drawn light under the smoothed line instead of every raw point."""

    color: str
    x: FloatArray
    y: FloatArray
    smoothed: FloatArray | None = None
    smoothed_x: FloatArray | None = None
    nan_x: FloatArray = field(default_factory=lambda: np.empty(0))
    posinf_x: FloatArray = field(default_factory=lambda: np.empty(0))
    neginf_x: FloatArray = field(default_factory=lambda: np.empty(0))
    label: str = ""  # "attempt 2" (shown after the run name)
    # matplotlib line style ("-" or (offset, dashes)): tells several tags of one run apart
    linestyle: str | tuple[float, tuple[float, ...]] = "-"
    band: tuple[FloatArray, FloatArray, FloatArray] | None = None
    # smoothed at any smoothing weight (False: a schedule or a sparse series, drawn raw)
    smoothable: bool = True


@dataclass(frozen=True)
class LineChart:
    """Several runs' lines overlaid on one axes (a scalar tag, or a custom-scalar chart).

    Drawn at :data:`LINE_SIZE` inches (one inch is about 100 CSS pixels where the
    report shows it) with ``scale`` times as many pixels, so it stays sharp at twice
    its display size; ``log_y``: a logarithmic y-axis (``ylim`` then positive)."""

    series: tuple[Series, ...]
    ylim: tuple[float, float]
    x_axis: str = "step"  # step | relative | wall
    size: tuple[float, float] = LINE_SIZE
    bands: tuple[tuple[str, FloatArray, FloatArray, FloatArray], ...] = ()  # (color, x, lo, hi)
    references: tuple[tuple[str, float], ...] = ()  # (color, y): dashed lines (--baseline)
    log_y: bool = False
    scale: float = LINE_SCALE
    font_size: float = LINE_FONT
    step_origin: int = 0  # x = step - step_origin (:func:`step_origin`)

    @property
    def margins(self) -> dict[str, float]:
        """The figure's margins (:func:`tbreport.render.charts.render_chart` reads them)."""
        return LINE_MARGINS

    def draw(self, fig: Figure) -> None:
        ax = axes(fig, labelsize=self.font_size)
        lo, hi = self.ylim
        if self.log_y:  # values <= 0 leave gaps (and a marker on the bottom edge)
            ax.set_yscale("log", nonpositive="mask")
        # first: y autoscaling off, so +-1e308 in a line never enters matplotlib's spans
        ax.set_ylim(lo, hi)
        for color, bx, blo, bhi in self.bands:
            ax.fill_between(bx, blo, bhi, color=color, alpha=0.18, linewidth=0)
        for color, y in self.references:
            ax.axhline(y, color=color, linestyle=(0, (5, 3)), linewidth=1.1, zorder=1.5)
        for s in self.series:
            self._draw_series(ax, s, lo, hi)
        format_x(ax, self.x_axis, fontsize=self.font_size, origin=self.step_origin)

    def _draw_series(self, ax: Any, s: Series, lo: float, hi: float) -> None:
        yv = np.where(np.isfinite(s.y), s.y, np.nan)
        if s.x.size == 1 or (s.x.size > 0 and np.count_nonzero(np.isfinite(yv)) == 1):
            ax.plot(s.x, yv, "o", color=s.color, markersize=4)
        elif s.band is not None and s.smoothed is not None:
            bx, blo, bhi = s.band
            if self.log_y:  # a band reaching 0 or below ends at the bottom edge
                blo = np.where(blo > 0, blo, lo)
            ax.fill_between(bx, blo, bhi, color=s.color, alpha=0.2, linewidth=0)
        elif s.smoothed is not None:
            ax.plot(s.x, yv, color=s.color, alpha=0.28, linewidth=1.0, linestyle=s.linestyle)
        else:
            ax.plot(s.x, yv, color=s.color, linewidth=1.4, linestyle=s.linestyle)
        if s.smoothed is not None and s.smoothed_x is not None and s.smoothed_x.size > 1:
            sm = np.where(np.isfinite(s.smoothed), s.smoothed, np.nan)
            ax.plot(s.smoothed_x, sm, color=s.color, linewidth=1.6, linestyle=s.linestyle)
        # Points beyond the robust range are clipped, never hidden: the line runs off
        # the edge, and each run's most extreme point on each side gets a marker.
        finite = np.isfinite(s.y)
        with np.errstate(invalid="ignore"):
            up = finite & (s.y > hi)
            down = finite & (s.y < lo)
        edge = ax.get_xaxis_transform()
        marks: list[tuple[FloatArray, float, str, bool]] = []
        if up.any():
            top = int(np.argmax(s.y[up]))
            marks.append((s.x[up][top : top + 1], 1.0, "^", False))
        if down.any():
            bottom = int(np.argmin(s.y[down]))
            marks.append((s.x[down][bottom : bottom + 1], 0.0, "v", False))
        marks.append((s.posinf_x, 1.0, "^", True))
        marks.append((s.neginf_x, 0.0, "v", True))
        for xs, ypos, marker, filled in marks:
            if xs.size:
                ax.plot(
                    xs,
                    np.full(xs.size, ypos),
                    marker,
                    transform=edge,
                    clip_on=False,
                    color=s.color,
                    markersize=6 if filled else 5,
                    markerfacecolor=s.color if filled else "white",
                    zorder=5,
                )
        if s.nan_x.size:
            ax.plot(
                s.nan_x,
                np.full(s.nan_x.size, 0.04),
                "x",
                transform=edge,
                clip_on=False,
                color=s.color,
                markersize=6,
                markeredgewidth=1.6,
                zorder=5,
            )


@dataclass(frozen=True)
class PreparedLine:
    """A run's series for one tag after :func:`prepare_series`: one :class:`Series` per
    attempt (``segments``; one for a run whose steps never go back)."""

    segments: tuple[Series, ...]
    last_value: float
    last_smoothed: float
    last_step: int
    count: int
    nan: int
    posinf: int
    neginf: int
    raw_values: FloatArray  # every logged value, in logged order (for the y-range)

    @property
    def series(self) -> Series:
        """The first attempt's line (its colour is the run's)."""
        return self.segments[0]

    @property
    def smoothed(self) -> bool:
        """Whether the chart smooths any attempt of this line."""
        return any(s.smoothed is not None for s in self.segments)

    def styled(self, linestyle: str | tuple[float, tuple[float, ...]]) -> PreparedLine:
        """The same line drawn in ``linestyle`` (several tags of one run on a chart)."""
        segs = tuple(dataclasses.replace(s, linestyle=linestyle) for s in self.segments)
        return dataclasses.replace(self, segments=segs)


#: float64 holds every integer up to this exactly; steps beyond it collapse onto each other
EXACT_STEPS = 2**53


def step_origin(steps: Sequence[npt.ArrayLike]) -> int:
    """What a step x-axis counts from: 0, or the first step when the steps lie beyond
    :data:`EXACT_STEPS` and close together (steps 2**63-40 .. 2**63-1 are one float64:
    as steps they would collapse onto one pixel; as ``step - origin`` they are 0 .. 39)."""
    arrays = [np.asarray(s, dtype=np.int64) for s in steps]
    arrays = [a for a in arrays if a.size]
    if not arrays:
        return 0
    lo = min(int(a.min()) for a in arrays)
    hi = max(int(a.max()) for a in arrays)
    if max(-lo, hi) <= EXACT_STEPS or hi - lo > EXACT_STEPS:
        return 0
    return lo


def x_values(
    steps: npt.NDArray[Any],
    wall_times: npt.NDArray[Any],
    x_axis: str,
    start_time: float,
    origin: int = 0,
) -> FloatArray:
    """The x coordinate of each point for ``--x-axis`` (steps counted from ``origin``:
    :func:`step_origin`)."""
    if x_axis == "step":
        if origin:  # exact in int64: every step is within EXACT_STEPS of origin
            return (np.asarray(steps, dtype=np.int64) - np.int64(origin)).astype(np.float64)
        return np.asarray(steps, dtype=np.float64)
    wt = np.asarray(wall_times, dtype=np.float64)
    if x_axis == "relative":
        return (wt - start_time) / 3600.0
    if x_axis == "wall":
        return wt / 86400.0  # matplotlib date numbers: days since 1970-01-01
    raise ValueError(f"x_axis must be one of step, relative, wall; got {x_axis!r}")


def prepare_series(
    steps: npt.ArrayLike,
    wall_times: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    color: str,
    smoothing: float,
    x_axis: str = "step",
    start_time: float | None = None,
    width_px: int = PNG_WIDTH_PX,
    label: str = "",
    always_smooth: bool = False,
    origin: int = 0,
) -> PreparedLine:
    """Every logged point, drawn as TensorBoard draws it: where the steps go back (a
    restart appended without ``purge_step``; :func:`tbreport.metrics.attempt_starts`)
    each attempt is its own line, labelled "attempt 2", ... in a shade of ``color``
    (:func:`tbreport.render.colors.attempt_color`), so nothing zig-zags and nothing is
    hidden. Per attempt: sort by x, smooth (at ``smoothing`` > 0, unless it is a
    schedule or sparse, :func:`tbreport.metrics.needs_smoothing`, and not
    ``always_smooth``), a min–max band instead of the raw points when it is smoothed
    and has more than :data:`DENSE_POINTS` points, split out the non-finite points,
    and downsample for the pixels. Steps are counted from ``origin`` (:func:`step_origin`)."""
    st = np.asarray(steps, dtype=np.int64)
    wt = np.asarray(wall_times, dtype=np.float64)
    va = np.asarray(values, dtype=np.float64)
    t0 = float(wt.min()) if (start_time is None and wt.size) else (start_time or 0.0)
    starts = attempt_starts(st)
    bounds = list(zip(starts.tolist(), [*starts[1:].tolist(), st.size])) or [(0, 0)]
    many = len(bounds) > 1
    segments = []
    last_sm = math.nan
    for k, (a, b) in enumerate(bounds):
        smoothable = always_smooth or needs_smoothing(va[a:b])
        seg, sm = _segment(
            st[a:b],
            wt[a:b],
            va[a:b],
            color=attempt_color(color, k) if many else color,
            label=_attempt_label(label, k + 1 if many else 0),
            smoothing=smoothing if smoothable else 0.0,
            x_axis=x_axis,
            start_time=t0,
            width_px=width_px,
            origin=origin,
        )
        segments.append(dataclasses.replace(seg, smoothable=smoothable))
        if sm is not None and sm.size:
            last_sm = float(sm[-1])
    return PreparedLine(
        segments=tuple(segments),
        last_value=float(va[-1]) if va.size else math.nan,
        last_smoothed=last_sm,
        last_step=int(st[-1]) if st.size else 0,
        count=int(va.size),
        nan=int(np.isnan(va).sum()),
        posinf=int(np.isposinf(va).sum()),
        neginf=int(np.isneginf(va).sum()),
        raw_values=va,
    )


def _attempt_label(label: str, attempt: int) -> str:
    return " · ".join(p for p in (label, f"attempt {attempt}" if attempt else "") if p)


def _segment(
    st: npt.NDArray[np.int64],
    wt: FloatArray,
    va: FloatArray,
    *,
    color: str,
    label: str,
    smoothing: float,
    x_axis: str,
    start_time: float,
    width_px: int,
    origin: int = 0,
) -> tuple[Series, FloatArray | None]:
    """One attempt's :class:`Series` (its steps never go back) and its smoothed values
    in logged order (``None`` when drawn raw)."""
    x = x_values(st, wt, x_axis, start_time, origin)
    sm = smooth(va, smoothing) if smoothing > 0 else None
    if x_axis != "step" and x.size:
        order = np.argsort(x, kind="stable")
        x, va = x[order], va[order]
        sm = None if sm is None else sm[order]
    idx = downsample(x, va, max(1, width_px // 2))  # 2 px per bucket: 4 points keep its extremes
    # the smoothed line changes slowly: the raw line's points (4 per 2 px) draw it exactly
    dense = sm is not None and va.size > DENSE_POINTS
    series = Series(
        color=color,
        x=x[idx],
        y=va[idx],
        smoothed=None if sm is None else sm[idx],
        smoothed_x=None if sm is None else x[idx],
        nan_x=x[np.isnan(va)],
        posinf_x=x[np.isposinf(va)],
        neginf_x=x[np.isneginf(va)],
        label=label,
        band=envelope(x, va, max(1, width_px // BAND_PX)) if dense else None,
    )
    return series, sm


def prepare_for(
    series: ScalarSeries,
    options: BuildOptions,
    *,
    color: str,
    start_time: float | None,
    label: str = "",
    origin: int = 0,
) -> PreparedLine:
    """:func:`prepare_series` of a run's series with the report's options (smoothing,
    ``--always-smooth``, x-axis, and the pixel width of its chart format); steps
    counted from ``origin``."""
    return prepare_series(
        series.steps,
        series.wall_times,
        series.values,
        color=color,
        smoothing=options.smoothing,
        x_axis=options.x_axis,
        start_time=start_time,
        width_px=SVG_WIDTH_PX if options.format == "svg" else PNG_WIDTH_PX,
        label=label,
        always_smooth=bool(options.always_smooth and re.search(options.always_smooth, series.tag)),
        origin=origin,
    )


def y_axis(
    values: Sequence[npt.ArrayLike], log_y: bool | None = None, *, clip_outliers: bool = True
) -> tuple[bool, tuple[float, float]]:
    """(log?, y-range) of a chart of lines with these ``values`` (one array per line).
    ``log_y=None`` chooses: logarithmic when every finite value in the linear range
    (outliers left out) is positive and one line spans at least :data:`tbreport.metrics.LOG_DECADES` decades
    (:func:`tbreport.metrics.spans_decades`); ``True`` forces it (``--log-y``).
    ``clip_outliers=False``: every point in range (``--no-outlier-clip``)."""
    arrays = [np.asarray(v, dtype=np.float64) for v in values]
    lo, hi = robust_range(arrays, ignore_outliers=clip_outliers)
    if log_y is False:
        return False, (lo, hi)
    # the log decision and range leave out what the linear range left out: one 1e30
    # glitch in a loss curve is a marked spike, not thirty decades of axis
    kept = [a[(a >= lo) & (a <= hi)] for a in arrays]
    if log_y is None:
        allk = np.concatenate(kept) if kept else np.empty(0)
        log_y = spans_decades(allk) and any(spans_decades(k) for k in kept)
    if not log_y:
        return False, (lo, hi)
    return True, robust_range(kept, log=True)


def wants_log(tag: str, options: BuildOptions) -> bool | None:
    """``True`` for a tag ``--log-y`` matches, else ``None`` (the chart chooses)."""
    return True if options.log_y and re.search(options.log_y, tag) else None


def line_chart(
    lines: Sequence[PreparedLine],
    *,
    x_axis: str = "step",
    log_y: bool | None = None,
    clip_outliers: bool = True,
    origin: int = 0,
) -> tuple[LineChart, int]:
    """Overlay prepared lines (every attempt of each, steps counted from ``origin``);
    returns the chart and how many finite points lie beyond its y-range (marked on the
    edge). ``log_y``, ``clip_outliers``: see :func:`y_axis`."""
    log, (lo, hi) = y_axis([p.raw_values for p in lines], log_y, clip_outliers=clip_outliers)
    finite = [p.raw_values[np.isfinite(p.raw_values)] for p in lines]
    allv = np.concatenate(finite) if finite else np.empty(0)
    beyond = int(np.count_nonzero((allv < lo) | (allv > hi)))
    spec = LineChart(
        series=tuple(s for p in lines for s in p.segments),
        ylim=(lo, hi),
        x_axis=x_axis,
        log_y=log,
        step_origin=origin,
    )
    return spec, beyond


def run_start_times(runs: Sequence[Run]) -> dict[str, float]:
    """Each run's first wall time over its scalars (``relative`` x-axis origin)."""
    starts: dict[str, float] = {}
    for run in runs:
        firsts = [float(s.wall_times.min()) for s in run.scalars.values() if len(s)]
        starts[run.name] = min(firsts) if firsts else 0.0
    return starts


def with_bands(
    spec: LineChart,
    entries: Sequence[tuple[Run, ScalarSeries]],
    *,
    colors: dict[str, str],
    smoothing: float,
    x_axis: str = "step",
    group_by: str | None = None,
    baseline: str | None = None,
) -> LineChart:
    """``spec`` (a scalar tag's chart) with what comparing runs adds to it: a mean ± std
    band per ``--group-by`` group of at least two runs (in the group's colour), and a
    dashed line at the ``--baseline``'s last value (a run's, or a group's mean); ``spec``
    itself when there is nothing to add.

    The band follows the solid (smoothed) lines on the chart's x-axis.
    """
    if not (group_by or baseline):
        return spec
    by_name = {run.name: (run, series) for run, series in entries if len(series)}
    groups = group_runs(list(by_name), group_by) if group_by else []
    bands = []
    starts = run_start_times([run for run, _ in by_name.values()]) if groups else {}
    for g in groups:
        if len(g.members) < 2:
            continue
        xy = []
        for m in g.members:
            series = by_name[m][1]
            st, va = points(series)
            x = x_values(st, wall_per_step(series), x_axis, starts.get(m, 0.0), spec.step_origin)
            order = np.argsort(x, kind="stable")
            xy.append((x[order], va[order]))
        b = band(xy, smoothing=smoothing)
        if b is not None:
            bx, _, lo, hi = b
            color = colors.get(g.label, colors.get(g.members[0], "#888888"))
            bands.append((color, bx, lo, hi))
    references = []
    if baseline:
        lasts = {name: aggregate(series, "last")[0] for name, (_, series) in by_name.items()}
        ref = baseline_value(baseline, lasts, groups)
        if ref is not None and math.isfinite(ref):
            references.append((colors.get(baseline, "#444444"), ref))
    if not bands and not references:
        return spec
    return dataclasses.replace(
        spec, bands=(*spec.bands, *bands), references=(*spec.references, *references)
    )
