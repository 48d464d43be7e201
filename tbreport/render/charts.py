"""Charts: a spec in, deterministic PNG or SVG bytes out.

Only matplotlib's object-oriented API is used (``Figure`` + ``FigureCanvasAgg``), never
``pyplot``: no global figure state, safe in worker processes, nothing pops up; and
matplotlib is imported only inside the functions that draw.

A *spec* (:class:`ChartSpec`) is a small picklable description of one chart (line
charts: :mod:`tbreport.render.lines`; the other kinds' specs sit with their section).
:func:`render_chart` draws it and encodes it: the PNG quantised with Pillow and written
without metadata, or a deterministic SVG (ids from ``svg.hashsalt``, salted per chart
so several inline SVGs never share an id; no date). Same spec in, same bytes out.
:mod:`tbreport.render.pool` draws many on every core.

**Dark mode.** Asked for (``dark=True``: the report, not the e-mail), a PNG chart comes
with a second PNG for a dark page: its theme colours (:data:`DARK_THEME`: white panel,
grey ink, grid and spines) become the report's dark ones and each run colour the one
TensorBoard shows on a dark page (:func:`tbreport.render.colors.dark_variant`, as the
legend swatches do). A line chart's twin is its light picture with the palette
recoloured (:func:`_dark_palette`: each palette colour unmixed into at most two of the
figure's colours over white; about 1 ms, where drawing again costs as much as the
chart); a figure with data colours (a shaded mesh) is drawn again after
:func:`to_dark`. The report shows it in a ``<picture>`` whose dark source applies
on a dark *screen* only: paper stays light. An SVG chart needs no second copy: its
theme colours become CSS variables (:func:`themed_svg`) that ``style.css`` sets for a
dark screen.
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from tbreport.options import FORMATS
from tbreport.render.colors import DARK_VARIANTS, dark_variant

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from PIL import Image

__all__ = [
    "DARK_THEME",
    "DPI",
    "FORMATS",
    "LINE_FONT",
    "LINE_MARGINS",
    "LINE_SCALE",
    "LINE_SIZE",
    "ChartSpec",
    "Rendered",
    "axes",
    "clean_svg",
    "format_x",
    "render_chart",
    "themed_svg",
    "to_dark",
    "use_worker_settings",
]

logger = logging.getLogger(__name__)

#: figure geometry (inches at DPI); pixels = inches * DPI
DPI = 100


#: a line chart's size in inches: at DPI, its size in CSS pixels, about what a report
#: card shows it at (~476 CSS px wide at a 1280 px window), so its text keeps its size
LINE_SIZE = (4.8, 2.4)
#: a line chart has this many times its CSS size in pixels: sharp on a 2x screen and
#: when a card shows it larger
LINE_SCALE = 2.0
#: tick and axis-label text of line charts, in points: 8.5 pt at 100 dpi is ~11.8 px,
#: ~11.6 CSS px in a 476 px card (TensorBoard's axes use 11 px)
LINE_FONT = 8.5
#: a line chart's margins (fractions of the figure), room for ticks of that size
LINE_MARGINS = {"left": 0.125, "right": 0.97, "top": 0.955, "bottom": 0.2}


PNG_COLORS = 96


_INK = "#444444"


# Fixed margins instead of tight_layout (which costs a third of the drawing time).
_MARGINS = {"left": 0.09, "right": 0.985, "top": 0.96, "bottom": 0.15}


_GRID = "#dddddd"


_SPINE = "#999999"


#: each theme colour of a light chart and its dark-page value: the panel is the report's
#: dark card (style.css ``--card``), ink and grid as the live charts' (charts.css)
DARK_THEME = {
    "#ffffff": "#1d2128",  # figure and axes background, hollow markers
    "#000000": "#e3e7ee",  # matplotlib's default text
    _INK: "#c3cad5",  # ticks, tick labels, axis labels, titles
    _GRID: "#323844",
    _SPINE: "#6b7482",
}


class ChartSpec(Protocol):
    """Anything :func:`render_chart` can draw."""

    @property
    def size(self) -> tuple[float, float]:
        """Figure size in inches."""

    def draw(self, fig: Figure) -> None:
        """Draw onto a fresh figure."""


def axes(fig: Figure, *, labelsize: float = 8) -> Axes:
    ax = fig.add_subplot(1, 1, 1)
    ax.grid(True, color=_GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(_SPINE)
    ax.tick_params(colors=_INK, labelsize=labelsize, length=3)
    ax.margins(x=0.01)
    # fewer ticks: each costs a Tick object with lines and texts (a third of the drawing)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=7))
    return ax


def format_x(ax: Axes, x_axis: str, *, fontsize: float = 8, origin: int = 0) -> None:
    """The x-axis's ticks and title (steps counted from ``origin`` say so)."""
    if x_axis == "wall":
        import matplotlib.dates as mdates  # matplotlib: only when drawing

        locator = mdates.AutoDateLocator(tz="UTC")
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz="UTC"))
    elif x_axis == "relative":
        ax.set_xlabel("hours since the run's first event", fontsize=fontsize, color=_INK)
    elif origin:
        from matplotlib.ticker import MaxNLocator  # matplotlib: only when drawing

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps: whole numbers
        sign = "\u2212" if origin > 0 else "+"
        ax.set_xlabel(f"step {sign} {abs(origin):,}", fontsize=fontsize, color=_INK, labelpad=2)
    else:
        from matplotlib.ticker import FuncFormatter  # matplotlib: only when drawing

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: step_label(v)))
        ax.set_xlabel("step", fontsize=fontsize, color=_INK, labelpad=2)


