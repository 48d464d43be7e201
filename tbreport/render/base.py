"""What every section builder shares: the render context, sections, chart slots.

A kind's section builder (``tbreport/render/<module>.py``, named in its registry entry,
:data:`tbreport.kinds.KINDS`) is a function ``build(runs, ctx)`` returning a
:class:`Section` (or several, or ``None``). It turns model data into plain template
data, asks the context for charts (``ctx.chart(spec)``, drawn later, all at once, on
every core) and names its template ``kinds/<module>.html.j2``. A kind the report lists
without drawing adds a :class:`Part` to the shared "Other data" section (:func:`listing`).

One part that fails never costs the rest: the report turns whatever raised (a builder
for one tag, a chart's drawing, a template) into a :class:`Failure`, a visible "could
not draw TAG: reason" card in its place and a line in the data-health box
(:meth:`Context.failed`); ``tbreport/report/html.py`` narrows a failing builder down to
the tags (or runs) it fails on.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import re
import traceback
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from tbreport.metrics import metric_direction
from tbreport.model import Logdir, MetricInfo, Run
from tbreport.options import BuildOptions
from tbreport.render.assets import Anchors
from tbreport.render.charts import ChartSpec, Rendered
from tbreport.render.media import MediaStore, Plan, plan
from tbreport.render.pool import ChartPool, Failed, reason_of

logger = logging.getLogger(__name__)


@dataclass
class Failure:
    """A part of the report that could not be drawn: ``what`` (a tag, "the chart of
    TAG", "the graph of run X") and ``reason`` (one line)."""

    what: str
    reason: str

    @property
    def text(self) -> str:
        return f"could not draw {self.what}: {self.reason}"

    @property
    def html(self) -> str:
        """The card shown in the part's place (everything from logs escaped)."""
        from markupsafe import Markup, escape  # jinja2: only when rendering

        return Markup(
            '<div class="failed" role="note"><b>could not draw</b> '
            f"<bdi>{escape(self.what)}</bdi>: <span>{escape(self.reason)}</span></div>"
        )


@dataclass
class ChartSlot:
    """A chart to draw; ``rendered`` is filled in once every chart has been drawn, or
    ``failed`` when drawing it raised (:meth:`Context.chart_failed`)."""

    spec: ChartSpec
    salt: str
    rendered: Rendered | None = None
    alt: str = "chart"  # text for screen readers and broken images
    failed: Failure | None = None
    index: int | None = None  # its place in the pool's results (None: not submitted yet)

    @property
    def html(self) -> str:
        """Markup for the template (inline SVG, or an ``<img>`` with a data URI; the
        failure card when it could not be drawn)."""
        from markupsafe import Markup, escape  # jinja2: only when rendering

        if self.failed is not None:
            return self.failed.html
        r = self.rendered
        if r is None:
            return ""
        if r.svg:
            return Markup(
                f'<div class="svgchart" role="img" aria-label="{escape(self.alt)}">{r.svg}</div>'
            )
        size = f'width="{r.width}" height="{r.height}" alt="{escape(self.alt)}"'
        if not r.dark_uri:
            return Markup(f'<img class="chart" src="{escape(r.data_uri)}" {size}>')
        # Its dark twin shows on a dark screen only (style.css): printed, the page is
        # light paper. Not a <picture>: Chromium prints the source it chose for the
        # screen, dark (print media does not pick its sources again); CSS it does apply.
        return Markup(
            f'<img class="chart lt" src="{escape(r.data_uri)}" {size}>'
            f'<img class="chart-dark" src="{escape(r.dark_uri)}" {size}>'
        )


@dataclass
class Context:
    """Shared state of one build: options, run colours, anchors, charts, notes."""

    options: BuildOptions
    colors: dict[str, str]
    anchors: Anchors = field(default_factory=Anchors)
    charts: list[ChartSlot] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # build-time problems for the health box
    pool: ChartPool | None = None  # draws charts as they are asked for (else: all at the end)
    logdir: Logdir | None = None  # the whole logdir (hparams experiments live in parent runs)
    live_charts: int = 0  # charts with a live layer (the page then carries charts.js)
    failures: list[Failure] = field(default_factory=list)  # every part that could not be drawn
    media: MediaStore = field(default_factory=MediaStore)  # the page's images and audio
    media_plan: Plan | None = None  # the steps each media tag keeps (render/media.py)
    _tag_re: re.Pattern[str] | None = None
    _declared: dict[str, MetricInfo] | None = None
    _only: Collection[str] | None = None  # while narrowing a failure down: these tags only
    _skip: Collection[str] = ()  # ... or every tag but these

    def __post_init__(self) -> None:
        if self.options.tags:
            self._tag_re = re.compile(self.options.tags)

    def chart(self, spec: ChartSpec, alt: str = "chart") -> ChartSlot:
        slot = ChartSlot(spec=spec, salt=f"tbreport-{len(self.charts)}", alt=alt)
        self.charts.append(slot)
        if self.pool is not None:  # start drawing it now, on another core
            slot.index = self.pool.submit(slot.spec, slot.salt)
        return slot

    def plan_media(self, runs: Sequence[Run]) -> Plan:
        """How many steps each image and audio tag keeps (``--max-report-mb``,
        ``--image-steps``): planned once, over every run, the first time it is asked."""
        if self.media_plan is None:
            with self.tags_limited():  # the whole report's tags, also while narrowing
                self.media_plan = plan(
                    runs,
                    self.want_tag,
                    budget_mb=self.options.max_report_mb,
                    image_steps=self.options.image_steps,
                )
        return self.media_plan

    def want_tag(self, tag: str) -> bool:
        if self._only is not None and tag not in self._only:
            return False
        if tag in self._skip:
            return False
        return self._tag_re is None or self._tag_re.search(tag) is not None

    def direction(self, tag: str) -> str | None:
        """Whether lower (``"min"``) or higher (``"max"``) is better for ``tag``: its name,
        or the hparams metadata of the logdir (as :meth:`tbreport.select.Selection.direction`)."""
        if self._declared is None:
            self._declared = self.logdir.declared_metrics() if self.logdir else {}
        return metric_direction(tag, self._declared.get(tag))

    def note(self, message: str) -> None:
        """A problem found while rendering: logged once and listed in the data-health box."""
        if message not in self.notes:
            logger.warning("%s", message)
            self.notes.append(message)

    def failed(self, what: str, exc: BaseException | Failed, where: str = "") -> Failure:
        """Record that ``what`` could not be drawn (``exc``: what it raised, or the
        :class:`~tbreport.render.pool.Failed` of a chart): one warning line (the traceback
        at debug level), a data-health line naming ``where`` it belongs (a section), and
        the :class:`Failure` whose card takes its place."""
        if isinstance(exc, Failed):
            reason, detail = exc.reason, exc.detail
        else:
            reason = reason_of(exc)
            detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        failure = Failure(what, reason)
        self.failures.append(failure)
        line = f"could not draw {what}{f' ({where})' if where else ''}: {reason}"
        if detail:
            logger.debug("%s\n%s", line, detail.rstrip())
        self.note(line)
        return failure

    # -- narrowing a failure down (tbreport/report/html.py)

    def mark(self) -> Mark:
        """The state a failed attempt at building a section is undone to (:meth:`undo`)."""
        return Mark(
            len(self.charts), len(self.notes), len(self.failures), copy.deepcopy(self.anchors)
        )

    def undo(self, mark: Mark) -> None:
        """Forget what was asked for since ``mark``: charts (the pool still draws those
        it was given; nobody shows them), notes, failures and anchors."""
        del self.charts[mark.charts :]
        del self.notes[mark.notes :]
        del self.failures[mark.failures :]
        self.anchors = mark.anchors

    @contextlib.contextmanager
    def tags_limited(
        self, only: Collection[str] | None = None, skip: Collection[str] = ()
    ) -> Iterator[None]:
        """Within the block :meth:`want_tag` keeps only ``only`` (if given), never ``skip``."""
        saved = self._only, self._skip
        self._only, self._skip = only, skip
        try:
            yield
        finally:
            self._only, self._skip = saved

    @contextlib.contextmanager
    def trial(self) -> Iterator[None]:
        """Within the block charts are only collected, never drawn, and warnings are
        held back (an attempt whose results are thrown away)."""
        pool, self.pool = self.pool, None
        root = logging.getLogger("tbreport")
        level = root.level
        root.setLevel(logging.ERROR)
        try:
            yield
        finally:
            self.pool = pool
            root.setLevel(level)


class Mark(NamedTuple):
    charts: int
    notes: int
    failures: int
    anchors: Anchors


@dataclass
class Group:
    """A titled sub-part of a section (a TOC entry), e.g. the scalar tags under ``train/``."""

    title: str
    anchor: str
    items: list[Any]
    failures: list[Failure] = field(default_factory=list)  # cards of its items that failed


@dataclass
class Part:
    """A kind's share of a section several kinds fill (see :func:`listing`)."""

    template: str
    data: dict[str, Any]
    count: int


@dataclass
class Section:
    """One section of the page. ``kind`` is its key in the page (the CSS class
    ``kind-<kind>``); ``template`` draws it (``kinds/<module>.html.j2``)."""

    kind: str
    title: str
    anchor: str
    template: str
    groups: list[Group] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    count: int = 0
    parts: list[Part] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)  # cards of parts that failed
    html: str = ""  # the section drawn (tbreport/report/html.py fills it in)

    def merge(self, other: Section) -> None:
        """Take ``other``'s parts (the same shared section, from another kind)."""
        self.parts.extend(other.parts)
        self.failures.extend(other.failures)
        self.count += other.count


