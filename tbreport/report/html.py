"""``build_report``: TensorBoard logdirs in, one self-contained offline HTML file out.

Stages, kept apart (as ydata-profiling does): :func:`tbreport.load` gives the data
model; :func:`tbreport.select.select` decides what to report (shared with every other
output); each kind's section builder (``tbreport/render/<kind>.py``) turns the runs into
template data and chart specs; charts are drawn on all cores while the rest is prepared
(:class:`~tbreport.render.pool.ChartPool`); ``templates/report.html.j2`` lays the page
out with CSS and JS inlined; :class:`~tbreport.report.output.Output` writes it.

Each part is built apart from the others: a section builder that raises is narrowed
down to the tags (or, for a kind without tags, the runs) it raises on, which become
"could not draw" cards while the rest of the section is built; a chart whose drawing
raises, and a section whose template raises (narrowed down to its items), likewise.
Every failure is a line in the data-health box; the report is written (``--strict``:
then :class:`~tbreport.errors.RenderError`, exit 2).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, TypeVar, Union

from tbreport import __version__, progress
from tbreport.errors import GateFailedError, RenderError, TbreportError
from tbreport.fmt import fmt_time, shown_name
from tbreport.kinds import KINDS
from tbreport.kinds.base import Kind, SectionSpec
from tbreport.metrics import aggregate
from tbreport.model import Logdir, Run
from tbreport.options import BuildOptions
from tbreport.render.assets import environment, page_asset, read_asset
from tbreport.render.base import Context, Failure, Section
from tbreport.render.markdown import render_markdown
from tbreport.render.media import Page
from tbreport.render.pool import ChartPool, Failed, draw_one
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
    page, failed = _render_parts(selection, opts, prefer=[g.tag for g in gates], gates=results)
    logger.debug("writing %s", output.given)
    with output.open_text() as fh:  # media written one at a time (render/media.py)
        size = page.write(fh)
    logger.info("wrote %s (%d bytes)", output.given, size)
    if summary is not None:
        write_summary(selection, summary.given, results, report=output.given, title=opts.title)
    if failed and opts.strict:
        raise RenderError(
            f"{len(failed)} part{'s' if len(failed) != 1 else ''} of the report could not be "
            f"drawn (--strict), first: {failed[0].text}; the report was written to {output.given}"
        )
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
        logdir = load_logdirs(logdirs, progress=opts.progress)
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
            for section in _isolated(kind, spec, selection.runs, ctx):
                if section.anchor in by_anchor:
                    by_anchor[section.anchor].merge(section)
                    continue
                by_anchor[section.anchor] = section
                sections.append(section)
    return sections


Builder = Callable[[Sequence[Run], Context], Union[Section, Sequence[Section], None]]


def _as_list(result: Section | Sequence[Section] | None) -> list[Section]:
    return [] if result is None else [result] if isinstance(result, Section) else list(result)


def _label(kind: Kind) -> str:
    return kind.name.replace("_", " ")


def _isolated(kind: Kind, spec: SectionSpec, runs: Sequence[Run], ctx: Context) -> list[Section]:
    """The sections ``spec`` builds; if it raises, built again without the tags (or
    runs) it raises on, each of them a failure card (the whole section one, when it
    cannot be narrowed down)."""
    mark = ctx.mark()
    try:
        build: Builder = spec.load()
        return _as_list(build(runs, ctx))
    except TbreportError:  # a deliberate error (--strict and a missing Graphviz): the build's
        raise
    except Exception as exc:
        first: Exception = exc
    ctx.undo(mark)
    units = _units(kind, runs, ctx)
    bad: dict[str, Exception] = {}
    if len(units) > 1:
        for name, only in units:
            trial = ctx.mark()
            try:
                with ctx.trial():
                    _narrowed(build, runs, ctx, only=only)
            except Exception as exc:
                bad[name] = exc
            ctx.undo(trial)
    if bad and len(bad) < len(units):
        keep = [only for name, only in units if name not in bad]
        try:
            built = _narrowed(build, runs, ctx, keep=keep)
        except Exception as exc:
            ctx.undo(mark)
            first = exc
        else:
            if built:  # placed in their tags' groups once the key charts have moved out
                built[0].failures += [ctx.failed(n, exc, _label(kind)) for n, exc in bad.items()]
            return built
    return [_failed_section(kind, ctx, ctx.failed(f"the {_label(kind)} section", first))]


#: one unit a failure is narrowed down to: its name and what it keeps (a tag, or a run)
Unit = tuple[str, Union[str, Run]]


def _units(kind: Kind, runs: Sequence[Run], ctx: Context) -> list[Unit]:
    """What a failing builder is tried on one at a time: its kind's tags (those
    ``--tags`` keeps), or the runs for a kind without tags."""
    tags: set[str] = set()
    per_tag = False
    for run in runs:
        series = kind.series(run)
        if series is not None:
            per_tag = True
            tags.update(t for t in series if ctx.want_tag(t))
    if per_tag:
        return [(tag, tag) for tag in sorted(tags)]
    return [(f"the {_label(kind)} of run {run.name}", run) for run in runs if kind.present(run)]


def _narrowed(
    build: Builder,
    runs: Sequence[Run],
    ctx: Context,
    *,
    only: str | Run | None = None,
    keep: Sequence[str | Run] | None = None,
) -> list[Section]:
    """``build`` on one unit (``only``) or on the units in ``keep``."""
    chosen = [only] if only is not None else list(keep or ())
    tags = [u for u in chosen if isinstance(u, str)]
    if tags or not chosen:
        with ctx.tags_limited(only=set(tags)):
            return _as_list(build(runs, ctx))
    kept = {id(u) for u in chosen}
    return _as_list(build([r for r in runs if id(r) in kept], ctx))


def _place(sections: Sequence[Section | None]) -> None:
    """Put each tag's failure card in the group its tag would be in (else it stays atop
    its section)."""
    for section in sections:
        if section is None:
            continue
        groups = {g.title: g for g in section.groups}
        stay: list[Failure] = []
        for failure in section.failures:
            group = groups.get(failure.what.split("/", 1)[0])
            (group.failures if group is not None else stay).append(failure)
        section.failures = stay


def _failed_section(kind: Kind, ctx: Context, failure: Failure) -> Section:
    return Section(
        kind=kind.name,
        title=_label(kind).capitalize(),
        anchor=ctx.anchors.make("failed", kind.name),
        template="",
        failures=[failure],
    )


def _draw(ctx: Context, opts: BuildOptions) -> None:
    """Every chart the sections asked for, drawn (the pool has started on most of them)."""
    pool = ctx.pool
    if pool is None:
        return
    started = time.perf_counter()
    submitted = pool.specs()
    for slot in ctx.charts:
        if slot.index is None:
            slot.index = pool.submit(slot.spec, slot.salt)
    bar = progress.bar("tbreport: drawing", len(ctx.charts), " charts", enabled=opts.progress)
    logger.debug("drawing %d charts", len(ctx.charts))
    try:
        rendered = pool.results((lambda n: bar.update(n)) if bar is not None else None)
    except BaseException:
        progress.discard(bar)  # interrupted: the bar goes, the one line saying so stays
        bar = None
        raise
    finally:
        pool.close()
        if bar is not None:
            bar.close()
    for slot in ctx.charts:
        assert slot.index is not None  # every slot was submitted above
        r = rendered[slot.index]
        if slot.index < len(submitted) and slot.spec is not submitted[slot.index]:
            r = draw_one(slot.spec, opts.format, slot.salt)  # changed after submission
        if isinstance(r, Failed):
            slot.failed = ctx.failed(slot.alt, r)
        else:
            slot.rendered = r
    logger.info("drew %d charts in %.2f s", len(ctx.charts), time.perf_counter() - started)


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
    no_rows: list[RunRow] = []
    script = page_asset("report.js")
    style = page_asset("style.css") + read_asset("verdict.css")
    if ctx.live_charts:  # the live layer of the scalar charts (render/chartdata.py)
        script += read_asset("charts.js")
        style += read_asset("charts.css")
    # the page's Content-Security-Policy lets only this exact script run
    digest = hashlib.sha256(("\n" + script + "\n").encode("utf-8")).digest()
    title = shown_name(
        opts.title
        or "TensorBoard report: "
        + ", ".join(os.path.basename(os.path.normpath(p)) or p for p in logdir.paths)
    )
    return {
        "title": title,
        "logdirs": [shown_name(p) for p in logdir.paths],
        "version": __version__,
        "built_at": fmt_time(selection.built),
        "built_epoch": int(selection.built),
        "counts": _counts(selection),
        "options": opts,
        "health": [  # damage first, then the notes
            Health(w.path, w.message, w.count, w.damage)
            for w in sorted(logdir.warnings, key=lambda w: not w.damage)
        ],
        "notes": ctx.notes,  # the same list: drawing the sections may add to it
        "media_plan": ctx.media_plan,  # what the media budget thinned
        "empty_runs": [r.name for r in selection.raw_runs if not r.kinds()],
        "filtered_out": selection.filtered_out,
        "runs": _guarded(ctx, "the run table", lambda: _run_rows(selection, scalar_tags), no_rows),
        "scalar_tags": scalar_tags,
        "comparison": _guarded(
            ctx, "the run table", lambda: build_comparison(selection, scalar_tags), None
        ),
        "sections": sections,
        "panel": panel,  # the verdict first (tbreport/report/verdict.py)
        "colors": selection.colors,
        "key_section": key_section,
        "restarts": restart_notes(selection),
        "style": style,
        "live_charts": ctx.live_charts,
        "script": script,
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
    return _render_parts(selection, opts, prefer, gates)[0].expand()


T = TypeVar("T")


def _guarded(ctx: Context, what: str, make: Callable[[], T], fallback: T) -> T:
    """``make()``, or ``fallback`` with a failure noted when it raises."""
    try:
        return make()
    except TbreportError:
        raise
    except Exception as exc:
        ctx.failed(what, exc)
        return fallback


def _render_parts(
    selection: Selection,
    opts: BuildOptions,
    prefer: Sequence[str] = (),
    gates: Sequence[GateResult] = (),
) -> tuple[Page, list[Failure]]:
    """The report (its media still placeholders), and every part of it that could not
    be drawn."""

    started = time.perf_counter()
    # charts are drawn while the next ones are being prepared
    ctx = Context(
        options=opts,
        colors=selection.colors,
        pool=ChartPool(fmt=opts.format, jobs=opts.jobs),
        logdir=selection.logdir,
    )
    try:
        ctx.plan_media(selection.runs)  # the media budget, over the whole report
        sections = _sections(selection, ctx)
        panel = _guarded(
            ctx, "the key-metrics panel", lambda: build_panel(selection, prefer), KeyPanel([])
        )
        pending = [(s, s.failures) for s in sections]
        for s in sections:
            s.failures = []
        key_section = _guarded(
            ctx, "the key-metric charts", lambda: key_charts(sections, panel), None
        )
        for s, failures in pending:  # a section the key charts emptied: atop them
            if s in sections or key_section is None:
                s.failures = failures
            else:
                key_section.failures += failures
        _place(sections)
        logger.info(
            "prepared %d sections and %d charts in %.2f s",
            len(sections),
            len(ctx.charts),
            time.perf_counter() - started,
        )
        _draw(ctx, opts)
    except BaseException:  # Ctrl-C (or a bug) while charts are drawn: the workers go now
        if ctx.pool is not None:
            ctx.pool.close(abort=True)
        raise
    finally:
        if ctx.pool is not None:
            ctx.pool.close()
    page = _page(selection, opts, ctx, sections, panel, key_section)
    page["gates"] = list(gates)
    env = environment()
    page["render_markdown"] = render_markdown
    page["runs_table"] = _part_html(env, "compare.html.j2", page, ctx, "the run table")
    for section in sections:
        section.html = _section_html(env, section, page, ctx)
    if key_section is not None:
        key_section.html = _section_html(env, key_section, page, ctx, key=True)
    template = env.get_template("report.html.j2")
    return ctx.media.page(str(template.render(**page))), list(ctx.failures)


def _part_html(env: Any, name: str, page: dict[str, Any], ctx: Context, what: str) -> str:
    """``templates/<name>`` drawn with the page's data, or a failure card."""
    if page.get("comparison") is None:
        return str(Failure(what, "its data could not be prepared").html)
    try:
        return str(env.get_template(name).render(page)).removesuffix("\n")
    except Exception as exc:
        return str(ctx.failed(what, exc).html)


