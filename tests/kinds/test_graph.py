"""The graph kind: golden of the events ``add_graph`` writes, and decoding them back."""

from __future__ import annotations

import pytest

from tbreport.kinds.graph import decode_graph_def, decode_meta_graph_def, graph_events
from tbreport.proto import event_pb2, graph_pb2
from tests.golden import check_golden


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
