"""Charts: numbers in, deterministic PNG or SVG bytes out.

Only matplotlib's object-oriented API is used (``Figure`` + ``FigureCanvasAgg``), never
``pyplot``: no global figure state, safe in worker processes, nothing pops up.

The work is split in two so it parallelises well:

* **prepare** (in the parent, vectorised numpy): TensorBoard's debiased EMA smoothing,
  the robust y-range, NaN/inf markers and a downsampling that keeps every extreme.
  The result is a small picklable *spec* (:class:`LineChart` and the specs of the other
  kinds, which all implement :class:`ChartSpec`).
* **render** (in a process pool, :func:`render_all`): draw the spec, rasterise, quantise
  the PNG with Pillow (or write a deterministic SVG).

Same spec in, same bytes out: SVG ids come from ``svg.hashsalt`` (salted per chart so
several inline SVGs never share an id), the SVG date is dropped, and the PNG is
re-encoded by Pillow without any metadata.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

#: Chart formats.
FORMATS = ("png", "svg")

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

# Figure geometry (inches at DPI); pixels = inches * DPI.
DPI = 100
LINE_SIZE = (6.4, 3.0)
PNG_COLORS = 96
#: the y-range ignores values beyond the 5th-95th percentiles only when they would
#: stretch it by more than this factor
OUTLIER_STRETCH = 2.0

_INK = "#444444"
# Fixed margins instead of tight_layout (which costs a third of the drawing time).
_MARGINS = {"left": 0.09, "right": 0.985, "top": 0.96, "bottom": 0.15}
_GRID = "#dddddd"


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
    import colorsys

    r, g, b = colorsys.hls_to_rgb(h, lightness, s)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


# --------------------------------------------------------------------------- smoothing


def smooth(values: npt.ArrayLike, weight: float) -> FloatArray:
    """TensorBoard's debiased exponential moving average, vectorised.

    Same definition as TensorBoard's scalar chart: ``last = last * w + (1 - w) * v`` over
    the finite values only, divided by ``1 - w ** n`` (the debias), where ``n`` counts the
    finite values so far. Non-finite values pass through unchanged, and a constant series
    is returned as it is.
    """
    y = np.asarray(values, dtype=np.float64)
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight!r}")
    out = y.copy()
    if y.size == 0 or weight == 0.0 or bool(np.all(y == y[0])):
        return out
    finite = np.isfinite(y)
    f = y[finite]
    if f.size == 0:
        return out
    out[finite] = _debiased_ema(f, weight)
    return out


def _debiased_ema(f: FloatArray, w: float) -> FloatArray:
    n = f.size
    if float(np.max(np.abs(f))) > 1e200:  # the closed form below would lose its range
        return _debiased_ema_loop(f, w)
    last = np.empty(n)
    # Within a chunk: last[k] = w**(k+1) * prev + (1-w) * w**k * cumsum(w**-j * f[j]).
    # The chunk length keeps the cumulative sum of |f| * w**-j below e**650 (float64
    # overflows at e**709), whatever the magnitude of the values.
    fmax = float(np.max(np.abs(f)))
    budget = 650.0 - math.log(max(fmax, 1.0)) - math.log(n + 1.0)
    chunk = max(1, min(n, int(budget / -math.log(w))))
    prev = 0.0
    for start in range(0, n, chunk):
        seg = f[start : start + chunk]
        j = np.arange(seg.size, dtype=np.float64)
        wk = w**j
        acc = np.cumsum(seg / wk) * (1.0 - w)
        seg_last = wk * (w * prev + acc)
        last[start : start + seg.size] = seg_last
        prev = float(seg_last[-1])
    debias = 1.0 - w ** np.arange(1, n + 1, dtype=np.float64)
    result: FloatArray = last / debias
    return result


def _debiased_ema_loop(f: FloatArray, w: float) -> FloatArray:
    out = np.empty(f.size)
    last = 0.0
    for i, v in enumerate(f.tolist()):
        last = last * w + (1.0 - w) * v
        out[i] = last / (1.0 - w ** (i + 1))
    return out


# --------------------------------------------------------------------------- ranges


def robust_range(values: npt.ArrayLike, *, ignore_outliers: bool = True) -> tuple[float, float]:
    """The y-range TensorBoard would pick: the 5th-95th percentile of the finite values,
    when the values beyond would stretch the range more than :data:`OUTLIER_STRETCH`
    times (TensorBoard always clips; that cuts the start of every plain loss curve).

    Padded by 5 % of the span on each side; a flat or empty series gets a sensible
    non-empty range. Points outside are *not* dropped by the caller: they are drawn as
    markers on the edge of the plot.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (-1.0, 1.0)
    lo, hi = float(v.min()), float(v.max())
    if ignore_outliers and v.size >= 5:
        qlo, qhi = (float(q) for q in np.percentile(v, [5.0, 95.0]))
        # Only real outliers are ignored: when the full range is at most twice the
        # percentile range (a plain rising or falling curve), nothing is clipped.
        if qhi > qlo and (hi - lo) > OUTLIER_STRETCH * (qhi - qlo):
            lo, hi = qlo, qhi
    if hi <= lo:
        pad = abs(lo) * 0.1 if lo != 0 else 1.0
        return (lo - pad, hi + pad)
    pad = (hi - lo) * 0.05
    return (lo - pad, hi + pad)


