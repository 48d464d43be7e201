"""The vectorised path (framing, batch CRC, scalar decode) agrees with the protobuf path."""

from __future__ import annotations

import math
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tbreport.model import LoadWarning, Run
from tbreport.proto import event_pb2, summary_pb2, tensor_pb2
from tbreport.reader import fast
from tbreport.reader.events import scan_bytes
from tbreport.reader.load import build_run, wall_seconds
from tbreport.record import encode_record

pytestmark = pytest.mark.usefixtures("force_fast_path")


def _file(events: list[Any]) -> bytes:
    head = event_pb2.Event(wall_time=1.0, file_version="brain.Event:2")
    return b"".join(encode_record(e.SerializeToString()) for e in [head, *events])


def _run(buf: bytes, fast_path: bool) -> tuple[Run, list[LoadWarning]]:
    warnings: list[LoadWarning] = []
    scan = scan_bytes(buf, "f", use_fast_path=fast_path)
    return build_run(".", "/", [scan], warnings), warnings


def _points(run: Run) -> dict[str, list[tuple[int, float, float]]]:
    return {tag: list(s) for tag, s in run.scalars.items()}


def _same_points(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if list(a) != list(b):
        return False
    for tag in a:
        if len(a[tag]) != len(b[tag]):
            return False
        for (s1, w1, v1), (s2, w2, v2) in zip(a[tag], b[tag]):
            same_wall = struct.pack("<d", w1) == struct.pack("<d", w2)  # -0.0 is not 0.0
            if s1 != s2 or not (same_wall or (math.isnan(w1) and math.isnan(w2))):
                return False
            if not (v1 == v2 or (math.isnan(v1) and math.isnan(v2))):
                return False
    return True


tags = st.sampled_from(["loss", "acc", "", "训练/损失", "a/b/c", "x" * 200, "tag with spaces"])
steps = st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(0, 300), st.just(0))
walls = st.one_of(st.just(0.0), st.floats(allow_nan=True), st.floats(1e9, 2e9))
values = st.floats(width=32, allow_nan=True, allow_infinity=True)


def _f32(x: float) -> float:
    try:
        return float(struct.unpack("<f", struct.pack("<f", x))[0])
    except OverflowError:
        return math.copysign(math.inf, x)


@st.composite
def events(draw: Any) -> Any:
    kind = draw(st.sampled_from(["simple", "simple", "simple", "tensor", "text", "two", "meta"]))
    e = event_pb2.Event(wall_time=draw(walls), step=draw(steps))
    tag = draw(tags)
    if kind == "simple":
        e.summary.value.add(tag=tag, simple_value=draw(values))
    elif kind == "two":  # two values in one event: the protobuf path's job
        e.summary.value.add(tag=tag, simple_value=draw(values))
        e.summary.value.add(tag=tag + "_2", simple_value=draw(values))
    elif kind == "meta":  # simple_value carrying metadata (tensorboardX display_name)
        v = e.summary.value.add(tag=tag, simple_value=draw(values))
        v.metadata.display_name = "shown"
    elif kind == "tensor":  # TF2 / torch new_style scalars, in each wire variant
        v = e.summary.value.add(tag=tag + "/t")
        if draw(st.booleans()):  # writers may strip it after the first value
            v.metadata.plugin_data.plugin_name = "scalars"
            if draw(st.integers(0, 9)) == 0:
                v.metadata.display_name = "shown"
        x = draw(st.floats(allow_nan=True))
        double = draw(st.booleans())
        t = tensor_pb2.TensorProto(dtype=2 if double else 1)
        if draw(st.booleans()):
            t.tensor_shape.SetInParent()  # TF2 writes an explicit empty shape
        if draw(st.booleans()):
            t.tensor_content = struct.pack("<d" if double else "<f", x if double else _f32(x))
        elif double:
            t.double_val.append(x)
        else:
            t.float_val.append(_f32(x))
        v.tensor.CopyFrom(t)
    else:
        v = e.summary.value.add(tag=tag + "/text")
        v.metadata.plugin_data.plugin_name = "text"
        v.tensor.CopyFrom(tensor_pb2.TensorProto(dtype=7, string_val=[b"hello"]))
    return e


