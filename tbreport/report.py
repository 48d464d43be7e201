"""``build_report``: TensorBoard logdirs in, one self-contained offline HTML file out.

Stages, kept apart (as ydata-profiling does): :func:`tbreport.load` gives the data
model; each ``tbreport/render/<kind>.py`` turns it into template data and chart specs;
charts are drawn on all cores while the rest is prepared (:class:`~tbreport.render.charts.ChartPool`);
``templates/report.html.j2`` lays the page out with CSS and JS inlined.

The output depends only on the input and the options, except the build time, which
honours ``SOURCE_DATE_EPOCH`` (reproducible builds): same input, same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import os
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from tbreport.errors import NoRunsFoundError
from tbreport.model import Logdir, Run
from tbreport.options import BuildOptions
from tbreport.render.base import Context, Section

if TYPE_CHECKING:
    from tbreport.gates import Gate

__all__ = ["BuildOptions", "build_report", "render_html"]

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


def build_time() -> float:
    """``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env:
        try:
            return float(int(env))
        except ValueError:
            logger.warning("SOURCE_DATE_EPOCH=%r is not an integer; using the current time", env)
    return time.time()


def _options(options: dict[str, Any]) -> BuildOptions:
    known = {f.name for f in fields(BuildOptions)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"build_report() got unknown option(s): {', '.join(unknown)}")
    opts = BuildOptions(**options)
    opts.validate()
    return opts


