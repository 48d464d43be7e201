"""Scalars: one chart per tag, every run that has it overlaid, grouped by prefix; under
each chart its legend and what comparing runs adds (group means, baseline deltas).

A tag with at most :data:`tbreport.metrics.VALUE_POINTS` points in every run (a final
test score, an hparams metric, a parameter count) is not a chart: it goes to the
"Single values" section (:func:`build_values`, the kind's second section), its runs
ranked as in the key-metrics panel."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from tbreport.metrics import (
    Delta,
    RunGroup,
    aggregate,
    attempt_count,
    attempt_starts,
    baseline_value,
    delta,
    group_note,
    group_runs,
    is_value_tag,
    mean_std,
    metric_stats,
    nonfinite_members,
    rank,
)
from tbreport.model import Run, ScalarSeries
from tbreport.render.base import ChartSlot, Context, Group, Section, group_by_prefix, tagged
from tbreport.render.chartdata import Line, chart_payload, embed
from tbreport.render.lines import (
    DENSE_POINTS,
    LineChart,
    PreparedLine,
    line_chart,
    prepare_for,
    run_start_times,
    step_origin,
    wants_log,
    with_bands,
)
from tbreport.render.markdown import render_markdown

logger = logging.getLogger(__name__)


@dataclass
class LegendRow:
    run: str
    color: str
    last: float
    last_smoothed: float
    step: int
    count: int
    minimum: float
    maximum: float
    nonfinite: str  # "2 NaN, 1 +inf" or ""
    attempts: int = 1  # stretches where the steps go back (restarts without purge_step)
    parts: list[LegendRow] = field(default_factory=list)  # one per attempt (run = "attempt 2")


@dataclass
class ScalarChart:
    tag: str
    anchor: str
    chart: ChartSlot
    legend: list[LegendRow]
    beyond: int
    description: str  # sanitised HTML
    live: str = ""  # the live layer's payload element (markup), "" for a static-only chart


@dataclass
class GroupLegend:
    """One group's line under a scalar chart: mean ± std of its members' last values."""

    label: str
    color: str
    n: int
    mean: float
    std: float
    delta: Delta | None = None
    total: int = 0  # members in the group (``n`` of them have the tag)
    nonfinite: tuple[str, ...] = ()  # members whose last value is NaN/inf: mean is NaN

    @property
    def note(self) -> str:
        """What the mean covers when that is not simply every member (see :func:`group_note`)."""
        return group_note(self.n, self.total or self.n, self.nonfinite)


@dataclass
class ChartCompare:
    """What a scalar chart's legend adds: group rows and each run's delta to the baseline."""

    groups: list[GroupLegend] = field(default_factory=list)
    deltas: dict[str, Delta] = field(default_factory=dict)
    baseline: str | None = None
    reference: float | None = None  # the baseline's last value (the chart's dashed line)


def chart_compare(
    tag: str, runs: Sequence[Run], groups: Sequence[RunGroup], ctx: Context
) -> ChartCompare:
    """What comparing adds under the chart of ``tag``: the ``--group-by`` groups' mean ±
    std of their members' last values and each run's delta to the ``--baseline``
    (``templates/kinds/scalar_compare_legend.html.j2`` shows it)."""
    baseline = ctx.options.baseline
    info = ChartCompare(baseline=baseline)
    lasts: dict[str, float] = {}
    for run in runs:
        s = run.scalars.get(tag)
        if s is not None and len(s):
            lasts[run.name] = aggregate(s, "last")[0]
    for g in groups:
        members = [m for m in g.members if m in lasts]
        if members:
            values = [lasts[m] for m in members]
            mean, std, n = mean_std(values)
            color = ctx.colors.get(g.label, ctx.colors.get(members[0], "#888888"))
            info.groups.append(
                GroupLegend(
                    g.label,
                    color,
                    n,
                    mean,
                    std,
                    total=len(g.members),
                    nonfinite=nonfinite_members(members, values),
                )
            )
    if baseline is not None:
        base = baseline_value(baseline, lasts, groups)
        info.reference = base if base is not None and math.isfinite(base) else None
        for name, value in lasts.items():
            d = delta(value, base, tag) if name != baseline else None
            if d is not None:
                info.deltas[name] = d
        for gl in info.groups:
            if gl.label != baseline:
                gl.delta = delta(gl.mean, base, tag)
    return info


def _nonfinite(values: npt.NDArray[np.float64]) -> str:
    counts = (
        (int(np.isnan(values).sum()), "NaN"),
        (int(np.isposinf(values).sum()), "+inf"),
        (int(np.isneginf(values).sum()), "-inf"),
    )
    return ", ".join(f"{n} {label}" for n, label in counts if n)


def prepare_lines(
    entries: Sequence[tuple[Run, ScalarSeries]],
    ctx: Context,
    starts: dict[str, float],
    origin: int = 0,
) -> list[tuple[Run, PreparedLine]]:
    return [
        (
            run,
            prepare_for(
                s,
                ctx.options,
                color=ctx.colors[run.name],
                start_time=starts.get(run.name),
                origin=origin,
            ),
        )
        for run, s in entries
    ]


def chart_origin(entries: Sequence[tuple[Run, ScalarSeries]], ctx: Context) -> int:
    """What the step axis of a chart of ``entries`` counts from (:func:`step_origin`)."""
    return step_origin([s.steps for _, s in entries]) if ctx.options.x_axis == "step" else 0


def live_payload(
    title: str,
    lines: Sequence[tuple[Run, ScalarSeries, PreparedLine]],
    spec: LineChart,
    ctx: Context,
    starts: dict[str, float],
    *,
    labels: Sequence[str] = (),
    dashes: Sequence[str] = (),
) -> str:
    """The ``<script type="application/json" class="tbc-data">`` element that makes the
    chart ``spec`` live in the page (``templates/charts.js``): the same lines as the
    static chart, from the same prepared lines (one per attempt where the steps go
    back, "attempt 2" in its shade; smoothed or not; banded or not), over every logged
    point in logged order, with the chart's x-axis, log choice and reference lines. ``""`` (the chart stays static
    only) for a chart with ``--group-by`` bands, which the live layer does not draw, and
    for one whose steps are counted from an origin (:func:`~tbreport.render.lines.step_origin`)."""
    from markupsafe import Markup  # jinja2: only when rendering

    if spec.bands or spec.step_origin:
        # the live layer's steps are the page's float64 numbers: steps beyond 2**53 close
        # together would collapse there; the static chart counts them from its origin
        return ""
    smoothing = ctx.options.smoothing
    live = []
    for i, (run, s, p) in enumerate(lines):
        starts_at = attempt_starts(s.steps).tolist()
        bounds = list(zip(starts_at, [*starts_at[1:], len(s)])) or [(0, 0)]
        for (a, b), seg in zip(bounds, p.segments):
            live.append(
                Line(
                    run.name,
                    seg.color,
                    s.steps[a:b],
                    s.wall_times[a:b],
                    s.values[a:b],
                    label=" · ".join(
                        x for x in (labels[i] if i < len(labels) else "", seg.label) if x
                    ),
                    start_time=starts.get(run.name),
                    # the static chart's choice: a schedule or a sparse series stays raw,
                    # a dense one is a band under its smoothed line
                    smooth=seg.smoothable,
                    band=seg.smoothable and b - a > DENSE_POINTS,
                    dash=dashes[i] if i < len(dashes) else "",
                )
            )
    try:
        payload = chart_payload(
            title,
            live,
            smoothing=smoothing,
            x_axis=spec.x_axis,
            log_y=spec.log_y,  # the log toggle starts as the static chart's y-axis
            references=spec.references,
            clip_outliers=not ctx.options.no_outlier_clip,
        )
    except ValueError as exc:  # a colour or style the layer cannot carry: static only
        ctx.note(f"chart {title!r}: left static, without interaction ({exc})")
        return ""
    ctx.live_charts += 1
    return Markup(embed(payload))


def legend_rows(
    prepared: Sequence[tuple[Run, PreparedLine]], series: Sequence[ScalarSeries] = ()
) -> list[LegendRow]:
    """A legend row per run. With the runs' ``series`` (in the same order), Last, Step,
    Min, Max and Points count every logged point, as the key-metrics panel, the run
    table, the gates and ``tbreport scalars`` do (``last``: the last point logged);
    where the steps go back, a row per attempt follows (``parts``), in its line's
    shade, over that attempt's points."""
    rows = []
    for i, (run, p) in enumerate(prepared):
        if i < len(series):
            s = series[i]
            last, step = aggregate(s, "last") if len(s) else (math.nan, 0)
            row = _row(run.name, p.series.color, s.values, last, step, p.last_smoothed)
            row.attempts = attempt_count(s)
            if row.attempts > 1:
                starts = attempt_starts(s.steps).tolist()
                for k, (a, b) in enumerate(zip(starts, [*starts[1:], len(s)])):
                    seg = p.segments[k] if k < len(p.segments) else p.series
                    sm = (
                        seg.smoothed[-1]
                        if seg.smoothed is not None and seg.smoothed.size
                        else math.nan
                    )
                    part = _row(
                        seg.label or f"attempt {k + 1}",
                        seg.color,
                        s.values[a:b],
                        float(s.values[b - 1]),
                        int(s.steps[b - 1]),
                        float(sm),
                    )
                    row.parts.append(part)
        else:
            row = _row(
                run.name, p.series.color, p.raw_values, p.last_value, p.last_step, p.last_smoothed
            )
        rows.append(row)
    return rows


