"""Images: a gallery per tag and run with every logged step (last step first).

The encoded bytes go into the page as they were logged (data URIs, never re-encoded),
written one at a time when the page is written (:mod:`tbreport.render.media`); steps
beyond the report's media budget (``--max-report-mb``) or ``--image-steps`` are thinned
evenly, the first and the last kept.
With JavaScript a slider steps through them, under a first / middle / last filmstrip
(``templates/kinds/image.js``); without it the page shows a strip of all steps.

How big each picture is drawn (:func:`fit`), for a desktop card and for a phone:

- small pictures are scaled up by a whole factor to fill the card, with crisp pixels
  (``image-rendering: pixelated``), never blurred;
- strips (a side under :data:`THIN` px and at least 8 times longer: Keras logs each
  bias vector as a 1x512 image) are stretched across by a whole factor to
  :data:`THIN` px, and along only as far as fits;
- pictures larger than the card are scaled down to fit it, unless that would make
  them thinner than readable (a 64x4096 image): those stay at actual size and scroll
  inside a box at most :data:`MAX_H` px tall;
- wide pictures that a card would shrink or leave at 1:1 get a card as wide as the
  page when that shows them at actual size or larger.

Nothing is ever taller than :data:`MAX_H` px on the page. Captions give the size the
bytes decode to (what the browser shows), and the writer's declared size when it
differs (MONAI's GIFs declare 10x10 whatever their size).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tbreport.model import EncodedImage, ImagePoint, Run
from tbreport.render.assets import data_uri
from tbreport.render.base import Context, Group, Section, group_by_prefix, tagged
from tbreport.render.media import Plan, step_indices

logger = logging.getLogger(__name__)

#: content width of a gallery card (CSS px) at a 1280 px window: two cards a row
BOX_W = 456
#: content width of a card as wide as the page's main column at 1280 px
WIDE_W = 960
#: content width of a card on a 390 px phone
PHONE_W = 320
#: a scaled-up picture is at most this tall
UP_H = 360
#: the tallest a picture is drawn; taller ones (at actual size) scroll in a box this tall
MAX_H = 640
#: a strip's thin side is stretched to at least this many CSS px
THIN = 24
#: the pictures of one step (TF2 logs up to ``max_outputs`` per value) sit side by
#: side, this many a row, GAP px apart
PER_ROW = 3
GAP = 8
#: a picture drawn at most this wide takes a narrow card (a quarter of the row)
NARROW_W = 200


@dataclass(frozen=True)
class Fit:
    """How a ``w`` x ``h`` picture is drawn in a box: ``width`` x ``height`` CSS px."""

    width: int
    height: int
    how: str  # "1:1", "up" (whole factor), "strip", "down", "scroll", "" (size unknown)
    scale_x: float = 1.0
    scale_y: float = 1.0
    box: int = BOX_W  # the width it was fitted into

    @property
    def scrolls(self) -> bool:
        """Larger than its box (at actual size, or a long strip): it scrolls in place."""
        return self.width > self.box or self.height > MAX_H

    @property
    def pixelated(self) -> bool:
        """Scaled up (in at least one direction) and never down: crisp pixels."""
        return self.how in ("up", "strip") and min(self.scale_x, self.scale_y) >= 1

    @property
    def note(self) -> str:
        """How it is shown, for the caption."""
        sx, sy = round(self.scale_x), round(self.scale_y)
        if self.how == "up":
            return f"shown ×{sx}"
        if self.how == "strip":
            if sx == sy:
                return f"shown ×{sx}"
            if sx == 1:
                return f"stretched ×{sy} down"
            if sy == 1:
                return f"stretched ×{sx} across"
            return f"stretched ×{sx} across, ×{sy} down"
        if self.how == "down":
            return f"shown at {max(1, round(self.scale_x * 100))}%"
        if self.how == "scroll":
            return "actual size, scroll to see it all"
        return "actual size" if self.how == "1:1" else ""


def _strip(w: int, h: int, box_w: int) -> Fit:
    thin = math.ceil(THIN / min(w, h))
    horizontal = w >= h
    long_side = w if horizontal else h
    room = box_w if horizontal else UP_H
    along = max(1, min(thin, room // long_side))
    sx, sy = (along, thin) if horizontal else (thin, along)
    return Fit(w * sx, h * sy, "strip", sx, sy, box_w)


def fit(w: int, h: int, box_w: int = BOX_W) -> Fit:
    """How a ``w`` x ``h`` picture is drawn in a card ``box_w`` CSS px wide (module doc)."""
    if w <= 0 or h <= 0:
        return Fit(0, 0, "", box=box_w)
    if min(w, h) < THIN and max(w, h) >= 8 * min(w, h):
        return _strip(w, h, box_w)
    up = min(box_w / w, UP_H / h)
    if up >= 2:
        k = math.floor(up)
        return Fit(w * k, h * k, "up", k, k, box_w)
    if w <= box_w and h <= MAX_H:
        return Fit(w, h, "1:1", box=box_w)
    s = min(box_w / w, MAX_H / h)
    if min(w, h) * s >= 2 * THIN:
        return Fit(max(1, round(w * s)), max(1, round(h * s)), "down", s, s, box_w)
    return Fit(w, h, "scroll", box=box_w)


def share(box_w: int, count: int) -> int:
    """The width each of ``count`` pictures of one step gets side by side (up to
    :data:`PER_ROW` a row) in a box ``box_w`` px wide."""
    n = max(1, min(count, PER_ROW))
    return (box_w - (n - 1) * GAP) // n


def desktop_fit(w: int, h: int, count: int = 1) -> tuple[Fit, bool]:
    """The desktop fit of one of ``count`` pictures of a step, and whether it takes a
    card as wide as the page."""
    normal = fit(w, h, share(BOX_W, count))
    wide = fit(w, h, share(WIDE_W, count))
    if normal.width > share(BOX_W, count):  # it would scroll sideways in a normal card
        return wide, True
    if normal.how == "1:1" and wide.how == "up":
        return wide, True  # a wide card scales it up (a 256x32 grid of tiles: x3)
    if normal.how == "down" and wide.how in ("1:1", "up"):
        return wide, True  # a wide card shows it at actual size
    return normal, False


@dataclass
class Picture:
    uri: str
    width: int  # decoded size (0 = unknown)
    height: int
    declared: tuple[int, int] | None  # the writer's size, when it differs from the decoded one
    desktop: Fit
    phone: Fit
    wide: bool  # its card spans the row on a desktop

    @property
    def style(self) -> str:
        """CSS variables of its two sizes (``templates/kinds/image.css`` uses them)."""
        d, p = self.desktop, self.phone
        if not d.width:
            return ""
        return (
            f"--w:{d.width}px;--ar:{d.width}/{d.height};--wp:{p.width}px;--arp:{p.width}/{p.height}"
        )

    @property
    def classes(self) -> str:
        out = []
        if self.desktop.pixelated:
            out.append("px")
        if self.phone.pixelated:
            out.append("pxp")
        return " ".join(out)

    @property
    def size_text(self) -> str:
        if not self.width:
            return ""
        text = f"{self.width}×{self.height} px"
        if self.declared:
            text += f" (declared {self.declared[0]}×{self.declared[1]})"
        return text


def picture(
    img: EncodedImage, count: int = 1, embed: Callable[[bytes, str], str] = data_uri
) -> Picture:
    """One of the ``count`` pictures of a step, ready for the template; ``embed`` makes
    what its ``src`` says (the report's: a placeholder, :class:`~tbreport.render.media.MediaStore`)."""
    w, h = img.size
    dw, dh = img.decoded_size
    declared = None
    if dw and dh and img.width > 0 and img.height > 0 and (img.width, img.height) != (dw, dh):
        declared = (img.width, img.height)
    desktop, wide = desktop_fit(w, h, count)
    phone = fit(w, h, share(PHONE_W, count))
    return Picture(embed(img.data, img.mime_type), w, h, declared, desktop, phone, wide)


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
    total_steps: int  # steps logged (frames may be fewer: --image-steps, --max-report-mb)

    @property
    def thinned(self) -> bool:
        return len(self.frames) < self.total_steps

    @property
    def layout(self) -> str:
        """``wide`` (the row), ``narrow`` (a quarter of it) or ``""`` (half of it)."""
        pics = [p for f in self.frames for p in f.pictures]
        if any(p.wide for p in pics):
            return "wide"
        widths = [sum(p.desktop.width + 2 + GAP for p in f.pictures) - GAP for f in self.frames]
        if pics and all(p.desktop.width for p in pics) and max(widths) <= NARROW_W:
            return "narrow"
        return ""


def select_steps(points: Sequence[ImagePoint], limit: int | None) -> list[ImagePoint]:
    """At most ``limit`` points, evenly spaced, always keeping the first and the last."""
    return [points[i] for i in step_indices(len(points), limit)]


def _gallery(tag: str, run: Run, points: Sequence[ImagePoint], ctx: Context, plan: Plan) -> Gallery:
    limit = plan.limit("images", run.name, tag, ctx.options.image_steps)
    chosen = select_steps(points, limit)
    embed = ctx.media.add
    frames = [
        Frame(p.step, p.wall_time, [picture(img, len(p.images), embed) for img in p.images])
        for p in reversed(chosen)
        if p.images
    ]
    return Gallery(
        tag=tag,
        run=run.name,
        color=ctx.colors[run.name],
        anchor=ctx.anchors.make("image", tag, run.name),
        frames=frames,
        total_steps=len(points),
    )


def build(runs: Sequence[Run], ctx: Context) -> Section | None:
    by_tag = tagged(runs, lambda r: r.images, ctx)
    if not by_tag:
        return None
    plan = ctx.plan_media(runs)
    section = Section(
        kind="images",
        title="Images",
        anchor="images",
        template="kinds/image.html.j2",
        count=len(by_tag),
    )
    for prefix, tags in group_by_prefix(by_tag).items():
        items = [_gallery(tag, run, s.points, ctx, plan) for tag in tags for run, s in by_tag[tag]]
        section.groups.append(Group(prefix, ctx.anchors.make("images", prefix), items))
    return section
