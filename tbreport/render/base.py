"""What every section builder shares: the render context, sections, chart slots.

A kind's section builder (``tbreport/render/<module>.py``, named in its registry entry,
:data:`tbreport.kinds.KINDS`) is a function ``build(runs, ctx)`` returning a
:class:`Section` (or several, or ``None``). It turns model data into plain template
data, asks the context for charts (``ctx.chart(spec)``, drawn later, all at once, on
every core) and names its template ``kinds/<module>.html.j2``. A kind the report lists
without drawing adds a :class:`Part` to the shared "Other data" section (:func:`listing`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tbreport.metrics import metric_direction
from tbreport.model import Logdir, MetricInfo, Run
from tbreport.options import BuildOptions
from tbreport.render.assets import Anchors
from tbreport.render.charts import ChartSpec, Rendered
from tbreport.render.pool import ChartPool

logger = logging.getLogger(__name__)


@dataclass
class ChartSlot:
    """A chart to draw; ``rendered`` is filled in once every chart has been drawn."""

    spec: ChartSpec
    salt: str
    rendered: Rendered | None = None
    alt: str = "chart"  # text for screen readers and broken images

    @property
    def html(self) -> str:
        """Markup for the template (inline SVG, or an ``<img>`` with a data URI)."""
        from markupsafe import Markup, escape  # jinja2: only when rendering

        r = self.rendered
        if r is None:
            return ""
        if r.svg:
            return Markup(
                f'<div class="svgchart" role="img" aria-label="{escape(self.alt)}">{r.svg}</div>'
            )
        return Markup(
            f'<img class="chart" src="{escape(r.data_uri)}" width="{r.width}" '
            f'height="{r.height}" alt="{escape(self.alt)}">'
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
    _tag_re: re.Pattern[str] | None = None
    _declared: dict[str, MetricInfo] | None = None

    def __post_init__(self) -> None:
        if self.options.tags:
            self._tag_re = re.compile(self.options.tags)

    def chart(self, spec: ChartSpec, alt: str = "chart") -> ChartSlot:
        slot = ChartSlot(spec=spec, salt=f"tbreport-{len(self.charts)}", alt=alt)
        self.charts.append(slot)
        if self.pool is not None:  # start drawing it now, on another core
            self.pool.submit(slot.spec, slot.salt)
        return slot

    def want_tag(self, tag: str) -> bool:
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


@dataclass
class Group:
    """A titled sub-part of a section (a TOC entry), e.g. the scalar tags under ``train/``."""

    title: str
    anchor: str
    items: list[Any]


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

    def merge(self, other: Section) -> None:
        """Take ``other``'s parts (the same shared section, from another kind)."""
        self.parts.extend(other.parts)
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
