"""Custom scalar layouts: the charts a run's layout declares, over every selected run."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import re
import signal
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tbreport.model import Chart, ChartCategory, Run, ScalarSeries
from tbreport.render.base import ChartSlot, Context, Group, Section
from tbreport.render.lines import (
    LineChart,
    PreparedLine,
    Series,
    prepare_for,
    run_start_times,
    step_origin,
    wants_log,
    y_axis,
)
from tbreport.render.scalar import live_payload

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
    live: str = ""  # the live layer's payload element (render/scalar.live_payload)


#: seconds the tag regexes of every layout together may take to match (a layout comes
#: from a log, so a pattern such as ``^(a+)+$`` could otherwise hang the build)
MATCH_TIME_LIMIT = 2.0

_METACHARS = frozenset(".^$*+?{}[]\\|()")


def _is_literal(pattern: str) -> bool:
    """True when searching ``pattern`` as a regex is the same as a substring test."""
    return not _METACHARS.intersection(pattern)


def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _match_worker(conn: Any, compiled: Sequence[re.Pattern[str]], tags: Sequence[str]) -> None:
    """In the forked child: each pattern's matching tag indices, one message per pattern."""
    for i, c in enumerate(compiled):
        conn.send((i, [k for k, tag in enumerate(tags) if c.search(tag)]))
    conn.close()


def _risk(pattern: str) -> int:
    """Quantifiers in a pattern: the likely-harmless ones are tried first."""
    return sum(pattern.count(ch) for ch in "*+?{")


def _match_regexes(
    patterns: Sequence[str], tags: Sequence[str], limit: float
) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """Each regex pattern's matching tags, searched in a forked process under one time
    limit for all of them together.

    Returns ``(matches, left)``: ``left`` maps each pattern that could not be matched as
    a regex to the reason. A pattern that does not compile matches nothing, as before.
    """

    compiled = {p: _compile(p) for p in patterns}
    matches = {p: frozenset[str]() for p, c in compiled.items() if c is None}
    valid = [(p, c) for p, c in compiled.items() if c is not None]
    valid.sort(key=lambda pc: _risk(pc[0]))  # stable: equal risk keeps layout order
    if not valid or not tags:
        matches.update((p, frozenset()) for p, _ in valid)
        return matches, {}
    if not hasattr(os, "fork"):
        why = "there is no time-limited process to match it in on this platform (no fork)"
        return matches, {p: why for p, _ in valid}
    # a bare fork rather than multiprocessing.Process: it also works in a daemonic
    # process (a multiprocessing.Pool worker), and the child runs nothing but the matching
    receiver, sender = multiprocessing.Pipe(duplex=False)
    with warnings.catch_warnings():
        # Python >= 3.12 warns about fork while other threads (the chart pool's) are alive:
        # the child only runs re.search and writes to a pipe, so it takes none of their locks.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            pid = os.fork()
        except OSError as exc:  # out of processes or memory
            receiver.close()
            sender.close()
            why = f"no process could be started to match it in: {exc}"
            return matches, {p: why for p, _ in valid}
    if pid == 0:  # the child
        code = 1
        try:
            receiver.close()
            _match_worker(sender, [c for _, c in valid], tags)
            code = 0
        finally:
            os._exit(code)
    sender.close()
    deadline = time.monotonic() + limit
    done: dict[int, list[int]] = {}
    failed = False
    try:
        while len(done) < len(valid):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not receiver.poll(remaining):
                break
            try:
                i, hits = receiver.recv()
            except EOFError:  # the child died (out of memory?)
                failed = True
                break
            done[i] = hits
    finally:
        receiver.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    for i, (p, _) in enumerate(valid):
        if i in done:
            matches[p] = frozenset(tags[k] for k in done[i])
    left = [p for i, (p, _) in enumerate(valid) if i not in done]
    if failed:
        why = "the process matching it failed"
    else:
        why = f"it took longer than {limit:g} s to match: catastrophic backtracking?"
    return matches, {p: why if k == 0 else "the time limit was used up" for k, p in enumerate(left)}


def _prepare(
    run: Run, tag: str, ctx: Context, starts: dict[str, float], origin: int
) -> PreparedLine:
    color = ctx.colors[run.name]
    return prepare_for(
        run.scalars[tag], ctx.options, color=color, start_time=starts.get(run.name), origin=origin
    )


def _matched(chart: Chart, matches: dict[str, frozenset[str]]) -> list[str]:
    """The tags a multiline chart draws (its patterns' matches), sorted."""
    return sorted(set().union(*(matches.get(t, frozenset()) for t in chart.tags)))


def _origin(
    chart: Chart, runs: Sequence[Run], ctx: Context, matches: dict[str, frozenset[str]]
) -> int:
    """What the chart's step axis counts from (:func:`~tbreport.render.lines.step_origin`):
    over every series it draws, the margin's bounds included."""
    if ctx.options.x_axis != "step":
        return 0
    names = [n for m in chart.margin for n in (m.value, m.lower, m.upper)]
    names = names or _matched(chart, matches)
    return step_origin([run.scalars[n].steps for run in runs for n in names if n in run.scalars])


