"""The verdict first: the key-metrics panel at the top of the report, and its charts.

Who won, on what, and how training went is the first thing a reader wants from a
report; TensorBoard makes them hunt for it. The panel answers it on the first screen:
for each key metric (:func:`tbreport.select.Selection.key_metrics`, the rule is
:data:`tbreport.metrics.KEY_RULE`; ``--key-metrics REGEX`` picks them instead), the
runs ranked by their best value, the best run in bold with its value and step, every
run's best and last value (the rest of a long ranking folded under it). The charts of
those metrics follow right after it: :func:`key_charts` moves their cards, as the
scalar section built them, out of their groups into a "Key metrics" group of their own
(so nothing is drawn twice). A tag of one or two points is numbers only (no chart).

Every number is :func:`tbreport.metrics.metric_stats` over every logged point of the
purged runs, so the panel, the run table, the legends, the gates, the markdown summary
and ``tbreport scalars`` agree.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from tbreport.metrics import KEY_RULE, Ranking, attempt_count, metric_stats, rank
from tbreport.render.base import Group, Section
from tbreport.select import Selection

__all__ = ["KeyPanel", "RestartNote", "build_panel", "key_charts", "restart_notes"]

logger = logging.getLogger(__name__)


@dataclass
class KeyPanel:
    """What the panel shows (``templates/_verdict.html.j2``, ``report.html.j2``)."""

    rankings: list[Ranking]
    chosen: str | None = None  # the --key-metrics regex, if given
    candidates: int = 0  # scalar tags that could have been key metrics
    rule: str = KEY_RULE
    anchors: dict[str, str] = field(default_factory=dict)  # tag -> its chart card's anchor

    @property
    def left_out(self) -> int:
        return max(0, self.candidates - len(self.rankings))


def rankings(selection: Selection, tags: Sequence[str]) -> list[Ranking]:
    """Each tag's :class:`~tbreport.metrics.Ranking` over the selection's runs (the runs
    in their colour order, which breaks ties)."""
    order = {name: i for i, name in enumerate(selection.colors)}
    runs = sorted(selection.runs, key=lambda r: (order.get(r.name, len(order)), r.name))
    out = []
    for tag in tags:
        way = selection.direction(tag)
        stats = [
            st
            for run in runs
            if (s := run.scalars.get(tag)) is not None
            and (st := metric_stats(run.name, s, way=way)) is not None
        ]
        out.append(rank(tag, stats, way))
    return out


def build_panel(selection: Selection, prefer: Sequence[str] = ()) -> KeyPanel:
    """The key-metrics panel of ``selection``; ``prefer``: the gated tags (first)."""
    tags = selection.key_metrics(prefer=prefer)
    chosen = selection.key.pattern if selection.key is not None else None
    if chosen is not None and not tags:
        logger.warning("--key-metrics %r matches no scalar tag; the panel is empty", chosen)
    return KeyPanel(rankings(selection, tags), chosen, len(selection.scalar_tags()))


def key_charts(sections: list[Section], panel: KeyPanel) -> Section | None:
    """Move the chart cards of the panel's metrics out of the scalar section into a
    section of their own, in the panel's order, to sit right after the panel; the
    scalar section keeps the rest (a group left empty goes). Fills ``panel.anchors``.
    ``None`` when no key metric has a chart (every one is a single value)."""
    wanted = [r.tag for r in panel.rankings]
    _drop_values(sections, set(wanted))
    scalars = next((s for s in sections if s.kind == "scalars"), None)
    if scalars is None:
        return None
    found: dict[str, object] = {}
    for group in scalars.groups:
        keep = []
        for item in group.items:
            tag = getattr(item, "tag", None)
            if tag in wanted and tag not in found:
                found[tag] = item
            else:
                keep.append(item)
        group.items = keep
    if not found:
        return None
    scalars.groups = [g for g in scalars.groups if g.items]
    scalars.count -= len(found)
    if not scalars.groups:
        sections.remove(scalars)
    items = [found[t] for t in wanted if t in found]
    for item in items:
        panel.anchors[str(getattr(item, "tag", ""))] = str(getattr(item, "anchor", ""))
    return dataclasses.replace(
        scalars,
        title="Key metric charts",
        anchor="key-charts",
        groups=[Group("Key metric charts", "key-metrics-charts", items)],
        count=len(items),
    )


def _drop_values(sections: list[Section], tags: set[str]) -> None:
    """The panel's single-value tags leave the "Single values" section (the panel shows
    them already); the section goes when nothing is left."""
    for section in [s for s in sections if s.kind == "scalar-values"]:
        kept = [r for r in section.data.get("rankings", []) if r.tag not in tags]
        section.data["rankings"] = kept
        section.count = len(kept)
        if not kept:
            sections.remove(section)


@dataclass(frozen=True)
class RestartNote:
    """A run whose steps go back in some tags: each stretch is its own attempt."""

    run: str
    attempts: int  # the most attempts of any of its scalar tags
    tags: int  # how many of its scalar tags go back

    @property
    def text(self) -> str:
        back = self.attempts - 1
        return (
            f"{self.attempts} attempts: the steps go back {back} time{'s' if back != 1 else ''} "
            f"in {self.tags} tag{'s' if self.tags != 1 else ''} (restarts appended to one "
            "directory without purge_step). Every point is kept and counted; each stretch "
            "is drawn as its own attempt."
        )


def restart_notes(selection: Selection) -> list[RestartNote]:
    """The runs whose scalar steps go back (purged view), for the data-health box."""
    notes = []
    for run in selection.runs:
        counts = [attempt_count(s) for s in run.scalars.values() if len(s)]
        back = [c for c in counts if c > 1]
        if back:
            notes.append(RestartNote(run.name, max(back), len(back)))
    return notes
