"""Run colours: one stable colour per run (or ``--group-by`` group) in every output.

Standard library only: the selection step gives every output the same colours, the
e-mail and the markdown summary included, without importing matplotlib.

**TensorBoard's colours, in TensorBoard's order.** TensorBoard 2.x colours runs from
its default palette (:data:`TENSORBOARD_PALETTE`, the seven colours of its web app's
settings: Slate, Cyan, Pink, Yellow, Purple, Light Green, Orange) in the order of its
run list, which sorts runs by the wall time of their first event, then by name (the
core plugin's ``/runs``); the n-th run gets colour ``n % 7``. tbreport gives the same
colours in the same order (:func:`tbreport.select.colour_order`), with two
differences a reader of many runs needs:

* runs without data (an event file holding only its header) take no colour, so they
  do not use up the distinct ones; TensorBoard colours them too;
* beyond the seventh run TensorBoard starts the palette again (run 8 looks like run
  1); tbreport goes on with :data:`EXTENSION`, colours picked so that every colour is
  as far as possible (CIEDE2000, :func:`delta_e2000`) from all those before it, among
  the sRGB colours of CIE lightness 35 to 75 (readable on a light and a dark page).
  The smallest difference between any two of the first 20 colours is 19 (that of
  TensorBoard's own seven), of the first 40 14, of 78 runs 10.9; 1 is about what an
  eye can just tell apart side by side. Only beyond :data:`PALETTE`'s 96 colours do
  colours repeat.

TensorBoard shows its Slate lighter on a dark page (:data:`DARK_VARIANTS`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tbreport.metrics import RunGroup

__all__ = [
    "DARK_VARIANTS",
    "EXTENSION",
    "NEUTRAL",
    "PALETTE",
    "TENSORBOARD_PALETTE",
    "RunColors",
    "attempt_color",
    "dark_variant",
    "delta_e2000",
    "group_colors",
    "hex_to_lab",
    "run_colors",
]

#: TensorBoard 2.x's default run palette, in its order (light-theme values)
TENSORBOARD_PALETTE = ("#425066", "#12b5cb", "#e52592", "#f9ab00", "#9334e6", "#7cb342", "#e8710a")

#: TensorBoard's dark-theme value where it differs from the light one
DARK_VARIANTS = {"#425066": "#8e98a3"}

#: colours after TensorBoard's seven, each as far (CIEDE2000) from all before it as
#: possible (greedy farthest point over a 32-level sRGB grid, CIE L* 35..75; see
#: ``tests/render/test_colors.py``, which regenerates it)
EXTENSION = (
    "#635200",
    "#bdb5bd",
    "#ad0010",
    "#007352",
    "#5a8cff",
    "#d68cff",
    "#ff8484",
    "#846b63",
    "#848c7b",
    "#00cea5",
    "#73426b",
    "#9c8400",
    "#007b9c",
    "#847ba5",
    "#527b00",
    "#bd9c7b",
    "#9c5208",
    "#ff1919",
    "#525a4a",
    "#005aef",
    "#c5bd00",
    "#ad004a",
    "#c584a5",
    "#adb5ef",
    "#9cbdb5",
    "#009c5a",
    "#63bdff",
    "#ef00f7",
    "#bd5a5a",
    "#00948c",
    "#b5b58c",
    "#737b84",
    "#296363",
    "#f79c73",
    "#84734a",
    "#ad0094",
    "#7b4242",
    "#8c73ef",
    "#b57352",
    "#ad63b5",
    "#6b5aa5",
    "#8ca5b5",
    "#a58c8c",
    "#9c637b",
    "#006310",
    "#b57300",
    "#5a5252",
    "#ff6bce",
    "#ceadd6",
    "#ff0063",
    "#1921ff",
    "#848c4a",
    "#7bad84",
    "#deada5",
    "#0094d6",
    "#00ce63",
    "#6b523a",
    "#5a734a",
    "#c5a552",
    "#635a73",
    "#c53a00",
    "#005a7b",
    "#638c94",
    "#5a739c",
    "#4a5a10",
    "#9494a5",
    "#f76b94",
    "#944a31",
    "#219c00",
    "#948473",
    "#adada5",
    "#c5847b",
    "#5abdb5",
    "#8c6300",
    "#638c73",
    "#ce083a",
    "#949c00",
    "#ff6b42",
    "#e69c52",
    "#f79cb5",
    "#7331a5",
    "#5a736b",
    "#21529c",
    "#a594ce",
    "#52636b",
    "#737300",
    "#73736b",
    "#087bd6",
    "#008429",
)

PALETTE = TENSORBOARD_PALETTE + EXTENSION

#: what a run without a colour (one without data) is drawn in, should anything draw it
NEUTRAL = "#9aa0a6"


class RunColors(dict[str, str]):
    """Run (or group) name -> colour. A run without a colour (it holds no data) is not a
    key; looking one up gives :data:`NEUTRAL` instead of failing, so nothing it shows
    can break a chart (``name in colors`` tells whether a run has one)."""

    def __missing__(self, key: str) -> str:
        return NEUTRAL


def run_colors(names: Sequence[str]) -> RunColors:
    """A colour per run name, in the given order (pass :func:`tbreport.select.colour_order`:
    TensorBoard's); the same colour everywhere."""
    return RunColors((name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(names))


def dark_variant(color: str) -> str:
    """The colour TensorBoard shows for ``color`` on a dark page (most are the same)."""
    return DARK_VARIANTS.get(color.lower(), color)


def group_colors(names: Sequence[str], groups: Sequence[RunGroup]) -> RunColors:
    """Run colours where every member of a group shares its group's colour (the group
    takes the colour of its first member's place in ``names``, as TensorBoard's
    regex grouping does)."""
    owner = {m: g.label for g in groups for m in g.members}
    keys: list[str] = []
    for name in names:
        key = owner.get(name, "\0" + name)
        if key not in keys:
            keys.append(key)
    palette = run_colors(keys)
    colors = RunColors((name, palette[owner.get(name, "\0" + name)]) for name in names)
    for g in groups:
        if g.label in palette:
            colors.setdefault(g.label, palette[g.label])
    return colors


#: how far attempt 2, 3, ... of a restarted run move from its colour: toward white
#: (positive) or black (negative), alternately, so neighbouring attempts differ most
ATTEMPT_SHADES = (0.0, 0.45, -0.35, 0.65, -0.2, 0.25, -0.45, 0.8)


def attempt_color(color: str, index: int) -> str:
    """The colour of attempt ``index + 1`` of a run drawn in ``color`` (``#rrggbb``):
    the run's own for the first attempt, then lighter and darker shades of it (the
    same colour family), repeating after :data:`ATTEMPT_SHADES`."""
    t = ATTEMPT_SHADES[index % len(ATTEMPT_SHADES)]
    if t == 0.0 or not (len(color) == 7 and color.startswith("#")):
        return color
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    target = 255 if t > 0 else 0
    mixed = [round(c + (target - c) * abs(t)) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


# --------------------------------------------------------------------------- distance


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def hex_to_lab(color: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB ``#rrggbb`` colour."""
    h = color.lstrip("#")
    r, g, b = (_linear(int(h[i : i + 2], 16) / 255.0) for i in (0, 2, 4))
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883
    d = 6.0 / 29.0

    def f(t: float) -> float:
        return t ** (1.0 / 3.0) if t > d**3 else t / (3 * d * d) + 4.0 / 29.0

    fx, fy, fz = f(x), f(y), f(z)
    return 116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)


def delta_e2000(
    lab1: tuple[float, float, float] | str, lab2: tuple[float, float, float] | str
) -> float:
    """The CIEDE2000 colour difference of two colours (``#rrggbb`` or L*a*b*).

    Sharma, Wu and Dalal's formulation (2005), with kL = kC = kH = 1."""
    l1, a1, b1 = hex_to_lab(lab1) if isinstance(lab1, str) else lab1
    l2, a2, b2 = hex_to_lab(lab2) if isinstance(lab2, str) else lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2.0
    g = 0.5 * (1.0 - math.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360.0 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360.0 if c2p else 0.0
    dh = 0.0
    if c1p * c2p:
        dh = h2p - h1p
        if dh > 180.0:
            dh -= 360.0
        elif dh < -180.0:
            dh += 360.0
    d_l, d_c = l2 - l1, c2p - c1p
    d_h = 2.0 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2.0))
    l_bar, c_bar_p = (l1 + l2) / 2.0, (c1p + c2p) / 2.0
    h_bar = h1p + h2p
    if c1p * c2p:
        if abs(h1p - h2p) <= 180.0:
            h_bar /= 2.0
        else:
            h_bar = (h_bar + 360.0) / 2.0 if h_bar < 360.0 else (h_bar - 360.0) / 2.0
    t = (
        1.0
        - 0.17 * math.cos(math.radians(h_bar - 30.0))
        + 0.24 * math.cos(math.radians(2.0 * h_bar))
        + 0.32 * math.cos(math.radians(3.0 * h_bar + 6.0))
        - 0.20 * math.cos(math.radians(4.0 * h_bar - 63.0))
    )
    r_c = 2.0 * math.sqrt(c_bar_p**7 / (c_bar_p**7 + 25.0**7))
    s_l = 1.0 + 0.015 * (l_bar - 50.0) ** 2 / math.sqrt(20.0 + (l_bar - 50.0) ** 2)
    s_c = 1.0 + 0.045 * c_bar_p
    s_h = 1.0 + 0.015 * c_bar_p * t
    r_t = -math.sin(math.radians(60.0 * math.exp(-(((h_bar - 275.0) / 25.0) ** 2)))) * r_c
    x_l, x_c, x_h = d_l / s_l, d_c / s_c, d_h / s_h
    return math.sqrt(x_l * x_l + x_c * x_c + x_h * x_h + r_t * x_c * x_h)
