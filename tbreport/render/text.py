"""Text: every step of every text tag, markdown rendered and sanitised."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from tbreport.model import Run
from tbreport.render.base import Context, Group, Section, group_by_prefix, tagged
from tbreport.render.markdown import render_text_tensor

logger = logging.getLogger(__name__)

_SUFFIX = "/text_summary"


@dataclass
class TextEntry:
    step: int
    wall_time: float
    html: str  # sanitised


@dataclass
class TextItem:
    tag: str
    run: str
    color: str
    anchor: str
    entries: list[TextEntry]  # last step first


def display_tag(tag: str) -> str:
    """torch and tensorboardX append ``/text_summary`` to text tags; TensorBoard hides it."""
    return tag[: -len(_SUFFIX)] if tag.endswith(_SUFFIX) and len(tag) > len(_SUFFIX) else tag


def build(runs: Sequence[Run], ctx: Context) -> Section | None:
    by_tag = tagged(runs, lambda r: r.texts, ctx)
    if not by_tag:
        return None
    section = Section(
        kind="texts",
        title="Text",
        anchor="text",
        template="kinds/text.html.j2",
        count=len(by_tag),
    )
    shown = {display_tag(t): t for t in by_tag}
    for prefix, names in group_by_prefix(shown).items():
        items = []
        for name in names:
            tag = shown[name]
            for run, series in by_tag[tag]:
                entries = [
                    TextEntry(p.step, p.wall_time, render_text_tensor(p.values, p.shape))
                    for p in reversed(series.points)
                ]
                items.append(
                    TextItem(
                        name,
                        run.name,
                        ctx.colors[run.name],
                        ctx.anchors.make("text", tag, run.name),
                        entries,
                    )
                )
        section.groups.append(Group(prefix, ctx.anchors.make("texts", prefix), items))
    return section
