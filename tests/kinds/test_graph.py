"""The graph kind: golden of the events ``add_graph`` writes, and decoding them back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import tbreport
from tbreport.kinds.graph import (
    KERAS_PLUGIN_NAME,
    Graph,
    decode_graph_def,
    decode_keras_model,
    decode_meta_graph_def,
    graph_events,
)
from tbreport.model import Run
from tbreport.proto import event_pb2, graph_pb2, summary_pb2
from tbreport.select import select
from tests.golden import check_golden
from tests.logdirs import keras
from tests.logdirs._write import START, RawEventFile, tensor_value


def _graph() -> graph_pb2.GraphDef:
    g = graph_pb2.GraphDef()
    x = g.node.add(name="input/x", op="Placeholder")
    x.attr["dtype"].type = 1
    shape = x.attr["_output_shapes"].list.shape.add()
    shape.dim.add(size=-1)
    shape.dim.add(size=4)
    g.node.add(name="net/linear", op="MatMul", input=["input/x"])
    return g


def test_golden(update_goldens: bool) -> None:
    run_metadata = graph_pb2.RunMetadata()
    run_metadata.step_stats.dev_stats.add(device="/device:CPU:0")
    graph_def, tagged = graph_events(_graph(), run_metadata, wall_time=1.5)
    check_golden("graph_def_event", graph_def, update=update_goldens)
    check_golden("graph_run_metadata_event", tagged, update=update_goldens)
    check_golden(
        "graph_def", graph_pb2.GraphDef.FromString(graph_def.graph_def), update=update_goldens
    )


def test_decode_of_encode() -> None:
    (event,) = graph_events(_graph(), None, wall_time=1.0)
    graph = decode_graph_def(event.graph_def, step=3)
    assert (graph.source, graph.step, len(graph)) == ("graph_def", 3, 2)
    x, linear = graph.nodes
    assert (x.name, x.op, x.attrs["dtype"], x.output_shapes) == (
        "input/x",
        "Placeholder",
        "float32",
        ((-1, 4),),
    )
    assert linear.inputs == ("input/x",)


def test_meta_graph_def_holds_its_graph_in_field_2() -> None:
    inner = _graph().SerializeToString()
    meta = b"\x0a\x00" + b"\x12" + bytes([len(inner)]) + inner  # field 1 empty, field 2 graph
    graph = decode_meta_graph_def(meta, step=1)
    assert graph.source == "meta_graph_def" and len(graph) == 2
    with pytest.raises(ValueError):
        decode_meta_graph_def(b"\x12\x7f")
    assert isinstance(event_pb2.Event(), event_pb2.Event)


# --------------------------------------------------------------------- Keras models


def _edges(graph: Graph) -> set[tuple[str, str]]:
    return {(i, n.name) for n in graph.nodes for i in n.inputs}


def test_keras3_functional_model_has_its_layers_edges_and_shapes() -> None:
    graph = decode_keras_model(keras.keras3_json(), step=0)
    assert graph.source == "keras" and len(graph) == 12
    by_name = {n.name: n for n in graph.nodes}
    assert by_name["functional/conv2d"].op == "Conv2D"
    assert by_name["functional/conv2d"].inputs == ("functional/input_layer",)
    assert by_name["functional/conv2d"].output_shapes == ((-1, 28, 28, 64),)
    assert by_name["functional/conv2d"].attrs["filters"] == "64"
    assert by_name["functional/input_layer"].output_shapes == ((-1, 28, 28, 1),)
    # the residual: add takes the first activation and the second batch norm
    assert set(by_name["functional/add"].inputs) == {
        "functional/activation",
        "functional/batch_normalization_1",
    }
    assert len(_edges(graph)) == 12  # what TensorBoard's keras_util finds too


def test_keras2_model_gets_its_edges_where_tensorboard_draws_none() -> None:
    graph = decode_keras_model(keras.keras2_json())
    edges = _edges(graph)
    assert len(edges) == 12
    assert ("model/activation", "model/add") in edges
    assert ("model/input_1", "model/conv2d") in edges
    shapes = {n.name: n.output_shapes for n in graph.nodes}
    assert shapes["model/input_1"] == ((-1, 28, 28, 1),)  # the only shape Keras 2 records


def _layer(cls: str, name: str, inbound: Any = None, **config: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"class_name": cls, "config": {"name": name, **config}}
    if inbound is not None:
        out["inbound_nodes"] = inbound
    return out


def test_nested_sequential_inside_functional_and_keras1_sequential() -> None:
    inner = {
        "class_name": "Sequential",
        "config": {
            "name": "head",
            "layers": [_layer("Dense", "d1", units=8), _layer("Dense", "d2", units=2)],
        },
        "inbound_nodes": [[["inp", 0, 0, {}]]],
    }
    model = {
        "class_name": "Functional",
        "config": {
            "name": "outer",
            "layers": [
                _layer("InputLayer", "inp", [], batch_input_shape=[None, 4]),
                inner,
                _layer("Softmax", "out", [[["head", 0, 0, {}]]]),
            ],
            "input_layers": [["inp", 0, 0]],
            "output_layers": [["out", 0, 0]],
        },
    }
    graph = decode_keras_model(json.dumps(model))
    edges = _edges(graph)
    assert ("outer/inp", "outer/head/d1") in edges  # the model's input feeds its first layer
    assert ("outer/head/d1", "outer/head/d2") in edges  # Sequential: one after the other
    assert ("outer/head/d2", "outer/out") in edges  # the model's output is its last layer
    old = {"class_name": "Sequential", "config": [_layer("Dense", "a"), _layer("Dense", "b")]}
    graph = decode_keras_model(json.dumps(old))  # Keras <= 2.2: config is the layer list
    assert _edges(graph) == {("Sequential/a", "Sequential/b")}  # unnamed: its class


@pytest.mark.parametrize(
    "text",
    ["not json", "[1, 2]", '{"class_name": "Dense", "config": {}}', "[" * 100_000 + "]" * 100_000],
)
def test_bad_keras_json_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="Keras"):
        decode_keras_model(text)


# --------------------------------------------------------------------- reading runs


def _read(tmp_path: Path, events: list[event_pb2.Event]) -> tuple[Run, list[Any]]:
    with RawEventFile(tmp_path / "run", START) as f:
        for e in events:
            f.add(e)
    logdir = tbreport.load(tmp_path)
    return logdir.runs["run"], logdir.warnings


def test_repeated_graphs_are_a_note_not_damage(tmp_path: Path) -> None:
    small = _graph()
    big = _graph()
    big.node.add(name="valid/head", op="MatMul", input=["net/linear"])
    meta = b"\x12" + bytes([len(small.SerializeToString())]) + small.SerializeToString()
    run, warnings = _read(
        tmp_path,
        [
            event_pb2.Event(step=0, graph_def=small.SerializeToString()),
            event_pb2.Event(step=0, meta_graph_def=meta),
            event_pb2.Event(step=7, graph_def=big.SerializeToString()),
        ],
    )
    (note,) = warnings  # TensorBoard's "more than one graph event": a note, not damage
    assert not note.damage and "2 graph records; shown the one of step 7" in note.message
    assert run.graph is not None and len(run.graph) == 3 and run.graph.step == 7
    assert sorted((r.source, r.nodes) for r in run.graph.others) == [
        ("graph_def", 2),
        ("meta_graph_def", 2),
    ]
    select(tbreport.load(tmp_path), strict=True)  # --strict: no error


def test_a_graph_def_has_precedence_over_a_later_meta_graph(tmp_path: Path) -> None:
    small = _graph()
    big = _graph()
    big.node.add(name="extra", op="NoOp")
    data = big.SerializeToString()
    meta = b"\x12" + bytes([len(data)]) + data
    run, _ = _read(
        tmp_path,
        [
            event_pb2.Event(step=0, graph_def=small.SerializeToString()),
            event_pb2.Event(step=1, meta_graph_def=meta),
        ],
    )
    assert run.graph is not None and run.graph.source == "graph_def" and len(run.graph) == 2
    assert [(r.source, r.nodes) for r in run.graph.others] == [("meta_graph_def", 3)]


def test_keras_model_values_are_claimed_by_the_graph_kind(tmp_path: Path) -> None:
    value = tensor_value(
        "keras", keras.keras3_json().encode(), plugin=KERAS_PLUGIN_NAME, content=b"1"
    )
    summary = summary_pb2.Summary(value=[value])
    run, warnings = _read(tmp_path, [event_pb2.Event(step=0, summary=summary)] * 2)
    assert warnings == []  # not an unknown plugin any more
    assert run.tensors == {}
    graph = run.conceptual_graphs["keras"]
    assert len(graph) == 12 and [r.source for r in graph.others] == ["keras"]
    assert "graph" in run.kinds()
