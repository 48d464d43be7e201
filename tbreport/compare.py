"""Comparing runs: metric aggregates, baseline deltas, run groups (mean ± std), CSV.

Everything here works on the *purged* view of runs (a resumed run drops the points it
overwrote, as the charts show it) and on one value per step: where a step was written
several times, the latest write wins. On top of that:

* :func:`aggregate` computes ``last`` (the value at the greatest step), ``first`` (at
  the smallest step), ``min``, ``max`` and ``mean``. A NaN anywhere makes ``min``,
  ``max`` and ``mean`` NaN: a gate on them then fails instead of skipping the NaN.
* :func:`direction` guesses whether lower (``loss``, ``error``, ...) or higher
  (``accuracy``, ``f1``, ...) is better from the tag name; ``best`` and the colour of
  a delta need it, and an unknown direction shows neither.
* :func:`group_runs` groups runs with ``--group-by REGEX``: the part of the name the
  regex matches is replaced by ``*``, and runs with the same result form one group
  (``lr_0.1/seed_1``, ``lr_0.1/seed_2`` -> ``lr_0.1/seed_*`` with ``seed_\\d+``). Runs the
  regex does not match stay on their own. A group's value is the mean ± std over the
  members that have the tag; a member whose value is NaN or ±inf (a diverged run) makes
  it NaN, as in gates, and the cell names that member (:func:`mean_std`,
  :func:`group_note`). A member's ``best`` without any finite value is NaN too, so
  ``last`` and ``best`` cover the same members.
* :func:`build_comparison` makes the run table of the report (runs x hparams x last and
  best metrics, group rows with mean ± std, deltas against ``--baseline``) and its CSV.
"""

from __future__ import annotations

import base64
import csv
import io
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import numpy.typing as npt

from tbreport.model import HParamValue, Logdir, Run, ScalarSeries

if TYPE_CHECKING:
    from tbreport.render.base import BuildOptions, Context, Section

Spec = TypeVar("Spec")

__all__ = [
    "AGGREGATES",
    "CompareRow",
    "Comparison",
    "Delta",
    "MetricColumn",
    "MetricStats",
    "RunGroup",
    "aggregate",
    "band",
    "build_comparison",
    "delta",
    "direction",
    "group_colors",
    "group_note",
    "group_runs",
    "key_metrics",
    "mean_std",
    "metric_stats",
    "nonfinite_members",
    "points",
    "select_runs",
    "sparkline",
]

logger = logging.getLogger(__name__)

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]

#: The aggregates a gate may use, in the order ``--help`` lists them.
AGGREGATES: tuple[str, ...] = ("last", "first", "min", "max", "mean")

_LOWER = re.compile(
    r"loss|err|perplex|ppl|mse|mae|rmse|cost|nll|wer|cer|distance|fid|regret|latency", re.I
)
_HIGHER = re.compile(
    r"acc|auc|f1|precision|recall|score|iou|\bmap\b|bleu|rouge|reward|return|psnr|ssim|top\d|ndcg|mrr|dice",
    re.I,
)

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_GAP = "·"


# --------------------------------------------------------------------------- values


def points(series: ScalarSeries) -> tuple[Int64Array, Float64Array]:
    """One value per step, sorted by step; at a step written several times, the last
    write wins (as the charts draw it)."""
    st = np.asarray(series.steps, dtype=np.int64)
    va = np.asarray(series.values, dtype=np.float64)
    if st.size == 0:
        return st, va
    _, first_in_reversed = np.unique(st[::-1], return_index=True)
    keep = st.size - 1 - first_in_reversed
    return st[keep], va[keep]


