"""Metric math: pure functions over scalar series, below every output.

No plotting, no templates, no I/O: numpy and the data model only. The report's charts
and tables, the markdown summary, the e-mail and the gates all compute through here,
so a value is the same number wherever it is shown.

Everything works on **every logged point** of the series it is given, in the order
it was logged (:func:`points`), as TensorBoard plots it and ``tbreport scalars``
exports it: a step written several times keeps every value, none replaces another.
Callers pass the *purged* view of runs (``SummaryWriter(purge_step=N)`` or
``SessionLog.START``: the points a resumed run overwrote are dropped, as TensorBoard
drops them). Where a series' steps go back without such a purge (a job restarted
into the same directory), each stretch is an **attempt** (:func:`attempt_starts`: a
new attempt starts wherever a step is smaller than the previous point's step).

* :func:`aggregate` computes ``last`` (the last point logged: in the order of the
  run's event files, by name, which starts with their creation time, and of the
  records in each; the last row ``tbreport scalars`` exports for the tag), ``first``
  (the first point logged), ``min``, ``max`` and ``mean`` over every point. A NaN
  anywhere makes ``min``, ``max`` and ``mean`` NaN: a gate on them then fails instead
  of skipping the NaN.
* :func:`direction` guesses whether lower (``loss``, ``error``, ...) or higher
  (``accuracy``, ``f1``, ...) is better from the tag name (:func:`metric_direction`
  also reads the display name and description an hparams experiment declares for
  it); ``best`` and the colour of a delta need it, and an unknown direction shows
  neither.
* :func:`smooth` is TensorBoard's debiased exponential moving average. Charts leave
  two kinds of series raw (:func:`needs_smoothing`): a **schedule** (the direction of
  change reverses at most :data:`SCHEDULE_REVERSALS` of the time: monotone, piecewise
  constant, warm-up then decay, as a learning rate is) and a **sparse** series (fewer
  than :data:`SPARSE_POINTS` points, e.g. a validation metric logged every 100
  steps): smoothing only makes them lag. :func:`spans_decades` says when a chart's
  y-axis is logarithmic.
* :func:`group_runs` groups runs with ``--group-by REGEX``: the part of the name the
  regex matches is replaced by ``*``, and runs with the same result form one group
  (``lr_0.1/seed_1``, ``lr_0.1/seed_2`` -> ``lr_0.1/seed_*`` with ``seed_\\d+``). Runs the
  regex does not match stay on their own. A group's value is the mean ± std over the
  members that have the tag; a member whose value is NaN or ±inf (a diverged run) makes
  it NaN, as in gates, and the cell names that member (:func:`mean_std`,
  :func:`group_note`). A member's ``best`` without any finite value is NaN too, so
  ``last`` and ``best`` cover the same members.
* :func:`band` is the mean ± std band of a group's curves; :func:`delta` the change
  against a ``--baseline``.
* :func:`key_metrics` picks the tags that matter first (:data:`KEY_RULE`), for the
  report's key-metrics panel, the markdown summary and the e-mail alike;
  :func:`is_value_tag` says which tags are numbers rather than charts (at most
  :data:`VALUE_POINTS` points in every run).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tbreport.fmt import fmt_float
from tbreport.model import MetricInfo, Run, ScalarSeries
from tbreport.options import check_group_regex

__all__ = [
    "AGGREGATES",
    "KEY_LIMIT",
    "KEY_RULE",
    "VALUE_POINTS",
    "Delta",
    "MetricStats",
    "Ranking",
    "RunGroup",
    "aggregate",
    "attempt_count",
    "attempt_starts",
    "band",
    "baseline_value",
    "delta",
    "direction",
    "group_note",
    "group_runs",
    "is_schedule",
    "is_value_tag",
    "key_metrics",
    "key_rank",
    "mean_std",
    "metric_direction",
    "metric_stats",
    "needs_smoothing",
    "nonfinite_members",
    "points",
    "rank",
    "scaled_mean_std",
    "smooth",
    "spans_decades",
    "sparkline",
    "wall_per_step",
]

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
    """Every point of the series, in the order it was logged (steps, values).

    Nothing is dropped or replaced: a step written several times keeps each value, as
    TensorBoard plots it and ``tbreport scalars`` exports it."""
    return (
        np.asarray(series.steps, dtype=np.int64),
        np.asarray(series.values, dtype=np.float64),
    )


def wall_per_step(series: ScalarSeries) -> Float64Array:
    """The wall time of every point, aligned with :func:`points`."""
    out: Float64Array = np.asarray(series.wall_times, dtype=np.float64)
    return out


def attempt_starts(steps: npt.ArrayLike) -> npt.NDArray[np.intp]:
    """Where each attempt of a series starts (indices into its points, the first is 0).

    A new attempt starts wherever a step is smaller than the previous point's step: a
    job restarted into the same directory without ``purge_step`` appends a second run
    of steps from 0 (TensorBoard draws each as its own stretch of line; its chart
    calls it "partition non-monotonic X"). A repeated step (equal, not smaller) stays
    in the attempt. Empty for an empty series."""
    st = np.asarray(steps, dtype=np.int64)
    if st.size == 0:
        return np.empty(0, dtype=np.intp)
    back = np.flatnonzero(st[1:] < st[:-1]) + 1
    return np.concatenate([np.zeros(1, dtype=np.intp), back.astype(np.intp)])


def attempt_count(series: ScalarSeries) -> int:
    """How many attempts the series holds (see :func:`attempt_starts`); 0 when empty."""
    return int(attempt_starts(series.steps).size)


def aggregate(series: ScalarSeries, agg: str) -> tuple[float, int | None]:
    """``(value, step)`` of aggregate ``agg`` (one of :data:`AGGREGATES`) over every point.

    ``last``/``first`` are the last and first points logged (not the greatest and
    smallest step: after a restart the last point logged may sit at a smaller step).
    ``step`` is where the value sits (``None`` for ``mean``, or for ``min``/``max``
    made NaN by a NaN; the first such point when several tie). Raises ``ValueError``
    for an unknown aggregate or an empty series.
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


