"""``build_report``: TensorBoard logdirs in, one self-contained offline HTML file out.

Stages, kept apart (as ydata-profiling does): :func:`tbreport.load` gives the data
model; :func:`tbreport.select.select` decides what to report (shared with every other
output); each kind's section builder (``tbreport/render/<kind>.py``) turns the runs into
template data and chart specs; charts are drawn on all cores while the rest is prepared
(:class:`~tbreport.render.pool.ChartPool`); ``templates/report.html.j2`` lays the page
out with CSS and JS inlined; :class:`~tbreport.report.output.Output` writes it.

The output depends only on the input and the options, except the build time, which
honours ``SOURCE_DATE_EPOCH`` (reproducible builds): same input, same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Union

from tbreport import __version__
from tbreport.errors import GateFailedError
from tbreport.fmt import fmt_time
from tbreport.kinds import KINDS
from tbreport.metrics import aggregate
from tbreport.model import Logdir, Run
from tbreport.options import BuildOptions
from tbreport.render.assets import environment, page_asset, read_asset
from tbreport.render.base import Context, Section
from tbreport.render.markdown import render_markdown
from tbreport.render.pool import ChartPool
from tbreport.report.comparison import build_comparison
from tbreport.report.gates import Gate, GateResult, evaluate, failures, parse_gates
from tbreport.report.markdown import write_summary
from tbreport.report.output import Output
from tbreport.report.verdict import KeyPanel, build_panel, key_charts, restart_notes
from tbreport.select import Selection, load_logdirs, select

__all__ = ["BuildOptions", "build", "build_report", "render_html", "select_for"]

logger = logging.getLogger(__name__)

PathArg = Union[str, "os.PathLike[str]"]


@dataclass
class RunRow:
    name: str
    color: str
    kinds: list[str]
    files: int
    damaged: int
    first_step: int | None
    last_step: int | None
    points: int
    start: float
    duration: float
    last_values: list[float | None]


@dataclass
class Health:
    path: str
    message: str
    count: int
    damage: bool = True  # damage (what --strict fails on), else a note


def _options(options: dict[str, Any]) -> BuildOptions:
    known = {f.name for f in fields(BuildOptions)}
    unknown = sorted(set(options) - known)
    if unknown:
        word = "option" if len(unknown) == 1 else "options"
        raise TypeError(f"build_report() got unknown {word}: {', '.join(unknown)}")
    opts = BuildOptions(**options)
    opts.validate()
    return opts


def select_for(logdir: Logdir, opts: BuildOptions) -> Selection:
    """The selection the report's options make (``--runs``, ``--tags``, ...)."""
    return select(
        logdir,
        runs=opts.runs,
        tags=opts.tags,
        baseline=opts.baseline,
        group_by=opts.group_by,
        strict=opts.strict,
        key_metrics=opts.key_metrics,
    )


def build(
    selection: Selection,
    opts: BuildOptions,
    output: Output,
    gates: Sequence[Gate] = (),
    summary: Output | None = None,
) -> list[GateResult]:
    """Write the report of ``selection`` to ``output``, then check ``gates`` on the
    same runs and write the markdown ``summary``; the gates' results (``tbreport build``
    and :func:`build_report` both end here)."""
    results = evaluate(gates, selection.runs)  # checked first: the report shows them too
    html = _render(selection, opts, prefer=[g.tag for g in gates], gates=results)
    output.write_text(html)
    logger.info("wrote %s (%d bytes)", output.given, len(html.encode("utf-8")))
    if summary is not None:
        write_summary(selection, summary.given, results, report=output.given, title=opts.title)
    return results