# --------------------------------------------------------------------------- downsampling


def downsample(x: npt.ArrayLike, y: npt.ArrayLike, buckets: int) -> npt.NDArray[np.intp]:
    """Indices to keep so a line drawn ``buckets`` pixels wide looks the same (M4).

    ``x`` must be sorted. Per pixel column it keeps the first, last, minimum and maximum
    point, so every extreme survives, in x order. Non-finite ``y`` are kept as they are
    (they break the line and are marked).
    """
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    n = xa.size
    if n <= 4 * max(buckets, 1):
        return np.arange(n)
    x0, x1 = float(xa[0]), float(xa[-1])
    span = x1 - x0
    if not span > 0:
        bucket = np.zeros(n, dtype=np.int64)
    else:
        bucket = np.minimum(((xa - x0) / span * buckets).astype(np.int64), buckets - 1)
    finite = np.isfinite(ya)
    keep = [np.flatnonzero(~finite)]
    idx = np.flatnonzero(finite)
    if idx.size:
        b = bucket[idx]
        yv = ya[idx]
        order = np.lexsort((yv, b))  # by bucket, then value
        sb = b[order]
        starts = np.flatnonzero(np.r_[True, sb[1:] != sb[:-1]])
        ends = np.r_[starts[1:], sb.size] - 1
        keep.append(idx[order[starts]])  # minimum per bucket
        keep.append(idx[order[ends]])  # maximum per bucket
        # first and last (in x) of each bucket
        bstarts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
        bends = np.r_[bstarts[1:], b.size] - 1
        keep.append(idx[bstarts])
        keep.append(idx[bends])
    return np.unique(np.concatenate(keep))


# --------------------------------------------------------------------------- specs


class ChartSpec(Protocol):
    """Anything :func:`render_chart` can draw."""

    @property
    def size(self) -> tuple[float, float]:
        """Figure size in inches."""

    def draw(self, fig: Figure) -> None:
        """Draw onto a fresh figure."""


@dataclass(frozen=True)
class Series:
    """One run's line in a :class:`LineChart`, already smoothed, sorted and downsampled."""

    color: str
    x: FloatArray
    y: FloatArray
    smoothed: FloatArray | None = None
    smoothed_x: FloatArray | None = None
    nan_x: FloatArray = field(default_factory=lambda: np.empty(0))
    posinf_x: FloatArray = field(default_factory=lambda: np.empty(0))
    neginf_x: FloatArray = field(default_factory=lambda: np.empty(0))
    label: str = ""
    # matplotlib line style ("-" or (offset, dashes)): tells several tags of one run apart
    linestyle: str | tuple[float, tuple[float, ...]] = "-"


