"""Run colours: one stable colour per run (or ``--group-by`` group) in every output.

Standard library only: the selection step gives every output the same colours, the
e-mail and the markdown summary included, without importing matplotlib.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tbreport.metrics import RunGroup

__all__ = ["PALETTE", "group_colors", "run_colors"]

#: Run colours: TensorBoard-like distinct hues, then a golden-angle sequence.
PALETTE = (
    "#ff7043",
    "#0077bb",
    "#cc3311",
    "#009988",
    "#ee3377",
    "#33bbee",
    "#8e6c8a",
    "#b5a000",
    "#6b8e23",
    "#a05195",
    "#d45087",
    "#2f4b7c",
    "#f95d6a",
    "#665191",
    "#ffa600",
    "#003f5c",
)


def run_colors(names: Sequence[str]) -> dict[str, str]:
    """A stable colour per run name, in the given order; the same colour everywhere."""
    colors: dict[str, str] = {}
    for i, name in enumerate(names):
        if i < len(PALETTE):
            colors[name] = PALETTE[i]
        else:
            hue = (i * 0.618033988749895) % 1.0
            colors[name] = _hsl_hex(hue, 0.65, 0.45)
    return colors


def _hsl_hex(h: float, s: float, lightness: float) -> str:
    r, g, b = colorsys.hls_to_rgb(h, lightness, s)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def group_colors(names: Sequence[str], groups: Sequence[RunGroup]) -> dict[str, str]:
    """Run colours where every member of a group shares its group's colour."""
    owner = {m: g.label for g in groups for m in g.members}
    keys: list[str] = []
    for name in names:
        key = owner.get(name, "\0" + name)
        if key not in keys:
            keys.append(key)
    palette = run_colors(keys)
    colors = {name: palette[owner.get(name, "\0" + name)] for name in names}
    for g in groups:
        colors.setdefault(g.label, palette[g.label])
    return colors