def aggregate(series: ScalarSeries, agg: str) -> tuple[float, int | None]:
    """``(value, step)`` of aggregate ``agg`` (one of :data:`AGGREGATES`) over the series.

    ``step`` is where the value sits (``None`` for ``mean``, or for ``min``/``max``
    made NaN by a NaN). Raises ``ValueError`` for an unknown aggregate or an empty series.
    """
    if agg not in AGGREGATES:
        raise ValueError(f"unknown aggregate {agg!r}; use one of {', '.join(AGGREGATES)}")
    steps, values = points(series)
    if values.size == 0:
        raise ValueError(f"tag {series.tag!r} has no points")
    if agg == "last":
        return float(values[-1]), int(steps[-1])
    if agg == "first":
        return float(values[0]), int(steps[0])
    if agg == "mean":
        with np.errstate(invalid="ignore", over="ignore"):  # inf + -inf is NaN: fine
            return float(np.mean(values)), None
    if np.isnan(values).any():
        return math.nan, None
    i = int(np.argmin(values) if agg == "min" else np.argmax(values))
    return float(values[i]), int(steps[i])


def direction(tag: str) -> str | None:
    """``"min"`` when lower is better (loss, error, ...), ``"max"`` when higher is better
    (accuracy, f1, ...), ``None`` when the tag name does not say."""
    if _LOWER.search(tag):
        return "min"
    if _HIGHER.search(tag):
        return "max"
    return None


def sparkline(values: npt.ArrayLike, width: int = 16) -> str:
    """A unicode sparkline (``▁▂▃▄▅▆▇█``) of at most ``width`` characters.

    Longer series are cut into ``width`` equal chunks and each chunk drawn at the mean of
    its finite values; a chunk without any finite value is ``·``; a flat series is ``▄``.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0 or width < 1:
        return ""
    chunks = np.array_split(v, min(width, v.size))
    levels = np.empty(len(chunks))
    for i, c in enumerate(chunks):
        f = c[np.isfinite(c)]
        levels[i] = float(f.mean()) if f.size else math.nan
    finite = levels[np.isfinite(levels)]
    if finite.size == 0:
        return SPARK_GAP * len(levels)
    lo, hi = float(finite.min()), float(finite.max())
    top = len(SPARK_BLOCKS) - 1
    out = []
    for x in levels.tolist():
        if not math.isfinite(x):
            out.append(SPARK_GAP)
        elif hi <= lo:
            out.append(SPARK_BLOCKS[top // 2])
        else:
            out.append(SPARK_BLOCKS[round((x - lo) / (hi - lo) * top)])
    return "".join(out)


@dataclass(frozen=True)
class MetricStats:
    """One run's scalar tag, summed up: last value and step, best value and step."""

    run: str
    tag: str
    last: float
    last_step: int
    best: float | None
    best_step: int | None
    count: int
    nonfinite: int
    spark: str


def metric_stats(run: str, series: ScalarSeries, *, spark_width: int = 16) -> MetricStats | None:
    """Stats of ``series`` (``None`` when it is empty). ``best`` follows :func:`direction`
    over the finite values; it is ``None`` when the direction is unknown."""
    steps, values = points(series)
    if values.size == 0:
        return None
    finite = np.isfinite(values)
    best: float | None = None
    best_step: int | None = None
    way = direction(series.tag)
    if way is not None and finite.any():
        idx = np.flatnonzero(finite)
        pick = idx[np.argmin(values[idx]) if way == "min" else np.argmax(values[idx])]
        best, best_step = float(values[pick]), int(steps[pick])
    return MetricStats(
        run=run,
        tag=series.tag,
        last=float(values[-1]),
        last_step=int(steps[-1]),
        best=best,
        best_step=best_step,
        count=int(values.size),
        nonfinite=int((~finite).sum()),
        spark=sparkline(values, spark_width),
    )