def _tokens(name: str) -> list[str]:
    """The words of a tag or display name: split at non-alphanumerics and camelCase
    (``Eval_AverageReturn`` -> ``eval``, ``average``, ``return``), lower case."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return [t for t in re.split(r"[^0-9a-z]+", spaced.lower()) if t]


#: words saying a value is a spread, not a score: its direction is not known
_NEUTRAL_WORDS = frozenset({"std", "stddev", "stdev", "variance", "var", "sigma"})
#: words saying higher is better that the substring rule misses (stable-baselines3's ``ep_rew_mean``)
_HIGHER_WORDS = frozenset({"rew"})


def direction(tag: str) -> str | None:
    """``"min"`` when lower is better (loss, error, ...), ``"max"`` when higher is better
    (accuracy, f1, reward, ...), ``None`` when the tag name does not say (or names a
    spread: ``Eval_StdReturn``)."""
    words = set(_tokens(tag))
    if words & _NEUTRAL_WORDS:
        return None
    if _LOWER.search(tag):
        return "min"
    if _HIGHER.search(tag) or words & _HIGHER_WORDS:
        return "max"
    return None


def metric_direction(tag: str, info: MetricInfo | None = None) -> str | None:
    """:func:`direction` of the tag name; when it does not say, of the display name and
    then the description an hparams experiment declares for the metric (``info``)."""
    for text in (tag, info.display_name if info else "", info.description if info else ""):
        if text:
            way = direction(text)
            if way is not None:
                return way
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
        levels[i] = finite_mean(f) if f.size else math.nan
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
            out.append(SPARK_BLOCKS[round(unit_position(x, lo, hi) * top)])
    return "".join(out)


def finite_mean(values: Float64Array) -> float:
    """The mean of finite ``values``, finite even where their sum overflows (±1e308)."""
    with np.errstate(over="ignore", invalid="ignore"):
        m = float(values.mean())
        if not math.isfinite(m):  # the sum overflowed: divide first
            m = float(np.sum(values / values.size))
    return m


def unit_position(x: float, lo: float, hi: float) -> float:
    """Where ``x`` lies between ``lo < hi`` (finite), from 0 to 1, even where ``hi - lo``
    overflows a float64 (``-DBL_MAX`` to ``DBL_MAX``)."""
    span = hi - lo
    t = (x - lo) / span if math.isfinite(span) else (x / 2 - lo / 2) / (hi / 2 - lo / 2)
    return min(1.0, max(0.0, t))


@dataclass(frozen=True)
class MetricStats:
    """One run's scalar tag over every point: the last point logged (value and step),
    the best value and its step, how many points and attempts."""

    run: str
    tag: str
    last: float
    last_step: int
    best: float | None
    best_step: int | None
    count: int
    nonfinite: int
    spark: str
    attempts: int = 1
    direction: str | None = None


def metric_stats(
    run: str,
    series: ScalarSeries,
    *,
    spark_width: int = 16,
    way: str | bool | None = True,
) -> MetricStats | None:
    """Stats of ``series`` (``None`` when it is empty). ``best`` follows the direction
    (``way``: ``"min"``, ``"max"``, ``None`` for unknown, ``True`` for the tag name's
    :func:`direction`) over the finite values; it is ``None`` when the direction is
    unknown. Tags of at most :data:`VALUE_POINTS` points get no sparkline."""
    steps, values = points(series)
    if values.size == 0:
        return None
    finite = np.isfinite(values)
    best: float | None = None
    best_step: int | None = None
    resolved = direction(series.tag) if way is True else (way or None)
    if resolved is not None and finite.any():
        idx = np.flatnonzero(finite)
        pick = idx[np.argmin(values[idx]) if resolved == "min" else np.argmax(values[idx])]
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
        spark=sparkline(values, spark_width) if values.size > VALUE_POINTS else "",
        attempts=int(attempt_starts(steps).size),
        direction=str(resolved) if resolved else None,
    )


@dataclass(frozen=True)
class Ranking:
    """The runs that have a tag, best first: what the key-metrics panel and the single
    values table show for it.

    ``stats`` are ranked by their best value (highest first when higher is better,
    lowest first when lower is), runs without a finite value last, ties in the given
    order; with an unknown ``direction`` they stay in the given order and no run is
    best. ``best`` names every run that ties for the best value."""

    tag: str
    direction: str | None
    stats: tuple[MetricStats, ...]
    best: tuple[str, ...] = ()

    @property
    def value_tag(self) -> bool:
        """At most :data:`VALUE_POINTS` points in every run: numbers, not a chart."""
        return is_value_tag([s.count for s in self.stats])

    @property
    def single(self) -> bool:
        """One point in every run: its value is both its last and its best."""
        return all(s.count == 1 for s in self.stats)

    @property
    def attempts(self) -> int:
        """The most attempts any run's series of the tag holds."""
        return max((s.attempts for s in self.stats), default=0)


