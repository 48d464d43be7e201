"""add_onnx_graph: an ONNX model becomes a GraphDef whose every edge names a node."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tbreport import MissingDependencyError, SummaryWriter
from tbreport.proto import event_pb2, graph_pb2, types_pb2
from tbreport.record import iter_records
from tbreport.writer.onnx_graph import load_onnx_graph


def _model() -> Any:
    onnx = pytest.importorskip("onnx")
    h = onnx.helper
    weight = onnx.numpy_helper.from_array(np.ones((4, 1, 3, 3), np.float32), "conv/weight")
    nodes = [
        h.make_node("Conv", ["x", "conv/weight"], ["c"], name="/conv/Conv", kernel_shape=[3, 3]),
        h.make_node("Relu", ["c"], ["r"], name="/act/Relu"),
        h.make_node("Split", ["r"], ["s0", "s1"], name="split", axis=1, num_outputs=2),
        h.make_node("Add", ["s0", "s1"], ["y"], name=""),  # ONNX nodes may have no name
    ]
    graph = h.make_graph(
        nodes,
        "tiny",
        [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 1, 8, 8])],
        [h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
        [weight],
    )
    return h.make_model(graph, opset_imports=[h.make_opsetid("", 18)])


def test_nodes_edges_types_and_shapes() -> None:
    graph = load_onnx_graph(_model())
    nodes = {n.name: n for n in graph.node}
    assert list(nodes) == [
        "conv/weight",
        "input/x",
        "conv/Conv",
        "act/Relu",
        "split",
        "y",
        "output/y",
    ]
    assert {n: nodes[n].op for n in nodes} == {
        "conv/weight": "Const",
        "input/x": "IO Node",
        "conv/Conv": "Conv",
        "act/Relu": "Relu",
        "split": "Split",
        "y": "Add",
        "output/y": "IO Node",
    }
    for node in graph.node:
        for ref in node.input:
            assert ref.split(":")[0] in nodes, (node.name, ref)
    assert list(nodes["conv/Conv"].input) == ["input/x", "conv/weight"]
    assert list(nodes["y"].input) == ["split", "split:1"]  # the second output, as TF names it
    assert list(nodes["output/y"].input) == ["y"]
    assert nodes["input/x"].attr["dtype"].type == types_pb2.DT_FLOAT  # not ONNX's enum
    shape = nodes["conv/Conv"].attr["_output_shapes"].list.shape[0]
    assert [d.size for d in shape.dim] == [1, 4, 6, 6]  # from ONNX shape inference
    assert list(nodes["conv/Conv"].attr["kernel_shape"].list.i) == [3, 3]
    assert nodes["split"].attr["axis"].i == 1
    assert graph.versions.producer == 22


def test_add_onnx_graph_takes_a_path(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    path = tmp_path / "tiny.onnx"
    onnx.save(_model(), str(path))
    with SummaryWriter(tmp_path / "run") as w:
        w.add_onnx_graph(str(path))
    (event_path,) = (tmp_path / "run").glob("events.out.tfevents.*")
    events = [event_pb2.Event.FromString(r) for r in iter_records(event_path.read_bytes())]
    (graph_event,) = [e for e in events if e.graph_def]
    assert len(graph_pb2.GraphDef.FromString(graph_event.graph_def).node) == 7
    with pytest.raises(TypeError, match=r"path of an \.onnx file"):
        load_onnx_graph(42)


def test_without_onnx_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'tbreport\[onnx\]'") as excinfo:
        load_onnx_graph("model.onnx")
    assert isinstance(excinfo.value, ImportError)