def _row(
    name: str,
    color: str,
    raw: npt.NDArray[np.float64],
    last: float,
    step: int | None,
    last_smoothed: float,
) -> LegendRow:
    finite = raw[np.isfinite(raw)]
    if not finite.size:  # only ±inf (and NaN): Min/Max are the infinities, not NaN
        finite = raw[~np.isnan(raw)]
    return LegendRow(
        run=name,
        color=color,
        last=last,
        last_smoothed=last_smoothed,
        step=int(step or 0),
        count=int(raw.size),
        minimum=float(finite.min()) if finite.size else math.nan,
        maximum=float(finite.max()) if finite.size else math.nan,
        nonfinite=_nonfinite(raw),
    )


def _split(
    runs: Sequence[Run], ctx: Context
) -> tuple[dict[str, list[tuple[Run, ScalarSeries]]], dict[str, list[tuple[Run, ScalarSeries]]]]:
    """The tags ``--tags`` keeps, as (charts, numbers): a tag of at most two points in
    every run is numbers (:func:`tbreport.metrics.is_value_tag`)."""
    charts: dict[str, list[tuple[Run, ScalarSeries]]] = {}
    numbers: dict[str, list[tuple[Run, ScalarSeries]]] = {}
    for tag, entries in tagged(runs, lambda r: r.scalars, ctx).items():
        value = is_value_tag([len(s) for _, s in entries])
        (numbers if value else charts)[tag] = entries
    return charts, numbers