@dataclass(frozen=True)
class LineChart:
    """Several runs' lines overlaid on one axes (a scalar tag, or a custom-scalar chart)."""

    series: tuple[Series, ...]
    ylim: tuple[float, float]
    x_axis: str = "step"  # step | relative | wall
    size: tuple[float, float] = LINE_SIZE
    bands: tuple[tuple[str, FloatArray, FloatArray, FloatArray], ...] = ()  # (color, x, lo, hi)
    references: tuple[tuple[str, float], ...] = ()  # (color, y): dashed lines (--baseline)

    def draw(self, fig: Figure) -> None:
        ax = _axes(fig)
        lo, hi = self.ylim
        for color, bx, blo, bhi in self.bands:
            ax.fill_between(bx, blo, bhi, color=color, alpha=0.18, linewidth=0)
        for color, y in self.references:
            ax.axhline(y, color=color, linestyle=(0, (5, 3)), linewidth=1.1, zorder=1.5)
        faded = any(s.smoothed is not None for s in self.series)
        for s in self.series:
            yv = np.where(np.isfinite(s.y), s.y, np.nan)
            if s.x.size == 1 or (s.x.size > 0 and np.count_nonzero(np.isfinite(yv)) == 1):
                ax.plot(s.x, yv, "o", color=s.color, markersize=4)
            elif faded:
                ax.plot(s.x, yv, color=s.color, alpha=0.28, linewidth=1.0, linestyle=s.linestyle)
            else:
                ax.plot(s.x, yv, color=s.color, linewidth=1.4, linestyle=s.linestyle)
            if s.smoothed is not None and s.smoothed_x is not None and s.smoothed_x.size > 1:
                sm = np.where(np.isfinite(s.smoothed), s.smoothed, np.nan)
                ax.plot(s.smoothed_x, sm, color=s.color, linewidth=1.6, linestyle=s.linestyle)
            # Points beyond the robust range are clipped, never hidden: the line runs off
            # the edge, and each run's most extreme point on each side gets a marker.
            finite = np.isfinite(s.y)
            with np.errstate(invalid="ignore"):
                up = finite & (s.y > hi)
                down = finite & (s.y < lo)
            edge = ax.get_xaxis_transform()
            marks: list[tuple[FloatArray, float, str, bool]] = []
            if up.any():
                marks.append(
                    (s.x[up][np.argmax(s.y[up]) : np.argmax(s.y[up]) + 1], 1.0, "^", False)
                )
            if down.any():
                marks.append(
                    (s.x[down][np.argmin(s.y[down]) : np.argmin(s.y[down]) + 1], 0.0, "v", False)
                )
            marks.append((s.posinf_x, 1.0, "^", True))
            marks.append((s.neginf_x, 0.0, "v", True))
            for xs, ypos, marker, filled in marks:
                if xs.size:
                    ax.plot(
                        xs,
                        np.full(xs.size, ypos),
                        marker,
                        transform=edge,
                        clip_on=False,
                        color=s.color,
                        markersize=6 if filled else 5,
                        markerfacecolor=s.color if filled else "white",
                        zorder=5,
                    )
            if s.nan_x.size:
                ax.plot(
                    s.nan_x,
                    np.full(s.nan_x.size, 0.04),
                    "x",
                    transform=edge,
                    clip_on=False,
                    color=s.color,
                    markersize=6,
                    markeredgewidth=1.6,
                    zorder=5,
                )
        ax.set_ylim(lo, hi)
        _format_x(ax, self.x_axis)


