"""TensorProto <-> numpy: every dtype, TensorFlow's padding rule, and bounds on what a
small record may claim."""

from __future__ import annotations

import numpy as np
import pytest

from tbreport.kinds._tensors import (
    MAX_EXPANDED_ELEMENTS,
    dtype_name,
    make_tensor_proto,
    tensor_shape,
    tensor_to_array,
)
from tbreport.proto import tensor_pb2


@pytest.mark.parametrize(
    "dtype", ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
)
def test_round_trip(dtype: str) -> None:
    arr = (np.arange(6) % 2 == 0) if dtype == "bool" else np.arange(6).astype(dtype)
    proto = make_tensor_proto(arr.reshape(2, 3))
    assert tensor_shape(proto) == (2, 3) and dtype_name(proto.dtype) == dtype
    assert np.array_equal(tensor_to_array(proto), arr.reshape(2, 3))


def test_short_repeated_fields_are_padded_with_the_last_value() -> None:
    proto = tensor_pb2.TensorProto(dtype=1, float_val=[1.0, 2.0])
    proto.tensor_shape.dim.add(size=4)
    assert tensor_to_array(proto).tolist() == [1.0, 2.0, 2.0, 2.0]


def test_bfloat16_and_content() -> None:
    proto = tensor_pb2.TensorProto(dtype=14, half_val=[0x3F80])  # 1.0 in bfloat16
    assert tensor_to_array(proto).tolist() == 1.0  # no shape: a scalar
    raw = tensor_pb2.TensorProto(dtype=1, tensor_content=np.float32([3.0]).tobytes())
    raw.tensor_shape.dim.add(size=1)
    assert tensor_to_array(raw).tolist() == [3.0]
    raw.tensor_shape.dim[0].size = 2
    with pytest.raises(ValueError, match="needs 8"):
        tensor_to_array(raw)


def test_claims_are_bounded() -> None:
    huge = tensor_pb2.TensorProto(dtype=1, float_val=[1.0])
    huge.tensor_shape.dim.add(size=MAX_EXPANDED_ELEMENTS + 1)
    with pytest.raises(ValueError, match="exceeds the limit"):
        tensor_to_array(huge)
    with pytest.raises(ValueError, match="unsupported tensor dtype"):
        tensor_to_array(tensor_pb2.TensorProto(dtype=99))
    assert dtype_name(101) == "float32" and dtype_name(99) == "dtype99"
