"""The graph summary kind: wire identity, encode (writer side), decode (reader side).

A run holds at most one op graph (``graph_def`` or ``meta_graph_def`` events, picked as
TensorBoard picks them, the others remembered as :class:`GraphRecord` notes) and any number of Keras conceptual graphs (values of
plugin ``graph_keras_model``: the model's ``to_json()``, which every Keras
``TensorBoard`` callback writes under the tag ``keras``), decoded into the same
:class:`Graph` shape: one node per layer, nested models as name scopes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tbreport.kinds._tensors import dtype_name
from tbreport.kinds.base import At, Kind, RunSink, SectionSpec
from tbreport.proto import event_pb2, graph_pb2, tensor_pb2

if TYPE_CHECKING:
    from tbreport.model import Run
    from tbreport.select import Selection


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


@dataclass(frozen=True)
class GraphRecord:
    """A graph record of a run that is not the one shown (see :class:`GraphKind`):
    where it was and how big."""

    step: int
    source: str
    nodes: int


@dataclass
class Graph:
    """A graph of a run; ``source`` is ``"graph_def"``, ``"meta_graph_def"`` or, for a
    Keras conceptual graph, ``"keras"``. ``others``: the run's other graph records,
    not shown (in the order read)."""

    nodes: list[GraphNode] = field(default_factory=list)
    source: str = "graph_def"
    step: int = 0
    others: tuple[GraphRecord, ...] = ()

    def __len__(self) -> int:
        return len(self.nodes)


PLUGIN_NAME = "graphs"
KERAS_PLUGIN_NAME = "graph_keras_model"  # TensorBoard's plugin for Keras model JSON

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


# --- Keras conceptual graphs (plugin graph_keras_model) ---

#: layer config entries shown with each layer (the ones that say what it does)
KERAS_CONFIG_KEYS = (
    "units",
    "filters",
    "kernel_size",
    "strides",
    "pool_size",
    "dilation_rate",
    "padding",
    "activation",
    "rate",
    "axis",
    "output_dim",
    "num_heads",
    "key_dim",
    "target_shape",
    "size",
)
_KERAS_MAX_DEPTH = 64  # nested models deeper than this are not followed
_KERAS_TENSOR = "__keras_tensor__"


def _json_walk(value: Any, limit: int = 10_000) -> Iterator[Any]:
    """Every list and dict inside ``value`` (itself included), without recursion."""
    stack = [value]
    seen = 0
    while stack and seen < limit:
        item = stack.pop()
        seen += 1
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            yield item
            stack.extend(reversed(item))


def _keras_refs(inbound: Any) -> list[tuple[str, int, tuple[int, ...] | None]]:
    """The layers feeding a layer, from its ``inbound_nodes``: ``(layer, tensor index,
    shape or None)``. Keras 3 writes ``{"args": [..keras tensors..], "kwargs": {..}}``
    per call, each tensor carrying ``keras_history = [layer, node, tensor]`` and its
    shape; Keras 2 (tf-keras) writes ``[[layer, node, tensor, kwargs], ...]`` per call."""
    refs: list[tuple[str, int, tuple[int, ...] | None]] = []
    for item in _json_walk(inbound):
        if isinstance(item, dict) and item.get("class_name") == _KERAS_TENSOR:
            config = item.get("config")
            history = config.get("keras_history") if isinstance(config, dict) else None
            if isinstance(history, list) and history and isinstance(history[0], str):
                index = history[2] if len(history) > 2 and isinstance(history[2], int) else 0
                shape = config.get("shape") if isinstance(config, dict) else None
                refs.append((history[0], index, _keras_shape(shape)))
        elif (
            isinstance(item, list)
            and len(item) >= 3
            and isinstance(item[0], str)
            and isinstance(item[1], int)
            and isinstance(item[2], int)
        ):
            refs.append((item[0], item[2], None))
    return refs


def _keras_shape(shape: Any) -> tuple[int, ...] | None:
    if not isinstance(shape, list):
        return None
    dims = []
    for d in shape:
        if d is None:
            dims.append(-1)
        elif isinstance(d, int) and not isinstance(d, bool):
            dims.append(d)
        else:
            return None
    return tuple(dims)


def _keras_attr(value: Any) -> str:
    if isinstance(value, list):
        return _short("[" + ", ".join(_keras_attr(v) for v in value) + "]")
    if isinstance(value, dict):  # e.g. a serialized activation: its class or name
        inner = value.get("config")
        name = inner.get("name") if isinstance(inner, dict) else None
        return _short(str(name or value.get("class_name") or "{…}"))
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    return _short(str(value))


@dataclass
class _KerasModel:
    """One (possibly nested) model while its layers are read."""

    scope: str
    inputs: list[str] = field(default_factory=list)  # where the model's input goes
    outputs: list[str] = field(default_factory=list)  # what stands for its output


@dataclass
class _KerasLayer:
    name: str  # scoped: model/.../layer
    scope: str  # the scope its references are resolved in
    cls: str
    config: Mapping[str, Any]
    refs: list[tuple[str, int, tuple[int, ...] | None]]
    sequential_prev: str | None  # the previous layer of a Sequential model


def _layer_name(layer: Mapping[str, Any]) -> str:
    config = layer.get("config")
    name = config.get("name") if isinstance(config, dict) else None
    return str(name or layer.get("name") or layer.get("class_name") or "layer")


def _model_layers(layer: Mapping[str, Any]) -> list[Any] | None:
    """The layers of a model's config (a list for Keras ≤ 2.2's Sequential), or None."""
    config = layer.get("config")
    if isinstance(config, list):
        return config
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        return list(config["layers"])
    return None


def _model_io(config: Any, key: str, scope: str) -> list[str]:
    value = config.get(key) if isinstance(config, dict) else None
    if not isinstance(value, list) or not value:
        return []
    items = value if isinstance(value[0], list) else [value]
    return [f"{scope}/{i[0]}" for i in items if isinstance(i, list) and i and isinstance(i[0], str)]


class _KerasReader:
    """Reads a Keras ``to_json()`` into nodes: layers in order, nested models as scopes."""

    def __init__(self) -> None:
        self.layers: list[_KerasLayer] = []
        self.models: dict[str, _KerasModel] = {}
        self.model_refs: dict[str, tuple[str, list[tuple[str, int, tuple[int, ...] | None]]]] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}

    def read(self, root: Mapping[str, Any]) -> list[GraphNode]:
        stack: list[tuple[str, Mapping[str, Any], int]] = [("", root, 0)]
        while stack:
            prefix, model, depth = stack.pop()
            stack.extend(reversed(self._read_model(prefix, model, depth)))
        return self._nodes()

    def _read_model(
        self, prefix: str, model: Mapping[str, Any], depth: int
    ) -> list[tuple[str, Mapping[str, Any], int]]:
        scope = f"{prefix}{_layer_name(model)}"
        layers = [x for x in _model_layers(model) or [] if isinstance(x, dict)]
        entry = self.models[scope] = _KerasModel(scope)
        config = model.get("config")
        entry.inputs = _model_io(config, "input_layers", scope)
        entry.outputs = _model_io(config, "output_layers", scope)
        functional = bool(entry.inputs) or any(x.get("inbound_nodes") for x in layers)
        nested: list[tuple[str, Mapping[str, Any], int]] = []
        prev: str | None = None
        for layer in layers:
            name = f"{scope}/{_layer_name(layer)}"
            refs = _keras_refs(layer.get("inbound_nodes") or [])
            if _model_layers(layer) is not None and depth < _KERAS_MAX_DEPTH:
                self.model_refs[name] = (scope, refs)
                nested.append((f"{scope}/", layer, depth + 1))
            else:
                cfg = layer.get("config")
                self.layers.append(
                    _KerasLayer(
                        name,
                        scope,
                        str(layer.get("class_name") or "Layer"),
                        cfg if isinstance(cfg, dict) else {},
                        refs,
                        None if functional else prev,
                    )
                )
            prev = name
        if not entry.inputs and layers:
            entry.inputs = [f"{scope}/{_layer_name(layers[0])}"]
        if not entry.outputs and layers:
            entry.outputs = [f"{scope}/{_layer_name(layers[-1])}"]
        return nested

    def _outputs(self, name: str) -> list[str]:
        """The layers standing for ``name``'s output (a nested model's output layers)."""
        for _ in range(_KERAS_MAX_DEPTH):
            model = self.models.get(name)
            if model is None or not model.outputs:
                return [name]
            if len(model.outputs) > 1:
                return [o for out in model.outputs for o in self._outputs_once(out)]
            name = model.outputs[0]
        return [name]

    def _outputs_once(self, name: str) -> list[str]:
        model = self.models.get(name)
        return list(model.outputs) if model is not None and model.outputs else [name]

    def _resolve(self, scope: str, ref: tuple[str, int, tuple[int, ...] | None]) -> str:
        layer, index, shape = ref
        outs = self._outputs(f"{scope}/{layer}")
        source = outs[min(index, len(outs) - 1)]
        if shape is not None:
            self.shapes.setdefault(source, shape)
        return source

    def _model_inputs(self) -> dict[str, list[str]]:
        """What feeds the first layers of nested models (their callers' inbound layers)."""
        fed: dict[str, list[str]] = {}
        for name, (scope, refs) in self.model_refs.items():
            model = self.models.get(name)
            if model is None or not refs:
                continue
            sources = [self._resolve(scope, r) for r in refs]
            if len(model.inputs) == len(sources):
                for target, source in zip(model.inputs, sources):
                    fed.setdefault(target, []).append(source)
            else:  # a Sequential model (one input) or a mismatch: all into the first
                for target in model.inputs[:1]:
                    fed.setdefault(target, []).extend(sources)
        return fed

    def _nodes(self) -> list[GraphNode]:
        fed = self._model_inputs()
        nodes = []
        for layer in self.layers:
            inputs = [self._resolve(layer.scope, r) for r in layer.refs]
            if layer.sequential_prev is not None:
                inputs += self._outputs(layer.sequential_prev)
            inputs += fed.get(layer.name, [])
            config = layer.config
            for key in ("batch_shape", "batch_input_shape"):
                shape = _keras_shape(config.get(key))
                if shape is not None and layer.cls == "InputLayer":
                    self.shapes.setdefault(layer.name, shape)
            attrs = {k: _keras_attr(config[k]) for k in KERAS_CONFIG_KEYS if k in config}
            nodes.append(
                GraphNode(layer.name, layer.cls, tuple(dict.fromkeys(inputs)), "", attrs, ())
            )
        return [
            GraphNode(
                n.name, n.op, n.inputs, "", n.attrs, (s,) if (s := self.shapes.get(n.name)) else ()
            )
            for n in nodes
        ]


def decode_keras_model(data: bytes | str, *, step: int = 0) -> Graph:
    """A Keras model's ``to_json()`` (Keras 3, tf-keras 2, Keras 1 Sequential) as a
    :class:`Graph` of its layers (``source="keras"``; raises ``ValueError``).

    Layer ``l`` of model ``m`` is the node ``m/l`` (a nested model is a scope), its op
    the layer class, its inputs the layers feeding it (``inbound_nodes``, or the layer
    before it in a Sequential model), its output shape the one Keras 3 records on the
    tensors it feeds (and an input layer's batch shape), its attrs the config entries
    in :data:`KERAS_CONFIG_KEYS`."""
    try:
        model = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"the Keras model is not valid JSON: {exc}") from None
    if not isinstance(model, dict) or _model_layers(model) is None:
        raise ValueError("the Keras model JSON holds no layers")
    return Graph(_KerasReader().read(model), source="keras", step=step)