def _axes(fig: Figure) -> Axes:
    ax = fig.add_subplot(1, 1, 1)
    ax.grid(True, color=_GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#999999")
    ax.tick_params(colors=_INK, labelsize=8, length=3)
    ax.margins(x=0.01)
    # fewer ticks: each costs a Tick object with lines and texts (a third of the drawing)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=7))
    return ax


def _format_x(ax: Axes, x_axis: str) -> None:
    if x_axis == "wall":
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator(tz="UTC")
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz="UTC"))
    elif x_axis == "relative":
        ax.set_xlabel("hours since the run's first event", fontsize=8, color=_INK)
    else:
        ax.set_xlabel("step", fontsize=8, color=_INK)


# --------------------------------------------------------------------------- preparation


@dataclass(frozen=True)
class PreparedLine:
    """A run's series for one tag after :func:`prepare_series` (also used for the legend)."""

    series: Series
    last_value: float
    last_smoothed: float
    last_step: int
    count: int
    nan: int
    posinf: int
    neginf: int
    raw_values: FloatArray  # sorted, deduplicated (for the y-range)


def x_values(
    steps: npt.NDArray[Any], wall_times: npt.NDArray[Any], x_axis: str, start_time: float
) -> FloatArray:
    """The x coordinate of each point for ``--x-axis``."""
    if x_axis == "step":
        return np.asarray(steps, dtype=np.float64)
    wt = np.asarray(wall_times, dtype=np.float64)
    if x_axis == "relative":
        return (wt - start_time) / 3600.0
    if x_axis == "wall":
        return wt / 86400.0  # matplotlib date numbers: days since 1970-01-01
    raise ValueError(f"x_axis must be one of step, relative, wall; got {x_axis!r}")