def listing(part: Part) -> Section:
    """The "Other data" section holding one kind's :class:`Part`: what the reader kept
    but the report does not draw, listed so nothing is silently dropped. The report
    merges the parts of every kind into one section."""
    return Section(
        kind="other",
        title="Other data",
        anchor="other",
        template="listing.html.j2",
        count=part.count,
        parts=[part],
    )


S = TypeVar("S", bound=Sized)


def tagged(
    runs: Sequence[Run], series_of: Callable[[Run], Mapping[str, S]], ctx: Context
) -> dict[str, list[tuple[Run, S]]]:
    """Each tag ``--tags`` keeps, with the (run, series) pairs that have points, in run
    order: what a section draws per tag (``series_of`` picks the kind's series of a run)."""
    by_tag: dict[str, list[tuple[Run, S]]] = {}
    for run in runs:
        for tag, series in series_of(run).items():
            if len(series) and ctx.want_tag(tag):
                by_tag.setdefault(tag, []).append((run, series))
    return by_tag


def group_by_prefix(tags: Iterable[str]) -> dict[str, list[str]]:
    """Tags grouped by the part before the first ``/`` (TensorBoard's default), sorted."""
    groups: dict[str, list[str]] = {}
    for tag in sorted(tags):
        groups.setdefault(tag.split("/", 1)[0], []).append(tag)
    return dict(sorted(groups.items()))