def mean_std(values: Sequence[float | None]) -> tuple[float, float, int]:
    """Mean, sample standard deviation (n - 1; 0 for one value) and count ``n`` of the
    values that are not ``None`` (the members that have the tag).

    A NaN or ±inf among them (a diverged run) makes mean and std NaN, as in gates: a
    group is never summed up as if its diverged member did not exist. See
    :func:`nonfinite_members` for naming the culprits."""
    present = [v for v in values if v is not None]
    if not present:
        return math.nan, math.nan, 0
    f = np.array(present, dtype=np.float64)
    if not np.isfinite(f).all():
        return math.nan, math.nan, int(f.size)
    std = float(np.std(f, ddof=1)) if f.size > 1 else 0.0
    return float(f.mean()), std, int(f.size)


def nonfinite_members(members: Sequence[str], values: Sequence[float | None]) -> tuple[str, ...]:
    """The members whose value is NaN or ±inf (they make :func:`mean_std` NaN)."""
    return tuple(m for m, v in zip(members, values) if v is not None and not math.isfinite(v))


def group_note(n: int, total: int, nonfinite: Sequence[str], *, names: int = 3) -> str:
    """What a group's value covers, when that is not simply every member: ``"2 of 3
    runs"`` when some members lack the tag, and the members that are not finite (they
    make the value NaN). ``""`` otherwise. Plain text: escape it where it goes."""
    parts = []
    if n < total:
        parts.append(f"{n} of {total} runs")
    if nonfinite:
        shown = ", ".join(nonfinite[:names])
        more = f" and {len(nonfinite) - names} more" if len(nonfinite) > names else ""
        parts.append(f"not finite: {shown}{more}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- deltas


@dataclass(frozen=True)
class Delta:
    """``value - baseline``; ``relative`` to ``|baseline|`` when it is not 0; ``better``
    is ``None`` when the tag's direction is unknown or nothing changed."""

    absolute: float
    relative: float | None
    better: bool | None

    def text(self) -> str:
        from tbreport.render.assets import fmt_float

        if math.isnan(self.absolute):
            return "NaN"
        sign = "+" if self.absolute > 0 else ""
        out = f"{sign}{fmt_float(self.absolute)}"
        if self.relative is not None and math.isfinite(self.relative):
            out += f" ({'+' if self.relative > 0 else ''}{self.relative * 100:.1f} %)"
        return out

    @property
    def mark(self) -> str:
        """``better``, ``worse`` or ``""`` (for CSS classes and plain text)."""
        if self.better is None:
            return ""
        return "better" if self.better else "worse"


def delta(value: float | None, base: float | None, tag: str) -> Delta | None:
    """The change of ``value`` against ``base`` (``None`` when either is missing)."""
    if value is None or base is None:
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        diff = value - base
    rel = diff / abs(base) if base != 0 and math.isfinite(base) and math.isfinite(diff) else None
    way = direction(tag)
    better: bool | None = None
    if way is not None and math.isfinite(diff) and diff != 0:
        better = (diff < 0) if way == "min" else (diff > 0)
    return Delta(diff, rel, better)


# --------------------------------------------------------------------------- groups


@dataclass(frozen=True)
class RunGroup:
    """Runs whose names are equal once the ``--group-by`` match is replaced by ``*``."""

    label: str
    members: tuple[str, ...]


def check_group_regex(pattern: str) -> re.Pattern[str]:
    """Compile a ``--group-by`` regex; ``ValueError`` if invalid or if it matches ``""``."""
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise ValueError(
            f"--group-by {pattern!r} is not a valid regular expression: {exc}"
        ) from None
    if rx.fullmatch("") is not None:
        raise ValueError(
            f"--group-by {pattern!r} matches the empty string; it must match a part of a run name"
        )
    return rx


def group_runs(names: Sequence[str], pattern: str) -> list[RunGroup]:
    """Groups of the runs ``pattern`` matches (searched in the name), in first-seen order."""
    rx = check_group_regex(pattern)
    groups: dict[str, list[str]] = {}
    for name in names:
        if rx.search(name) is None:
            continue
        groups.setdefault(rx.sub("*", name), []).append(name)
    return [RunGroup(label, tuple(members)) for label, members in groups.items()]


def group_colors(names: Sequence[str], groups: Sequence[RunGroup]) -> dict[str, str]:
    """Run colours where every member of a group shares its group's colour."""
    from tbreport.render.charts import run_colors

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


def band(
    members: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]],
    *,
    smoothing: float = 0.0,
    max_points: int = 600,
) -> tuple[Float64Array, Float64Array, Float64Array, Float64Array] | None:
    """Mean ± std over runs aligned on x: ``(x, mean, lo, hi)``, or ``None``.

    ``members`` are ``(x, y)`` per run (x sorted). Each run is smoothed like the chart's
    solid lines (TensorBoard's EMA, weight ``smoothing``), then linearly interpolated on a
    common grid inside its own x-range; the band is drawn only where at least two runs
    have data.
    """
    from tbreport.render.charts import smooth

    prepared = []
    for x, y in members:
        xa = np.asarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
        ok = np.isfinite(xa) & np.isfinite(ya)
        xa, ya = xa[ok], ya[ok]
        if xa.size == 0:
            continue
        if smoothing > 0:
            ya = smooth(ya, smoothing)
        prepared.append((xa, ya))
    if len(prepared) < 2:
        return None
    grid = np.unique(np.concatenate([x for x, _ in prepared]))
    if grid.size > max_points:
        grid = np.linspace(float(grid[0]), float(grid[-1]), max_points)
    stack = np.full((len(prepared), grid.size), np.nan)
    for i, (xa, ya) in enumerate(prepared):
        inside = (grid >= xa[0]) & (grid <= xa[-1])
        stack[i, inside] = np.interp(grid[inside], xa, ya)
    count = np.sum(np.isfinite(stack), axis=0)
    keep = count >= 2
    if not keep.any():
        return None
    grid, stack, count = grid[keep], stack[:, keep], count[keep]
    mean = np.nanmean(stack, axis=0)
    std = np.nanstd(stack, axis=0, ddof=1)
    return grid, mean, mean - std, mean + std