def prepare_series(
    steps: npt.ArrayLike,
    wall_times: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    color: str,
    smoothing: float,
    x_axis: str = "step",
    start_time: float | None = None,
    width_px: int = 560,
    label: str = "",
) -> PreparedLine:
    """Sort by step (a later record at the same step wins, so a resumed run has no
    zig-zag), smooth, split out the non-finite points, and downsample for the pixels."""
    st = np.asarray(steps, dtype=np.int64)
    wt = np.asarray(wall_times, dtype=np.float64)
    va = np.asarray(values, dtype=np.float64)
    if st.size > 1 and not bool(np.all(st[1:] > st[:-1])):
        # keep the last record of each step, ordered by step
        rev = st[::-1]
        _, first_in_rev = np.unique(rev, return_index=True)
        keep = st.size - 1 - first_in_rev  # indices of last occurrences, sorted by step
        st, wt, va = st[keep], wt[keep], va[keep]
    t0 = float(wt.min()) if (start_time is None and wt.size) else (start_time or 0.0)
    x = x_values(st, wt, x_axis, t0)
    if x_axis != "step" and x.size:
        order = np.argsort(x, kind="stable")
        x, st, va = x[order], st[order], va[order]
    sm = smooth(va, smoothing) if smoothing > 0 else None
    nan_mask = np.isnan(va)
    pos = np.isposinf(va)
    neg = np.isneginf(va)
    idx = downsample(x, va, max(1, width_px // 2))  # 2 px per bucket: 4 points keep its extremes
    # the smoothed line changes slowly: the raw line's points (4 per 2 px) draw it exactly
    sidx = None if sm is None else idx
    series = Series(
        color=color,
        x=x[idx],
        y=va[idx],
        smoothed=None if sm is None or sidx is None else sm[sidx],
        smoothed_x=None if sidx is None else x[sidx],
        nan_x=x[nan_mask],
        posinf_x=x[pos],
        neginf_x=x[neg],
        label=label,
    )
    return PreparedLine(
        series=series,
        last_value=float(va[-1]) if va.size else math.nan,
        last_smoothed=float(sm[-1]) if (sm is not None and sm.size) else math.nan,
        last_step=int(st[-1]) if st.size else 0,
        count=int(va.size),
        nan=int(nan_mask.sum()),
        posinf=int(pos.sum()),
        neginf=int(neg.sum()),
        raw_values=va,
    )


def line_chart(lines: Sequence[PreparedLine], *, x_axis: str = "step") -> tuple[LineChart, int]:
    """Overlay prepared lines; returns the chart and how many finite points lie beyond
    its y-range (marked on the edge)."""
    finite = [p.raw_values[np.isfinite(p.raw_values)] for p in lines]
    allv = np.concatenate(finite) if finite else np.empty(0)
    lo, hi = robust_range(allv)
    beyond = int(np.count_nonzero((allv < lo) | (allv > hi)))
    return LineChart(series=tuple(p.series for p in lines), ylim=(lo, hi), x_axis=x_axis), beyond


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Rendered:
    """A drawn chart: ``svg`` holds inline markup, ``data_uri`` a PNG ``data:`` URI."""

    width: int
    height: int
    svg: str = ""
    data_uri: str = ""


_SVG_STRIP = (
    re.compile(r"<\?xml[^>]*\?>\s*"),
    re.compile(r"<!DOCTYPE[^>]*>\s*"),
    re.compile(r"<metadata>.*?</metadata>\s*", re.S),
    re.compile(r'\s+xmlns(:\w+)?="[^"]*"'),
)


def clean_svg(svg: str) -> str:
    """Make SVG markup fit for inlining into HTML: no XML prolog, DOCTYPE, RDF metadata
    or namespace declarations (an HTML parser knows SVG; it keeps the page free of any
    ``http://`` string)."""
    for pattern in _SVG_STRIP:
        svg = pattern.sub("", svg)
    # path coordinates to 0.1 pt (a tenth of a pixel): a third of an SVG chart's bytes
    svg = _PATH_DATA.sub(lambda m: _DECIMALS.sub(r"\1", m.group(0)), svg)
    return svg.strip()


_PATH_DATA = re.compile(r'\sd="[^"]*"')
_DECIMALS = re.compile(r"(\d\.\d)\d+")


def render_chart(spec: ChartSpec, fmt: str = "png", salt: str = "tbreport") -> Rendered:
    """Draw one spec and encode it. Deterministic for a given (spec, fmt, salt)."""
    import base64

    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if fmt not in FORMATS:
        raise ValueError(f"chart format must be png or svg, got {fmt!r}")
    rc = dict(_RC, **{"svg.hashsalt": salt})
    if _IN_WORKER:  # our own process: set once (rc_context's deep copies cost ~5 ms a chart)
        matplotlib.rcParams["svg.hashsalt"] = salt
        context: Any = contextlib.nullcontext()
    else:  # the caller's process: leave its matplotlib settings as they were
        context = matplotlib.rc_context(rc)
    with context:
        fig = Figure(figsize=spec.size, dpi=DPI, facecolor="white")
        canvas = FigureCanvasAgg(fig)
        spec.draw(fig)
        fig.subplots_adjust(**getattr(spec, "margins", _MARGINS))
        width, height = (round(v) for v in fig.get_size_inches() * DPI)
        if fmt == "svg":
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None}, facecolor="white")
            return Rendered(width=width, height=height, svg=clean_svg(buf.getvalue()))
        canvas.draw()
        rgba = canvas.buffer_rgba()
        png = _quantised_png(bytes(rgba), canvas.get_width_height())
    width, height = canvas.get_width_height()
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return Rendered(width=width, height=height, data_uri=uri)


