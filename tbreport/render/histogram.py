"""Histograms (TensorBoard's offset view, with an overlay toggle) and distributions.

One card per tag with its runs side by side, every run on the tag's one value axis.
Buckets of any width (legacy ``HistogramProto`` or TF2 ``[k, 3]`` tensors) are re-binned
onto one uniform grid per tag through the cumulative counts, assuming values spread
evenly inside a bucket (as TensorBoard does). Buckets with an edge at ±inf or ±DBL_MAX
(TF1's outermost buckets, or a min/max that is itself infinite) are clipped to their
inner edge, and when a few far outliers would squash every ridge into one spike, the
value axis keeps the middle 99 % of the values and the card says what lies beyond.

Histograms are filled ridges, one per step, the oldest at the back (TensorBoard's
colours: the run's colour from brighter to darker). ``templates/kinds/histogram.js``
switches them to the overlay view; without JavaScript the page shows the offset view.
Distributions use TensorBoard's basis points: the min, the ±1σ/±1.5σ/±2σ-equivalent
percentiles and the max, drawn as nested bands around the median.

Both are plain SVG (:mod:`tbreport.render.svgplot`) whose ink follows the page's theme.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from tbreport.fmt import fmt_float
from tbreport.model import HistogramPoint, Run
from tbreport.render.base import Context, Group, Section, group_by_prefix, tagged
from tbreport.render.lines import FloatArray
from tbreport.render.svgplot import (
    MINUS,
    Scale,
    esc,
    hcl_ramp,
    nice_ticks,
    num,
    time_ticks,
    x_axis,
    y_axis,
)

logger = logging.getLogger(__name__)

#: TensorBoard's compressed-histogram basis points (per 10,000).
BASIS_POINTS = (0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000)
#: At most this many steps are drawn as ridges (evenly spaced, first and last included).
MAX_RIDGES = 40
#: At most this many steps make a distribution's bands (evenly spaced, first and last).
MAX_DIST_STEPS = 150
#: bins of the uniform grid (TensorBoard's histogram view uses 30)
BINS = 30
#: an edge this large is a stand-in for infinity (TF1's ±DBL_MAX bucket limits)
HUGE = 1e308
#: the value axis keeps the bulk of the values (the narrowest run of buckets holding
#: this share of every histogram) when the full range is more than STRETCH times wider:
#: a few far values would squash every ridge into a spike (histograms), or every band
#: into a line (distributions, whose min-max band shows far values, so they clip later)
CORE_MASS = 0.98
HIST_STRETCH = 4.0
DIST_STRETCH = 10.0
#: the value axis reaches this share of its span beyond the values on each side
PAD = 0.025
#: the value axis stays inside +-AXIS_LIMIT (a span near 1e308 overflows: the grid, the
#: ticks and the scale all need it finite); buckets beyond are drawn clipped to it
AXIS_LIMIT = 1e307
#: a bucket (or an axis) narrower than this is a point: its density overflows
TINY = 1e-300

# panel geometry (CSS px); TensorBoard's histogram cards are 330 x 235
HIST_W, HIST_H = 300, 220
HIST_LEFT, HIST_RIGHT, HIST_BOTTOM = 12, 52, 24
SLICE = HIST_H / 2.5  # the height of one ridge in the offset view, as TensorBoard's
DIST_W, DIST_H = 300, 200
DIST_LEFT, DIST_RIGHT, DIST_TOP, DIST_BOTTOM = 48, 12, 8, 24
#: a ridge's path lives in a grid of BINS x RIDGE_X by RIDGE_Y units (integers: short paths)
RIDGE_X, RIDGE_Y = 16, 200


# --------------------------------------------------------------------------- buckets


def clean_buckets(p: HistogramPoint) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The buckets as finite ``(left, right, counts)``.

    An edge at ±inf or beyond :data:`HUGE` (TF1's ±DBL_MAX limits) is moved to the
    bucket's other edge, making it a point mass there; a bucket with no finite edge,
    a NaN or negative count, is dropped; a backwards bucket becomes a point mass.
    """
    left = np.asarray(p.left, dtype=np.float64)
    right = np.asarray(p.right, dtype=np.float64)
    counts = np.asarray(p.counts, dtype=np.float64)
    n = min(left.size, right.size, counts.size)
    left, right, counts = left[:n], right[:n], counts[:n]
    ok_l = np.isfinite(left) & (np.abs(left) < HUGE)
    ok_r = np.isfinite(right) & (np.abs(right) < HUGE)
    left = np.where(ok_l, left, right)
    right = np.where(ok_r, right, left)
    keep = (ok_l | ok_r) & np.isfinite(counts) & (counts > 0)
    left, right, counts = left[keep], right[keep], counts[keep]
    right = np.maximum(left, right)
    with np.errstate(over="ignore"):  # -9e307 .. 9e307 is wider than DBL_MAX: not narrow
        narrow = right - left < TINY  # a few subnormals wide: no slope is computable
    right = np.where(narrow, left, right)
    return left, right, counts


