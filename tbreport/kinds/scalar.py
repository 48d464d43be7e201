"""The scalar summary kind: wire identity, encode (writer side), decode (reader side).

Two encodings exist. The legacy one stores ``Summary.Value.simple_value`` (a
float32). The tensor one (TF2 ``tf.summary.scalar``, torch ``new_style=True``)
stores a 0-d ``TensorProto`` and plugin name ``scalars``.
"""

from __future__ import annotations

import struct

from tbreport.kinds import tensor as _tensor
from tbreport.proto import summary_pb2, tensor_pb2, types_pb2

PLUGIN_NAME = "scalars"

# --- encode (writer side) ---

_pack_f = struct.Struct("<f").pack
_pack_d = struct.Struct("<d").pack


def float32_bytes(value: float) -> bytes:
    """``value`` as little-endian float32, overflowing to +-inf as a C cast does."""
    try:
        return _pack_f(value)
    except OverflowError:
        return _pack_f(value * float("inf"))


def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _len_delim(field_tag: int, payload: bytes) -> bytes:
    return bytes((field_tag,)) + _varint(len(payload)) + payload


def encode_scalar_event(tag: bytes, value: float, step: int, wall_time: float) -> bytes:
    """The serialized ``Event`` holding one legacy scalar, without building protobuf objects.

    This is the writer's hot path. It produces the same bytes as
    ``Event(wall_time=..., step=..., summary=Summary(value=[Value(tag=..., simple_value=...)]))``
    serialized by protobuf (zero wall_time/step omitted as proto3 does); a property
    test checks this.
    """
    # simple_value sits in a oneof, so it is always present, even when 0.0.
    v = (b"\n" + _varint(len(tag)) + tag if tag else b"") + b"\x15" + float32_bytes(value)
    summary = _len_delim(0x0A, v)
    head = b""
    wt = _pack_d(wall_time)
    if wt != b"\x00\x00\x00\x00\x00\x00\x00\x00":
        head = b"\x09" + wt
    if step:
        head += b"\x10" + _varint(step)
    return head + _len_delim(0x2A, summary)


def scalar_value(tag: str, value: float) -> summary_pb2.Summary.Value:
    """A legacy ``simple_value`` scalar."""
    return summary_pb2.Summary.Value(tag=tag, simple_value=value)


def scalar_tensor_value(
    tag: str, value: float, *, double_precision: bool = False
) -> summary_pb2.Summary.Value:
    """A tensor scalar with plugin ``scalars`` (torch's ``new_style=True``)."""
    if double_precision:
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, double_val=[value])
    else:
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[value])
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=PLUGIN_NAME)
    )
    return summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=metadata)


# --- decode (reader side) ---


def decode_scalar(value: summary_pb2.Summary.Value) -> float:
    """The number held by a legacy ``simple_value`` or a one-element numeric tensor.

    float32 values widen exactly; float64 keeps its precision; ints and bools
    convert. Raises ``ValueError`` for anything else (a string, several elements).
    """
    if value.WhichOneof("value") == "simple_value":
        return float(value.simple_value)
    arr = _tensor.tensor_to_array(value.tensor)
    if arr.size != 1 or arr.dtype == object:
        raise ValueError(f"a scalar must be one number, got a {arr.dtype} tensor of {arr.shape}")
    return float(arr.reshape(-1)[0].real)
