"""Small hand-written SVG plots: ticks, axes, scales and compact paths.

Histograms, distributions and PR curves are small, regular pictures. Written as SVG
by hand they are as small as one PNG (a ridge is a relative path of integers), they
follow the page's theme (ink, grid and background are CSS variables: the kind's
``.css`` gives them light, dark and print values) and the page's script can change
them in place (the histograms' overlay view), while the data colours (run colours)
stay attributes. matplotlib is not needed to draw them.

Every string from a log that goes into the markup passes through :func:`esc`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "Scale",
    "esc",
    "fmt_tick",
    "hcl_ramp",
    "nice_ticks",
    "num",
    "polyline",
    "time_ticks",
    "x_axis",
    "y_axis",
]

FloatArray = npt.NDArray[np.float64]

#: the minus sign of tick labels (U+2212, as typeset numbers use)
MINUS = "\u2212"


def esc(text: object) -> str:
    """Text for SVG/HTML markup (element content or an attribute value)."""
    return html.escape(str(text), quote=True)


def num(v: float, digits: int = 1) -> str:
    """A coordinate: ``digits`` decimals at most, no trailing zeros, no ``-0``."""
    s = f"{v:.{digits}f}".rstrip("0").rstrip(".") if digits else str(round(v))
    return "0" if s in ("-0", "") else s


# --------------------------------------------------------------------------- ticks


def _nice_step(span: float, n: int) -> float:
    raw = span / max(n, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= m * mag * (1 + 1e-9):
            return m * mag
    return 10.0 * mag


def nice_ticks(lo: float, hi: float, n: int = 5, *, integer: bool = False) -> list[float]:
    """About ``n`` round values inside ``[lo, hi]`` (integers only when ``integer``)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        return [round(lo)] if integer and lo == round(lo) else ([] if integer else [lo])
    span = hi - lo
    if not math.isfinite(span) or span / max(n, 1) < 1e-300:
        return [lo, hi]  # a span that overflows, or one of a few subnormals: its ends
    step = _nice_step(span, n)
    if integer:
        step = max(1.0, float(round(step)) if step >= 1 else 1.0)
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    if last - first > 4 * n:  # a span too small for the float's precision
        return [lo, hi]
    ticks = [k * step for k in range(first, last + 1)]
    return [float(round(t)) if integer else (0.0 if abs(t) < step * 1e-9 else t) for t in ticks]


def fmt_tick(v: float, ticks: Sequence[float], *, integer: bool = False) -> str:
    """A tick label with just the decimals its neighbours need (``0.25``, ``1.2e5``, ``20k``)."""
    if integer:
        a = abs(v)
        if a >= 1e6:
            s = f"{v / 1e6:.3g}M"
        elif a >= 1e5 and len(f"{int(v):,}") > 7:
            s = f"{v / 1e3:.4g}k"
        else:
            s = f"{round(v):,}"
        return s.replace("-", MINUS)
    step = min((abs(b - a) for a, b in zip(ticks, ticks[1:])), default=abs(v) or 1.0) or 1.0
    big = max((abs(t) for t in ticks), default=abs(v))
    if big >= 1e5 or (big < 1e-3 and big > 0):
        digits = max(1, min(6, int(math.floor(math.log10(big)) - math.floor(math.log10(step))) + 1))
        m, _, e = f"{v:.{digits - 1}e}".partition("e")
        m = m.rstrip("0").rstrip(".") if "." in m else m
        s = "0" if float(m) == 0 else f"{m}e{int(e)}"
    else:
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        while decimals < 10 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:
            decimals += 1  # a step of 0.25 needs two decimals
        s = f"{v:.{decimals}f}"
        if float(s) == 0:
            s = "0"
    return s.replace("-", MINUS)


#: tick intervals of a wall-clock axis (seconds)
_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_TIME_STEPS = (
    *(1, 2, 5, 10, 15, 30),
    *(_MINUTE * m for m in (1, 2, 5, 10, 15, 30)),
    *(_HOUR * h for h in (1, 2, 3, 6, 12)),
    *(_DAY * d for d in (1, 2, 7, 14, 30, 91, 365)),
)


def time_ticks(lo: float, hi: float, n: int = 4) -> list[tuple[float, str]]:
    """Round wall-clock times (epoch seconds) inside ``[lo, hi]`` with UTC labels."""
    import datetime as dt  # the standard library's dates: only for a wall-clock axis

    if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
        return []
    span = hi - lo
    step = next((s for s in _TIME_STEPS if span / s <= n), _TIME_STEPS[-1])
    fmt = "%Y-%m-%d" if step >= 86400 else ("%H:%M" if step >= 60 else "%H:%M:%S")
    out: list[tuple[float, str]] = []
    try:
        t = math.ceil(lo / step) * step
        while t <= hi and len(out) <= 2 * n:
            stamp = dt.datetime.fromtimestamp(t, dt.timezone.utc)
            out.append((float(t), stamp.strftime(fmt)))
            t += step
    except (OverflowError, OSError, ValueError):  # a time no calendar holds
        return []
    return out


