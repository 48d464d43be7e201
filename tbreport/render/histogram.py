"""Histograms (offset / ridgeline over steps) and distributions (percentile bands).

Buckets of any width (legacy ``HistogramProto`` or TF2 ``[k, 3]`` tensors) are re-binned
onto one uniform grid per chart through the cumulative counts, assuming values are
spread evenly inside a bucket (as TensorBoard does). Distributions use TensorBoard's
basis points: the min, the ±1σ/±1.5σ/±2σ-equivalent percentiles and the max.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tbreport.model import HistogramPoint, Run
from tbreport.render.base import ChartSlot, Context, Group, Section, group_by_prefix, tagged
from tbreport.render.charts import axes, format_x
from tbreport.render.lines import FloatArray, x_values

if TYPE_CHECKING:
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

#: TensorBoard's compressed-histogram basis points (per 10,000).
BASIS_POINTS = (0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000)
#: At most this many steps are drawn as ridges (evenly spaced, last included).
MAX_RIDGES = 40
BINS = 60


def _cdf_edges(p: HistogramPoint) -> tuple[FloatArray, FloatArray]:
    """Bucket edges and the cumulative count at each edge."""
    left = np.asarray(p.left, dtype=np.float64)
    right = np.asarray(p.right, dtype=np.float64)
    counts = np.asarray(p.counts, dtype=np.float64)
    if left.size == 0:
        return np.zeros(0), np.zeros(0)
    edges = np.empty(left.size * 2)
    edges[0::2] = left
    edges[1::2] = right
    cum = np.empty(left.size * 2)
    c = np.cumsum(counts)
    cum[1::2] = c
    cum[0::2] = np.r_[0.0, c[:-1]]
    order = np.argsort(edges, kind="stable")
    return edges[order], np.maximum.accumulate(cum[order])


def percentiles(p: HistogramPoint) -> FloatArray:
    """The values at :data:`BASIS_POINTS` (NaN for an empty histogram)."""
    edges, cum = _cdf_edges(p)
    if edges.size == 0 or cum[-1] <= 0:
        return np.full(len(BASIS_POINTS), np.nan)
    targets = np.asarray(BASIS_POINTS, dtype=np.float64) / 10000.0 * cum[-1]
    out = np.interp(targets, cum, edges)
    if np.isfinite(p.minimum):
        out[0] = p.minimum
    if np.isfinite(p.maximum):
        out[-1] = p.maximum
    result: FloatArray = out
    return result


def rebin(p: HistogramPoint, grid: FloatArray) -> FloatArray:
    """Counts of ``p`` on the uniform ``grid`` (edges)."""
    edges, cum = _cdf_edges(p)
    if edges.size == 0:
        return np.zeros(grid.size - 1)
    at = np.interp(grid, edges, cum, left=0.0, right=float(cum[-1]))
    result: FloatArray = np.diff(at)
    return result


def _ends(p: HistogramPoint) -> tuple[float, float] | None:
    """The value range of one histogram: its recorded min/max, else its outer edges
    (legacy TF buckets end at ±DBL_MAX, which would flatten every ridge)."""
    lo = p.minimum if np.isfinite(p.minimum) else (float(np.min(p.left)) if p.left.size else np.nan)
    hi = (
        p.maximum
        if np.isfinite(p.maximum)
        else (float(np.max(p.right)) if p.right.size else np.nan)
    )
    if not (np.isfinite(lo) and np.isfinite(hi)) or max(abs(lo), abs(hi)) > 1e300:
        return None
    return float(lo), float(hi)


def value_range(points: Sequence[HistogramPoint]) -> tuple[float, float]:
    ends = [e for e in (_ends(p) for p in points) if e is not None]
    lo = min((e[0] for e in ends), default=np.nan)
    hi = max((e[1] for e in ends), default=np.nan)
    if not np.isfinite(lo) or not np.isfinite(hi):
        finite = [v for p in points for v in (p.minimum, p.maximum) if np.isfinite(v)]
        lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if hi <= lo:
        pad = abs(lo) * 0.1 or 0.5
        lo, hi = lo - pad, hi + pad
    return lo, hi


def _pick(points: Sequence[HistogramPoint], limit: int) -> list[HistogramPoint]:
    pts = list(points)
    if len(pts) <= limit:
        return pts
    idx = sorted({round(i * (len(pts) - 1) / (limit - 1)) for i in range(limit)})
    return [pts[i] for i in idx]


@dataclass(frozen=True)
class RidgelineChart:
    """TensorBoard's 'offset' histogram mode: one ridge per step, later steps in front."""

    color: str
    steps: tuple[int, ...]
    centers: FloatArray
    densities: tuple[FloatArray, ...]  # per step, normalised to the tallest bin
    size: tuple[float, float] = (6.4, 3.4)

    @property
    def margins(self) -> dict[str, float]:
        return {"left": 0.1, "right": 0.985, "top": 0.96, "bottom": 0.14}

    def draw(self, fig: Figure) -> None:
        from matplotlib.colors import to_rgb  # matplotlib: only when drawing

        ax = axes(fig)
        ax.grid(False)
        base = np.array(to_rgb(self.color))
        n = len(self.steps)
        span = (max(self.steps) - min(self.steps)) if n > 1 else 1
        height = (span / max(n - 1, 1)) * 3.0 if n > 1 else 1.0
        for i in range(n):  # oldest first, so later ridges are drawn in front
            y0 = float(self.steps[i])
            top = y0 - self.densities[i] * height  # peaks point up on the inverted axis
            t = (i + 1) / n
            shade = tuple(base * t + (1 - t) * np.array([0.85, 0.85, 0.85]))
            ax.fill_between(self.centers, y0, top, color="white", zorder=i * 2, linewidth=0)
            ax.plot(self.centers, top, color=shade, linewidth=1.0, zorder=i * 2 + 1)
        if n <= 8:
            ax.set_yticks(list(self.steps))
        ax.invert_yaxis()
        ax.set_ylabel("step", fontsize=8, color="#444444")
        ax.set_xlabel("value", fontsize=8, color="#444444")


