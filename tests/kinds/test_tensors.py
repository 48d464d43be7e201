"""TensorProto <-> numpy: every dtype, TensorFlow's padding rule, and bounds on what a
small record may claim."""

from __future__ import annotations

import numpy as np
import pytest

from tbreport.kinds._tensors import (
    DECODE_ALLOWANCE,
    DECODE_FACTOR,
    decode_budget,
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


def _claiming(dtype: int, shape: list[int], **values: object) -> tensor_pb2.TensorProto:
    proto = tensor_pb2.TensorProto(dtype=dtype, **values)  # type: ignore[arg-type]
    for d in shape:
        proto.tensor_shape.dim.add(size=d)
    return proto


def test_claims_are_bounded_by_bytes_not_elements() -> None:
    # 4 * 10**6 elements was under the old element cap; 360 MB once padded
    text = _claiming(7, [2000, 2000], string_val=[b"x" * 90])
    with pytest.raises(ValueError, match=r"string tensor of shape \[2000, 2000\] stores 1 value"):
        tensor_to_array(text)
    with pytest.raises(ValueError, match="more than 16 times its size"):
        tensor_to_array(_claiming(1, [10**10], float_val=[1.0]))
    with pytest.raises(ValueError, match="stores 0 values"):
        tensor_to_array(_claiming(2, [10**9, 3]))
    with pytest.raises(ValueError, match="unsupported tensor dtype"):
        tensor_to_array(tensor_pb2.TensorProto(dtype=99))
    assert dtype_name(101) == "float32" and dtype_name(99) == "dtype99"


def test_padding_within_the_budget_is_what_tensorflow_gives() -> None:
    # tf.constant(0.0, shape=[256, 256]): one value, 256 KB padded, well inside 1 MiB
    zeros = tensor_to_array(_claiming(1, [256, 256], float_val=[0.0]))
    assert zeros.shape == (256, 256) and not zeros.any()
    # the budget is by bytes: a float64 tensor gets half the elements of a float32 one
    n32 = DECODE_ALLOWANCE // 4
    assert tensor_to_array(_claiming(1, [n32], float_val=[1.0])).size == n32
    with pytest.raises(ValueError, match="padding it to"):
        tensor_to_array(_claiming(2, [n32], double_val=[1.0]))
    strings = tensor_to_array(_claiming(7, [1000], string_val=[b"a", b"bc"]))
    assert strings.tolist() == [b"a"] + [b"bc"] * 999


@pytest.mark.parametrize("stored", [0, 1, 1000, 10**6])
def test_the_budget_is_a_multiple_of_the_size_plus_a_constant(stored: int) -> None:
    assert decode_budget(stored) == DECODE_FACTOR * stored + DECODE_ALLOWANCE
    # a tensor stored in full is never refused, however big
    arr = np.arange(stored // 8 + 1, dtype=np.float64)
    assert np.array_equal(tensor_to_array(make_tensor_proto(arr)), arr)