@settings(deadline=None)
@given(st.lists(events(), max_size=40))
def test_fast_and_protobuf_paths_agree(evs: list[Any]) -> None:
    buf = _file(evs)
    fast_run, w1 = _run(buf, True)
    slow_run, w2 = _run(buf, False)
    assert _same_points(_points(fast_run), _points(slow_run))
    for kind in ("texts", "tensors"):
        fast_series, slow_series = getattr(fast_run, kind), getattr(slow_run, kind)
        assert {t: x.steps.tolist() for t, x in fast_series.items()} == {
            t: x.steps.tolist() for t, x in slow_series.items()
        }
    assert {t: x.display_name for t, x in fast_run.scalars.items()} == {
        t: x.display_name for t, x in slow_run.scalars.items()
    }
    assert [str(w) for w in w1] == [str(w) for w in w2]
    # and both equal what was written (tensors count as scalars once a tag's first
    # metadata said "scalars")
    want: dict[str, list[tuple[int, float, float]]] = {}
    plugin: dict[str, str] = {}
    for e in evs:
        for v in e.summary.value:
            if v.HasField("metadata"):
                plugin.setdefault(v.tag, v.metadata.plugin_data.plugin_name)
            if v.WhichOneof("value") == "simple_value":
                want.setdefault(v.tag, []).append(
                    (e.step, wall_seconds(e.wall_time)[0], v.simple_value)
                )
            elif plugin.get(v.tag) == "scalars" and v.tensor.dtype in (1, 2):
                t = v.tensor
                if t.tensor_content:
                    (x,) = struct.unpack("<d" if t.dtype == 2 else "<f", t.tensor_content)
                else:
                    x = t.double_val[0] if t.dtype == 2 else t.float_val[0]
                want.setdefault(v.tag, []).append((e.step, wall_seconds(e.wall_time)[0], x))
    assert _same_points(dict(sorted(_points(fast_run).items())), dict(sorted(want.items())))


@settings(deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=30))
def test_frame_finds_every_record_of_a_clean_stream(payloads: list[bytes]) -> None:
    buf = b"".join(encode_record(p) for p in payloads)
    frames = fast.frame(buf)
    assert frames is not None
    got = [buf[s : s + n] for s, n in zip(frames.starts.tolist(), frames.lengths.tolist())]
    assert got == payloads
    assert fast.bad_data_crcs(buf, frames) == []


@settings(deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=100), min_size=1, max_size=20), st.data())
def test_batch_crc_names_the_damaged_records(payloads: list[bytes], data: Any) -> None:
    buf = bytearray(b"".join(encode_record(p) for p in payloads))
    frames = fast.frame(bytes(buf))
    assert frames is not None
    damaged = sorted(set(data.draw(st.lists(st.integers(0, len(payloads) - 1), max_size=3))))
    for i in damaged:
        start, length = int(frames.starts[i]), int(frames.lengths[i])
        pos = data.draw(st.integers(start, start + length + 3))  # data or its CRC
        buf[pos] ^= 1 << data.draw(st.integers(0, 7))
    assert fast.bad_data_crcs(bytes(buf), frames) == damaged


def test_decode_rejects_other_shapes() -> None:
    e = event_pb2.Event(wall_time=2.0, step=3)
    e.summary.value.add(tag="t", simple_value=1.5)
    plain = e.SerializeToString()
    e.source_metadata.writer = "x"  # an extra field: not the common shape
    extra = e.SerializeToString()
    img = event_pb2.Event(step=1)
    img.summary.value.add(tag="i", image=summary_pb2.Summary.Image(height=1))
    buf = b"".join(encode_record(x) for x in (plain, extra, img.SerializeToString()))
    frames = fast.frame(buf)
    assert frames is not None
    cols = fast.decode_simple_scalars(buf, frames)
    assert cols.decoded.tolist() == [True, False, False]
    assert cols.tags == ["t"]
    idx, st_, wall, val = cols.groups[0]
    assert (idx.tolist(), st_.tolist(), wall.tolist(), val.tolist()) == ([0], [3], [2.0], [1.5])


def test_frame_declines_trailing_garbage_and_allows_a_truncated_tail() -> None:
    buf = encode_record(b"a" * 20) + encode_record(b"b" * 30)
    assert fast.frame(buf + b"\x01" * 40) is None
    frames = fast.frame(buf + encode_record(b"c" * 50)[:30])
    assert frames is not None and len(frames) == 2 and frames.truncated_at == len(buf)
    frames = fast.frame(buf + b"\x05\x00")
    assert frames is not None and frames.truncated_at == len(buf)
