"""Embedded media (images, videos, audio): the report's size budget and the writing of
their bytes one at a time.

**The budget** (``--max-report-mb``, default 50; ``0``: no limit). :func:`plan` adds up
the ``data:`` URIs every image and audio step would embed; when they exceed the budget
it finds the largest number of steps ``k`` per tag that fits, and every media tag
keeps at most ``k`` of its steps, evenly spaced, the first and the last among them
(:func:`step_indices`, the rule ``--image-steps`` uses too), so the tags of a run stay
at the same steps. Every tag keeps at least one step (its last), even when that alone
is over the budget. ``--image-steps N`` caps the image tags first; the budget then
thins further only if ``N`` steps per tag do not fit. The data-health box lists what
was thinned (:class:`Plan`) and how to get all of it.

**Bounded memory.** A section builder never holds a ``data:`` URI: it asks
:meth:`MediaStore.add` for a short placeholder that stands in the template's ``src``
attribute. The page is rendered with the placeholders (a page of kilobytes per
picture, not of megabytes) and :meth:`Page.write` streams it out, base64-encoding
each medium just before it is written and dropping it right after: the build holds
the reader's encoded bytes and one encoded medium at a time, however large the
report. The placeholder carries a random nonce of the build, so no logged string can
forge one; whatever replaces it is base64 and an escaped MIME type, harmless anywhere
in the page.
"""

from __future__ import annotations

import base64
import html
import logging
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

from tbreport.kinds import KINDS
from tbreport.model import Run

logger = logging.getLogger(__name__)

__all__ = ["MediaStore", "Page", "Plan", "plan", "step_indices", "uri_size"]

MB = 1_000_000


def step_indices(count: int, limit: int | None) -> list[int]:
    """Indices of at most ``limit`` of ``count`` steps, evenly spaced, the first and the
    last kept (``limit`` 1: the last only; ``None`` or 0: all)."""
    if not limit or count <= limit:
        return list(range(count))
    if limit == 1:
        return [count - 1]
    return sorted({round(i * (count - 1) / (limit - 1)) for i in range(limit)})


def uri_size(size: int, mime: str) -> int:
    """Characters of the ``data:`` URI of ``size`` bytes of type ``mime``."""
    return len("data:;base64,") + len(html.escape(mime)) + 4 * ((size + 2) // 3)


def data_uri(data: bytes, mime: str) -> str:
    """The ``data:`` URI of ``data``, its MIME type escaped for an HTML attribute."""
    return f"data:{html.escape(mime)};base64," + base64.b64encode(data).decode("ascii")


@dataclass
class MediaStore:
    """The media of one page: each :meth:`add` returns the placeholder written in the
    template instead of the ``data:`` URI."""

    nonce: str = field(default_factory=lambda: secrets.token_hex(8))
    items: list[tuple[bytes, str]] = field(default_factory=list)

    def add(self, data: bytes, mime: str) -> str:
        self.items.append((data, mime))
        return f"tbreport-media-{self.nonce}-{len(self.items) - 1}."

    def page(self, text: str) -> Page:
        return Page(text, self)


_TOKEN = "tbreport-media-{nonce}-([0-9]+)\\."


@dataclass
class Page:
    """A rendered page whose media are placeholders (see the module docstring)."""

    text: str
    media: MediaStore

    def pieces(self) -> Iterator[str]:
        """The page in pieces, each medium's ``data:`` URI one piece, made when asked for."""
        pattern = re.compile(_TOKEN.format(nonce=re.escape(self.media.nonce)))
        at = 0
        for match in pattern.finditer(self.text):
            yield self.text[at : match.start()]
            index = int(match.group(1))
            if index < len(self.media.items):
                yield data_uri(*self.media.items[index])
            at = match.end()
        yield self.text[at:]

    def write(self, fh: IO[str]) -> int:
        """Write the page to ``fh``; its size in bytes (UTF-8)."""
        size = 0
        for piece in self.pieces():
            fh.write(piece)
            size += len(piece) if piece.isascii() else len(piece.encode("utf-8"))
        return size

    def expand(self) -> str:
        """The whole page as one string (holds every medium: for small pages and the API)."""
        return "".join(self.pieces())


#: a media tag: (section kind, run name, tag)
Key = tuple[str, str, str]


@dataclass
class Thinned:
    kind: str  # "images", "audio"
    run: str
    tag: str
    kept: int
    total: int


@dataclass
class Plan:
    """How many steps each media tag keeps (``None``: no limit)."""

    limits: dict[Key, int | None] = field(default_factory=dict)
    budget_mb: float = 0.0
    total_bytes: int = 0  # the data: URIs of every step of every media tag
    kept_bytes: int = 0  # ... of the steps kept
    thinned: list[Thinned] = field(default_factory=list)  # tags the budget thinned
    over: bool = False  # one step per tag is already over the budget

    def limit(self, kind: str, run: str, tag: str, default: int | None = None) -> int | None:
        return self.limits.get((kind, run, tag), default)


def plan(
    runs: Sequence[Run],
    want_tag: Callable[[str], bool],
    *,
    budget_mb: float,
    image_steps: int | None,
) -> Plan:
    """How many steps each tag of a media kind (:attr:`Kind.media`: images, audio) of
    ``runs`` keeps (module docstring); ``image_steps`` caps the kinds whose
    :attr:`Kind.steps_option` it is."""
    tags: list[tuple[Key, list[int], int | None]] = []  # key, sizes per step, cap
    media_kinds = [k for k in KINDS if k.media is not None]
    for run in runs:
        for kind in media_kinds:
            measure = kind.media
            assert measure is not None
            cap = image_steps if kind.steps_option == "image_steps" else None
            for tag, series in (kind.series(run) or {}).items():
                if len(series) and want_tag(tag):
                    sizes = [sum(uri_size(n, m) for n, m in step) for step in measure(series)]
                    tags.append(((kind.name, run.name, tag), sizes, cap))

    def kept(k: int | None) -> int:
        total = 0
        for _key, sizes, cap in tags:
            limit = min(k, cap) if (k and cap) else (k or cap)
            total += sum(sizes[i] for i in step_indices(len(sizes), limit))
        return total

    out = Plan(budget_mb=budget_mb, total_bytes=sum(sum(s) for _, s, _ in tags))
    k: int | None = None
    budget = budget_mb * MB
    if budget_mb and kept(None) > budget:
        lo, hi = 2, max(len(s) for _, s, _ in tags)
        if kept(lo) > budget:
            k = 1
        else:
            while lo < hi:  # the largest k whose steps fit
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if kept(mid) <= budget else (lo, mid - 1)
            k = lo
    for key, sizes, cap in tags:
        limit = min(k, cap) if (k and cap) else (k or cap)
        out.limits[key] = limit
        if k is not None and len(sizes) > k and (cap is None or cap > k):
            out.thinned.append(Thinned(*key, len(step_indices(len(sizes), limit)), len(sizes)))
    out.kept_bytes = kept(k)
    out.over = k is not None and out.kept_bytes > budget
    if out.thinned:
        logger.info(
            "media thinned to fit --max-report-mb %g: %d tags, %.0f of %.0f MB embedded",
            budget_mb,
            len(out.thinned),
            out.kept_bytes / MB,
            out.total_bytes / MB,
        )
    return out