def _quantised_png(rgba: bytes, size: tuple[int, int]) -> bytes:
    from PIL import Image

    img = Image.frombuffer("RGBA", size, rgba, "raw", "RGBA", 0, 1).convert("RGB")
    pal = img.quantize(
        colors=PNG_COLORS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    pal.save(out, format="PNG", compress_level=7)
    return out.getvalue()


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


def _init_worker() -> None:
    """Chart worker start-up: this process is ours, so set matplotlib's settings once."""
    global _IN_WORKER
    import matplotlib

    matplotlib.rcParams.update(_RC)
    _IN_WORKER = True


def _render_job(job: tuple[ChartSpec, str, str]) -> Rendered:
    spec, fmt, salt = job
    return render_chart(spec, fmt, salt)


def default_jobs() -> int:
    """All cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class ChartPool:
    """Draws charts while the caller is still preparing the next ones.

    :meth:`submit` queues a spec. Once :data:`POOL_MIN` charts are queued (and ``jobs``
    > 1) worker processes start and every further spec goes to them at once, so
    preparing (numpy, in this process) overlaps drawing (matplotlib, in the workers).
    :meth:`results` returns every chart in submission order; fewer charts, or one job,
    are drawn in this process (a pool only pays off beyond a few hundred milliseconds).
    """

    def __init__(self, *, fmt: str = "png", jobs: int | None = None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"chart format must be png or svg, got {fmt!r}")
        self.fmt = fmt
        self.jobs = default_jobs() if not jobs or jobs < 1 else jobs
        self._work: list[tuple[ChartSpec, str, str]] = []
        self._futures: list[Any] = []
        self._pool: Any = None
        self._broken = False

    def __len__(self) -> int:
        return len(self._work)

    def specs(self) -> list[ChartSpec]:
        """The specs submitted so far, in order."""
        return [spec for spec, _, _ in self._work]

    def submit(self, spec: ChartSpec, salt: str) -> int:
        """Queue one chart; returns its index in :meth:`results`."""
        self._work.append((spec, self.fmt, salt))
        if self.jobs > 1 and not self._broken:
            if self._pool is None and len(self._work) >= POOL_MIN:
                self._start()
            if self._pool is not None:
                try:
                    while len(self._futures) < len(self._work):
                        self._futures.append(
                            self._pool.submit(_render_job, self._work[len(self._futures)])
                        )
                except (RuntimeError, OSError) as exc:  # a broken pool: draw here instead
                    self._give_up(exc)
        return len(self._work) - 1

    def _start(self) -> None:
        import concurrent.futures
        import multiprocessing
        import threading

        # fork when this process has one thread (the usual case): workers start at once
        # and never re-import the caller's __main__ (a script without a main guard,
        # `python -`). With other threads alive, fork could copy a held lock: use a
        # forkserver that has imported matplotlib once instead.
        methods = multiprocessing.get_all_start_methods()
        ctx: Any
        if "fork" in methods and threading.active_count() == 1:
            ctx = multiprocessing.get_context("fork")
        elif "forkserver" in methods:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(
                ["tbreport.render.charts", "matplotlib.backends.backend_agg"]
            )
        else:
            ctx = multiprocessing.get_context("spawn")
        try:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                initializer=_init_worker, max_workers=self.jobs, mp_context=ctx
            )
        except (OSError, ValueError) as exc:
            self._give_up(exc)

    def _give_up(self, exc: BaseException) -> None:
        logger.info("chart workers failed (%s); drawing in this process", exc)
        self._broken = True
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def results(self, progress: Callable[[int], None] | None = None) -> list[Rendered]:
        """Every chart, in submission order (waits for the workers)."""
        import concurrent.futures

        out: list[Rendered] = []
        try:
            for i, job in enumerate(self._work):
                rendered: Rendered | None = None
                if i < len(self._futures) and not self._broken:
                    try:
                        rendered = self._futures[i].result()
                    except (concurrent.futures.process.BrokenProcessPool, OSError) as exc:
                        self._give_up(exc)
                out.append(rendered if rendered is not None else _render_job(job))
                if progress:
                    progress(1)
        finally:
            self.close()
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ChartPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: a pool starts once this many charts are queued
POOL_MIN = 8


def render_all(
    specs: Sequence[tuple[ChartSpec, str]],
    *,
    fmt: str = "png",
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Rendered]:
    """Render ``(spec, salt)`` pairs on ``jobs`` processes (default: all cores), in order."""
    with ChartPool(fmt=fmt, jobs=jobs) as pool:
        for spec, salt in specs:
            pool.submit(spec, salt)
        return pool.results(progress)