def _cdf_edges(p: HistogramPoint) -> tuple[FloatArray, FloatArray]:
    """Bucket edges (sorted) and the cumulative count at each edge."""
    left, right, counts = clean_buckets(p)
    if left.size == 0:
        return np.zeros(0), np.zeros(0)
    order = np.argsort(left, kind="stable")
    left, right, counts = left[order], right[order], counts[order]
    edges = np.empty(left.size * 2)
    edges[0::2] = left
    edges[1::2] = right
    cum = np.empty(left.size * 2)
    c = np.cumsum(counts)
    cum[1::2] = c
    cum[0::2] = np.r_[0.0, c[:-1]]
    order = np.argsort(edges, kind="stable")
    return edges[order], np.maximum.accumulate(cum[order])


def quantiles(p: HistogramPoint, qs: Sequence[float]) -> FloatArray:
    """The values at the fractions ``qs`` of the counts (NaN for an empty histogram)."""
    edges, cum = _cdf_edges(p)
    if edges.size == 0 or cum[-1] <= 0:
        return np.full(len(qs), np.nan)
    out: FloatArray = np.interp(np.asarray(qs, dtype=np.float64) * cum[-1], cum, edges)
    return out


def percentiles(p: HistogramPoint) -> FloatArray:
    """The values at :data:`BASIS_POINTS` (NaN for an empty histogram)."""
    out = quantiles(p, [b / 10000.0 for b in BASIS_POINTS])
    if np.isfinite(out).all():
        if math.isfinite(p.minimum) and abs(p.minimum) < HUGE:
            out[0] = min(p.minimum, out[1])
        if math.isfinite(p.maximum) and abs(p.maximum) < HUGE:
            out[-1] = max(p.maximum, out[-2])
    return out


def rebin(p: HistogramPoint, grid: FloatArray) -> FloatArray:
    """Counts of ``p`` on the uniform ``grid`` (edges); what lies outside is not counted."""
    edges, cum = _cdf_edges(p)
    if edges.size == 0:
        return np.zeros(grid.size - 1)
    with np.errstate(all="ignore"):  # buckets near +-1e307: slopes may overflow
        at = np.interp(grid, edges, cum, left=0.0, right=float(cum[-1]))
        result: FloatArray = np.nan_to_num(np.diff(at), nan=0.0, posinf=0.0, neginf=0.0)
    return result


@dataclass(frozen=True)
class ValueRange:
    """A tag's value axis: ``lo``..``hi``; ``beyond`` the values outside it when clipped."""

    lo: float
    hi: float
    clipped: bool = False
    beyond: tuple[float, float] = (math.nan, math.nan)  # the full extent when clipped
    unbounded: float = 0.0  # values in buckets with no edge inside +-HUGE: not drawn
    outer: float = 0.0  # values in buckets reaching +-HUGE (TF's +-DBL_MAX): at the inner edge
    limited: tuple[float, float] | None = None  # the extent, when beyond +-AXIS_LIMIT

    @property
    def note(self) -> str:
        notes = []
        if self.clipped:
            lo, hi = (fmt_float(v).replace("-", MINUS) for v in self.beyond)
            notes.append(
                f"The value axis holds {CORE_MASS:.0%} of the values or more; a few reach "
                f"{lo} … {hi} and are not drawn."
            )
        elif self.limited:
            lo, hi = (fmt_float(v).replace("-", MINUS) for v in self.limited)
            notes.append(
                f"Values reach {lo} … {hi}; the value axis stops at ±{fmt_float(AXIS_LIMIT)} "
                "and what lies beyond is clipped to its edge."
            )
        if self.outer:
            n = fmt_float(self.outer)
            notes.append(
                f"{n} value{'s' if self.outer != 1 else ''} in buckets reaching ±DBL_MAX "
                "(TensorFlow's outer buckets) clipped to the bucket's inner edge."
            )
        if self.unbounded:
            n = fmt_float(self.unbounded)
            notes.append(
                f"{n} value{'s' if self.unbounded != 1 else ''} at ±inf or beyond "
                f"±{fmt_float(HUGE)} not drawn."
            )
        return " ".join(notes)