def rank(tag: str, stats: Sequence[MetricStats], way: str | None) -> Ranking:
    """The :class:`Ranking` of ``stats`` (each run's :func:`metric_stats` of ``tag``,
    computed with the same direction ``way``)."""
    if way is None:
        return Ranking(tag, None, tuple(stats))

    def key(item: tuple[int, MetricStats]) -> tuple[bool, float, int]:
        i, st = item
        if st.best is None:
            return (True, 0.0, i)
        return (False, -st.best if way == "max" else st.best, i)

    ranked = tuple(st for _, st in sorted(enumerate(stats), key=key))
    top = ranked[0].best if ranked else None
    best = tuple(st.run for st in ranked if top is not None and st.best == top)
    return Ranking(tag, way, ranked, best)


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
    if f.size == 1:
        return float(f[0]), 0.0, 1
    mean, std = scaled_mean_std(f)
    return float(mean), float(std), int(f.size)


#: values beyond this are scaled down before a mean or std (their sums and squares overflow)
_SCALE_FROM = 1e150


def scaled_mean_std(values: Float64Array, axis: int | None = None) -> tuple[Any, Any]:
    """``np.nanmean`` and ``np.nanstd(ddof=1)`` of ``values`` (along ``axis``), computed
    on the values divided by their largest magnitude when that is beyond 1e150, so
    neither overflows for values near ±DBL_MAX: the mean is always finite, the std
    ``inf`` only where the true std exceeds DBL_MAX. Ordinary values are not scaled."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        magnitude = np.abs(np.where(np.isfinite(values), values, 0.0))
        scale = float(magnitude.max()) if magnitude.size else 1.0
        scale = scale if scale > _SCALE_FROM else 1.0
        scaled = values / scale if scale != 1.0 else values
        mean = np.nanmean(scaled, axis=axis) * scale
        std = np.nanstd(scaled, axis=axis, ddof=1) * scale
    return mean, std


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


# --------------------------------------------------------------------------- smoothing

#: a series of fewer points is drawn raw (smoothing a sparse series only makes it lag)
SPARSE_POINTS = 50
#: a series whose direction of change reverses at most this share of its points is a
#: schedule (noise reverses about two points in three)
SCHEDULE_REVERSALS = 0.05
#: a positive series spanning this many decades gets a logarithmic y-axis
LOG_DECADES = 3.0


def is_schedule(values: npt.ArrayLike) -> bool:
    """Whether a series looks like a schedule rather than a noisy measurement: its
    finite values change direction (up to down or down to up, flat stretches skipped)
    at most :data:`SCHEDULE_REVERSALS` of the time. Monotone and piecewise-constant
    series (an lr step schedule), warm-up then cosine decay, a cyclic schedule of a few
    cycles all are; a loss curve with any noise is not."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size < 3:
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        d = np.sign(np.diff(v))
    d = d[d != 0]
    reversals = int(np.count_nonzero(d[1:] != d[:-1])) if d.size > 1 else 0
    return reversals <= max(2.0, SCHEDULE_REVERSALS * v.size)


