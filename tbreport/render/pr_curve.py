"""PR curves: per tag, every run's curve at its last step in bold over a few earlier
steps drawn faint; with JavaScript a step slider brings any drawn step to the front.

Thresholds where no example is predicted positive (TP + FP = 0, so precision is
undefined) are dropped from the end of each curve, exactly as TensorBoard's PR-curve
plugin does (:func:`trim`): they would draw a false segment to (0, 0).

The chart is plain SVG (:mod:`tbreport.render.svgplot`) whose ink follows the page's
theme; the curves keep their run colours.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tbreport.model import PrCurvePoint, Run
from tbreport.render.base import Context, Group, Section, group_by_prefix, tagged
from tbreport.render.lines import FloatArray
from tbreport.render.svgplot import Scale, esc, nice_ticks, num, x_axis, y_axis

logger = logging.getLogger(__name__)

#: steps drawn per run: the last, and up to this many earlier ones evenly spaced
EARLIER = 4
#: chart geometry (CSS px)
PR_W, PR_H = 340, 300
PR_LEFT, PR_RIGHT, PR_TOP, PR_BOTTOM = 44, 12, 10, 38


def trim(p: PrCurvePoint) -> int:
    """How many thresholds of ``p`` TensorBoard draws: the trailing thresholds whose
    TP + FP is 0 are cut (``pr_curves_plugin._make_pr_entry``: counts cast to int,
    summed, searched from the end; the first threshold always stays)."""
    tp = np.asarray(p.true_positives, dtype=np.float64)
    fp = np.asarray(p.false_positives, dtype=np.float64)
    n = min(tp.size, fp.size, p.num_thresholds)
    if n == 0:
        return 0
    with np.errstate(invalid="ignore"):
        # int() of a count truncates toward zero, as numpy's astype(int) does; a count
        # that is not finite is never 0 there either
        tp_i = np.where(np.isfinite(tp[:n]), np.trunc(tp[:n]), 1.0)
        fp_i = np.where(np.isfinite(fp[:n]), np.trunc(fp[:n]), 1.0)
    positives = tp_i + fp_i
    end = n - 1
    while end > 0 and positives[end] == 0:
        end -= 1
    return end + 1


def average_precision(p: PrCurvePoint) -> float:
    """Average precision: ``sum((R[k] - R[k-1]) * P[k])`` from the highest threshold down.

    The step-wise definition (as scikit-learn's ``average_precision_score``),
    starting from recall 0: a trapezoid rule over the stored points would drop
    the area left of the first point and reward interpolation between
    thresholds. Only the thresholds TensorBoard draws count (:func:`trim`).
    """
    n = trim(p) if p.true_positives.size else p.num_thresholds
    r = np.asarray(p.recall, dtype=np.float64)[:n][::-1]
    pr = np.asarray(p.precision, dtype=np.float64)[:n][::-1]
    ok = np.isfinite(r) & np.isfinite(pr)
    if not ok.any():
        return math.nan
    r, pr = r[ok], pr[ok]
    gains = np.diff(np.concatenate([[0.0], r]))
    return float(np.sum(np.clip(gains, 0.0, None) * pr))


def curve_points(p: PrCurvePoint) -> tuple[FloatArray, FloatArray]:
    """``(recall, precision)`` of the thresholds TensorBoard draws, finite ones only."""
    n = trim(p) if p.true_positives.size else p.num_thresholds
    r = np.asarray(p.recall, dtype=np.float64)[:n]
    pr = np.asarray(p.precision, dtype=np.float64)[:n]
    ok = np.isfinite(r) & np.isfinite(pr)
    return r[ok], pr[ok]


@dataclass
class Curve:
    run: str
    color: str
    step: int
    recall: FloatArray
    precision: FloatArray
    ap: float
    last: bool


@dataclass
class PrLegend:
    run: str
    color: str
    step: int
    thresholds: int  # thresholds drawn (after trimming)
    logged: int  # thresholds logged
    ap: float
    steps: int


@dataclass
class PrItem:
    tag: str
    anchor: str
    svg: str
    legend: list[PrLegend]
    steps: list[int] = field(default_factory=list)  # the slider's steps (every drawn step)


def _drawn(points: Sequence[PrCurvePoint]) -> list[PrCurvePoint]:
    """The last point and up to :data:`EARLIER` earlier ones, evenly spaced."""
    if len(points) <= EARLIER + 1:
        return list(points)
    n = len(points) - 1
    idx = sorted({round(i * (n - 1) / (EARLIER - 1)) for i in range(EARLIER)} | {n})
    return [points[i] for i in idx]


def pr_svg(curves: Sequence[Curve], label: str) -> str:
    """Every curve on one chart: faint ones first, each run's last step on top."""
    x0, x1 = PR_LEFT, PR_W - PR_RIGHT
    y0, y1 = PR_TOP, PR_H - PR_BOTTOM
    xs = Scale(0.0, 1.0, x0 + 3, x1 - 3)
    ys = Scale(0.0, 1.0, y1 - 3, y0 + 3)
    ticks = nice_ticks(0.0, 1.0, 5)
    parts = [
        f'<svg class="prplot" viewBox="0 0 {PR_W} {PR_H}" width="{PR_W}" height="{PR_H}" '
        f'role="img" aria-label="{esc(label)}">'
    ]
    parts.append(y_axis(ys, x0, ticks, grid=x1))
    parts.append(x_axis(xs, y1, ticks))
    parts.append(
        f'<text class="at" x="{num((x0 + x1) / 2)}" y="{PR_H - 4}" text-anchor="middle">recall</text>'
        f'<text class="at" transform="translate(11 {num((y0 + y1) / 2)}) rotate(-90)" '
        f'text-anchor="middle">precision</text>'
    )
    parts.append('<g class="curves">')
    for c in sorted(curves, key=lambda c: c.last):
        pts = " ".join(
            f"{num(a)} {num(b)}" for a, b in zip(xs.array(c.recall), ys.array(c.precision))
        )
        if not pts:
            continue
        title = f"{c.run} · step {c.step:,} · AP {c.ap:.3f}" if math.isfinite(c.ap) else c.run
        parts.append(
            f'<path class="{"cur" if c.last else "old"}" stroke="{c.color}" '
            f'data-run="{esc(c.run)}" data-step="{c.step}" data-ap="{c.ap:.4g}" '
            f'd="M{pts}"><title>{esc(title)}</title></path>'
        )
    parts.append("</g></svg>")
    return "".join(parts)


def _item(tag: str, pairs: Sequence[tuple[Run, Sequence[PrCurvePoint]]], ctx: Context) -> PrItem:
    curves: list[Curve] = []
    legend: list[PrLegend] = []
    for run, series in pairs:
        pts = sorted(series, key=lambda p: p.step)
        color = ctx.colors[run.name]
        drawn = _drawn(pts)
        for p in drawn:
            r, pr = curve_points(p)
            curves.append(
                Curve(run.name, color, p.step, r, pr, average_precision(p), p is drawn[-1])
            )
        last = pts[-1]
        kept = trim(last) if last.true_positives.size else last.num_thresholds
        legend.append(
            PrLegend(
                run.name,
                color,
                last.step,
                kept,
                last.num_thresholds,
                average_precision(last),
                len(pts),
            )
        )
    steps = sorted({c.step for c in curves})
    return PrItem(
        tag, ctx.anchors.make("pr", tag), pr_svg(curves, f"PR curve of {tag}"), legend, steps
    )


def build(runs: Sequence[Run], ctx: Context) -> Section | None:
    by_tag = tagged(runs, lambda r: r.pr_curves, ctx)
    if not by_tag:
        return None
    section = Section(
        kind="pr_curves",
        title="PR curves",
        anchor="pr-curves",
        template="kinds/pr_curve.html.j2",
        count=len(by_tag),
    )
    for prefix, tags in group_by_prefix(by_tag).items():
        items = [_item(tag, [(run, s.points) for run, s in by_tag[tag]], ctx) for tag in tags]
        section.groups.append(Group(prefix, ctx.anchors.make("pr-curves", prefix), items))
    return section
