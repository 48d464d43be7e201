"""The scalar kind: goldens of both encodings, the hand-rolled Event encoder equals
protobuf's serialisation, and decode(encode(x)) == x."""

from __future__ import annotations

import math
import struct

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tbreport.kinds.scalar import (
    decode_scalar,
    encode_scalar_event,
    float32_bytes,
    scalar_tensor_value,
    scalar_value,
)
from tbreport.proto import event_pb2, summary_pb2, types_pb2
from tests.golden import check_golden


def _reference(tag: str, value: float, step: int, wall_time: float) -> bytes:
    event = event_pb2.Event(wall_time=wall_time, step=step)
    v = event.summary.value.add(tag=tag)
    v.simple_value = struct.unpack("<f", float32_bytes(value))[0]
    return bytes(event.SerializeToString())


def test_goldens(update_goldens: bool) -> None:
    check_golden("scalar_legacy", scalar_value("loss", 0.25), update=update_goldens)
    check_golden("scalar_tensor", scalar_tensor_value("loss", 0.25), update=update_goldens)
    check_golden(
        "scalar_tensor_double",
        scalar_tensor_value("loss", 0.1, double_precision=True),
        update=update_goldens,
    )
    event = event_pb2.Event.FromString(encode_scalar_event("lr/ü".encode(), 1e-3, 7, 1.5e9))
    check_golden("scalar_event", event, update=update_goldens)


@given(
    tag=st.text(max_size=300),
    value=st.floats(allow_nan=True, allow_infinity=True),
    step=st.integers(-(2**63), 2**63 - 1),
    wall_time=st.floats(allow_nan=False, allow_infinity=False, width=64),
)
def test_encoder_equals_protobuf(tag: str, value: float, step: int, wall_time: float) -> None:
    assert encode_scalar_event(tag.encode("utf-8"), value, step, wall_time) == _reference(
        tag, value, step, wall_time
    )


def test_zero_value_is_still_present_and_float32_overflow_is_inf() -> None:
    e = event_pb2.Event.FromString(encode_scalar_event(b"x", 0.0, 0, 0.0))
    assert e.summary.value[0].HasField("simple_value")
    assert float32_bytes(1e300) == struct.pack("<f", math.inf)
    assert float32_bytes(-1e300) == struct.pack("<f", -math.inf)


def test_tensor_scalar_forms() -> None:
    f32 = scalar_tensor_value("t", 0.5)
    f64 = scalar_tensor_value("t", 0.5, double_precision=True)
    assert (f32.tensor.dtype, list(f32.tensor.float_val)) == (types_pb2.DT_FLOAT, [0.5])
    assert (f64.tensor.dtype, list(f64.tensor.double_val)) == (types_pb2.DT_DOUBLE, [0.5])
    assert f32.metadata.plugin_data.plugin_name == "scalars"


@given(st.floats(allow_nan=False, width=32))
def test_decode_of_encode_is_the_value(value: float) -> None:
    assert decode_scalar(scalar_value("t", value)) == value
    assert decode_scalar(scalar_tensor_value("t", value)) == value
    assert decode_scalar(scalar_tensor_value("t", value, double_precision=True)) == value


def test_double_precision_survives_and_strings_are_refused() -> None:
    assert decode_scalar(scalar_tensor_value("t", 0.1, double_precision=True)) == 0.1
    assert decode_scalar(scalar_value("t", 0.1)) == float(np.float32(0.1))
    bad = summary_pb2.Summary.Value(tag="t")
    bad.tensor.dtype = types_pb2.DT_STRING
    bad.tensor.string_val.append(b"x")
    try:
        decode_scalar(bad)
    except ValueError as exc:
        assert "one number" in str(exc)
    else:
        raise AssertionError("a string tensor decoded as a scalar")
