"""The pr_curve summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tbreport.kinds._arrays import to_numpy
from tbreport.kinds._tensors import tensor_to_array
from tbreport.kinds.base import Point, SectionSpec, SeriesKind
from tbreport.proto import plugins_pb2, summary_pb2, tensor_pb2, types_pb2

Float64Array = npt.NDArray[np.float64]

# --- the data (re-exported by tbreport.model) ---


@dataclass(frozen=True, eq=False)
class PrCurvePoint(Point):
    """One precision-recall curve; thresholds are ``i / (N - 1)`` as TensorBoard assumes."""

    true_positives: Float64Array = field(default_factory=lambda: np.zeros(0))
    false_positives: Float64Array = field(default_factory=lambda: np.zeros(0))
    true_negatives: Float64Array = field(default_factory=lambda: np.zeros(0))
    false_negatives: Float64Array = field(default_factory=lambda: np.zeros(0))
    precision: Float64Array = field(default_factory=lambda: np.zeros(0))
    recall: Float64Array = field(default_factory=lambda: np.zeros(0))

    @property
    def num_thresholds(self) -> int:
        return int(self.precision.shape[0])

    @property
    def thresholds(self) -> Float64Array:
        n = self.num_thresholds
        return np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(n)


PLUGIN_NAME = "pr_curves"

# --- encode (writer side) ---


MAX_THRESHOLDS = 127  # torch and tensorboardX cap it there; TensorBoard reads any number


def _metadata(num_thresholds: int) -> summary_pb2.SummaryMetadata:
    return summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=PLUGIN_NAME,
            content=plugins_pb2.PrCurvePluginData(
                version=0, num_thresholds=num_thresholds
            ).SerializeToString(),
        )
    )


def _value(tag: str, data: npt.NDArray[Any], num_thresholds: int) -> summary_pb2.Summary.Value:
    tensor = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT,
        float_val=data.astype(np.float32).reshape(-1).tolist(),
        tensor_shape=tensor_pb2.TensorShapeProto(
            dim=[tensor_pb2.TensorShapeProto.Dim(size=s) for s in data.shape]
        ),
    )
    return summary_pb2.Summary.Value(tag=tag, metadata=_metadata(num_thresholds), tensor=tensor)


def _check_thresholds(num_thresholds: Any) -> int:
    if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)):
        raise TypeError(f"num_thresholds must be an int, got {type(num_thresholds).__name__}")
    if num_thresholds < 2:
        raise ValueError(f"num_thresholds must be >= 2, got {num_thresholds}")
    return min(int(num_thresholds), MAX_THRESHOLDS)


def compute_curve(
    labels: npt.NDArray[Any],
    predictions: npt.NDArray[Any],
    num_thresholds: int,
    weights: npt.NDArray[Any] | None = None,
) -> npt.NDArray[np.float64]:
    """TensorBoard's PR-curve table ``[6, num_thresholds]``: TP, FP, TN, FN, precision, recall.

    Threshold ``i`` is ``i / (num_thresholds - 1)``; a prediction counts as positive
    at every threshold at or below it.
    """
    eps = 1e-7
    bins = num_thresholds - 1
    w = 1.0 if weights is None else weights.reshape(-1).astype(np.float64)
    # Bucket in the predictions' own precision (float32 for most models), as
    # TensorBoard's and torch's implementations do, so boundary cases agree.
    pred = predictions.reshape(-1)
    if not np.issubdtype(pred.dtype, np.floating):
        pred = pred.astype(np.float64)
    lab = labels.reshape(-1).astype(np.float64)
    bucket = np.floor(pred * bins).astype(np.int64).clip(0, bins)
    tp_buckets = np.bincount(bucket, weights=lab * w, minlength=num_thresholds)
    fp_buckets = np.bincount(bucket, weights=(1.0 - lab) * w, minlength=num_thresholds)
    tp = np.cumsum(tp_buckets[::-1])[::-1]
    fp = np.cumsum(fp_buckets[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    precision = tp / np.maximum(eps, tp + fp)
    recall = tp / np.maximum(eps, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


def pr_curve_value(
    tag: str, labels: Any, predictions: Any, num_thresholds: Any = 127, weights: Any = None
) -> summary_pb2.Summary.Value:
    """A PR curve from binary ``labels`` and ``predictions`` in [0, 1]."""
    n = _check_thresholds(num_thresholds)
    lab = to_numpy(labels, "labels").reshape(-1)
    pred = to_numpy(predictions, "predictions").reshape(-1)
    if lab.shape != pred.shape:
        raise ValueError(
            f"labels and predictions must have the same number of elements, "
            f"got {lab.size} and {pred.size}"
        )
    if pred.size and (np.nanmin(pred) < 0 or np.nanmax(pred) > 1 or np.isnan(pred).any()):
        raise ValueError("predictions must lie in [0, 1] (probabilities)")
    w = None
    if weights is not None:
        w = to_numpy(weights, "weights").reshape(-1)
        if w.size == 1:
            w = np.full(lab.shape, float(w[0]))
        if w.shape != lab.shape:
            raise ValueError(f"weights must have {lab.size} elements or 1, got {w.size}")
    return _value(tag, compute_curve(lab.astype(bool), pred, n, w), n)


def pr_curve_raw_value(
    tag: str,
    true_positive_counts: Any,
    false_positive_counts: Any,
    true_negative_counts: Any,
    false_negative_counts: Any,
    precision: Any,
    recall: Any,
    num_thresholds: Any = 127,
) -> summary_pb2.Summary.Value:
    """A PR curve from precomputed per-threshold counts."""
    n = _check_thresholds(num_thresholds)
    names = (
        "true_positive_counts",
        "false_positive_counts",
        "true_negative_counts",
        "false_negative_counts",
        "precision",
        "recall",
    )
    arrays = [
        to_numpy(a, nm).reshape(-1)
        for a, nm in zip(
            (
                true_positive_counts,
                false_positive_counts,
                true_negative_counts,
                false_negative_counts,
                precision,
                recall,
            ),
            names,
        )
    ]
    lengths = {nm: a.size for a, nm in zip(arrays, names)}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"the six PR-curve arrays must have the same length, got {lengths}")
    return _value(tag, np.stack(arrays).astype(np.float64), n)


# --- decode (reader side) ---


def decode_pr_curve(value: summary_pb2.Summary.Value, step: int, wall_time: float) -> PrCurvePoint:
    """A ``[6, N]`` tensor: rows TP, FP, TN, FN, precision, recall."""
    arr = tensor_to_array(value.tensor)
    if arr.dtype == object or arr.ndim != 2 or arr.shape[0] != 6:
        raise ValueError(f"a pr_curve tensor must be [6, N], got {arr.dtype} {arr.shape}")
    rows = [r.copy() for r in arr.astype(np.float64)]
    return PrCurvePoint(step, wall_time, *rows)


# --- the kind ---

KIND = SeriesKind(
    name="pr_curves",
    module="pr_curve",
    attr="pr_curves",
    plugin_names=(PLUGIN_NAME,),
    decode=decode_pr_curve,
    sections=(SectionSpec("tbreport.render.pr_curve:build", ("kinds/pr_curve.html.j2",)),),
)
