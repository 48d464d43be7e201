"""The histogram summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tbreport.kinds._arrays import to_float, to_numpy
from tbreport.kinds._tensors import tensor_to_array
from tbreport.kinds.base import Point, SectionSpec, SeriesKind
from tbreport.proto import summary_pb2

Float64Array = npt.NDArray[np.float64]

# --- the data (re-exported by tbreport.model) ---


@dataclass(frozen=True, eq=False)
class HistogramPoint(Point):
    """A histogram as buckets ``[left[i], right[i])`` holding ``counts[i]``, whatever the source.

    Legacy ``HistogramProto`` buckets are turned into edges (the first left edge is
    ``min``); TF2's ``[k, 3]`` tensors are ``(left, right, count)`` already. ``minimum``,
    ``maximum``, ``total``, ``value_sum``, ``value_sum_squares`` come from the proto when present,
    else they are derived from the buckets (the sums then are NaN).
    """

    left: Float64Array = field(default_factory=lambda: np.zeros(0))
    right: Float64Array = field(default_factory=lambda: np.zeros(0))
    counts: Float64Array = field(default_factory=lambda: np.zeros(0))
    minimum: float = math.nan
    maximum: float = math.nan
    total: float = 0.0
    value_sum: float = math.nan
    value_sum_squares: float = math.nan

    @property
    def num_buckets(self) -> int:
        return int(self.counts.shape[0])

    @property
    def mean(self) -> float:
        return self.value_sum / self.total if self.total else math.nan


PLUGIN_NAME = "histograms"

# --- encode (writer side) ---


_DEFAULT_BINS: list[float] = []
_DBL_MAX = sys.float_info.max


def tensorflow_bucket_limits() -> list[float]:
    """TensorFlow's default bucket edges: +-1e-12 growing by 10% up to 1e20, and 0."""
    if not _DEFAULT_BINS:
        positive = []
        v = 1e-12
        while v < 1e20:
            positive.append(v)
            v *= 1.1
        _DEFAULT_BINS.extend([-x for x in reversed(positive)] + [0.0] + positive)
    return _DEFAULT_BINS


def _ordered_sum(values: npt.NDArray[np.float64]) -> float:
    """The sum of a float64 vector in one fixed order: the same double on every CPU.

    ``values.dot(values)`` (torch's and tensorboardX's sum of squares) goes to BLAS,
    whose kernel is picked at run time by the CPU (``OPENBLAS_CORETYPE``): FMA and
    vector widths change the last bits, so two machines wrote different bytes for
    the same histogram. numpy's ``add.reduce`` on a contiguous float64 vector is its
    pairwise summation, written in C with a fixed order of additions (its 8-way
    unrolling keeps the order when vectorised, and additions alone leave nothing to
    contract into FMAs): the result depends on the values only. For ``sum`` it is
    what torch writes, bit for bit; for the sum of squares the squares are rounded
    first (elementwise, correctly rounded IEEE products), so it may differ from torch's BLAS dot
    in the last bits, within a dot product's rounding error.
    """
    return float(np.add.reduce(np.ascontiguousarray(values, dtype=np.float64)))


def make_histogram(
    values: npt.NDArray[Any], bins: Any, max_bins: int | None = None
) -> summary_pb2.HistogramProto:
    """A ``HistogramProto`` of ``values`` with numpy's ``bins`` rule (or explicit edges).

    Like TensorFlow's histogram.cc, only right bucket edges are stored, empty
    buckets at either end are dropped, and one empty bucket is kept on the left
    so the leftmost edge survives.
    """
    values = values.reshape(-1).astype(np.float64)
    if values.size == 0:
        raise ValueError("values is empty: a histogram needs at least one value")
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"values must be finite; got {int(np.isnan(values).sum())} NaN and "
            f"{int(np.isinf(values).sum())} infinite of {values.size} (filter them first)"
        )
    if isinstance(bins, str) and bins == "tensorflow":
        # with TensorFlow's outer buckets (histogram.cc's -DBL_MAX and DBL_MAX), so a
        # value beyond +-1e20 is counted as TensorFlow counts it (torch's edges stop at
        # 1e20 and drop it); within +-1e20 the outer buckets are empty and dropped below,
        # so the bytes are torch's
        bins = [-_DBL_MAX, *tensorflow_bucket_limits(), _DBL_MAX]
    try:
        try:
            counts, limits = np.histogram(values, bins=bins)
        except ValueError as exc:
            # a range of a few subnormals (5e-324 .. 0) can't hold `bins` finite-sized
            # buckets: one bucket over [min, max] keeps every value rather than failing
            if not isinstance(bins, (int, np.integer)) or "finite-sized" not in str(exc):
                raise
            counts, limits = np.histogram(values, bins=1)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"bins={bins!r} is not usable by numpy.histogram: {exc}") from exc
    if max_bins is not None and len(counts) > max_bins:
        if max_bins < 1:
            raise ValueError(f"max_bins must be >= 1, got {max_bins}")
        group = len(counts) // max_bins
        pad = (-len(counts)) % group
        counts = np.pad(counts, (0, pad)).reshape(-1, group).sum(axis=1)
        limits = np.concatenate([limits[:-1:group], limits[-1:]])
    nonzero = np.flatnonzero(counts)
    if nonzero.size == 0:
        raise ValueError(
            f"no value of values falls inside bins (range {limits[0]!r} to {limits[-1]!r})"
        )
    start, end = int(nonzero[0]), int(nonzero[-1]) + 1
    counts = counts[start - 1 : end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start : end + 1]
    with np.errstate(over="ignore"):  # values near 1e308: inf, as TensorFlow's doubles give
        total, squares = _ordered_sum(values), _ordered_sum(values * values)
    return summary_pb2.HistogramProto(
        min=float(values.min()),
        max=float(values.max()),
        num=float(values.size),
        sum=total,
        sum_squares=squares,
        bucket_limit=limits.tolist(),
        bucket=counts.astype(np.float64).tolist(),
    )