def _wants_log(chart: Chart, legend: Sequence[CustomLegend], ctx: Context) -> bool | None:
    """``True`` when ``--log-y`` matches the chart's title or one of its tags, else
    ``None`` (the chart chooses; :func:`~tbreport.render.lines.y_axis`)."""
    tags = (chart.title, *(e.tag for e in legend))
    return True if any(wants_log(t, ctx.options) for t in tags) else None


def _chart(
    chart: Chart,
    runs: Sequence[Run],
    ctx: Context,
    starts: dict[str, float],
    matches: dict[str, frozenset[str]],
) -> CustomChart:
    legend: list[CustomLegend] = []
    lines: list[PreparedLine] = []
    live: list[tuple[Run, ScalarSeries, PreparedLine]] = []  # the same lines, for the page
    bands: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []
    origin = _origin(chart, runs, ctx, matches)
    if chart.kind == "margin" or chart.margin:
        patterns = [m.value for m in chart.margin]
        for m in chart.margin:
            for run in runs:
                if m.value not in run.scalars:
                    continue
                p = _prepare(run, m.value, ctx, starts, origin)
                lines.append(p)
                legend.append(CustomLegend(run.name, m.value, p.series.color, p.last_value))
                lo_s, hi_s = run.scalars.get(m.lower), run.scalars.get(m.upper)
                if lo_s is not None and hi_s is not None and len(lo_s) == len(hi_s) and len(lo_s):
                    order = np.argsort(lo_s.steps, kind="stable")
                    bands.append(
                        (
                            p.series.color,
                            (lo_s.steps[order] - np.int64(origin)).astype(np.float64),
                            lo_s.values[order],
                            hi_s.values[np.argsort(hi_s.steps, kind="stable")],
                        )
                    )
    else:
        patterns = list(chart.tags)
        matched = _matched(chart, matches)
        style = {tag: DASHES[i % len(DASHES)] for i, tag in enumerate(matched)}
        for run in runs:
            for tag in matched:
                if tag in run.scalars and len(run.scalars[tag]):
                    p = _prepare(run, tag, ctx, starts, origin)
                    mpl_style, dash = style[tag]
                    p = p.styled(mpl_style)
                    lines.append(p)
                    live.append((run, run.scalars[tag], p))
                    legend.append(CustomLegend(run.name, tag, p.series.color, p.last_value, dash))
    anchor = ctx.anchors.make("custom", chart.title)
    if not lines:
        return CustomChart(chart.title, anchor, None, [], patterns)
    # a margin chart's bands are drawn on a linear axis; the other charts choose
    log, ylim = y_axis(
        [p.raw_values for p in lines],
        False if bands else _wants_log(chart, legend, ctx),
        clip_outliers=not ctx.options.no_outlier_clip,
    )
    series: tuple[Series, ...] = tuple(s for p in lines for s in p.segments)
    spec = LineChart(
        series=series,
        ylim=ylim,
        x_axis=ctx.options.x_axis,
        bands=tuple(bands),
        log_y=log,
        step_origin=origin,
    )
    # a margin chart's bands are the static chart's alone: it stays static (live is empty)
    payload = (
        live_payload(
            chart.title,
            live,
            spec,
            ctx,
            starts,
            labels=[item.tag for item in legend],
            dashes=[item.dash for item in legend],
        )
        if live
        else ""
    )
    slot = ctx.chart(spec, f"chart: {chart.title}")
    return CustomChart(chart.title, anchor, slot, legend, patterns, payload)


def _tag_matches(
    categories: Iterable[ChartCategory], runs: Sequence[Run], ctx: Context
) -> dict[str, frozenset[str]]:
    """Every tag pattern of the layouts (TensorBoard searches them as regexes) mapped to
    the scalar tags it matches, without letting a pathological regex hang the build."""
    charts = [
        ch for cat in categories for ch in cat.charts if not (ch.kind == "margin" or ch.margin)
    ]
    patterns = list(dict.fromkeys(t for ch in charts for t in ch.tags))
    tags = sorted(
        {
            tag
            for run in runs
            for tag, series in run.scalars.items()
            if len(series) and ctx.want_tag(tag)
        }
    )
    matches = {p: frozenset(t for t in tags if p in t) for p in patterns if _is_literal(p)}
    regexes = [p for p in patterns if p not in matches]
    found, left = _match_regexes(regexes, tags, MATCH_TIME_LIMIT)
    matches.update(found)
    for p, reason in left.items():  # the conservative rule: the pattern as literal text
        matches[p] = frozenset(t for t in tags if p in t)
        for ch in charts:
            if p in ch.tags:
                ctx.note(
                    f"Custom scalars: chart {ch.title!r}: tag pattern {p!r} was not used as "
                    f"a regular expression ({reason}); it was matched as literal text instead"
                )
    return matches


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
    matches = _tag_matches(categories.values(), runs, ctx)
    section = Section(
        kind="custom_scalars",
        title="Custom scalars",
        anchor="custom-scalars",
        template="kinds/custom_scalars.html.j2",
    )
    for title, cat in categories.items():
        items = [_chart(ch, runs, ctx, starts, matches) for ch in cat.charts]
        section.groups.append(Group(title, ctx.anchors.make("custom-cat", title), items))
        section.count += len(items)
    return section
