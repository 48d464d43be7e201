"""Each kind decodes to the same model object from its legacy and its tensor form."""

from __future__ import annotations

import io
import struct
import wave
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tbreport.model import LoadWarning, Run
from tbreport.proto import event_pb2, summary_pb2, tensor_pb2
from tbreport.reader.events import scan_bytes
from tbreport.reader.load import build_run
from tbreport.record import encode_record

pytestmark = pytest.mark.usefixtures("force_fast_path")  # small files take the fast path too


def _run(values: list[Any]) -> Run:
    events = [event_pb2.Event(wall_time=1.0, file_version="brain.Event:2")]
    for step, v in enumerate(values):
        e = event_pb2.Event(wall_time=10.0 + step, step=step)
        e.summary.value.append(v)
        events.append(e)
    buf = b"".join(encode_record(e.SerializeToString()) for e in events)
    warnings: list[LoadWarning] = []
    run = build_run(".", "/", [scan_bytes(buf, "f")], warnings)
    assert warnings == []
    return run


def _meta(v: Any, plugin: str) -> Any:
    v.metadata.plugin_data.plugin_name = plugin
    return v


def _strings(shape: list[int], items: list[bytes]) -> Any:
    t = tensor_pb2.TensorProto(dtype=7, string_val=items)
    for d in shape:
        t.tensor_shape.dim.add(size=d)
    return t


def test_scalars() -> None:
    legacy = summary_pb2.Summary.Value(tag="s", simple_value=0.1)
    f32 = _meta(summary_pb2.Summary.Value(tag="s"), "scalars")
    f32.tensor.CopyFrom(tensor_pb2.TensorProto(dtype=1, float_val=[0.1]))
    half = _meta(summary_pb2.Summary.Value(tag="s"), "scalars")
    half.tensor.CopyFrom(tensor_pb2.TensorProto(dtype=19, half_val=[0x3C00]))  # 1.0
    i64 = _meta(summary_pb2.Summary.Value(tag="s"), "scalars")
    i64.tensor.CopyFrom(tensor_pb2.TensorProto(dtype=9, int64_val=[7]))
    a = _run([legacy]).scalars["s"]
    b = _run([f32]).scalars["s"]
    assert a.values.tolist() == b.values.tolist() == [float(np.float32(0.1))]
    assert _run([half, i64]).scalars["s"].values.tolist() == [1.0, 7.0]


def _png(w: int, h: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.arange(w * h * 3, dtype=np.uint8).reshape(h, w, 3)).save(out, "PNG")
    return out.getvalue()


def test_images() -> None:
    png = _png(5, 3)
    legacy = summary_pb2.Summary.Value(
        tag="i", image=summary_pb2.Summary.Image(width=5, height=3, encoded_image_string=png)
    )
    tensor = _meta(summary_pb2.Summary.Value(tag="i"), "images")
    tensor.tensor.CopyFrom(_strings([3], [b"5", b"3", png]))
    a = _run([legacy]).images["i"].points[0].images
    b = _run([tensor]).images["i"].points[0].images
    assert [(x.data, x.width, x.height) for x in a] == [(x.data, x.width, x.height) for x in b]
    assert a[0].to_array().shape == (3, 5, 3)