# --- the kind ---


@dataclass(frozen=True)
class GraphKind(Kind):
    """A run's model graph (``graph_def`` or ``meta_graph_def`` events), the tags of
    its ``RunMetadata`` and its Keras conceptual graphs (``Run.conceptual_graphs``).

    Which graph record is shown follows TensorBoard's accumulator: the last
    ``graph_def``, or without one the last meta graph holding a graph ("Found more
    than one graph event per run ... Overwriting the graph with the newest event").
    The others are a note on the graph (:attr:`Graph.others`), not damage."""

    def read_event(self, sink: RunSink, event: Any, step: int) -> None:
        what = event.WhichOneof("what")
        run = sink.run
        if what == "tagged_run_metadata":
            run.run_metadata_tags.append(str(event.tagged_run_metadata.tag))
            return
        try:
            if what == "graph_def":
                graph = decode_graph_def(event.graph_def, step=step)
            else:
                graph = decode_meta_graph_def(event.meta_graph_def, step=step)
        except ValueError as exc:
            sink.problem("graphs that do not parse; skipped them", str(exc))
            return
        old = run.graph
        if what == "meta_graph_def" and (
            not graph.nodes or (old is not None and old.source == "graph_def")
        ):
            if old is not None and graph.nodes:  # a graph_def has precedence
                old.others = (*old.others, GraphRecord(graph.step, graph.source, len(graph)))
            return
        run.graph = _replacing(old, graph)

    def finish(self, sink: RunSink) -> None:
        graph = sink.run.graph
        if graph is None:
            return
        # TensorBoard's "Found more than one graph event per run" (or metagraph): a note
        # for the data-health box, not damage. A graph_def beside its meta graph is not.
        repeated = [o for o in graph.others if o.source == graph.source]
        if repeated:
            steps = ", ".join(str(o.step) for o in repeated)
            sink.warn(
                sink.run.path,
                f"{len(repeated) + 1} graph records; shown the one of step {graph.step}, "
                f"as TensorBoard does (not shown: step {steps})",
            )

    def read_value(self, sink: RunSink, value: Any, at: At) -> None:
        tensor = value.tensor
        if not tensor.string_val:
            raise ValueError("the Keras model value holds no JSON string")
        graph = decode_keras_model(tensor.string_val[0], step=at.step)
        graphs = sink.run.conceptual_graphs
        graphs[at.tag] = _replacing(graphs.get(at.tag), graph)

    def present(self, run: Run) -> bool:
        return run.graph is not None or bool(run.run_metadata_tags or run.conceptual_graphs)


def _replacing(old: Graph | None, new: Graph) -> Graph:
    if old is not None:
        new.others = (*old.others, GraphRecord(old.step, old.source, len(old.nodes)))
    return new


def _graph_count(sel: Selection) -> int:
    return sum((r.graph is not None) + len(r.conceptual_graphs) for r in sel.raw_runs)


KIND = GraphKind(
    name="graph",
    module="graph",
    attr="graph",
    plugin_names=(KERAS_PLUGIN_NAME,),
    event_fields=("graph_def", "meta_graph_def", "tagged_run_metadata"),
    sections=(SectionSpec("tbreport.render.graph:build", ("kinds/graph.html.j2",)),),
    counts=(("graph", _graph_count),),
)