def step_label(value: float) -> str:
    """A step tick as TensorBoard writes it: ``300``, ``1,500``, ``20k``, ``1.5M``."""
    a = abs(value)
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if a >= 10 * size if unit == "k" else a >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:,.0f}" if value == round(value) else f"{value:.3g}"


@dataclass(frozen=True)
class Rendered:
    """A drawn chart: ``svg`` holds inline markup, ``data_uri`` a PNG ``data:`` URI."""

    width: int
    height: int
    svg: str = ""
    data_uri: str = ""
    dark_uri: str = ""  # the PNG for a dark page (when asked for)


_SVG_STRIP = (
    re.compile(r"<\?xml[^>]*\?>\s*"),
    re.compile(r"<!DOCTYPE[^>]*>\s*"),
    re.compile(r"<metadata>.*?</metadata>\s*", re.S),
    re.compile(r'\s+xmlns(:\w+)?="[^"]*"'),
    # matplotlib's "*{stroke-linejoin: round; stroke-linecap: butt}" in every chart: inline,
    # a page-wide rule repeated per chart; style.css has it once, for charts only
    re.compile(r'\s*<style type="text/css">\*\{[^}<]*\}</style>'),
    re.compile(r"\s*<defs>\s*</defs>"),
)


def clean_svg(svg: str) -> str:
    """Make SVG markup fit for inlining into HTML: no XML prolog, DOCTYPE, RDF metadata
    or namespace declarations (an HTML parser knows SVG; it keeps the page free of any
    ``http://`` string), nor matplotlib's page-wide ``*{...}`` style rule."""
    for pattern in _SVG_STRIP:
        svg = pattern.sub("", svg)
    # path coordinates to 0.1 pt (a tenth of a pixel): a third of an SVG chart's bytes
    svg = _PATH_DATA.sub(lambda m: _DECIMALS.sub(r"\1", m.group(0)), svg)
    return svg.strip()


_PATH_DATA = re.compile(r'\sd="[^"]*"')


_DECIMALS = re.compile(r"(\d\.\d)\d+")


