"""HParams: a table of runs x hyperparameters x final metrics, and parallel coordinates.

The parallel-coordinates chart is plain SVG written by the template (text from logs is
escaped like everywhere else, and the browser's fonts draw any script).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from tbreport.fmt import fmt_float
from tbreport.kinds.hparams import hparam_names
from tbreport.model import HParamsRow, HParamValue, Run
from tbreport.render.base import Context, Section

logger = logging.getLogger(__name__)

WIDTH = 960
HEIGHT = 320
PAD_X = 70
PAD_TOP = 46
PAD_BOTTOM = 30


@dataclass
class Axis:
    name: str
    x: float
    ticks: list[tuple[float, str]]  # (y, label)
    log: bool
    metric: bool


@dataclass
class Polyline:
    run: str
    color: str
    segments: list[str]  # "x,y x,y ..." runs of consecutive known values
    bridges: list[str]  # "x,y x,y" across axes without a value (drawn dashed)
    points: list[str]  # every known value, "x,y" (drawn as dots)


@dataclass
class ParallelCoords:
    width: int
    height: int
    axes: list[Axis]
    lines: list[Polyline]


@dataclass
class Cell:
    text: str
    sort: str  # numeric key (or the text) for the JS sorter


@dataclass
class HRow:
    run: str
    color: str
    cells: list[Cell]
    status: str


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _cell(v: HParamValue | float | None) -> Cell:
    if v is None:
        return Cell("", "")
    if isinstance(v, bool):
        return Cell(str(v).lower(), str(int(v)))
    if _is_number(v):
        f = float(v)
        return Cell(fmt_float(f, 6), repr(f) if math.isfinite(f) else "")
    return Cell(str(v), str(v))


def _scale(
    values: list[HParamValue | float | None],
) -> tuple[list[float | None], list[tuple[float, str]], bool]:
    """Positions in [0, 1] (None: missing), tick marks, and whether the scale is log."""
    known = [v for v in values if v is not None]
    if known and all(_is_number(v) for v in known):
        nums = [float(v) for v in known if math.isfinite(float(v))]
        if not nums:
            return [None] * len(values), [], False
        lo, hi = min(nums), max(nums)
        log = lo > 0 and hi / lo >= 100
        f = math.log10 if log else (lambda t: t)
        a, b = f(lo), f(hi)

        def pos(v: float) -> float:
            return 0.5 if b == a else (f(v) - a) / (b - a)

        out: list[float | None] = []
        for v in values:
            fv = float(v) if v is not None else math.nan
            out.append(pos(fv) if math.isfinite(fv) else None)
        ticks = [(0.0, fmt_float(lo)), (1.0, fmt_float(hi))] if b != a else [(0.5, fmt_float(lo))]
        return out, ticks, log
    cats = sorted({_cell(v).text for v in known})
    n = len(cats)
    where = {c: (0.5 if n == 1 else i / (n - 1)) for i, c in enumerate(cats)}
    return (
        [where[_cell(v).text] if v is not None else None for v in values],
        [(where[c], c) for c in cats],
        False,
    )


def parallel_coordinates(
    rows: Sequence[HParamsRow],
    hp_names: Sequence[str],
    metric_names: Sequence[str],
    colors: dict[str, str],
) -> ParallelCoords | None:
    names = [(n, False) for n in hp_names] + [(m, True) for m in metric_names]
    if len(names) < 2 or not rows:
        return None
    inner_w = WIDTH - 2 * PAD_X
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    axes: list[Axis] = []
    positions: list[list[float | None]] = []
    for i, (name, metric) in enumerate(names):
        x = PAD_X + inner_w * i / (len(names) - 1)
        values = [(r.metrics.get(name) if metric else r.hparams.get(name)) for r in rows]
        pos, ticks, log = _scale(values)
        positions.append(pos)
        axes.append(
            Axis(
                name,
                round(x, 1),
                [(round(PAD_TOP + inner_h * (1 - t), 1), s) for t, s in ticks],
                log,
                metric,
            )
        )
    lines = []
    for j, row in enumerate(rows):
        # solid through consecutive known values; a dashed bridge over axes the session
        # has no value for (another experiment's hparams), so its metrics stay connected
        segments: list[str] = []
        bridges: list[str] = []
        points: list[str] = []
        current: list[str] = []
        last: str | None = None
        gap = False
        for i, axis in enumerate(axes):
            p = positions[i][j]
            if p is None:
                if len(current) > 1:
                    segments.append(" ".join(current))
                current = []
                gap = True
                continue
            xy = f"{axis.x},{round(PAD_TOP + inner_h * (1 - p), 1)}"
            if gap and last is not None:
                bridges.append(f"{last} {xy}")
            gap = False
            current.append(xy)
            points.append(xy)
            last = xy
        if len(current) > 1:
            segments.append(" ".join(current))
        lines.append(Polyline(row.run, colors.get(row.run, "#888888"), segments, bridges, points))
    return ParallelCoords(WIDTH, HEIGHT, axes, lines)


def build(runs: Sequence[Run], ctx: Context) -> Section | None:
    selected = {r.name for r in runs}
    table_of = ctx.logdir.hparams_table() if ctx.logdir is not None else []
    rows = [r for r in table_of if r.run in selected]
    if not rows:
        return None
    hp_names = hparam_names(runs, rows)
    metric_names = sorted({k for r in rows for k in r.metrics})
    table = [
        HRow(
            r.run,
            ctx.colors.get(r.run, "#888888"),
            [_cell(r.hparams.get(n)) for n in hp_names]
            + [_cell(r.metrics.get(m)) for m in metric_names],
            r.status,
        )
        for r in rows
    ]
    section = Section(
        kind="hparams",
        title="HParams",
        anchor="hparams",
        template="kinds/hparams.html.j2",
        count=len(rows),
    )
    section.data = {
        "hp_names": hp_names,
        "metric_names": metric_names,
        "rows": table,
        "has_status": any(r.status for r in rows),
        "coords": parallel_coordinates(rows, hp_names, metric_names, ctx.colors),
    }
    return section