def histogram_value(
    tag: str, values: Any, bins: Any = "tensorflow", max_bins: int | None = None
) -> summary_pb2.Summary.Value:
    """A legacy ``HistogramProto`` value, as torch's ``add_histogram`` writes it."""
    arr = to_numpy(values, "values")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"values must be numeric, got dtype {arr.dtype}")
    return summary_pb2.Summary.Value(tag=tag, histo=make_histogram(arr, bins, max_bins))


def histogram_raw_value(
    tag: str,
    minimum: float,
    maximum: float,
    num: float,
    total: float,
    sum_squares: float,
    bucket_limits: Any,
    bucket_counts: Any,
) -> summary_pb2.Summary.Value:
    """A histogram from precomputed statistics (``add_histogram_raw``)."""
    limits = to_numpy(bucket_limits, "bucket_limits").reshape(-1).astype(np.float64)
    counts = to_numpy(bucket_counts, "bucket_counts").reshape(-1).astype(np.float64)
    if len(limits) != len(counts):
        raise ValueError(
            f"bucket_limits and bucket_counts must have the same length, "
            f"got {len(limits)} and {len(counts)}"
        )
    if len(limits) == 0:
        raise ValueError("bucket_limits is empty")
    if np.any(np.diff(limits) < 0):
        raise ValueError("bucket_limits must be non-decreasing")
    histo = summary_pb2.HistogramProto(
        min=to_float(minimum, "min"),
        max=to_float(maximum, "max"),
        num=to_float(num, "num"),
        sum=to_float(total, "sum"),
        sum_squares=to_float(sum_squares, "sum_squares"),
        bucket_limit=limits.tolist(),
        bucket=counts.tolist(),
    )
    return summary_pb2.Summary.Value(tag=tag, histo=histo)


# --- decode (reader side) ---


def decode_histogram(
    value: summary_pb2.Summary.Value, step: int, wall_time: float
) -> HistogramPoint:
    """A histogram as (left edges, right edges, counts), from either form.

    Legacy ``HistogramProto``: ``bucket_limit[i]`` is the right edge of bucket ``i``
    and the outermost limits are often +-DBL_MAX. As TensorBoard does, empty buckets
    at both ends are dropped, the first left edge becomes ``min`` and the last right
    edge ``max``. TF2 tensors are ``[k, 3]`` rows of ``(left, right, count)``.
    """
    if value.WhichOneof("value") == "histo":
        h = value.histo
        k = min(len(h.bucket_limit), len(h.bucket))
        limits = np.asarray(h.bucket_limit[:k], dtype=np.float64)
        counts = np.asarray(h.bucket[:k], dtype=np.float64)
        filled = np.flatnonzero(counts > 0)
        if filled.shape[0] == 0:
            left = right = counts = np.zeros(0)
        else:
            first, last = int(filled[0]), int(filled[-1])
            counts = counts[first : last + 1]
            inner = limits[first:last]
            left = np.concatenate([[h.min], inner])
            right = np.concatenate([inner, [h.max]])
        return HistogramPoint(
            step,
            wall_time,
            left,
            right,
            counts,
            minimum=h.min,
            maximum=h.max,
            total=h.num,
            value_sum=h.sum,
            value_sum_squares=h.sum_squares,
        )
    arr = tensor_to_array(value.tensor)
    if arr.dtype == object or arr.ndim != 2 or (arr.shape[1] != 3 and arr.size):
        raise ValueError(f"a histogram tensor must be [k, 3], got {arr.dtype} {arr.shape}")
    data = arr.astype(np.float64).reshape(-1, 3)
    left, right, counts = data[:, 0].copy(), data[:, 1].copy(), data[:, 2].copy()
    return HistogramPoint(
        step,
        wall_time,
        left,
        right,
        counts,
        minimum=float(left[0]) if len(left) else math.nan,
        maximum=float(right[-1]) if len(right) else math.nan,
        total=float(counts.sum()),
    )


# --- the kind ---

KIND = SeriesKind(
    name="histograms",
    module="histogram",
    attr="histograms",
    plugin_names=(PLUGIN_NAME,),
    legacy_field="histo",
    decode=decode_histogram,
    sections=(
        SectionSpec(
            "tbreport.render.histogram:build",
            ("kinds/histogram.html.j2", "kinds/histogram_distributions.html.j2"),
        ),
    ),
    counts=(
        ("histogram", lambda sel: sum(len(s) for r in sel.raw_runs for s in r.histograms.values())),
    ),
)