def core_interval(p: HistogramPoint, mass: float = CORE_MASS) -> tuple[float, float] | None:
    """The narrowest run of buckets holding ``mass`` of the counts: the bulk of the
    values, with a bucket's edges as the ends (never a value interpolated inside a
    bucket that reaches from 1e20 to 1e300)."""
    left, right, counts = clean_buckets(p)
    if left.size == 0:
        return None
    order = np.argsort(left, kind="stable")
    left, right, counts = left[order], right[order], counts[order]
    reach = np.maximum.accumulate(right)
    cum = np.cumsum(counts)
    before = np.r_[0.0, cum[:-1]]
    need = mass * cum[-1]
    ends = np.searchsorted(cum, before + need * (1 - 1e-12))
    ok = ends < left.size
    if not ok.any():
        return float(left[0]), float(reach[-1])
    starts = np.nonzero(ok)[0]
    widths = reach[ends[ok]] - left[starts]
    best = int(np.argmin(widths))
    return float(left[starts[best]]), float(reach[ends[ok][best]])


def value_range(points: Sequence[HistogramPoint], stretch: float = HIST_STRETCH) -> ValueRange:
    """The value axis of these histograms (see :class:`ValueRange`): their full range,
    or their bulk (:func:`core_interval`) when the full range is ``stretch`` times wider."""
    lows, highs, core_lo, core_hi = [], [], [], []
    unbounded = outer = 0.0
    for p in points:
        unbounded += _unbounded(p)
        outer += _outer(p)
        left, right, _ = clean_buckets(p)
        core = core_interval(p)
        if core is None:
            continue
        lows.append(float(left.min()))
        highs.append(float(right.max()))
        core_lo.append(core[0])
        core_hi.append(core[1])
    if not lows:
        return ValueRange(0.0, 1.0, unbounded=unbounded, outer=outer)
    lo, hi = min(lows), max(highs)
    limited = (lo, hi) if max(abs(lo), abs(hi)) > AXIS_LIMIT else None
    # spans near 1e308 overflow: everything is measured inside +-AXIS_LIMIT
    lo, hi, clo, chi = (
        min(max(v, -AXIS_LIMIT), AXIS_LIMIT) for v in (lo, hi, min(core_lo), max(core_hi))
    )
    clipped = chi > clo and (hi - lo) > stretch * (chi - clo)
    if clipped:
        pad = (chi - clo) * PAD * 2
        beyond = limited or (lo, hi)
        return ValueRange(clo - pad, chi + pad, True, beyond, unbounded, outer)
    if not hi - lo > max(abs(lo), abs(hi)) * 1e-12 + TINY:  # one value, or a few subnormals
        pad = max(abs(lo), abs(hi)) * 0.1
        pad = pad if pad > TINY else 0.5
        return ValueRange(lo - pad, hi + pad, unbounded=unbounded, outer=outer, limited=limited)
    pad = (hi - lo) * PAD
    return ValueRange(lo - pad, hi + pad, unbounded=unbounded, outer=outer, limited=limited)


def _unbounded(p: HistogramPoint) -> float:
    """The count in buckets with no finite edge (values at ±inf), which no axis holds."""
    left = np.asarray(p.left, dtype=np.float64)
    right = np.asarray(p.right, dtype=np.float64)
    counts = np.asarray(p.counts, dtype=np.float64)
    n = min(left.size, right.size, counts.size)
    bad_l = ~(np.isfinite(left[:n]) & (np.abs(left[:n]) < HUGE))
    bad_r = ~(np.isfinite(right[:n]) & (np.abs(right[:n]) < HUGE))
    c = counts[:n]
    return float(c[bad_l & bad_r & np.isfinite(c) & (c > 0)].sum())