# --------------------------------------------------------------------------- selection


def select_runs(logdir: Logdir, pattern: str | None) -> list[Run]:
    """The runs whose name matches ``pattern`` (searched; every run for ``None``), purged."""
    runs = list(logdir.runs.values())
    if pattern:
        rx = re.compile(pattern)
        runs = [r for r in runs if rx.search(r.name)]
    return [r.purged() for r in runs]


def key_metrics(
    runs: Sequence[Run],
    *,
    prefer: Sequence[str] = (),
    tag_filter: re.Pattern[str] | None = None,
    limit: int = 8,
) -> list[str]:
    """The scalar tags worth a summary: ``prefer`` first (e.g. the gated tags), then tags
    with a known direction (loss, accuracy, ...), then the rest; within each, the tags
    most runs have first, then by name. At most ``limit`` (``prefer`` always included)."""
    counts: dict[str, int] = {}
    for run in runs:
        for tag, series in run.scalars.items():
            if len(series) and (tag_filter is None or tag_filter.search(tag)):
                counts[tag] = counts.get(tag, 0) + 1
    chosen = [t for t in dict.fromkeys(prefer) if t in counts]
    rest = sorted(
        (t for t in counts if t not in chosen),
        key=lambda t: (direction(t) is None, -counts[t], t),
    )
    return chosen + rest[: max(0, limit - len(chosen))]


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class MetricColumn:
    tag: str
    direction: str | None