def build_report(
    logdirs: PathArg | Sequence[PathArg] | Logdir,
    output: PathArg = "report.html",
    **options: Any,
) -> Path:
    """Read ``logdirs`` (or use a loaded :class:`~tbreport.model.Logdir`) and write one
    offline HTML report to ``output`` (``"-"``: standard output); returns its path.

    ``options`` are the fields of :class:`BuildOptions` (``title``, ``runs`` and
    ``tags`` regular expressions, ``smoothing``, ``x_axis``, ``format``, ``image_steps``,
    ``jobs``, ``strict``, ``baseline``, ``group_by``, ...) and, as on the command line,
    ``fail_if`` (a gate ``"AGG(TAG) OP NUMBER [@ RUN_REGEX]"`` or a list of them) and
    ``summary_md`` (a path for the markdown summary, ``"-"`` for stdout). Raises
    :class:`~tbreport.errors.UsageError` (a ``ValueError``) for a bad option and
    :class:`~tbreport.errors.OutputError` for an output that cannot be written (both
    before anything is read),
    :class:`~tbreport.errors.NoRunsFoundError` when there is nothing to report,
    (with ``strict=True``) :class:`~tbreport.errors.DamagedInputError` for damaged
    input and :class:`~tbreport.errors.GraphvizNotFoundError` for a missing Graphviz,
    and :class:`~tbreport.errors.GateFailedError` naming every tripped gate (the CLI's
    exit 3) once the report and the summary are written.
    """
    fail_if = options.pop("fail_if", None) or ()
    summary_md = options.pop("summary_md", None)
    gates = parse_gates(fail_if)
    opts = _options(options)
    out = Output(output)
    summary = Output(summary_md) if summary_md else None
    for o in (out, summary):
        if o is not None:
            o.check()
    if isinstance(logdirs, Logdir):  # already loaded
        logdir = logdirs
    else:
        started = time.perf_counter()
        logdir = load_logdirs(logdirs)
        logger.info("read %d runs in %.2f s", len(logdir.runs), time.perf_counter() - started)
    results = build(select_for(logdir, opts), opts, out, gates, summary)
    failed = failures(results)
    if failed:
        raise GateFailedError(failed)
    return Path(out.given)


def _wall_range(run: Run) -> tuple[float, float] | None:
    walls = [w for s in run.all_series() if (r := s.wall_range()) for w in r]
    walls = [w for w in walls if math.isfinite(w) and w > 0]
    return (min(walls), max(walls)) if walls else None


def _last_value(run: Run, tag: str) -> float | None:
    """The last point logged (see :func:`tbreport.metrics.aggregate`)."""
    scalar = run.scalars.get(tag)
    if scalar is None or not len(scalar):
        return None
    return aggregate(scalar, "last")[0]


def _run_rows(selection: Selection, scalar_tags: Sequence[str]) -> list[RunRow]:
    rows = []
    for run in selection.runs:
        walls = _wall_range(run)
        steps = run.step_range()
        rows.append(
            RunRow(
                name=run.name,
                color=selection.colors.get(run.name, ""),  # none: a run without data
                kinds=list(run.kinds()),
                files=len(run.files),
                damaged=sum(f.damaged for f in run.files),
                first_step=steps[0] if steps else None,
                last_step=steps[1] if steps else None,
                points=run.point_count(),
                start=walls[0] if walls else 0.0,
                duration=(walls[1] - walls[0]) if walls else 0.0,
                last_values=[_last_value(run, tag) for tag in scalar_tags],
            )
        )
    return rows


def _progress(total: int, enabled: bool | None) -> Any:
    if total == 0 or enabled is False:
        return None
    from tqdm import tqdm  # only with a progress bar

    class _Bar(tqdm):  # type: ignore[misc]
        monitor_interval = 0  # no monitor thread: the chart pool may fork

    return _Bar(
        total=total,
        desc="tbreport: charts",
        unit="chart",
        disable=None if enabled is None else False,
        leave=False,
    )


def render_html(logdir: Logdir, options: BuildOptions | None = None, **kwargs: Any) -> str:
    """The report of an already loaded logdir, as a string (see :func:`build_report`)."""
    opts = options if options is not None else _options(kwargs)
    opts.validate()
    return _render(select_for(logdir, opts), opts)


def _sections(selection: Selection, ctx: Context) -> list[Section]:
    """Every section of the page: each kind's builders, in the registry's order; the
    parts of a shared section (the "Other data" listing) merged into one."""
    sections: list[Section] = []
    by_anchor: dict[str, Section] = {}
    for kind in KINDS:
        for spec in kind.sections:
            result = spec.load()(selection.runs, ctx)
            built = [] if result is None else [result] if isinstance(result, Section) else result
            for section in built:
                if section.anchor in by_anchor:
                    by_anchor[section.anchor].merge(section)
                    continue
                by_anchor[section.anchor] = section
                sections.append(section)
    return sections


def _draw(ctx: Context, opts: BuildOptions) -> None:
    """Every chart the sections asked for, drawn (the pool has started on most of them)."""
    from tbreport.render.charts import render_chart  # matplotlib: only when drawing

    pool = ctx.pool
    if pool is None:
        return
    started = time.perf_counter()
    submitted = pool.specs()
    for slot in ctx.charts[len(submitted) :]:
        pool.submit(slot.spec, slot.salt)
    bar = _progress(len(ctx.charts), opts.progress)
    try:
        rendered = pool.results((lambda n: bar.update(n)) if bar is not None else None)
    finally:
        pool.close()
        if bar is not None:
            bar.close()
    for i, (slot, r) in enumerate(zip(ctx.charts, rendered)):
        if i < len(submitted) and slot.spec is not submitted[i]:  # changed after submission
            r = render_chart(slot.spec, opts.format, slot.salt)
        slot.rendered = r
    logger.info("drew %d charts in %.2f s", len(rendered), time.perf_counter() - started)