def _outer(p: HistogramPoint) -> float:
    """The count in buckets with one edge at or beyond ±HUGE (TF's ±DBL_MAX outer
    buckets) and the other inside: drawn as a point at the inner edge."""
    left = np.asarray(p.left, dtype=np.float64)
    right = np.asarray(p.right, dtype=np.float64)
    counts = np.asarray(p.counts, dtype=np.float64)
    n = min(left.size, right.size, counts.size)
    in_l = np.isfinite(left[:n]) & (np.abs(left[:n]) < HUGE)
    in_r = np.isfinite(right[:n]) & (np.abs(right[:n]) < HUGE)
    far = (np.abs(left[:n]) >= HUGE) & in_r | (np.abs(right[:n]) >= HUGE) & in_l
    c = counts[:n]
    return float(c[far & np.isfinite(c) & (c > 0)].sum())


def pick_indices(n: int, limit: int) -> list[int]:
    """At most ``limit`` of ``range(n)``, evenly spaced, the first and the last included."""
    if n <= limit:
        return list(range(n))
    if limit <= 1:
        return [n - 1]
    return sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)})


def pick(points: Sequence[HistogramPoint], limit: int) -> list[HistogramPoint]:
    """At most ``limit`` points, evenly spaced, the first and the last included."""
    return [points[i] for i in pick_indices(len(points), limit)]


# --------------------------------------------------------------------------- panels


@dataclass
class Panel:
    """One run's picture of a tag."""

    run: str
    color: str
    svg: str
    shown: int
    total: int
    last_step: int


@dataclass
class TagCard:
    """A tag: its runs side by side on one value axis."""

    tag: str
    anchor: str
    panels: list[Panel] = field(default_factory=list)
    note: str = ""


def _step_label(step: int) -> str:
    return f"step {step:,}"


