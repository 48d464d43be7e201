"""Custom scalar layouts: the charts a run's layout declares, over every selected run."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tbreport.model import Chart, ChartCategory, Run
from tbreport.render.base import ChartSlot, Context, Group, Section
from tbreport.render.charts import LineChart, PreparedLine, Series, prepare_series, robust_range
from tbreport.render.scalars import PNG_WIDTH_PX, SVG_WIDTH_PX, run_start_times

logger = logging.getLogger(__name__)


@dataclass
class CustomLegend:
    run: str
    tag: str
    color: str
    last: float
    dash: str = ""  # SVG stroke-dasharray of the tag's line style ("" = solid)


#: line styles for the tags of one chart (matplotlib style, SVG dasharray for the legend)
DASHES = (
    ("-", ""),
    ((0, (5, 2)), "5 2"),
    ((0, (1, 1.5)), "1.5 2"),
    ((0, (6, 2, 1.5, 2)), "6 2 1.5 2"),
)


@dataclass
class CustomChart:
    title: str
    anchor: str
    chart: ChartSlot | None
    legend: list[CustomLegend]
    patterns: list[str]


def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _prepare(run: Run, tag: str, ctx: Context, starts: dict[str, float]) -> PreparedLine:
    s = run.scalars[tag]
    return prepare_series(
        s.steps,
        s.wall_times,
        s.values,
        color=ctx.colors[run.name],
        smoothing=ctx.options.smoothing,
        x_axis=ctx.options.x_axis,
        start_time=starts.get(run.name),
        width_px=SVG_WIDTH_PX if ctx.options.format == "svg" else PNG_WIDTH_PX,
    )


def _chart(
    chart: Chart, runs: Sequence[Run], ctx: Context, starts: dict[str, float]
) -> CustomChart:
    legend: list[CustomLegend] = []
    lines: list[PreparedLine] = []
    bands: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []
    if chart.kind == "margin" or chart.margin:
        patterns = [m.value for m in chart.margin]
        for m in chart.margin:
            for run in runs:
                if m.value not in run.scalars:
                    continue
                p = _prepare(run, m.value, ctx, starts)
                lines.append(p)
                legend.append(CustomLegend(run.name, m.value, p.series.color, p.last_value))
                lo_s, hi_s = run.scalars.get(m.lower), run.scalars.get(m.upper)
                if lo_s is not None and hi_s is not None and len(lo_s) == len(hi_s) and len(lo_s):
                    order = np.argsort(lo_s.steps, kind="stable")
                    bands.append(
                        (
                            p.series.color,
                            lo_s.steps[order].astype(np.float64),
                            lo_s.values[order],
                            hi_s.values[np.argsort(hi_s.steps, kind="stable")],
                        )
                    )
    else:
        patterns = list(chart.tags)
        compiled = [c for c in (_compile(t) for t in chart.tags) if c is not None]
        matched = sorted(
            {
                tag
                for run in runs
                for tag, series in run.scalars.items()
                if len(series) and ctx.want_tag(tag) and any(c.search(tag) for c in compiled)
            }
        )
        style = {tag: DASHES[i % len(DASHES)] for i, tag in enumerate(matched)}
        for run in runs:
            for tag in matched:
                if tag in run.scalars and len(run.scalars[tag]):
                    p = _prepare(run, tag, ctx, starts)
                    mpl_style, dash = style[tag]
                    p = dataclasses.replace(
                        p,
                        series=dataclasses.replace(p.series, linestyle=mpl_style),
                    )
                    lines.append(p)
                    legend.append(CustomLegend(run.name, tag, p.series.color, p.last_value, dash))
    anchor = ctx.anchors.make("custom", chart.title)
    if not lines:
        return CustomChart(chart.title, anchor, None, [], patterns)
    values = np.concatenate([p.raw_values for p in lines])
    series: tuple[Series, ...] = tuple(p.series for p in lines)
    spec = LineChart(
        series=series, ylim=robust_range(values), x_axis=ctx.options.x_axis, bands=tuple(bands)
    )
    return CustomChart(
        chart.title, anchor, ctx.chart(spec, f"chart: {chart.title}"), legend, patterns
    )


def build(runs: Sequence[Run], ctx: Context) -> Section | None:
    categories: dict[str, ChartCategory] = {}
    for run in runs:
        layout = run.custom_scalar_layout
        if layout is None:
            continue
        for cat in layout.categories:
            categories.setdefault(cat.title, cat)
    if not categories:
        return None
    starts = run_start_times(runs)
    section = Section(kind="custom_scalars", title="Custom scalars", anchor="custom-scalars")
    for title, cat in categories.items():
        items = [_chart(ch, runs, ctx, starts) for ch in cat.charts]
        section.groups.append(Group(title, ctx.anchors.make("custom-cat", title), items))
        section.count += len(items)
    return section