@dataclass
class Cell:
    """One value of the comparison table, ready for the template and the CSV."""

    value: float | None = None
    step: int | None = None
    std: float | None = None  # group rows: sample standard deviation
    n: int = 0  # group rows: how many member runs have a value
    total: int = 0  # group rows: how many member runs the group has
    nonfinite: tuple[str, ...] = ()  # group rows: members whose value is NaN/inf
    delta: Delta | None = None
    spark: str = ""  # the run's sparkline (last cells of runs)

    @property
    def text(self) -> str:
        from tbreport.render.assets import fmt_float

        if self.value is None:
            return ""
        if self.std is not None and self.n > 1 and math.isfinite(self.value):
            return f"{fmt_float(self.value)} ± {fmt_float(self.std)}"
        return fmt_float(self.value)

    @property
    def note(self) -> str:
        """Group cells: what the value covers (see :func:`group_note`), else ``""``."""
        if self.value is None or not self.total:
            return ""
        return group_note(self.n, self.total, self.nonfinite)

    @property
    def sort(self) -> str:
        v = self.value
        return repr(v) if v is not None and math.isfinite(v) else ""


@dataclass
class CompareRow:
    """A run (or, for a group, the mean ± std of its member runs)."""

    name: str
    color: str
    hparams: list[str]
    last: list[Cell]
    best: list[Cell]
    members: tuple[str, ...] = ()
    group: str = ""  # the group a run belongs to
    is_group: bool = False
    is_baseline: bool = False


@dataclass
class Comparison:
    """The report's comparison table (see :func:`build_comparison`)."""

    hparam_names: list[str]
    metrics: list[MetricColumn]
    rows: list[CompareRow]
    groups: list[CompareRow] = field(default_factory=list)
    baseline: str | None = None
    group_by: str | None = None

    def csv(self) -> str:
        """Every row as CSV: kind, name, group, hparams, then per tag last, step, best
        (and std for groups, delta with a baseline). Text cells that a spreadsheet would
        run as a formula (``=``, ``+``, ``-``, ``@`` first) are prefixed with ``'``."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        header = ["kind", "name", "group", "members", *self.hparam_names]
        for m in self.metrics:
            header += [f"{m.tag} last", f"{m.tag} step", f"{m.tag} best"]
            if self.group_by:
                header.append(f"{m.tag} last std")
            if self.baseline:
                header.append(f"{m.tag} last delta")
        w.writerow([_csv_text(h) for h in header])
        for row in [*self.rows, *self.groups]:
            line: list[str] = [
                "group" if row.is_group else "run",
                _csv_text(row.name),
                _csv_text(row.group),
                str(len(row.members)) if row.is_group else "",
                *[_csv_text(h) for h in row.hparams],
            ]
            for last, best in zip(row.last, row.best):
                line += [_csv_num(last.value), "" if last.step is None else str(last.step)]
                line.append(_csv_num(best.value))
                if self.group_by:
                    line.append(_csv_num(last.std))
                if self.baseline:
                    line.append(_csv_num(last.delta.absolute if last.delta else None))
            w.writerow(line)
        return out.getvalue()

    def csv_data_uri(self) -> str:
        """The CSV as a ``data:`` URI for a download link (works offline, without JS)."""
        payload = base64.b64encode(("\ufeff" + self.csv()).encode("utf-8")).decode("ascii")
        return "data:text/csv;charset=utf-8;base64," + payload


def _csv_text(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_num(v: float | None) -> str:
    if v is None:
        return ""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def _hp_text(v: HParamValue | None) -> str:
    from tbreport.render.assets import fmt_float

    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return fmt_float(float(v), 6)
    return str(v)


def hparam_values(
    logdir: Logdir, runs: Sequence[Run]
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Hparam names (in declaration order, then sorted) and each run's values as text."""
    names: list[str] = []
    for run in runs:
        if run.hparams is not None:
            for info in run.hparams.hparam_infos:
                if info.name not in names:
                    names.append(info.name)
    selected = {r.name for r in runs}
    values: dict[str, dict[str, str]] = {}
    for row in logdir.hparams_table():
        if row.run in selected:
            values[row.run] = {k: _hp_text(v) for k, v in row.hparams.items()}
    for name in sorted({k for v in values.values() for k in v}):
        if name not in names:
            names.append(name)
    names = [n for n in names if any(n in v for v in values.values())]
    return names, values