def ridges_svg(points: Sequence[HistogramPoint], color: str, grid: FloatArray, label: str) -> str:
    """The offset view of ``points`` (sorted by step) on the value ``grid``, as SVG."""
    dens = [rebin(p, grid) for p in points]
    highest = max((float(d.max()) for d in dens if d.size), default=0.0)
    peak = highest or 1.0
    steps = [p.step for p in points]
    s0, s1 = min(steps), max(steps)
    x0, x1 = HIST_LEFT, HIST_W - HIST_RIGHT
    base = HIST_H - HIST_BOTTOM
    top = SLICE + 6
    ys = Scale(s0, s1, top, base) if s1 > s0 else Scale(0, 1, base, base)
    sx = (x1 - x0) / (BINS * RIDGE_X)
    overlay_sy = (base - 22) / RIDGE_Y  # room for the axis title above
    sy = SLICE / RIDGE_Y if s1 > s0 else overlay_sy  # one step: as tall as the plot
    parts = [
        f'<svg class="hplot" viewBox="0 0 {HIST_W} {HIST_H}" width="{HIST_W}" height="{HIST_H}" '
        f'role="img" aria-label="{esc(label)}" '
        f'style="--ov:translate({x0}px,{base}px) scale({num(sx, 4)},{num(overlay_sy, 4)})">'
    ]
    parts.append('<g class="rg">')
    for p, d, fill in zip(points, dens, hcl_ramp(color, len(points))):
        heights = np.rint(d / peak * RIDGE_Y).astype(np.int64)
        path = _ridge_path(heights)
        parts.append(
            f'<path color="{fill}" transform="translate({x0} {num(ys(p.step))}) '
            f'scale({num(sx, 4)} {num(sy, 4)})" d="{path}"><title>{_step_label(p.step)}</title></path>'
        )
    parts.append("</g>")
    if highest <= 0:
        parts.append(_empty(x0, x1, base))
    xs = Scale(float(grid[0]), float(grid[-1]), x0, x1)
    parts.append(x_axis(xs, base, nice_ticks(float(grid[0]), float(grid[-1]), 4)))
    if s1 > s0:
        ticks = nice_ticks(s0, s1, 5, integer=True)
        parts.append(y_axis(ys, x1 + 2, ticks, right=True, integer=True, cls="off"))
    else:
        parts.append(
            f'<g class="ax y off"><text x="{x1 + 8}" y="{base}" dy="0.32em">{s0:,}</text></g>'
        )
    counts = Scale(0.0, peak, base, base - overlay_sy * RIDGE_Y)
    parts.append(y_axis(counts, x1 + 2, nice_ticks(0.0, peak, 4), right=True, cls="ov"))
    parts.append(
        f'<text class="at off" x="{HIST_W - 2}" y="{num(top - 14)}" text-anchor="end">step</text>'
        f'<text class="at ov" x="{HIST_W - 2}" y="10" text-anchor="end">count</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _empty(x0: float, x1: float, base: float) -> str:
    """What a picture of histograms holding no value says."""
    return (
        f'<text class="empty" x="{num((x0 + x1) / 2)}" y="{num(base - 40)}" '
        f'text-anchor="middle">no values</text>'
    )


def _ridge_path(heights: npt.NDArray[np.int64]) -> str:
    """A ridge in grid units: up from the baseline at the first bin's centre, through
    every bin's centre, back down at the last (relative moves: a short path)."""
    if heights.size == 0:
        return ""
    half = RIDGE_X // 2
    deltas = np.diff(heights)
    moves = " ".join(f"{RIDGE_X} {-int(v)}" for v in deltas)
    tail = f"l{moves}" if moves else ""
    return f"M{half} 0v{-int(heights[0])}{tail}V0"


def _dist_x(points: Sequence[HistogramPoint], x_axis_name: str, start: float) -> FloatArray:
    if x_axis_name == "relative":
        return (np.asarray([p.wall_time for p in points]) - start) / 3600.0
    if x_axis_name == "wall":
        return np.asarray([p.wall_time for p in points], dtype=np.float64)
    return np.asarray([p.step for p in points], dtype=np.float64)


def distribution_svg(
    bands: FloatArray,
    x: FloatArray,
    color: str,
    yr: ValueRange,
    xr: tuple[float, float],
    x_axis_name: str,
    label: str,
) -> str:
    """Percentile bands (``bands``: [steps, 9] at :data:`BASIS_POINTS`) over ``x``, as SVG."""
    x0, x1 = DIST_LEFT, DIST_W - DIST_RIGHT
    y0, y1 = DIST_TOP, DIST_H - DIST_BOTTOM
    xs = Scale(xr[0], xr[1], x0, x1) if xr[1] > xr[0] else Scale(xr[0] - 1, xr[0] + 1, x0, x1)
    ys = Scale(yr.lo, yr.hi, y1, y0)
    ok = np.isfinite(bands).all(axis=1)
    b, xv = np.clip(bands[ok], yr.lo, yr.hi), x[ok]
    if xv.size == 1:  # one step: a band a sixth of the plot wide, so it can be seen
        xv = np.array([xv[0] - (xs.d1 - xs.d0) / 12, xv[0] + (xs.d1 - xs.d0) / 12])
        b = np.vstack([b, b])
    parts = [
        f'<svg class="dplot" viewBox="0 0 {DIST_W} {DIST_H}" width="{DIST_W}" height="{DIST_H}" '
        f'role="img" aria-label="{esc(label)}">'
    ]
    yt = nice_ticks(yr.lo, yr.hi, 5)
    parts.append(y_axis(ys, x0, yt, grid=x1))
    if x_axis_name == "wall":
        parts.append(_time_axis(xs, y1, xr))
    else:
        integer = x_axis_name == "step"
        xt = nice_ticks(xs.d0, xs.d1, 4, integer=integer)
        parts.append(x_axis(xs, y1, xt, integer=integer))
    if xv.size:
        px = xs.array(xv)
        parts.append(f'<g class="bands" fill="{color}" stroke="none">')
        for k, opacity in ((0, 0.13), (1, 0.22), (2, 0.32), (3, 0.45)):
            lo_y, hi_y = ys.array(b[:, k]), ys.array(b[:, 8 - k])
            pts = [f"{num(a)} {num(c)}" for a, c in zip(px, hi_y)]
            pts += [f"{num(a)} {num(c)}" for a, c in zip(px[::-1], lo_y[::-1])]
            parts.append(f'<path fill-opacity="{opacity}" d="M{"L".join(pts)}Z"/>')
        parts.append("</g>")
        med = " ".join(f"{num(a)} {num(c)}" for a, c in zip(px, ys.array(b[:, 4])))
        parts.append(f'<path class="med" stroke="{color}" d="M{med}"/>')
    else:
        parts.append(_empty(x0, x1, y1))
    parts.append("</svg>")
    return "".join(parts)


def _time_axis(xs: Scale, y: float, xr: tuple[float, float]) -> str:
    parts = ['<g class="ax x">']
    parts.append(f'<line class="dom" x1="{num(xs.r0)}" x2="{num(xs.r1)}" y1="{y}" y2="{y}"/>')
    for t, text in time_ticks(xr[0], xr[1], 3):
        x = num(xs(t))
        parts.append(f'<line x1="{x}" x2="{x}" y1="{y}" y2="{y + 4}"/>')
        parts.append(f'<text x="{x}" y="{y + 15}" text-anchor="middle">{esc(text)}</text>')
    parts.append("</g>")
    return "".join(parts)


# --------------------------------------------------------------------------- sections


def _sections(count: int) -> tuple[Section, Section]:
    hist = Section(
        kind="histograms",
        title="Histograms",
        anchor="histograms",
        template="kinds/histogram.html.j2",
        count=count,
    )
    dist = Section(
        kind="distributions",
        title="Distributions",
        anchor="distributions",
        template="kinds/histogram_distributions.html.j2",
        count=count,
    )
    return hist, dist


def _tag_cards(
    tag: str, pairs: Sequence[tuple[Run, Sequence[HistogramPoint]]], ctx: Context
) -> tuple[TagCard, TagCard]:
    """The histogram and distribution cards of one tag: every run on one value axis."""
    series = [(run, sorted(pts, key=lambda p: p.step)) for run, pts in pairs]
    shown = {run.name: pick(pts, MAX_RIDGES) for run, pts in series}
    everything = [p for _, pts in series for p in pts]
    hr = value_range(everything, HIST_STRETCH)
    dr = value_range(everything, DIST_STRETCH)
    grid = np.linspace(hr.lo, hr.hi, BINS + 1)
    hist = TagCard(tag, ctx.anchors.make("hist", tag), note=hr.note)
    dist = TagCard(tag, ctx.anchors.make("dist", tag), note=dr.note)
    x_name = ctx.options.x_axis if ctx.options.x_axis in ("step", "relative", "wall") else "step"
    xs = {}
    for run, pts in series:
        start = min(p.wall_time for p in pts)
        xs[run.name] = _dist_x(pts, x_name, start)
    finite = np.concatenate([v[np.isfinite(v)] for v in xs.values()])
    xr = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    for run, pts in series:
        color = ctx.colors[run.name]
        drawn = shown[run.name]
        hist.panels.append(
            Panel(
                run.name,
                color,
                ridges_svg(drawn, color, grid, f"histograms of {tag}, run {run.name}"),
                len(drawn),
                len(pts),
                pts[-1].step,
            )
        )
        idx = pick_indices(len(pts), MAX_DIST_STEPS)
        few = [pts[i] for i in idx]
        bands = np.vstack([percentiles(p) for p in few])
        svg = distribution_svg(
            bands,
            xs[run.name][idx],
            color,
            dr,
            xr,
            x_name,
            f"distribution of {tag}, run {run.name}",
        )
        dist.panels.append(Panel(run.name, color, svg, len(few), len(pts), pts[-1].step))
    return hist, dist


def build(runs: Sequence[Run], ctx: Context) -> list[Section]:
    """Two sections: histograms and distributions (a card per tag, its runs side by side)."""
    by_tag = tagged(runs, lambda r: r.histograms, ctx)
    if not by_tag:
        return []
    hist, dist = _sections(len(by_tag))
    for prefix, tags in group_by_prefix(by_tag).items():
        h_items, d_items = [], []
        for tag in tags:
            h, d = _tag_cards(tag, [(run, s.points) for run, s in by_tag[tag]], ctx)
            h_items.append(h)
            d_items.append(d)
        hist.groups.append(Group(prefix, ctx.anchors.make("histograms", prefix), h_items))
        dist.groups.append(Group(prefix, ctx.anchors.make("distributions", prefix), d_items))
    return [hist, dist]


__all__ = [
    "BASIS_POINTS",
    "Panel",
    "TagCard",
    "ValueRange",
    "build",
    "clean_buckets",
    "core_interval",
    "distribution_svg",
    "percentiles",
    "pick",
    "pick_indices",
    "quantiles",
    "rebin",
    "ridges_svg",
    "value_range",
]
