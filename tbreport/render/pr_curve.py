"""PR curves: per tag, every run's last curve (earlier steps faded behind it)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tbreport.model import PrCurvePoint, Run
from tbreport.render.base import ChartSlot, Context, Group, Section, group_by_prefix, tagged
from tbreport.render.charts import axes
from tbreport.render.lines import FloatArray

if TYPE_CHECKING:
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

#: Earlier steps drawn faded behind the last one.
EARLIER = 4


@dataclass(frozen=True)
class PrChart:
    curves: tuple[tuple[str, FloatArray, FloatArray, bool], ...]  # color, recall, precision, last
    size: tuple[float, float] = (5.0, 3.6)

    @property
    def margins(self) -> dict[str, float]:
        return {"left": 0.12, "right": 0.98, "top": 0.96, "bottom": 0.14}

    def draw(self, fig: Figure) -> None:
        ax = axes(fig)
        for color, recall, precision, last in self.curves:
            ax.plot(
                recall,
                precision,
                color=color,
                linewidth=1.6 if last else 0.9,
                alpha=1.0 if last else 0.3,
                drawstyle="default",
            )
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("recall", fontsize=8, color="#444444")
        ax.set_ylabel("precision", fontsize=8, color="#444444")


def average_precision(p: PrCurvePoint) -> float:
    """Average precision: ``sum((R[k] - R[k-1]) * P[k])`` from the highest threshold down.

    The step-wise definition (as scikit-learn's ``average_precision_score``),
    starting from recall 0: a trapezoid rule over the stored points would drop
    the area left of the first point and reward interpolation between
    thresholds.
    """
    r = np.asarray(p.recall, dtype=np.float64)[::-1]
    pr = np.asarray(p.precision, dtype=np.float64)[::-1]
    ok = np.isfinite(r) & np.isfinite(pr)
    if not ok.any():
        return math.nan
    r, pr = r[ok], pr[ok]
    gains = np.diff(np.concatenate([[0.0], r]))
    return float(np.sum(np.clip(gains, 0.0, None) * pr))


@dataclass
class PrLegend:
    run: str
    color: str
    step: int
    thresholds: int
    ap: float
    steps: int


@dataclass
class PrItem:
    tag: str
    anchor: str
    chart: ChartSlot
    legend: list[PrLegend]


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
        items = []
        for tag in tags:
            curves = []
            legend = []
            for run, series in by_tag[tag]:
                pts = sorted(series.points, key=lambda p: p.step)
                color = ctx.colors[run.name]
                for p in pts[-EARLIER - 1 : -1]:
                    curves.append((color, np.asarray(p.recall), np.asarray(p.precision), False))
                last = pts[-1]
                curves.append((color, np.asarray(last.recall), np.asarray(last.precision), True))
                legend.append(
                    PrLegend(
                        run.name,
                        color,
                        last.step,
                        last.num_thresholds,
                        average_precision(last),
                        len(pts),
                    )
                )
            # faded curves first, every run's last curve on top
            curves.sort(key=lambda c: c[3])
            items.append(
                PrItem(
                    tag,
                    ctx.anchors.make("pr", tag),
                    ctx.chart(PrChart(tuple(curves)), f"PR curve of {tag}"),
                    legend,
                )
            )
        section.groups.append(Group(prefix, ctx.anchors.make("pr-curves", prefix), items))
    return section
