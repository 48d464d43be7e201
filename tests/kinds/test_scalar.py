"""The writer's hand-rolled scalar Event encoder equals protobuf's serialisation."""

from __future__ import annotations

import math
import struct

from hypothesis import given
from hypothesis import strategies as st

from tbreport.kinds.scalar import encode_scalar_event, float32_bytes, scalar_tensor_value
from tbreport.proto import event_pb2, types_pb2


def _reference(tag: str, value: float, step: int, wall_time: float) -> bytes:
    event = event_pb2.Event(wall_time=wall_time, step=step)
    v = event.summary.value.add(tag=tag)
    v.simple_value = struct.unpack("<f", float32_bytes(value))[0]
    return bytes(event.SerializeToString())


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