def differing_hparams(names: Sequence[str], values: dict[str, dict[str, str]]) -> list[str]:
    """The hparams whose value is not the same in every run that has hparams."""
    return [n for n in names if len({v.get(n, "") for v in values.values()}) > 1]


def _or_nan(v: float | None) -> float:
    return math.nan if v is None else v


def check_baseline(baseline: str, runs: Sequence[str], groups: Sequence[str] = ()) -> None:
    """``ValueError`` naming the choices unless ``baseline`` is one of ``runs`` or ``groups``."""
    if baseline in runs or baseline in groups:
        return
    names = ", ".join(runs)
    more = f"; groups: {', '.join(groups)}" if groups else ""
    raise ValueError(f"--baseline {baseline!r} is not a run of the report (runs: {names}{more})")


def _find_baseline(
    baseline: str, rows: Sequence[CompareRow], groups: Sequence[CompareRow]
) -> CompareRow:
    check_baseline(baseline, [r.name for r in rows], [g.name for g in groups])
    return next(r for r in [*rows, *groups] if r.name == baseline)


def build_comparison(
    logdir: Logdir,
    runs: Sequence[Run],
    tags: Sequence[str],
    colors: dict[str, str],
    *,
    baseline: str | None = None,
    group_by: str | None = None,
) -> Comparison:
    """Runs x hparams x (last, best) of ``tags``; with ``group_by``, group rows with mean ±
    std of each member's value; with ``baseline`` (a run, or a group label), every other
    row's values as deltas against it. ``runs`` should be purged. Raises ``ValueError``
    for an unknown baseline or a bad group regex."""
    hp_names, hp_values = hparam_values(logdir, runs)
    metrics = [MetricColumn(t, direction(t)) for t in tags]
    groups = group_runs([r.name for r in runs], group_by) if group_by else []
    owner = {m: g.label for g in groups for m in g.members}
    stats: dict[tuple[str, str], MetricStats] = {}
    rows: list[CompareRow] = []
    for run in runs:
        last_cells, best_cells = [], []
        for tag in tags:
            s = run.scalars.get(tag)
            st = metric_stats(run.name, s) if s is not None else None
            if st is None:
                last_cells.append(Cell())
                best_cells.append(Cell())
                continue
            stats[(run.name, tag)] = st
            last_cells.append(Cell(st.last, st.last_step, spark=st.spark))
            best_cells.append(Cell(st.best, st.best_step))
        rows.append(
            CompareRow(
                name=run.name,
                color=colors.get(run.name, "#888888"),
                hparams=[hp_values.get(run.name, {}).get(n, "") for n in hp_names],
                last=last_cells,
                best=best_cells,
                group=owner.get(run.name, ""),
            )
        )
    group_rows: list[CompareRow] = []
    for g in groups:
        last_cells, best_cells = [], []
        for tag in tags:
            lasts = [stats[(m, tag)].last if (m, tag) in stats else None for m in g.members]
            # a member without any finite value has no best: NaN, so best and last
            # cover the same members (none when the tag's direction is unknown)
            known = direction(tag) is not None
            bests = [
                _or_nan(stats[(m, tag)].best) if known and (m, tag) in stats else None
                for m in g.members
            ]
            lm, ls, ln = mean_std(lasts)
            bm, bs, bn = mean_std(bests)
            total = len(g.members)
            last_cells.append(
                Cell(
                    lm if ln else None,
                    None,
                    ls if ln else None,
                    ln,
                    total=total,
                    nonfinite=nonfinite_members(g.members, lasts),
                )
            )
            best_cells.append(
                Cell(
                    bm if bn else None,
                    None,
                    bs if bn else None,
                    bn,
                    total=total,
                    nonfinite=nonfinite_members(g.members, bests),
                )
            )
        member_hp = [hp_values.get(m, {}) for m in g.members]
        hps = []
        for n in hp_names:
            seen = sorted({v.get(n, "") for v in member_hp})
            hps.append(seen[0] if len(seen) == 1 else ", ".join(s or "—" for s in seen))
        group_rows.append(
            CompareRow(
                name=g.label,
                color=colors.get(g.label, colors.get(g.members[0], "#888888")),
                hparams=hps,
                last=last_cells,
                best=best_cells,
                members=g.members,
                is_group=True,
            )
        )
    if baseline is not None:
        base = _find_baseline(baseline, rows, group_rows)
        base.is_baseline = True
        for row in [*rows, *group_rows]:
            if row is base:
                continue
            for i, m in enumerate(metrics):
                row.last[i].delta = delta(row.last[i].value, base.last[i].value, m.tag)
                row.best[i].delta = delta(row.best[i].value, base.best[i].value, m.tag)
    return Comparison(hp_names, metrics, rows, group_rows, baseline, group_by)


