"""Images: a gallery per tag and run with every logged step (last step first).

The encoded bytes go into the page as they were logged (data URIs, never re-encoded).
With JavaScript a slider steps through them; without it the page shows a strip of all
steps. Small images are scaled up with crisp pixels.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from tbreport.model import EncodedImage, ImagePoint, Run
from tbreport.render.assets import data_uri
from tbreport.render.base import Context, Group, Section, group_by_prefix, tagged

logger = logging.getLogger(__name__)

#: Smallest display width: tiny images (MNIST, 8x8 sprites) are scaled up by an integer factor.
MIN_DISPLAY_PX = 160
MAX_DISPLAY_PX = 480
#: above this many bytes of embedded images, the data-health box suggests --image-steps
BIG_REPORT_BYTES = 50_000_000


@dataclass
class Picture:
    uri: str
    width: int  # natural size (0 = unknown)
    height: int
    display_width: int  # CSS pixels (0 = natural)
    pixelated: bool


@dataclass
class Frame:
    step: int
    wall_time: float
    pictures: list[Picture]


@dataclass
class Gallery:
    tag: str
    run: str
    color: str
    anchor: str
    frames: list[Frame]  # last step first
    total_steps: int  # steps logged (frames may be fewer with --image-steps)


def image_size(img: EncodedImage) -> tuple[int, int]:
    """Width and height: declared by the writer, else read from the PNG/GIF/JPEG header."""
    if img.width and img.height:
        return img.width, img.height
    data = img.data
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:4] == b"GIF8" and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + length
    return 0, 0


def picture(img: EncodedImage) -> Picture:
    w, h = image_size(img)
    display = 0
    pixelated = False
    if w and h:
        if w < MIN_DISPLAY_PX:
            factor = -(-MIN_DISPLAY_PX // w)  # ceil: at least MIN_DISPLAY_PX wide
            display = w * factor
            pixelated = factor > 1
        elif w > MAX_DISPLAY_PX:
            display = MAX_DISPLAY_PX
        else:
            display = w
    return Picture(data_uri(img.data, img.mime_type), w, h, display, pixelated)


def select_steps(points: Sequence[ImagePoint], limit: int | None) -> list[ImagePoint]:
    """At most ``limit`` points, evenly spaced, always keeping the first and the last."""
    pts = list(points)
    if not limit or len(pts) <= limit:
        return pts
    if limit == 1:
        return [pts[-1]]
    idx = sorted({round(i * (len(pts) - 1) / (limit - 1)) for i in range(limit)})
    return [pts[i] for i in idx]


def build(runs: Sequence[Run], ctx: Context) -> Section | None:
    by_tag = tagged(runs, lambda r: r.images, ctx)
    if not by_tag:
        return None
    section = Section(
        kind="images",
        title="Images",
        anchor="images",
        template="kinds/image.html.j2",
        count=len(by_tag),
    )
    for prefix, tags in group_by_prefix(by_tag).items():
        items = []
        for tag in tags:
            for run, series in by_tag[tag]:
                chosen = select_steps(series.points, ctx.options.image_steps)
                frames = [
                    Frame(p.step, p.wall_time, [picture(img) for img in p.images])
                    for p in reversed(chosen)
                    if p.images
                ]
                items.append(
                    Gallery(
                        tag=tag,
                        run=run.name,
                        color=ctx.colors[run.name],
                        anchor=ctx.anchors.make("image", tag, run.name),
                        frames=frames,
                        total_steps=len(series.points),
                    )
                )
        section.groups.append(Group(prefix, ctx.anchors.make("images", prefix), items))
    embedded = sum(
        len(p.uri)
        for g in section.groups
        for gal in g.items
        for f in gal.frames
        for p in f.pictures
    )
    if embedded > BIG_REPORT_BYTES and not ctx.options.image_steps:
        ctx.note(
            f"images add {embedded / 1e6:.0f} MB to the report (every logged step is embedded); "
            "pass --image-steps N to keep N steps per tag"
        )
    return section
