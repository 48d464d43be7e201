"""Audio: an ``<audio>`` player per clip, every step (last first), bytes as logged."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from tbreport.model import Run
from tbreport.render.assets import data_uri
from tbreport.render.base import Context, Group, Section, group_by_prefix, tagged

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
                for p in reversed(series.points):
                    clips = []
                    for c in p.clips:
                        mime = _mime(c.content_type, c.data)
                        clips.append(
                            Clip(data_uri(c.data, mime), mime, c.duration, c.sample_rate, c.label)
                        )
                    steps.append(AudioStep(p.step, p.wall_time, clips))
                items.append(
                    AudioItem(
                        tag,
                        run.name,
                        ctx.colors[run.name],
                        ctx.anchors.make("audio", tag, run.name),
                        steps,
                    )
                )
        section.groups.append(Group(prefix, ctx.anchors.make("audios", prefix), items))
    return section