# --------------------------------------------------------------------------- report hooks


def colors_for(names: Sequence[str], group_by: str | None) -> dict[str, str]:
    """Run colours for the report: members of a ``--group-by`` group share one colour."""
    from tbreport.render.charts import run_colors

    if not group_by:
        return run_colors(names)
    return group_colors(names, group_runs(names, group_by))


@dataclass
class GroupLegend:
    """One group's line under a scalar chart: mean ± std of its members' last values."""

    label: str
    color: str
    n: int
    mean: float
    std: float
    delta: Delta | None = None
    total: int = 0  # members in the group (``n`` of them have the tag)
    nonfinite: tuple[str, ...] = ()  # members whose last value is NaN/inf: mean is NaN

    @property
    def note(self) -> str:
        """What the mean covers when that is not simply every member (see :func:`group_note`)."""
        return group_note(self.n, self.total or self.n, self.nonfinite)


@dataclass
class ChartCompare:
    """What a scalar chart's legend adds: group rows and each run's delta to the baseline."""

    groups: list[GroupLegend] = field(default_factory=list)
    deltas: dict[str, Delta] = field(default_factory=dict)
    baseline: str | None = None
    reference: float | None = None  # the baseline's last value (the chart's dashed line)


def check_report_options(runs: Sequence[Run], options: BuildOptions) -> None:
    """``ValueError`` for a ``--baseline`` that is neither a run nor a ``--group-by`` group
    (called by :func:`tbreport.report.render_html` before anything is drawn)."""
    if options.baseline is None:
        return
    names = [r.name for r in runs]
    groups = group_runs(names, options.group_by) if options.group_by else []
    check_baseline(options.baseline, names, [g.label for g in groups])


def with_bands(spec: Spec, entries: Sequence[tuple[Run, ScalarSeries]], ctx: Context) -> Spec:
    """``spec`` (a scalar tag's ``LineChart``) with what comparing runs adds to a chart:
    a mean ± std band per ``--group-by`` group of at least two runs (in the group's
    colour), and a dashed line at the ``--baseline``'s last value (a run's, or a group's
    mean); ``spec`` itself when there is nothing to add.

    Called by :func:`tbreport.render.scalars.build` before the chart is handed to the
    context to draw. The band follows the solid (smoothed) lines on the chart's x-axis.
    """
    import dataclasses

    from tbreport.render.charts import LineChart, x_values
    from tbreport.render.scalars import run_start_times

    opts = ctx.options
    group_by, baseline = opts.group_by, opts.baseline
    if not (group_by or baseline) or not isinstance(spec, LineChart):
        return spec
    by_name = {run.name: (run, series) for run, series in entries if len(series)}
    groups = group_runs(list(by_name), group_by) if group_by else []
    bands = []
    starts = run_start_times([run for run, _ in by_name.values()]) if groups else {}
    for g in groups:
        if len(g.members) < 2:
            continue
        xy = []
        for m in g.members:
            series = by_name[m][1]
            st, va = points(series)
            x = x_values(st, _wall_per_step(series), opts.x_axis, starts.get(m, 0.0))
            order = np.argsort(x, kind="stable")
            xy.append((x[order], va[order]))
        b = band(xy, smoothing=opts.smoothing)
        if b is not None:
            bx, _, lo, hi = b
            color = ctx.colors.get(g.label, ctx.colors.get(g.members[0], "#888888"))
            bands.append((color, bx, lo, hi))
    references = []
    if baseline:
        lasts = {name: aggregate(series, "last")[0] for name, (_, series) in by_name.items()}
        ref = baseline_value(baseline, lasts, groups)
        if ref is not None and math.isfinite(ref):
            references.append((ctx.colors.get(baseline, "#444444"), ref))
    if not bands and not references:
        return spec
    changed: Spec = dataclasses.replace(
        spec, bands=(*spec.bands, *bands), references=(*spec.references, *references)
    )
    return changed