def _counts(selection: Selection) -> list[tuple[str, int]]:
    """The header's counts, as ``(label, n)`` with the label's plural right."""
    counts = [("run", len(selection.raw_runs))]
    counts += [(label, count(selection)) for kind in KINDS for label, count in kind.counts]
    return [(word if n == 1 else _plural(word), n) for word, n in counts if n]


def describe(selection: Selection) -> str:
    """What a report of ``selection`` holds, for the command line's one success line:
    ``3 runs, 8 scalar tags, 15 images, 1 warning``."""
    parts = [f"{n:,} {label}" for label, n in _counts(selection)]
    warnings = len(selection.logdir.warnings)
    if warnings:
        parts.append(f"{warnings:,} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts)


def _plural(word: str) -> str:
    """``images``, ``meshes``: a label's plural (the kinds' labels are regular nouns)."""
    return word + ("es" if word.endswith(("s", "sh", "ch", "x")) else "s")


def _page(
    selection: Selection,
    opts: BuildOptions,
    ctx: Context,
    sections: list[Section],
    panel: KeyPanel,
    key_section: Section | None,
) -> dict[str, Any]:
    """What ``templates/report.html.j2`` shows, besides the sections."""

    logdir = selection.logdir
    scalar_tags = selection.scalar_tags()
    script = page_asset("report.js")
    style = page_asset("style.css") + read_asset("verdict.css")
    if ctx.live_charts:  # the live layer of the scalar charts (render/chartdata.py)
        script += read_asset("charts.js")
        style += read_asset("charts.css")
    # the page's Content-Security-Policy lets only this exact script run
    digest = hashlib.sha256(("\n" + script + "\n").encode("utf-8")).digest()
    title = opts.title or "TensorBoard report: " + ", ".join(
        os.path.basename(os.path.normpath(p)) or p for p in logdir.paths
    )
    return {
        "title": title,
        "logdirs": list(logdir.paths),
        "version": __version__,
        "built_at": fmt_time(selection.built),
        "built_epoch": int(selection.built),
        "counts": _counts(selection),
        "options": opts,
        "health": [  # damage first, then the notes
            Health(w.path, w.message, w.count, w.damage)
            for w in sorted(logdir.warnings, key=lambda w: not w.damage)
        ],
        "notes": list(ctx.notes),
        "empty_runs": [r.name for r in selection.raw_runs if not r.kinds()],
        "filtered_out": selection.filtered_out,
        "runs": _run_rows(selection, scalar_tags),
        "scalar_tags": scalar_tags,
        "comparison": build_comparison(selection, scalar_tags),
        "sections": sections,
        "panel": panel,  # the verdict first (tbreport/report/verdict.py)
        "colors": selection.colors,
        "key_section": key_section,
        "restarts": restart_notes(selection),
        "style": style,
        "script": script,
        "live_charts": ctx.live_charts,
        "script_hash": "sha256-" + base64.b64encode(digest).decode("ascii"),
    }


def _render(
    selection: Selection,
    opts: BuildOptions,
    prefer: Sequence[str] = (),
    gates: Sequence[GateResult] = (),
) -> str:
    """The report of ``selection`` as a string; ``prefer``: the gated tags (the key
    metrics start with them); ``gates``: the ``--fail-if`` results, shown first."""

    started = time.perf_counter()
    # charts are drawn while the next ones are being prepared
    ctx = Context(
        options=opts,
        colors=selection.colors,
        pool=ChartPool(fmt=opts.format, jobs=opts.jobs),
        logdir=selection.logdir,
    )
    try:
        sections = _sections(selection, ctx)
        panel = build_panel(selection, prefer)
        key_section = key_charts(sections, panel)
        logger.info(
            "prepared %d sections and %d charts in %.2f s",
            len(sections),
            len(ctx.charts),
            time.perf_counter() - started,
        )
        _draw(ctx, opts)
    finally:
        if ctx.pool is not None:
            ctx.pool.close()
    page = _page(selection, opts, ctx, sections, panel, key_section)
    page["gates"] = list(gates)
    template = environment().get_template("report.html.j2")
    return str(template.render(render_markdown=render_markdown, **page))