def build_values(runs: Sequence[Run], ctx: Context) -> Section | None:
    """The "Single values" section: every tag of at most two points per run, its runs
    ranked by their best value (``templates/kinds/scalar_values.html.j2``)."""
    by_tag = _split(runs, ctx)[1]
    if not by_tag:
        return None
    rankings = []
    for tag in sorted(by_tag):
        way = ctx.direction(tag)
        stats = [st for run, s in by_tag[tag] if (st := metric_stats(run.name, s, way=way))]
        rankings.append(rank(tag, stats, way))
    return Section(
        kind="scalar-values",
        title="Single values",
        anchor="single-values",
        template="kinds/scalar_values.html.j2",
        count=len(rankings),
        data={"rankings": rankings, "colors": ctx.colors},
    )


def build(runs: Sequence[Run], ctx: Context) -> Section | None:
    by_tag = _split(runs, ctx)[0]  # the tags of one or two points: build_values
    if not by_tag:
        return None
    starts = run_start_times(runs)
    section = Section(
        kind="scalars",
        title="Scalars",
        anchor="scalars",
        template="kinds/scalar.html.j2",
        count=len(by_tag),
    )
    comparing = bool(ctx.options.baseline or ctx.options.group_by)
    groups = (
        group_runs([r.name for r in runs], ctx.options.group_by) if ctx.options.group_by else []
    )
    compare: dict[str, ChartCompare] = {}
    for prefix, tags in group_by_prefix(by_tag).items():
        items = []
        for tag in tags:
            entries = by_tag[tag]
            origin = chart_origin(entries, ctx)
            prepared = prepare_lines(entries, ctx, starts, origin)
            spec, beyond = line_chart(
                [p for _, p in prepared],
                x_axis=ctx.options.x_axis,
                clip_outliers=not ctx.options.no_outlier_clip,
                log_y=wants_log(tag, ctx.options),
                origin=origin,
            )
            spec = with_bands(  # --group-by bands, --baseline line
                spec,
                entries,
                colors=ctx.colors,
                smoothing=ctx.options.smoothing,
                x_axis=ctx.options.x_axis,
                group_by=ctx.options.group_by,
                baseline=ctx.options.baseline,
            )
            live = live_payload(
                tag, [(r, s, p) for (r, s), (_, p) in zip(entries, prepared)], spec, ctx, starts
            )
            description = next((s.description for _, s in entries if s.description), "")
            if comparing:
                compare[tag] = chart_compare(tag, runs, groups, ctx)
            items.append(
                ScalarChart(
                    tag=tag,
                    anchor=ctx.anchors.make("scalar", tag),
                    chart=ctx.chart(spec, f"chart of {tag}"),
                    legend=legend_rows(prepared, [s for _, s in entries]),
                    beyond=beyond,
                    description=render_markdown(description) if description else "",
                    live=live,
                )
            )
        section.groups.append(Group(prefix, ctx.anchors.make("scalars", prefix), items))
    if comparing:
        section.data["compare"] = compare
    return section
