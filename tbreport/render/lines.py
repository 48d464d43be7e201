"""Line charts of scalar series: preparing the lines, the y-range, group bands.

Preparing happens in the report's process (vectorised numpy): sort by step, smooth
(:func:`tbreport.metrics.smooth`), split out non-finite points, downsample to what the
pixels can show (:func:`downsample`, which keeps every extreme) and pick a robust
y-range (:func:`robust_range`). The result is a small picklable :class:`LineChart`
spec that :func:`tbreport.render.charts.render_chart` draws, in a worker process.

:func:`with_bands` adds what comparing runs puts on such a chart: a mean ± std band per
``--group-by`` group and a dashed line at the ``--baseline``'s last value. The scalar
section and the e-mail's charts both use it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tbreport.metrics import (
    aggregate,
    band,
    baseline_value,
    group_runs,
    points,
    smooth,
    wall_per_step,
)
from tbreport.model import Run, ScalarSeries
from tbreport.options import BuildOptions
from tbreport.render.charts import LINE_SIZE, axes, format_x

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "OUTLIER_STRETCH",
    "PNG_WIDTH_PX",
    "SVG_WIDTH_PX",
    "LineChart",
    "PreparedLine",
    "Series",
    "downsample",
    "line_chart",
    "prepare_for",
    "prepare_series",
    "robust_range",
    "run_start_times",
    "spikes",
    "with_bands",
    "x_values",
]

FloatArray = npt.NDArray[np.float64]

#: pixel width lines are downsampled for: a PNG chart's plot area is ~560 px; SVG
#: lines stay coarser (every point is markup)
PNG_WIDTH_PX = 560
SVG_WIDTH_PX = 200

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
    values: npt.ArrayLike | Sequence[npt.ArrayLike], *, ignore_outliers: bool = True
) -> tuple[float, float]:
    """The y-range of a chart: every finite value, except isolated spikes.

    ``values``: one series, or a sequence of series (each run's line), each in x order.
    TensorBoard's "ignore outliers" takes the 5th-95th percentiles, which cuts the start
    of every plain loss curve; here a point is left out only when it is a spike
    (:func:`spikes`) and the values beyond the percentiles would stretch the range more
    than :data:`OUTLIER_STRETCH` times. ``ignore_outliers=False``: every finite value.

    Padded by 5 % of the span on each side; a flat or empty series gets a sensible
    non-empty range. Points outside are *not* dropped by the caller: they are drawn as
    markers on the edge of the plot.
    """
    pieces = _pieces(values)
    v = np.concatenate(pieces) if pieces else np.empty(0)
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
    if hi <= lo:
        pad = abs(lo) * 0.1 if lo != 0 else 1.0
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
    x0, x1 = float(xa[0]), float(xa[-1])
    span = x1 - x0
    if not span > 0:
        bucket = np.zeros(n, dtype=np.int64)
    else:
        bucket = np.minimum(((xa - x0) / span * buckets).astype(np.int64), buckets - 1)
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


@dataclass(frozen=True)
class Series:
    """One run's line in a :class:`LineChart`, already smoothed, sorted and downsampled."""

    color: str
    x: FloatArray
    y: FloatArray
    smoothed: FloatArray | None = None
    smoothed_x: FloatArray | None = None
    nan_x: FloatArray = field(default_factory=lambda: np.empty(0))
    posinf_x: FloatArray = field(default_factory=lambda: np.empty(0))
    neginf_x: FloatArray = field(default_factory=lambda: np.empty(0))
    label: str = ""
    # matplotlib line style ("-" or (offset, dashes)): tells several tags of one run apart
    linestyle: str | tuple[float, tuple[float, ...]] = "-"


@dataclass(frozen=True)
class LineChart:
    """Several runs' lines overlaid on one axes (a scalar tag, or a custom-scalar chart)."""

    series: tuple[Series, ...]
    ylim: tuple[float, float]
    x_axis: str = "step"  # step | relative | wall
    size: tuple[float, float] = LINE_SIZE
    bands: tuple[tuple[str, FloatArray, FloatArray, FloatArray], ...] = ()  # (color, x, lo, hi)
    references: tuple[tuple[str, float], ...] = ()  # (color, y): dashed lines (--baseline)

    def draw(self, fig: Figure) -> None:
        ax = axes(fig)
        lo, hi = self.ylim
        # first: y autoscaling off, so +-1e308 in a line never enters matplotlib's spans
        ax.set_ylim(lo, hi)
        for color, bx, blo, bhi in self.bands:
            ax.fill_between(bx, blo, bhi, color=color, alpha=0.18, linewidth=0)
        for color, y in self.references:
            ax.axhline(y, color=color, linestyle=(0, (5, 3)), linewidth=1.1, zorder=1.5)
        faded = any(s.smoothed is not None for s in self.series)
        for s in self.series:
            yv = np.where(np.isfinite(s.y), s.y, np.nan)
            if s.x.size == 1 or (s.x.size > 0 and np.count_nonzero(np.isfinite(yv)) == 1):
                ax.plot(s.x, yv, "o", color=s.color, markersize=4)
            elif faded:
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
                marks.append(
                    (s.x[up][np.argmax(s.y[up]) : np.argmax(s.y[up]) + 1], 1.0, "^", False)
                )
            if down.any():
                marks.append(
                    (s.x[down][np.argmin(s.y[down]) : np.argmin(s.y[down]) + 1], 0.0, "v", False)
                )
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
        format_x(ax, self.x_axis)


@dataclass(frozen=True)
class PreparedLine:
    """A run's series for one tag after :func:`prepare_series` (also used for the legend)."""

    series: Series
    last_value: float
    last_smoothed: float
    last_step: int
    count: int
    nan: int
    posinf: int
    neginf: int
    raw_values: FloatArray  # sorted, deduplicated (for the y-range)


def x_values(
    steps: npt.NDArray[Any], wall_times: npt.NDArray[Any], x_axis: str, start_time: float
) -> FloatArray:
    """The x coordinate of each point for ``--x-axis``."""
    if x_axis == "step":
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
    width_px: int = 560,
    label: str = "",
) -> PreparedLine:
    """Sort by step (a later record at the same step wins, so a resumed run has no
    zig-zag), smooth, split out the non-finite points, and downsample for the pixels."""
    st = np.asarray(steps, dtype=np.int64)
    wt = np.asarray(wall_times, dtype=np.float64)
    va = np.asarray(values, dtype=np.float64)
    if st.size > 1 and not bool(np.all(st[1:] > st[:-1])):
        # keep the last record of each step, ordered by step
        rev = st[::-1]
        _, first_in_rev = np.unique(rev, return_index=True)
        keep = st.size - 1 - first_in_rev  # indices of last occurrences, sorted by step
        st, wt, va = st[keep], wt[keep], va[keep]
    t0 = float(wt.min()) if (start_time is None and wt.size) else (start_time or 0.0)
    x = x_values(st, wt, x_axis, t0)
    if x_axis != "step" and x.size:
        order = np.argsort(x, kind="stable")
        x, st, va = x[order], st[order], va[order]
    sm = smooth(va, smoothing) if smoothing > 0 else None
    nan_mask = np.isnan(va)
    pos = np.isposinf(va)
    neg = np.isneginf(va)
    idx = downsample(x, va, max(1, width_px // 2))  # 2 px per bucket: 4 points keep its extremes
    # the smoothed line changes slowly: the raw line's points (4 per 2 px) draw it exactly
    sidx = None if sm is None else idx
    series = Series(
        color=color,
        x=x[idx],
        y=va[idx],
        smoothed=None if sm is None or sidx is None else sm[sidx],
        smoothed_x=None if sidx is None else x[sidx],
        nan_x=x[nan_mask],
        posinf_x=x[pos],
        neginf_x=x[neg],
        label=label,
    )
    return PreparedLine(
        series=series,
        last_value=float(va[-1]) if va.size else math.nan,
        last_smoothed=float(sm[-1]) if (sm is not None and sm.size) else math.nan,
        last_step=int(st[-1]) if st.size else 0,
        count=int(va.size),
        nan=int(nan_mask.sum()),
        posinf=int(pos.sum()),
        neginf=int(neg.sum()),
        raw_values=va,
    )


def prepare_for(
    series: ScalarSeries, options: BuildOptions, *, color: str, start_time: float | None
) -> PreparedLine:
    """:func:`prepare_series` of a run's series with the report's options (smoothing,
    x-axis, and the pixel width of its chart format)."""
    return prepare_series(
        series.steps,
        series.wall_times,
        series.values,
        color=color,
        smoothing=options.smoothing,
        x_axis=options.x_axis,
        start_time=start_time,
        width_px=SVG_WIDTH_PX if options.format == "svg" else PNG_WIDTH_PX,
    )


def line_chart(
    lines: Sequence[PreparedLine], *, x_axis: str = "step", clip_outliers: bool = True
) -> tuple[LineChart, int]:
    """Overlay prepared lines; returns the chart and how many finite points lie beyond
    its y-range (marked on the edge). ``clip_outliers=False``: every point in range."""
    finite = [p.raw_values[np.isfinite(p.raw_values)] for p in lines]
    allv = np.concatenate(finite) if finite else np.empty(0)
    lo, hi = robust_range(finite, ignore_outliers=clip_outliers)
    beyond = int(np.count_nonzero((allv < lo) | (allv > hi)))
    return LineChart(series=tuple(p.series for p in lines), ylim=(lo, hi), x_axis=x_axis), beyond


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
            x = x_values(st, wall_per_step(series), x_axis, starts.get(m, 0.0))
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