def needs_smoothing(values: npt.ArrayLike) -> bool:
    """Whether a chart smooths this series (one attempt's values): at least
    :data:`SPARSE_POINTS` points and not a schedule (:func:`is_schedule`)."""
    v = np.asarray(values, dtype=np.float64)
    return v.size >= SPARSE_POINTS and not is_schedule(v)


def spans_decades(values: npt.ArrayLike, decades: float = LOG_DECADES) -> bool:
    """Whether finite ``values`` are all positive and span at least ``decades`` powers
    of ten (their maximum over their minimum): a y-axis that a log scale reads better."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size < 2 or not bool(np.all(v > 0)):
        return False
    return bool(np.log10(v.max()) - np.log10(v.min()) >= decades)


def smooth(values: npt.ArrayLike, weight: float) -> Float64Array:
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


def _debiased_ema(f: Float64Array, w: float) -> Float64Array:
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
    result: Float64Array = last / debias
    return result


def _debiased_ema_loop(f: Float64Array, w: float) -> Float64Array:
    out = np.empty(f.size)
    last = 0.0
    for i, v in enumerate(f.tolist()):
        last = last * w + (1.0 - w) * v
        out[i] = last / (1.0 - w ** (i + 1))
    return out


# --------------------------------------------------------------------------- deltas


@dataclass(frozen=True)
class Delta:
    """``value - baseline``; ``relative`` to ``|baseline|`` when it is not 0; ``better``
    is ``None`` when the tag's direction is unknown or nothing changed."""

    absolute: float
    relative: float | None
    better: bool | None

    def text(self) -> str:
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


def delta(
    value: float | None, base: float | None, tag: str, way: str | bool | None = True
) -> Delta | None:
    """The change of ``value`` against ``base`` (``None`` when either is missing);
    ``way`` as in :func:`metric_stats` (``True``: the tag name's :func:`direction`)."""
    if value is None or base is None:
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        diff = value - base
    rel = diff / abs(base) if base != 0 and math.isfinite(base) and math.isfinite(diff) else None
    resolved = direction(tag) if way is True else (way or None)
    better: bool | None = None
    if resolved is not None and math.isfinite(diff) and diff != 0:
        better = (diff < 0) if resolved == "min" else (diff > 0)
    return Delta(diff, rel, better)


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


# --------------------------------------------------------------------------- groups


@dataclass(frozen=True)
class RunGroup:
    """Runs whose names are equal once the ``--group-by`` match is replaced by ``*``."""

    label: str
    members: tuple[str, ...]


def group_runs(names: Sequence[str], pattern: str) -> list[RunGroup]:
    """Groups of the runs ``pattern`` matches (searched in the name), in first-seen order."""
    rx = check_group_regex(pattern)
    groups: dict[str, list[str]] = {}
    for name in names:
        if rx.search(name) is None:
            continue
        groups.setdefault(rx.sub("*", name), []).append(name)
    return [RunGroup(label, tuple(members)) for label, members in groups.items()]


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
    mean, std = scaled_mean_std(stack, axis=0)
    with np.errstate(over="ignore", invalid="ignore"):  # near ±DBL_MAX: a band to the edge
        lo = np.clip(mean - std, -_BAND_LIMIT, _BAND_LIMIT)
        hi = np.clip(mean + std, -_BAND_LIMIT, _BAND_LIMIT)
    return grid, mean, lo, hi


#: a band's edges stay within this (a std that overflows reaches past any axis anyway)
_BAND_LIMIT = 1e308


#: a tag is shown as numbers, not as a chart, when no run has more points than this
VALUE_POINTS = 2
#: how many tags the key-metrics panel, the summary and the e-mail show by default
KEY_LIMIT = 6
#: at most this many with ``--key-metrics REGEX`` (every matching tag up to it)
KEY_CHOSEN_LIMIT = 24
#: tags whose direction is unknown fill the key metrics only when fewer others exist
KEY_UNKNOWN_FILL = 4

_EVAL_WORDS = frozenset(
    {"val", "valid", "validation", "eval", "evaluation", "dev", "holdout", "heldout"}
)
_TEST_WORDS = frozenset({"test", "testing"})
_TRAIN_WORDS = frozenset({"train", "training"})