def test_histograms() -> None:
    # legacy buckets: empty first and last ones are dropped, edges become min / max
    legacy = summary_pb2.Summary.Value(
        tag="h",
        histo=summary_pb2.HistogramProto(
            min=0.5,
            max=2.5,
            num=6,
            sum=9.0,
            sum_squares=16.5,
            bucket_limit=[0.0, 1.0, 2.0, 3.0, 1e308],
            bucket=[0, 2, 1, 3, 0],
        ),
    )
    rows = np.array([[0.5, 1.0, 2], [1.0, 2.0, 1], [2.0, 2.5, 3]], dtype=np.float64)
    tensor = _meta(summary_pb2.Summary.Value(tag="h"), "histograms")
    t = tensor_pb2.TensorProto(dtype=2, tensor_content=rows.tobytes())
    t.tensor_shape.dim.add(size=3)
    t.tensor_shape.dim.add(size=3)
    tensor.tensor.CopyFrom(t)
    a = _run([legacy]).histograms["h"].points[0]
    b = _run([tensor]).histograms["h"].points[0]
    for field in ("left", "right", "counts"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert (a.minimum, a.maximum, a.total) == (b.minimum, b.maximum, b.total) == (0.5, 2.5, 6.0)
    assert a.mean == 1.5


def _wav(rate: int, frames: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{frames}h", *range(frames)))
    return out.getvalue()


def test_audio() -> None:
    wav = _wav(8000, 400)
    legacy = summary_pb2.Summary.Value(
        tag="a",
        audio=summary_pb2.Summary.Audio(
            sample_rate=8000,
            num_channels=1,
            length_frames=400,
            encoded_audio_string=wav,
            content_type="audio/wav",
        ),
    )
    tensor = _meta(summary_pb2.Summary.Value(tag="a"), "audio")
    tensor.tensor.CopyFrom(_strings([1, 2], [wav, b"label"]))
    a = _run([legacy]).audio["a"].points[0].clips[0]
    b = _run([tensor]).audio["a"].points[0].clips[0]
    assert (a.data, a.sample_rate, a.num_channels, a.length_frames, a.content_type) == (
        b.data,
        b.sample_rate,
        b.num_channels,
        b.length_frames,
        b.content_type,
    )
    assert b.label == "label" and b.duration == 0.05


def test_text_of_any_shape_and_raw_tensors() -> None:
    text = _meta(summary_pb2.Summary.Value(tag="t"), "text")
    text.tensor.CopyFrom(_strings([2, 2], [b"a", b"b", b"c", "d\u00e9".encode()]))
    raw = summary_pb2.Summary.Value(tag="r")
    raw.tensor.CopyFrom(tensor_pb2.TensorProto(dtype=3, int_val=[1, 2, 3]))
    raw.tensor.tensor_shape.dim.add(size=3)
    run = _run([text, raw])
    p = run.texts["t"].points[0]
    assert p.values == ("a", "b", "c", "dé") and p.shape == (2, 2)
    r = run.tensors["r"].points[0]
    assert r.dtype == "int32" and r.value.tolist() == [1, 2, 3]


def test_undecodable_values_are_one_warning_per_run() -> None:
    bad = _meta(summary_pb2.Summary.Value(tag="i"), "images")
    bad.tensor.CopyFrom(tensor_pb2.TensorProto(dtype=1, float_val=[1.0]))
    events = [event_pb2.Event(step=s) for s in range(3)]
    for e in events:
        e.summary.value.append(bad)
    buf = b"".join(encode_record(e.SerializeToString()) for e in events)
    warnings: list[LoadWarning] = []
    run = build_run(".", "/run", [scan_bytes(buf, "f1"), scan_bytes(buf, "f2")], warnings)
    assert run.images == {}
    # one warning for the run, naming the file, record and tag where it was first seen
    assert len(warnings) == 1 and warnings[0].count == 6 and warnings[0].path == "f1"
    assert "6 images values that could not be decoded" in warnings[0].message
    assert "(first: record 0 (byte 0) tag 'i' step 0: " in warnings[0].message
    assert (warnings[0].offset, warnings[0].index) == (0, 0)


def _events_run(events: list[Any]) -> tuple[Run, list[LoadWarning]]:
    buf = b"".join(encode_record(e.SerializeToString()) for e in events)
    warnings: list[LoadWarning] = []
    return build_run(".", "/", [scan_bytes(buf, "f")], warnings), warnings


def test_custom_scalar_layout() -> None:
    from tbreport.proto import plugins_pb2

    layout = plugins_pb2.Layout(
        category=[
            plugins_pb2.Category(
                title="losses",
                chart=[
                    plugins_pb2.Chart(
                        title="all", multiline=plugins_pb2.MultilineChartContent(tag=["loss/.*"])
                    ),
                    plugins_pb2.Chart(
                        title="band",
                        margin=plugins_pb2.MarginChartContent(
                            series=[
                                plugins_pb2.MarginChartContent.Series(
                                    value="m", lower="lo", upper="hi"
                                )
                            ]
                        ),
                    ),
                ],
            )
        ]
    )
    v = _meta(summary_pb2.Summary.Value(tag="custom_scalars__config__"), "custom_scalars")
    v.tensor.CopyFrom(_strings([], [layout.SerializeToString()]))
    run, warnings = _events_run([event_pb2.Event(summary=summary_pb2.Summary(value=[v]))])
    assert warnings == []
    assert run.custom_scalar_layout is not None and run.kinds() == ("custom_scalars",)
    (cat,) = run.custom_scalar_layout.categories
    assert cat.title == "losses"
    assert [(c.title, c.kind, c.tags) for c in cat.charts] == [
        ("all", "multiline", ("loss/.*",)),
        ("band", "margin", ()),
    ]
    assert cat.charts[1].margin[0].upper == "hi"


def test_session_logs_meta_graph_and_run_metadata() -> None:
    from tbreport.proto import graph_pb2

    graph = graph_pb2.GraphDef(
        node=[
            graph_pb2.NodeDef(name="x", op="Placeholder"),
            graph_pb2.NodeDef(name="y", op="Relu", input=["x"], device="/cpu:0"),
        ]
    )
    graph.node[0].attr["dtype"].type = 1
    graph.node[0].attr["shape"].shape.dim.add(size=-1)
    graph.node[0].attr["shape"].shape.dim.add(size=3)
    gd = graph.SerializeToString()
    # MetaGraphDef: field 1 (meta_info_def, skipped), field 2 = graph_def
    meta = b"\x0a\x02\x08\x01" + b"\x12" + bytes([len(gd)]) + gd
    events = [
        event_pb2.Event(step=0, meta_graph_def=meta),
        event_pb2.Event(step=0, session_log=event_pb2.SessionLog(status=1)),
        event_pb2.Event(
            step=5, session_log=event_pb2.SessionLog(status=3, checkpoint_path="/ckpt/5")
        ),
        event_pb2.Event(
            step=5, tagged_run_metadata=event_pb2.TaggedRunMetadata(tag="step5", run_metadata=b"")
        ),
    ]
    run, warnings = _events_run(events)
    assert warnings == []
    assert run.graph is not None and run.graph.source == "meta_graph_def"
    x, y = run.graph.nodes
    assert (x.name, x.op, x.attrs["dtype"], x.attrs["shape"]) == (
        "x",
        "Placeholder",
        "float32",
        "[?,3]",
    )
    assert (y.inputs, y.device) == (("x",), "/cpu:0")
    assert [(s.status, s.step, s.checkpoint_path) for s in run.session_logs] == [
        ("START", 0, ""),
        ("CHECKPOINT", 5, "/ckpt/5"),
    ]
    assert run.run_metadata_tags == ["step5"]
    # a graph_def takes precedence over the meta graph's
    run, _ = _events_run([*events, event_pb2.Event(graph_def=gd)])
    assert run.graph is not None and run.graph.source == "graph_def"


def test_first_metadata_per_tag_is_remembered_across_files() -> None:
    """Writers put the plugin metadata on a tag's first value only; later values, even
    in the next file of the run, are classified by it."""

    def value(tag: str, plugin: str | None, tensor: Any) -> Any:
        v = summary_pb2.Summary.Value(tag=tag)
        if plugin:
            v = _meta(v, plugin)
        v.tensor.CopyFrom(tensor)
        return v

    def f32(x: float) -> Any:
        return tensor_pb2.TensorProto(dtype=1, float_val=[x])

    def text(s: bytes) -> Any:
        return _strings([], [s])

    def file(values: list[Any]) -> bytes:
        out = []
        for step, v in enumerate(values):
            e = event_pb2.Event(step=step, wall_time=float(step))
            e.summary.value.append(v)
            out.append(encode_record(e.SerializeToString()))
        return b"".join(out)

    first = file([value("s", "scalars", f32(1.0)), value("t", "text", text(b"a"))])
    later = file([value("s", None, f32(2.0)), value("t", None, text(b"b"))])
    other = file([value("u", None, f32(3.0))])  # never had metadata: a raw tensor
    for fast_path in (True, False):
        warnings: list[LoadWarning] = []
        scans = [scan_bytes(b, "f", use_fast_path=fast_path) for b in (first, later + other)]
        run = build_run(".", "/", scans, warnings)
        assert run.scalars["s"].values.tolist() == [1.0, 2.0]
        assert [p.text for p in run.texts["t"]] == ["a", "b"]
        assert list(run.tensors) == ["u"]
        assert warnings == []