def build_report(
    logdirs: PathArg | Sequence[PathArg] | Logdir,
    output: PathArg = "report.html",
    **options: Any,
) -> Path:
    """Read ``logdirs`` (or use a loaded :class:`~tbreport.model.Logdir`) and write one
    offline HTML report to ``output``; returns its path.

    ``options`` are the fields of :class:`BuildOptions` (``title``, ``runs`` and
    ``tags`` regular expressions, ``smoothing``, ``x_axis``, ``format``, ``image_steps``,
    ``jobs``, ``strict``, ``baseline``, ``group_by``, ...) and, as on the command line,
    ``fail_if`` (a gate ``"AGG(TAG) OP NUMBER [@ RUN_REGEX]"`` or a list of them) and
    ``summary_md`` (a path for the markdown summary, ``"-"`` for stdout). Raises
    ``ValueError`` for a bad option (a malformed gate before anything is read),
    :class:`~tbreport.errors.NoRunsFoundError` when there is nothing to report,
    (with ``strict=True``) :class:`~tbreport.errors.TbreportError` for damaged input
    or a missing Graphviz, and :class:`~tbreport.errors.GateFailedError` naming every
    tripped gate (the CLI's exit 3) once the report and the summary are written.
    """
    from tbreport.gates import parse_gate
    from tbreport.reader.load import load

    fail_if = options.pop("fail_if", None) or ()
    summary_md = options.pop("summary_md", None)
    gates = [parse_gate(g) for g in ([fail_if] if isinstance(fail_if, str) else fail_if)]
    opts = _options(options)
    if isinstance(logdirs, Logdir):  # already loaded (the CLI reuses it for gates, summary)
        logdir = logdirs
    else:
        paths = (
            [os.fspath(logdirs)]
            if isinstance(logdirs, (str, os.PathLike))
            else [os.fspath(p) for p in logdirs]
        )
        if not paths:
            raise ValueError("build_report() needs at least one logdir")
        started = time.perf_counter()
        logdir = load(paths[0] if len(paths) == 1 else paths)
        logger.info("read %d runs in %.2f s", len(logdir.runs), time.perf_counter() - started)
    html = render_html(logdir, opts)
    out = Path(os.fspath(output))
    out.parent.mkdir(parents=True, exist_ok=True)
    # write next to the target, then rename: a reader never sees half a report
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=str(out.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(html)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    logger.info("wrote %s (%d bytes)", out, len(html.encode("utf-8")))
    if gates or summary_md:
        _gates_and_summary(logdir, opts, gates, summary_md, out)
    return out


def _gates_and_summary(
    logdir: Logdir,
    opts: BuildOptions,
    gates: Sequence[Gate],
    summary_md: PathArg | None,
    out: Path,
) -> None:
    """``fail_if=`` and ``summary_md=`` of :func:`build_report`, as ``tbreport build``
    does them: gates on the report's runs, the summary, then an error for tripped gates."""
    from tbreport.ci_cli import check_gates, write_summary_md
    from tbreport.errors import GateFailedError

    results = check_gates(gates, logdir, opts.runs)
    if summary_md:
        write_summary_md(
            os.fspath(summary_md),
            logdir,
            results,
            str(out),
            runs=opts.runs,
            title=opts.title,
            tags=opts.tags,
            baseline=opts.baseline,
            group_by=opts.group_by,
        )
    failed = [line for r in results for line in r.messages()]
    if failed:
        raise GateFailedError(failed)


def _select_runs(logdir: Logdir, opts: BuildOptions) -> list[Run]:
    runs = list(logdir.runs.values())
    if opts.runs:
        pattern = re.compile(opts.runs)
        runs = [r for r in runs if pattern.search(r.name)]
    return runs


def _run_rows(runs: Sequence[Run], scalar_tags: Sequence[str]) -> list[RunRow]:
    rows = []
    for run in runs:
        walls: list[float] = []
        for s in run.scalars.values():
            if len(s):
                walls += [float(s.wall_times.min()), float(s.wall_times.max())]
        for m in (run.images, run.histograms, run.texts, run.audio, run.pr_curves, run.tensors):
            for series in m.values():
                if series.points:
                    walls += [
                        min(p.wall_time for p in series.points),
                        max(p.wall_time for p in series.points),
                    ]
        walls = [w for w in walls if math.isfinite(w) and w > 0]
        steps = run.step_range()
        last_values: list[float | None] = []
        for tag in scalar_tags:
            scalar = run.scalars.get(tag)
            last = None
            if scalar is not None and len(scalar):
                # the value at the highest step (the latest write wins), as the chart shows
                top = int(np.flatnonzero(scalar.steps == scalar.steps.max())[-1])
                last = float(scalar.values[top])
            last_values.append(last)
        rows.append(
            RunRow(
                name=run.name,
                color="",
                kinds=list(run.kinds()),
                files=len(run.files),
                damaged=sum(f.damaged for f in run.files),
                first_step=steps[0] if steps else None,
                last_step=steps[1] if steps else None,
                points=run.point_count(),
                start=min(walls) if walls else 0.0,
                duration=(max(walls) - min(walls)) if walls else 0.0,
                last_values=last_values,
            )
        )
    return rows


def _progress(total: int, enabled: bool | None) -> Any:
    if total == 0 or enabled is False:
        return None
    from tqdm import tqdm

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
    from tbreport import __version__
    from tbreport.render import (
        audio,
        custom_scalars,
        graphs,
        histograms,
        hparams,
        images,
        other,
        pr_curves,
        scalars,
        texts,
    )
    from tbreport.render.assets import environment, read_asset
    from tbreport.render.charts import render_chart
    from tbreport.render.markdown import render_markdown
    from tbreport.render.pool import ChartPool

    opts = options if options is not None else _options(kwargs)
    opts.validate()
    where = ", ".join(logdir.paths) or "logdir"
    if not logdir.runs:
        raise NoRunsFoundError(f"{where}: no runs to report")
    if not any(f.records for run in logdir.runs.values() for f in run.files) and not any(
        run.kinds() for run in logdir.runs.values()
    ):
        problems = "; ".join(str(w) for w in logdir.warnings[:3])
        raise NoRunsFoundError(
            f"{where}: event files found, but none holds a readable record"
            + (f" ({problems})" if problems else "")
        )
    if opts.strict and logdir.warnings:
        from tbreport.errors import TbreportError

        first = logdir.warnings[0]
        more = f" (and {len(logdir.warnings) - 1} more)" if len(logdir.warnings) > 1 else ""
        raise TbreportError(f"{first}{more}; --strict makes damaged input an error")
    runs = _select_runs(logdir, opts)
    if not runs:
        raise NoRunsFoundError(
            f"no run matches --runs {opts.runs!r} (runs: {', '.join(logdir.runs)})"
        )
    started = time.perf_counter()
    purged = [r.purged() for r in runs]  # a resumed run drops its overwritten points
    from tbreport.compare import build_comparison, check_report_options, colors_for, decorate_report

    check_report_options(purged, opts)  # an unknown --baseline: ValueError before drawing
    ctx = Context(options=opts, colors=colors_for([r.name for r in runs], opts.group_by))
    # draw charts while the next ones are being prepared (--group-by bands are added to a
    # scalar chart's spec before it is submitted: tbreport.compare.with_bands)
    pool = ChartPool(fmt=opts.format, jobs=opts.jobs)
    ctx.pool = pool

    sections: list[Section] = []
    for result in (
        scalars.build(purged, ctx),
        custom_scalars.build(purged, ctx),
        images.build(purged, ctx),
        audio.build(purged, ctx),
        graphs.build(purged, ctx),
        *histograms.build(purged, ctx),
        texts.build(purged, ctx),
        pr_curves.build(purged, ctx),
        hparams.build(logdir, purged, ctx),
        other.build(purged, ctx),
    ):
        if result is not None:
            sections.append(result)

    decorate_report(sections, purged, ctx)  # legend rows: group mean ± std, baseline deltas
    logger.info(
        "prepared %d sections and %d charts in %.2f s",
        len(sections),
        len(ctx.charts),
        time.perf_counter() - started,
    )
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

    scalar_tags = sorted(
        {t for r in purged for t, s in r.scalars.items() if len(s) and ctx.want_tag(t)}
    )
    rows = _run_rows(purged, scalar_tags)
    for row in rows:
        row.color = ctx.colors[row.name]
    health = [Health(w.path, w.message, w.count) for w in logdir.warnings]
    empty = [r.name for r in runs if not r.kinds()]
    counts = {
        "runs": len(runs),
        "scalar tags": len(scalar_tags),
        "scalar points": sum(len(s) for r in runs for s in r.scalars.values()),
        "images": sum(len(p.images) for r in runs for s in r.images.values() for p in s.points),
        "histograms": sum(len(s) for r in runs for s in r.histograms.values()),
        "texts": sum(len(s) for r in runs for s in r.texts.values()),
        "audio clips": sum(len(p.clips) for r in runs for s in r.audio.values() for p in s.points),
        "graphs": sum(1 for r in runs if r.graph is not None),
    }
    title = opts.title or "TensorBoard report: " + ", ".join(
        os.path.basename(os.path.normpath(p)) or p for p in logdir.paths
    )
    built = build_time()
    from tbreport.fmt import fmt_time

    script = read_asset("report.js")
    # the page's Content-Security-Policy lets only this exact script run
    script_hash = "sha256-" + base64.b64encode(
        hashlib.sha256(("\n" + script + "\n").encode("utf-8")).digest()
    ).decode("ascii")
    env = environment()
    template = env.get_template("report.html.j2")
    html = template.render(
        title=title,
        logdirs=list(logdir.paths),
        version=__version__,
        built_at=fmt_time(built),
        built_epoch=int(built),
        counts=[(k, v) for k, v in counts.items() if v],
        options=opts,
        health=health,
        notes=list(ctx.notes),
        empty_runs=empty,
        filtered_out=len(logdir.runs) - len(runs),
        runs=rows,
        scalar_tags=scalar_tags,
        comparison=build_comparison(
            logdir,
            purged,
            scalar_tags,
            ctx.colors,
            baseline=opts.baseline,
            group_by=opts.group_by,
        ),
        sections=sections,
        style=read_asset("style.css"),
        script=script,
        script_hash=script_hash,
        render_markdown=render_markdown,
    )
    return str(html)