KEY_RULE = (
    "The key metrics are the scalar tags that matter first: the gated tags "
    "(--fail-if) first; then validation and test metrics (a tag with a word such as "
    "val, valid, eval, dev or test; test before the others; or a metric an hparams "
    "experiment declares as measured on validation data); then hparams metrics (the "
    "metrics an hparams experiment declares, and hparam/* tags); then training metrics "
    "(train, training, or declared as measured on training data); then any other tag whose name says which way is better. Tags "
    "whose name does not say (lr, grad_norm, epoch, runtime) come last, and only when "
    f"fewer than {KEY_UNKNOWN_FILL} others exist. Within each step, tags more runs have "
    "come first, then higher-is-better before lower-is-better, then by name. At most "
    f"{KEY_LIMIT}; --key-metrics REGEX picks every tag it matches instead (searched in "
    f"the tag, up to {KEY_CHOSEN_LIMIT}), in the same order."
)


def is_value_tag(counts: Sequence[int]) -> bool:
    """Whether a tag whose runs hold ``counts`` points is shown as numbers, not a chart:
    no run has more than :data:`VALUE_POINTS` (a final test score, an hparams metric,
    a parameter count). A chart of one or two dots says nothing a number does not."""
    return bool(counts) and max(counts) <= VALUE_POINTS


def key_rank(
    tag: str,
    runs_with_tag: int,
    *,
    preferred: int | None = None,
    declared: Mapping[str, MetricInfo] | None = None,
) -> tuple[int, int, int, int, str]:
    """The sort key of ``tag`` under :data:`KEY_RULE` (smaller comes first): its step of
    the rule, test before other evaluation tags, more runs first, higher-is-better
    first, then the name. ``preferred``: its position among the gated tags."""
    info = (declared or {}).get(tag)
    way = metric_direction(tag, info)
    words = set(_tokens(tag))
    hparam = info is not None or tag.startswith(("hparam/", "hparams/"))
    dataset = info.dataset_type if info is not None else ""
    if preferred is not None:
        tier, sub = 0, preferred
    elif way is None and not hparam:
        tier, sub = 5, 0
    elif dataset == "validation" or (words & (_EVAL_WORDS | _TEST_WORDS) and not hparam):
        tier, sub = 1, 0 if words & _TEST_WORDS else 1
    elif dataset == "training":
        tier, sub = 3, 0
    elif hparam:
        tier, sub = 2, 0
    elif words & _TRAIN_WORDS:
        tier, sub = 3, 0
    else:
        tier, sub = 4, 0
    way_rank = {"max": 0, "min": 1}.get(way or "", 2)
    return (tier, sub, -runs_with_tag, way_rank, tag)


def key_metrics(
    runs: Sequence[Run],
    *,
    prefer: Sequence[str] = (),
    tag_filter: re.Pattern[str] | None = None,
    choose: re.Pattern[str] | None = None,
    limit: int | None = None,
    declared: Mapping[str, MetricInfo] | None = None,
) -> list[str]:
    """The scalar tags that matter first, in :data:`KEY_RULE` order.

    ``prefer``: tags to put first (the gated ones); ``tag_filter``: ``--tags``;
    ``choose``: ``--key-metrics`` (then every matching tag, up to
    :data:`KEY_CHOSEN_LIMIT`, and unknown directions are not held back); ``limit``:
    at most this many (default :data:`KEY_LIMIT`; ``prefer`` always included);
    ``declared``: the metrics hparams experiments declare, by tag
    (:meth:`tbreport.model.Logdir.declared_metrics`)."""
    counts: dict[str, int] = {}
    for run in runs:
        for tag, series in run.scalars.items():
            if len(series) and (tag_filter is None or tag_filter.search(tag)):
                counts[tag] = counts.get(tag, 0) + 1
    order = {t: i for i, t in enumerate(dict.fromkeys(t for t in prefer if t in counts))}
    candidates = [t for t in counts if t in order or choose is None or choose.search(t) is not None]
    ranked = sorted(
        candidates,
        key=lambda t: key_rank(t, counts[t], preferred=order.get(t), declared=declared),
    )
    if choose is not None:
        return ranked[: max(len(order), limit or KEY_CHOSEN_LIMIT)]
    cap = max(len(order), KEY_LIMIT if limit is None else limit)
    known = [t for t in ranked if key_rank(t, 0, preferred=order.get(t), declared=declared)[0] < 5]
    if len(known) >= KEY_UNKNOWN_FILL:
        return known[:cap]
    return ranked[:cap]