def render_chart(
    spec: ChartSpec, fmt: str = "png", salt: str = "tbreport", *, dark: bool = False
) -> Rendered:
    """Draw one spec and encode it. Deterministic for a given (spec, fmt, salt, dark).
    ``dark``: a PNG also for a dark page (``dark_uri``); an SVG with its theme colours
    as CSS variables (:func:`themed_svg`).

    A spec's ``scale`` (default 1) draws a PNG with that many pixels per CSS pixel; the
    :class:`Rendered` size stays the CSS size (``size`` inches at :data:`DPI`)."""

    import matplotlib  # matplotlib: only when drawing
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # matplotlib: only when drawing
    from matplotlib.figure import Figure  # matplotlib: only when drawing

    if fmt not in FORMATS:
        raise ValueError(f"chart format must be png or svg, got {fmt!r}")
    rc = dict(_RC, **{"svg.hashsalt": salt})
    if _IN_WORKER:  # our own process: set once (rc_context's deep copies cost ~5 ms a chart)
        matplotlib.rcParams["svg.hashsalt"] = salt
        context: Any = contextlib.nullcontext()
    else:  # the caller's process: leave its matplotlib settings as they were
        context = matplotlib.rc_context(rc)
    with context:
        scale = float(getattr(spec, "scale", 1.0)) if fmt == "png" else 1.0
        fig = Figure(figsize=spec.size, dpi=DPI * scale, facecolor="white")
        canvas = FigureCanvasAgg(fig)
        spec.draw(fig)
        fig.subplots_adjust(**getattr(spec, "margins", _MARGINS))
        width, height = (round(v) for v in fig.get_size_inches() * DPI)
        if fmt == "svg":
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None}, facecolor="white")
            svg = clean_svg(buf.getvalue())
            return Rendered(width=width, height=height, svg=themed_svg(svg) if dark else svg)
        # a spec may ask for a larger palette (shaded 3-D meshes band with 96 colours)
        colors = int(getattr(spec, "png_colors", PNG_COLORS))
        canvas.draw()
        light = _quantised(bytes(canvas.buffer_rgba()), canvas.get_width_height(), colors)
        dark_png = b""
        if dark:
            # the light picture's palette recoloured when it explains the picture (line
            # charts: ~1 ms); else (shaded surfaces, colour maps) the figure drawn again
            night = _dark_palette(light, _sources(fig))
            if night is None:
                to_dark(fig)
                canvas.draw()
                night = _quantised(bytes(canvas.buffer_rgba()), canvas.get_width_height(), colors)
            dark_png = _png(night)
        png = _png(light)
    return Rendered(width=width, height=height, data_uri=_png_uri(png), dark_uri=_png_uri(dark_png))


def _png_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii") if png else ""


def _dark(color: Any) -> tuple[float, float, float, float] | None:
    """The dark-page value of one matplotlib colour (its alpha kept), or ``None`` when
    it stays as it is (data colours: a mesh's shading, a colour map)."""
    from matplotlib.colors import to_hex, to_rgba  # matplotlib: only when drawing

    if isinstance(color, str) and color.lower() in ("none", "auto"):
        return None
    rgba = to_rgba(color)
    if rgba[3] == 0:
        return None
    light = to_hex(rgba, keep_alpha=False)
    new = DARK_THEME.get(light) or dark_variant(light)
    return None if new == light else to_rgba(new, rgba[3])


def _dark_rows(colors: Any) -> Any:
    """:func:`_dark` of each row of a collection's colour array; ``None`` if none changes."""

    rows = np.asarray(colors, dtype=float)
    if rows.ndim != 2 or not len(rows) or len(rows) > 64:  # many: data (shaded faces)
        return None
    swapped = [_dark(tuple(r)) for r in rows]
    if all(s is None for s in swapped):
        return None
    return np.asarray([s if s is not None else tuple(r) for s, r in zip(swapped, rows)])


