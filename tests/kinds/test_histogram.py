"""The histogram kind: goldens (integer values, so every sum is exact on any BLAS),
and decode(encode(x)) gives the buckets back as edges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tbreport.kinds.histogram import decode_histogram, histogram_raw_value, histogram_value
from tbreport.proto import summary_pb2
from tests.golden import check_golden

VALUES = np.array([0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 7], dtype=np.float64)


def test_goldens(update_goldens: bool) -> None:
    check_golden("histogram_bins4", histogram_value("w", VALUES, bins=4), update=update_goldens)
    check_golden(
        "histogram_tensorflow_bins", histogram_value("w", VALUES[:4]), update=update_goldens
    )
    raw = histogram_raw_value("w", 0.0, 7.0, 11, 27.0, 99.0, [1.0, 3.0, 7.0], [3, 7, 1])
    check_golden("histogram_raw", raw, update=update_goldens)


def test_decode_of_encode() -> None:
    point = decode_histogram(histogram_value("w", VALUES, bins=4), 2, 3.0)
    assert (point.step, point.wall_time) == (2, 3.0)
    assert (point.minimum, point.maximum, point.total) == (0.0, 7.0, 11.0)
    assert (point.value_sum, point.value_sum_squares) == (27.0, 99.0)
    assert point.counts.sum() == 11
    assert point.left[0] == 0.0 and point.right[-1] == 7.0
    assert np.all(point.left[1:] == point.right[:-1])
    assert point.mean == pytest.approx(27 / 11)


def test_tensor_form_decodes_to_the_same_buckets() -> None:
    legacy = decode_histogram(histogram_value("w", VALUES, bins=4), 0, 0.0)
    rows = np.stack([legacy.left, legacy.right, legacy.counts], axis=1)
    value = summary_pb2.Summary.Value(tag="w")
    value.metadata.plugin_data.plugin_name = "histograms"
    value.tensor.dtype = 2
    for d in rows.shape:
        value.tensor.tensor_shape.dim.add(size=d)
    value.tensor.double_val.extend(rows.reshape(-1).tolist())
    tensor = decode_histogram(value, 0, 0.0)
    for field in ("left", "right", "counts"):
        assert np.array_equal(getattr(tensor, field), getattr(legacy, field))
    assert (tensor.minimum, tensor.maximum, tensor.total) == (0.0, 7.0, 11.0)
    assert math.isnan(tensor.value_sum)  # a tensor histogram has no sums


def test_a_malformed_tensor_is_a_value_error() -> None:
    bad = summary_pb2.Summary.Value(tag="w")
    bad.tensor.dtype = 1
    bad.tensor.tensor_shape.dim.add(size=2)
    bad.tensor.tensor_shape.dim.add(size=2)
    bad.tensor.float_val.extend([1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"\[k, 3\]"):
        decode_histogram(bad, 0, 0.0)


def test_values_beyond_1e20_fall_in_tensorflows_outer_buckets() -> None:
    """bins='tensorflow' has TensorFlow's outer buckets (histogram.cc's -DBL_MAX and
    DBL_MAX limits): a value beyond +-1e20 is counted, as TensorFlow counts it (torch's
    edges stop at 1e20: it drops the value, or raises for a histogram of only such)."""
    dbl_max = np.finfo(np.float64).max
    h = histogram_value("h", np.array([1e308, 1.0, -5e25])).histo
    assert h.bucket_limit[-1] == dbl_max and sum(h.bucket) == 3
    assert h.bucket[-1] == 1 and h.bucket[1] == 1  # 1e308 in the last, -5e25 in the first
    assert (h.min, h.max) == (-5e25, 1e308)
    assert h.sum_squares == math.inf  # 1e308 squared, as TensorFlow's doubles give it
    only = histogram_value("h", np.array([1e308]))
    assert list(only.histo.bucket) == [0.0, 1.0] and only.histo.bucket_limit[-1] == dbl_max
    assert decode_histogram(only, 0, 0.0).counts.sum() == 1
