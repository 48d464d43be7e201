"""What every section renderer shares: build options, the render context, sections.

A section renderer (``tbreport/render/<kind>.py``) is a function
``build(runs, ctx) -> Section | None``. It turns model data into plain template data,
asks the context for charts (``ctx.chart(spec)``, drawn later, all at once, on every
core) and names its template ``kinds/<kind>.html.j2``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tbreport.render.assets import Anchors
from tbreport.render.charts import ChartPool, ChartSpec, Rendered

logger = logging.getLogger(__name__)

X_AXES = ("step", "relative", "wall")


@dataclass(frozen=True)
class BuildOptions:
    """Every option of ``tbreport build`` / :func:`tbreport.build_report`."""

    title: str | None = None
    runs: str | None = None  # regular expression, searched in run names
    tags: str | None = None  # regular expression, searched in tags
    smoothing: float = 0.6
    x_axis: str = "step"
    format: str = "png"
    image_steps: int | None = None  # None or 0: every step
    jobs: int | None = None  # None or 0: every core
    strict: bool = False
    max_graph_nodes: int = 250
    graph_timeout: float = 30.0
    progress: bool | None = None  # None: a bar only on a terminal
    baseline: str | None = None  # a run (or --group-by group): others shown as deltas to it
    group_by: str | None = None  # regex; runs equal once its match is "*" form a group

    def validate(self) -> None:
        """Raise ``ValueError`` naming the bad option."""
        if not 0.0 <= self.smoothing < 1.0:
            raise ValueError(f"smoothing must be in [0, 1), got {self.smoothing}")
        if self.x_axis not in X_AXES:
            raise ValueError(f"x_axis must be one of {', '.join(X_AXES)}; got {self.x_axis!r}")
        if self.format not in ("png", "svg"):
            raise ValueError(f"format must be png or svg; got {self.format!r}")
        if self.image_steps is not None and self.image_steps < 0:
            raise ValueError(f"image_steps must be >= 0, got {self.image_steps}")
        if self.jobs is not None and self.jobs < 0:
            raise ValueError(f"jobs must be >= 0, got {self.jobs}")
        if self.max_graph_nodes < 1:
            raise ValueError(f"max_graph_nodes must be >= 1, got {self.max_graph_nodes}")
        if not self.graph_timeout > 0:
            raise ValueError(f"graph_timeout must be > 0, got {self.graph_timeout}")
        for name in ("runs", "tags"):
            pattern = getattr(self, name)
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(
                        f"--{name} {pattern!r} is not a valid regular expression: {exc}"
                    ) from None
        if self.group_by is not None:
            from tbreport.compare import check_group_regex

            check_group_regex(self.group_by)


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
        from markupsafe import Markup, escape

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
    _tag_re: re.Pattern[str] | None = None

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
class Section:
    """One part of the page: ``template`` is ``kinds/<kind>.html.j2``."""

    kind: str
    title: str
    anchor: str
    groups: list[Group] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    count: int = 0

    @property
    def template(self) -> str:
        return f"kinds/{self.kind}.html.j2"


def group_by_prefix(tags: Iterable[str]) -> dict[str, list[str]]:
    """Tags grouped by the part before the first ``/`` (TensorBoard's default), sorted."""
    groups: dict[str, list[str]] = {}
    for tag in sorted(tags):
        groups.setdefault(tag.split("/", 1)[0], []).append(tag)
    return dict(sorted(groups.items()))