@dataclass(frozen=True)
class DistributionChart:
    """Percentile bands over steps (TensorBoard's distributions dashboard)."""

    color: str
    x: FloatArray
    bands: FloatArray  # [steps, 9] values at BASIS_POINTS
    x_axis: str = "step"
    size: tuple[float, float] = (6.4, 3.0)

    def draw(self, fig: Figure) -> None:
        ax = axes(fig)
        b = self.bands
        x = self.x
        if x.size == 1:  # one step: a band as wide as a step, so it can be seen
            x = np.array([x[0] - 0.4, x[0] + 0.4])
            b = np.vstack([b, b])
        for k, alpha in ((0, 0.15), (1, 0.25), (2, 0.35), (3, 0.45)):
            ax.fill_between(x, b[:, k], b[:, 8 - k], color=self.color, alpha=alpha, linewidth=0)
        ax.plot(x, b[:, 4], color=self.color, linewidth=1.4)
        format_x(ax, self.x_axis)


@dataclass
class HistogramItem:
    tag: str
    run: str
    color: str
    anchor: str
    chart: ChartSlot
    shown: int
    total: int
    last_step: int


def build(runs: Sequence[Run], ctx: Context) -> list[Section]:
    """Two sections: histograms and distributions (each per tag, per run)."""
    by_tag = tagged(runs, lambda r: r.histograms, ctx)
    if not by_tag:
        return []
    hist = Section(
        kind="histograms",
        title="Histograms",
        anchor="histograms",
        template="kinds/histogram.html.j2",
        count=len(by_tag),
    )
    dist = Section(
        kind="distributions",
        title="Distributions",
        anchor="distributions",
        template="kinds/histogram_distributions.html.j2",
        count=len(by_tag),
    )
    for prefix, tags in group_by_prefix(by_tag).items():
        h_items, d_items = [], []
        for tag in tags:
            for run, series in by_tag[tag]:
                pts = sorted(series.points, key=lambda p: p.step)
                color = ctx.colors[run.name]
                shown = _pick(pts, MAX_RIDGES)
                lo, hi = value_range(shown)
                grid = np.linspace(lo, hi, BINS + 1)
                dens = [rebin(p, grid) for p in shown]
                peak = max((float(d.max()) for d in dens if d.size), default=0.0) or 1.0
                ridge = RidgelineChart(
                    color=color,
                    steps=tuple(p.step for p in shown),
                    centers=(grid[:-1] + grid[1:]) / 2,
                    densities=tuple(d / peak for d in dens),
                )
                h_items.append(
                    HistogramItem(
                        tag,
                        run.name,
                        color,
                        ctx.anchors.make("hist", tag, run.name),
                        ctx.chart(ridge, f"histograms of {tag}, run {run.name}"),
                        len(shown),
                        len(pts),
                        pts[-1].step,
                    )
                )
                x = np.asarray([p.step for p in pts], dtype=np.float64)
                if ctx.options.x_axis != "step":
                    wt = np.asarray([p.wall_time for p in pts])
                    x = x_values(x, wt, ctx.options.x_axis, float(wt.min()))
                bands = np.vstack([percentiles(p) for p in pts])
                dchart = DistributionChart(color=color, x=x, bands=bands, x_axis=ctx.options.x_axis)
                d_items.append(
                    HistogramItem(
                        tag,
                        run.name,
                        color,
                        ctx.anchors.make("dist", tag, run.name),
                        ctx.chart(dchart, f"distribution of {tag}, run {run.name}"),
                        len(pts),
                        len(pts),
                        pts[-1].step,
                    )
                )
        hist.groups.append(Group(prefix, ctx.anchors.make("histograms", prefix), h_items))
        dist.groups.append(Group(prefix, ctx.anchors.make("distributions", prefix), d_items))
    return [hist, dist]