def _section_html(
    env: Any, section: Section, page: dict[str, Any], ctx: Context, key: bool = False
) -> str:
    """One section drawn by its template (``_section.html.j2`` around it). If that
    raises, drawn without the items (or parts) it raises on, each a failure card; the
    whole section one when that does not help."""
    template = env.get_template("_section.html.j2")

    def draw(s: Section) -> str:
        return str(template.render(page, section=s, key=key)).removesuffix("\n")

    try:
        return draw(section)
    except Exception as exc:
        first: Exception = exc
    narrowed = _without_failing(section, draw, ctx)
    if narrowed is not None:
        try:
            return draw(narrowed)
        except Exception as exc:
            first = exc
    failure = ctx.failed(f"the {section.title} section", first)
    bare = replace(section, template="", groups=[], parts=[], failures=[failure])
    try:
        return draw(bare)
    except Exception:  # the page's own markup around it: the card alone
        return str(failure.html)


def _without_failing(
    section: Section, draw: Callable[[Section], str], ctx: Context
) -> Section | None:
    """``section`` without the items and parts its template raises on (each drawn
    alone to find out), their failure cards in their place; ``None`` if every one
    raises, or none does."""
    units = sum(len(g.items) for g in section.groups) + len(section.parts)
    if units < 2:
        return None
    bad: list[tuple[Any, Exception]] = []
    for g in section.groups:
        for item in g.items:
            alone = replace(g, items=[item], failures=[])
            try:
                draw(replace(section, groups=[alone], parts=[], failures=[]))
            except Exception as exc:
                bad.append((item, exc))
    for part in section.parts:
        try:
            draw(replace(section, groups=[], parts=[part], failures=[]))
        except Exception as exc:
            bad.append((part, exc))
    if not bad or len(bad) == units:
        return None
    failing = {id(x) for x, _ in bad}
    cards = {id(x): ctx.failed(_item_name(x, section), exc, section.title) for x, exc in bad}
    failures = list(section.failures)
    groups = []
    for g in section.groups:
        mine = [cards[id(i)] for i in g.items if id(i) in failing]
        items = [i for i in g.items if id(i) not in failing]
        if items:
            groups.append(replace(g, items=items, failures=g.failures + mine))
        else:
            failures += g.failures + mine
    parts = [p for p in section.parts if id(p) not in failing]
    failures += [cards[id(p)] for p in section.parts if id(p) in failing]
    return replace(section, groups=groups, parts=parts, failures=failures)


def _item_name(item: Any, section: Section) -> str:
    """What a failure card calls an item of ``section``: its tag, else its kind of part."""
    tag = getattr(item, "tag", None) or getattr(item, "title", None)
    if isinstance(tag, str) and tag:
        return tag
    template = getattr(item, "template", "")
    if isinstance(template, str) and template:
        return f"the {os.path.basename(template).split('.')[0]} listing"
    return f"an item of {section.title}"