def to_dark(fig: Figure) -> None:
    """Swap a drawn figure's theme colours for a dark page's, in place: the
    :data:`DARK_THEME` colours, and run colours for their dark variants. Data colours
    (images, shaded surfaces, colour maps) stay. Call after a first ``draw()``, when
    every tick exists."""
    from matplotlib.collections import Collection  # matplotlib: only when drawing
    from matplotlib.lines import Line2D  # matplotlib: only when drawing
    from matplotlib.patches import Patch  # matplotlib: only when drawing
    from matplotlib.text import Text  # matplotlib: only when drawing

    for ax in fig.axes:
        # ticks made from here on (a redraw may make new ones) take the dark colours
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            which: Literal["x", "y"] = "x" if name == "x" else "y"
            ticks = axis.get_major_ticks()
            if not ticks or ax.name != "rectilinear":
                continue
            t = ticks[0]
            kw = {
                "labelcolor": _dark(t.label1.get_color()),
                "color": _dark(t.tick1line.get_markeredgecolor()),
                "grid_color": _dark(t.gridline.get_color()),
            }
            ax.tick_params(axis=which, which="both", **{k: v for k, v in kw.items() if v})
    for artist in fig.findobj():
        if isinstance(artist, Text):
            new = _dark(artist.get_color())
            if new:
                artist.set_color(new)
        elif isinstance(artist, Line2D):
            for get, put in (
                (artist.get_color, artist.set_color),
                (artist.get_markerfacecolor, artist.set_markerfacecolor),
                (artist.get_markeredgecolor, artist.set_markeredgecolor),
            ):
                new = _dark(get())
                if new:
                    put(new)
        elif isinstance(artist, Patch):
            for getp, putp in (
                (artist.get_facecolor, artist.set_facecolor),
                (artist.get_edgecolor, artist.set_edgecolor),
            ):
                new = _dark(getp())
                if new:
                    putp(new)
        elif isinstance(artist, Collection):
            for getc, putc in (
                (artist.get_facecolor, artist.set_facecolor),
                (artist.get_edgecolor, artist.set_edgecolor),
            ):
                rows = _dark_rows(getc())
                if rows is not None:
                    putc(rows)


_SVG_COLOR = re.compile(r"\b(fill|stroke): ?(#[0-9a-f]{6})\b")


def themed_svg(svg: str) -> str:
    """A matplotlib SVG whose theme and run colours are CSS variables, ``--mpl-RRGGBB``
    (the light colour as the fallback), which ``style.css`` sets on a dark screen: one
    SVG that follows dark mode and prints light."""
    themed = set(DARK_THEME) | set(DARK_VARIANTS)

    def swap(m: re.Match[str]) -> str:
        prop, color = m.group(1), m.group(2)
        if color not in themed:
            return m.group(0)
        return f"{prop}: var(--mpl-{color[1:]}, {color})"

    return _SVG_COLOR.sub(swap, svg)


def _quantised(rgba: bytes, size: tuple[int, int], colors: int = PNG_COLORS) -> Image.Image:
    from PIL import Image  # Pillow: only when drawing

    img = Image.frombuffer("RGBA", size, rgba, "raw", "RGBA", 0, 1).convert("RGB")
    # the octree suits the line charts' few flat colours; a spec asking for a larger
    # palette (shaded surfaces) gets median cut, which keeps smooth ramps (the octree
    # leaves about a dozen levels of a grey ramp)
    method = Image.Quantize.FASTOCTREE if colors <= PNG_COLORS else Image.Quantize.MEDIANCUT
    return img.quantize(colors=colors, method=method, dither=Image.Dither.NONE)


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=7)
    return out.getvalue()


def _sources(fig: Figure) -> list[str] | None:
    """Every flat colour the figure's artists draw with (text, lines, markers, patches,
    small collections), as ``#rrggbb``; ``None`` when it also draws data colours (a 3-D
    axes, an image, a collection of many colours: shading, colour maps)."""
    from matplotlib.collections import Collection  # matplotlib: only when drawing
    from matplotlib.colors import to_hex  # matplotlib: only when drawing
    from matplotlib.lines import Line2D  # matplotlib: only when drawing
    from matplotlib.patches import Patch  # matplotlib: only when drawing
    from matplotlib.text import Text  # matplotlib: only when drawing

    if any(ax.name != "rectilinear" or ax.get_images() for ax in fig.axes):
        return None
    found: list[Any] = [fig.patch.get_facecolor()]
    for artist in fig.findobj():
        if isinstance(artist, Text):
            found.append(artist.get_color())
        elif isinstance(artist, Line2D):
            found += [
                artist.get_color(),
                artist.get_markerfacecolor(),
                artist.get_markeredgecolor(),
            ]
        elif isinstance(artist, Patch):
            found += [artist.get_facecolor(), artist.get_edgecolor()]
        elif isinstance(artist, Collection):
            for rows in (artist.get_facecolor(), artist.get_edgecolor()):
                rows = np.asarray(rows, dtype=float)
                if rows.ndim == 2 and len(rows) > 64:
                    return None
                found += [tuple(r) for r in rows]
    out = set()
    for c in found:
        if isinstance(c, str) and c.lower() in ("none", "auto"):
            continue
        out.add(to_hex(c, keep_alpha=False))
    return sorted(out)


