"""The graph summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tbreport.kinds._tensors import dtype_name
from tbreport.kinds.base import Kind, RunSink, SectionSpec
from tbreport.proto import event_pb2, graph_pb2, tensor_pb2

if TYPE_CHECKING:
    from tbreport.model import Run


# --- the data (re-exported by tbreport.model) ---


@dataclass(frozen=True)
class GraphNode:
    """One node of a graph.

    ``attrs`` are the node's attributes rendered to short strings (a shape as
    ``[2,1,14,14]``, a dtype as ``float32``, a list as ``[a, b]``);
    ``output_shapes`` come from ``_output_shapes`` (``-1`` = unknown dimension).
    """

    name: str
    op: str
    inputs: tuple[str, ...] = ()
    device: str = ""
    attrs: Mapping[str, str] = field(default_factory=dict)
    output_shapes: tuple[tuple[int, ...], ...] = ()


@dataclass
class Graph:
    """A graph of a run; ``source`` is ``"graph_def"`` or ``"meta_graph_def"``."""

    nodes: list[GraphNode] = field(default_factory=list)
    source: str = "graph_def"
    step: int = 0

    def __len__(self) -> int:
        return len(self.nodes)


PLUGIN_NAME = "graphs"

# --- encode (writer side) ---

RUN_METADATA_TAG = "step1"  # the tag torch gives the RunMetadata of add_graph


def graph_events(
    graph_def: graph_pb2.GraphDef,
    run_metadata: graph_pb2.RunMetadata | None,
    *,
    wall_time: float,
) -> list[event_pb2.Event]:
    """The events ``add_graph`` writes: the ``GraphDef``, then its ``RunMetadata``."""
    events = [
        event_pb2.Event(
            wall_time=wall_time, graph_def=graph_def.SerializeToString(deterministic=True)
        )
    ]
    if run_metadata is not None:
        tagged = event_pb2.TaggedRunMetadata(
            tag=RUN_METADATA_TAG, run_metadata=run_metadata.SerializeToString(deterministic=True)
        )
        events.append(event_pb2.Event(wall_time=wall_time, tagged_run_metadata=tagged))
    return events


# --- decode (reader side) ---

_MAX_ATTR_CHARS = 200


def _shape(shape: tensor_pb2.TensorShapeProto) -> tuple[int, ...]:
    return tuple(int(d.size) for d in shape.dim)


def _shape_text(shape: tensor_pb2.TensorShapeProto) -> str:
    if shape.unknown_rank:
        return "<unknown>"
    return "[" + ",".join("?" if d.size < 0 else str(d.size) for d in shape.dim) + "]"


def _short(text: str) -> str:
    return text if len(text) <= _MAX_ATTR_CHARS else text[: _MAX_ATTR_CHARS - 1] + "…"


def _bytes_text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def attr_text(attr: graph_pb2.AttrValue) -> str:
    """A short human-readable rendering of an ``AttrValue``."""
    which = attr.WhichOneof("value")
    if which == "s":
        return _short(_bytes_text(attr.s))
    if which == "i":
        return str(attr.i)
    if which == "f":
        return repr(attr.f)
    if which == "b":
        return "true" if attr.b else "false"
    if which == "type":
        return dtype_name(attr.type)
    if which == "shape":
        return _shape_text(attr.shape)
    if which == "tensor":
        t = attr.tensor
        return f"tensor<{dtype_name(t.dtype)}{_shape_text(t.tensor_shape)}>"
    if which == "func":
        return str(attr.func.name)
    if which == "placeholder":
        return str(attr.placeholder)
    if which == "list":
        lst = attr.list
        items: list[str] = (
            [_bytes_text(s) for s in lst.s]
            + [str(i) for i in lst.i]
            + [repr(f) for f in lst.f]
            + ["true" if b else "false" for b in lst.b]
            + [dtype_name(t) for t in lst.type]
            + [_shape_text(s) for s in lst.shape]
            + [f"tensor<{dtype_name(t.dtype)}>" for t in lst.tensor]
            + [f.name for f in lst.func]
        )
        return _short("[" + ", ".join(items) + "]")
    return ""


def decode_graph_def(data: bytes, *, source: str = "graph_def", step: int = 0) -> Graph:
    """A serialized ``GraphDef`` as a :class:`~tbreport.model.Graph` (raises ``ValueError``)."""
    try:
        graph = graph_pb2.GraphDef.FromString(data)
    except Exception as exc:  # protobuf's DecodeError
        raise ValueError(f"graph_def does not parse: {exc}") from exc
    nodes = []
    for node in graph.node:
        attrs: dict[str, str] = {}
        shapes: tuple[tuple[int, ...], ...] = ()
        for key in sorted(node.attr):
            value = node.attr[key]
            if key == "_output_shapes" and value.WhichOneof("value") == "list":
                shapes = tuple(_shape(s) for s in value.list.shape)
                continue
            attrs[key] = attr_text(value)
        nodes.append(GraphNode(node.name, node.op, tuple(node.input), node.device, attrs, shapes))
    return Graph(nodes, source, step)


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def graph_def_of_meta_graph(data: bytes) -> bytes:
    """The ``graph_def`` (field 2) of a serialized ``MetaGraphDef``, found by walking
    the wire format (tbreport vendors no MetaGraphDef proto). ``b""`` if absent.
    """
    pos, found = 0, b""
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _read_varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            if pos + length > len(data):
                raise ValueError("truncated field in meta_graph_def")
            if field == 2:
                found = data[pos : pos + length]
            pos += length
        else:
            raise ValueError(f"unsupported wire type {wire} in meta_graph_def")
    return found


def decode_meta_graph_def(data: bytes, *, step: int = 0) -> Graph:
    """The graph inside a serialized ``MetaGraphDef`` (raises ``ValueError``)."""
    return decode_graph_def(graph_def_of_meta_graph(data), source="meta_graph_def", step=step)


# --- the kind ---


@dataclass(frozen=True)
class GraphKind(Kind):
    """A run's model graph (``graph_def`` or ``meta_graph_def`` events) and the tags of
    its ``RunMetadata``."""

    def read_event(self, sink: RunSink, event: Any, step: int) -> None:
        what = event.WhichOneof("what")
        run = sink.run
        if what == "tagged_run_metadata":
            run.run_metadata_tags.append(str(event.tagged_run_metadata.tag))
            return
        if what == "meta_graph_def" and run.graph is not None and run.graph.source != what:
            return  # a graph_def has precedence over a meta_graph_def
        try:
            if what == "graph_def":
                graph = decode_graph_def(event.graph_def, step=step)
            else:
                graph = decode_meta_graph_def(event.meta_graph_def, step=step)
        except ValueError as exc:
            sink.problem("graphs that do not parse; skipped them", str(exc))
            return
        if run.graph is not None and run.graph.source == graph.source:
            sink.problem("graph events after the first; kept the last one", f"step {graph.step}")
        run.graph = graph

    def present(self, run: Run) -> bool:
        return run.graph is not None or bool(run.run_metadata_tags)


KIND = GraphKind(
    name="graph",
    module="graph",
    attr="graph",
    event_fields=("graph_def", "meta_graph_def", "tagged_run_metadata"),
    sections=(SectionSpec("tbreport.render.graph:build", ("kinds/graph.html.j2",)),),
    counts=(("graph", lambda sel: sum(1 for r in sel.raw_runs if r.graph is not None)),),
)