def baseline_value(
    baseline: str, lasts: dict[str, float], groups: Sequence[RunGroup] = ()
) -> float | None:
    """The baseline's value among ``lasts`` (run -> value): the run's own, or for a group
    label the mean of its members' values (NaN when one is not finite, see
    :func:`mean_std`); ``None`` when it has none."""
    if baseline in lasts:
        return lasts[baseline]
    for g in groups:
        if g.label == baseline:
            mean, _, n = mean_std([lasts.get(m) for m in g.members])
            return mean if n else None
    return None


def decorate_report(sections: Sequence[Section], runs: Sequence[Run], ctx: Context) -> None:
    """Add ``--group-by`` group rows and ``--baseline`` deltas under each scalar chart.

    Called by :func:`tbreport.report.render_html` once the sections are built: each
    scalar section's ``data["compare"][tag]`` gets a :class:`ChartCompare` that
    ``templates/compare_legend.html.j2`` shows under the chart's legend.
    """
    baseline, group_by = ctx.options.baseline, ctx.options.group_by
    if not baseline and not group_by:
        return
    groups = group_runs([r.name for r in runs], group_by) if group_by else []
    for section in sections:
        if section.kind != "scalars":
            continue
        per_tag: dict[str, ChartCompare] = {}
        for group in section.groups:
            for item in group.items:
                tag: str = item.tag
                info = ChartCompare(baseline=baseline)
                lasts: dict[str, float] = {}
                for run in runs:
                    s = run.scalars.get(tag)
                    if s is not None and len(s):
                        lasts[run.name] = aggregate(s, "last")[0]
                for g in groups:
                    members = [m for m in g.members if m in lasts]
                    if members:
                        values = [lasts[m] for m in members]
                        mean, std, n = mean_std(values)
                        color = ctx.colors.get(g.label, ctx.colors.get(members[0], "#888888"))
                        info.groups.append(
                            GroupLegend(
                                g.label,
                                color,
                                n,
                                mean,
                                std,
                                total=len(g.members),
                                nonfinite=nonfinite_members(members, values),
                            )
                        )
                if baseline is not None:
                    base = baseline_value(baseline, lasts, groups)
                    info.reference = base if base is not None and math.isfinite(base) else None
                    for name, value in lasts.items():
                        d = delta(value, base, tag) if name != baseline else None
                        if d is not None:
                            info.deltas[name] = d
                    for gl in info.groups:
                        if gl.label != baseline:
                            gl.delta = delta(gl.mean, base, tag)
                per_tag[tag] = info
        section.data["compare"] = per_tag


def _wall_per_step(series: ScalarSeries) -> Float64Array:
    """The wall time of the last write at each step, in step order (as :func:`points`)."""
    st = np.asarray(series.steps, dtype=np.int64)
    wt = np.asarray(series.wall_times, dtype=np.float64)
    _, first_in_reversed = np.unique(st[::-1], return_index=True)
    keep = st.size - 1 - first_in_reversed
    out: Float64Array = wt[keep]
    return out
