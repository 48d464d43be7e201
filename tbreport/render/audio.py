"""Audio: an ``<audio>`` player per clip, every step (last first), bytes as logged.

Steps beyond the report's media budget (``--max-report-mb``) are thinned evenly, the
first and the last kept; the clips are written one at a time when the page is
written (:mod:`tbreport.render.media`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from tbreport.model import Run
from tbreport.render.base import Context, Group, Section, group_by_prefix, tagged
from tbreport.render.media import step_indices

logger = logging.getLogger(__name__)


@dataclass
class Clip:
    uri: str
    mime: str
    duration: float
    sample_rate: float
    label: str


@dataclass
class AudioStep:
    step: int
    wall_time: float
    clips: list[Clip]


@dataclass
class AudioItem:
    tag: str
    run: str
    color: str
    anchor: str
    steps: list[AudioStep]
    total_steps: int = 0  # steps logged (steps may be fewer: --max-report-mb)


def _mime(content_type: str, data: bytes) -> str:
    if content_type:
        return content_type
    if data[:4] == b"RIFF":
        return "audio/wav"
    if data[:4] == b"OggS":
        return "audio/ogg"
    return "application/octet-stream"


def build(runs: Sequence[Run], ctx: Context) -> Section | None:
    by_tag = tagged(runs, lambda r: r.audio, ctx)
    if not by_tag:
        return None
    plan = ctx.plan_media(runs)
    section = Section(
        kind="audio",
        title="Audio",
        anchor="audio",
        template="kinds/audio.html.j2",
        count=len(by_tag),
    )
    for prefix, tags in group_by_prefix(by_tag).items():
        items = []
        for tag in tags:
            for run, series in by_tag[tag]:
                steps = []
                points = series.points
                kept = step_indices(len(points), plan.limit("audio", run.name, tag))
                for p in reversed([points[i] for i in kept]):
                    clips = []
                    for c in p.clips:
                        mime = _mime(c.content_type, c.data)
                        clips.append(
                            Clip(
                                ctx.media.add(c.data, mime),
                                mime,
                                c.duration,
                                c.sample_rate,
                                c.label,
                            )
                        )
                    steps.append(AudioStep(p.step, p.wall_time, clips))
                items.append(
                    AudioItem(
                        tag,
                        run.name,
                        ctx.colors[run.name],
                        ctx.anchors.make("audio", tag, run.name),
                        steps,
                        len(points),
                    )
                )
        section.groups.append(Group(prefix, ctx.anchors.make("audios", prefix), items))
    return section