#: a palette colour is explained when a blend of at most two source colours with white
#: comes within this (max channel, 0..1) of it; more unexplained pixels than
#: _UNEXPLAINED and the dark twin is drawn again instead
_NEAR = 0.09
_UNEXPLAINED = 0.01


def _dark_palette(img: Image.Image, sources: Sequence[str] | None) -> Image.Image | None:
    """``img`` (a quantised light chart) with each palette colour recoloured for a dark
    page. matplotlib blends over the white panel (antialiasing, faded lines, bands,
    crossing lines), so each palette colour is read as ``white + x (c1 - white) +
    y (c2 - white)`` for the two source colours that fit it best, and redrawn as
    ``panel + x (dark(c1) - panel) + y (dark(c2) - panel)``. ``None`` when the palette is
    not explained so: the caller draws the figure again."""
    from matplotlib.colors import to_rgb  # matplotlib: only when drawing

    if not sources or len(sources) > 40:
        return None
    index = np.asarray(img)
    counts = np.bincount(index.ravel(), minlength=256)
    used = int(np.flatnonzero(counts).max()) + 1
    pal = np.asarray((img.getpalette() or [])[: 3 * used], dtype=np.float64).reshape(-1, 3) / 255
    span = np.asarray([to_rgb(c) for c in sources]) - 1.0  # from white to each source
    k = len(sources)
    first, second = np.triu_indices(k, 1) if k > 1 else (np.zeros(1, int), np.zeros(1, int))
    a, b = span[first], span[second]
    aa, bb, ab = (a * a).sum(1), (b * b).sum(1), (a * b).sum(1)
    q = pal - 1.0
    qa, qb = q @ a.T, q @ b.T  # palette x pairs
    det = aa * bb - ab * ab
    with np.errstate(divide="ignore", invalid="ignore"):
        two = det > 1e-9
        x = np.where(two, (qa * bb - qb * ab) / det, np.where(aa > 0, qa / aa, 0.0))
        y = np.where(two, (qb * aa - qa * ab) / det, 0.0)
    x, y = np.clip(np.nan_to_num(x), 0.0, 1.0), np.clip(np.nan_to_num(y), 0.0, 1.0)
    total = x + y
    over = total > 1.0
    x[over] /= total[over]
    y[over] /= total[over]
    fit = 1.0 + x[:, :, None] * a[None] + y[:, :, None] * b[None]
    err = np.abs(fit - pal[:, None, :]).max(axis=2)
    # greys are blends of white with any grey source: take the closest sources that
    # explain it (the most coverage), so antialiased ink stays ink, not faded black
    best = (err + 0.02 * (1.0 - x - y)).argmin(axis=1)
    rows = np.arange(used)
    if counts[:used][err[rows, best] > _NEAR].sum() > _UNEXPLAINED * index.size:
        return None
    panel = np.asarray(to_rgb(DARK_THEME["#ffffff"]))
    night = np.asarray([to_rgb(DARK_THEME.get(c) or dark_variant(c)) for c in sources]) - panel
    xs, ys = x[rows, best][:, None], y[rows, best][:, None]
    blank = xs + ys < 0.03  # the octree's near-white is white
    xs, ys = np.where(blank, 0.0, xs), np.where(blank, 0.0, ys)
    new = np.clip(panel + xs * night[first[best]] + ys * night[second[best]], 0.0, 1.0)
    out = img.copy()
    out.putpalette(np.round(new * 255).astype(np.uint8).ravel().tolist())
    return out


#: matplotlib settings of every chart (plus a per-chart ``svg.hashsalt``)
_RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "font.family": ["DejaVu Sans"],
    "font.size": 8,
    "axes.unicode_minus": True,
    "path.simplify": True,
    "agg.path.chunksize": 20000,
}


_IN_WORKER = False


def use_worker_settings() -> None:
    """In a chart worker (a process of our own): set matplotlib's settings once, so
    :func:`render_chart` skips the per-chart ``rc_context`` (~5 ms a chart)."""
    global _IN_WORKER
    import matplotlib  # matplotlib: only when drawing (in a chart worker)

    matplotlib.rcParams.update(_RC)
    _IN_WORKER = True