# --------------------------------------------------------------------------- scales


@dataclass(frozen=True)
class Scale:
    """A linear map from the domain ``[d0, d1]`` to pixels ``[r0, r1]``."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, v: float) -> float:
        if self.d1 == self.d0:
            return (self.r0 + self.r1) / 2
        return self.r0 + (v - self.d0) * (self.r1 - self.r0) / (self.d1 - self.d0)

    def array(self, v: FloatArray) -> FloatArray:
        if self.d1 == self.d0:
            return np.full(np.shape(v), (self.r0 + self.r1) / 2)
        out: FloatArray = self.r0 + (np.asarray(v, dtype=np.float64) - self.d0) * (
            (self.r1 - self.r0) / (self.d1 - self.d0)
        )
        return out


def x_axis(
    scale: Scale, y: float, ticks: Sequence[float], *, integer: bool = False, grid: float = 0.0
) -> str:
    """Tick marks and labels below the line ``y`` (grid lines up to ``grid`` when given)."""
    parts = ['<g class="ax x">']
    parts.append(
        f'<line class="dom" x1="{num(scale.r0)}" x2="{num(scale.r1)}" y1="{num(y)}" y2="{num(y)}"/>'
    )
    for t in ticks:
        x = num(scale(t))
        if grid:
            parts.append(f'<line class="gr" x1="{x}" x2="{x}" y1="{num(grid)}" y2="{num(y)}"/>')
        parts.append(f'<line x1="{x}" x2="{x}" y1="{num(y)}" y2="{num(y + 4)}"/>')
        parts.append(
            f'<text x="{x}" y="{num(y + 15)}" text-anchor="middle">'
            f"{esc(fmt_tick(t, ticks, integer=integer))}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


def y_axis(
    scale: Scale,
    x: float,
    ticks: Sequence[float],
    *,
    right: bool = False,
    integer: bool = False,
    grid: float | None = None,
    cls: str = "",
) -> str:
    """Tick marks and labels left of the line ``x`` (right of it when ``right``)."""
    sign = 1 if right else -1
    anchor = "start" if right else "end"
    parts = [f'<g class="ax y{" " + cls if cls else ""}">']
    for t in ticks:
        y = num(scale(t))
        if grid is not None:  # grid lines instead of tick marks
            parts.append(f'<line class="gr" x1="{num(grid)}" x2="{num(x)}" y1="{y}" y2="{y}"/>')
        parts.append(
            f'<text x="{num(x + 5 * sign)}" y="{y}" dy="0.32em" text-anchor="{anchor}">'
            f"{esc(fmt_tick(t, ticks, integer=integer))}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


# --------------------------------------------------------------------------- paths


def polyline(xs: Iterable[float], ys: Iterable[float], digits: int = 1) -> str:
    """``M x y L x y ...`` of the points (consecutive repeats dropped)."""
    out: list[str] = []
    last = ""
    for x, y in zip(xs, ys):
        pt = f"{num(x, digits)} {num(y, digits)}"
        if pt != last:
            out.append(pt)
            last = pt
    if not out:
        return ""
    return "M" + out[0] + ("L" + " ".join(out[1:]) if len(out) > 1 else "")


# --------------------------------------------------------------------------- colour


def _to_lab(hex_color: str) -> tuple[float, float, float]:
    h = hex_color.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    rgb = np.array([int(h[i : i + 2], 16) / 255.0 for i in (0, 2, 4)])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    m = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    xyz = m @ lin / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return float(116 * f[1] - 16), float(500 * (f[0] - f[1])), float(200 * (f[1] - f[2]))


def _from_lab(lab: tuple[float, float, float]) -> str:
    lum, a, b = lab
    fy = (lum + 16) / 116
    f = np.array([fy + a / 500, fy, fy - b / 200])
    xyz = np.where(f > 6 / 29, f**3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * np.array(
        [0.95047, 1.0, 1.08883]
    )
    m = np.array(
        [
            [3.2404542, -1.5371385, -0.4985314],
            [-0.9692660, 1.8760108, 0.0415560],
            [0.0556434, -0.2040259, 1.0572252],
        ]
    )
    lin = np.clip(m @ xyz, 0.0, 1.0)
    rgb = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)
    return "#" + "".join(f"{round(float(c) * 255):02x}" for c in np.clip(rgb, 0.0, 1.0))


def hcl_ramp(color: str, n: int, *, spread: float = 18.0) -> list[str]:
    """``n`` shades of ``color`` from brighter to darker (TensorBoard's histogram fills:
    d3's ``hcl(color).brighter()`` to ``.darker()``, interpolated in HCL)."""
    lum, a, b = _to_lab(color)
    chroma, hue = math.hypot(a, b), math.atan2(b, a)
    out = []
    for i in range(n):
        t = i / (n - 1) if n > 1 else 1.0
        li = lum + spread * (1 - 2 * t)
        out.append(_from_lab((li, chroma * math.cos(hue), chroma * math.sin(hue))))
    return out
