"""Turn an ONNX model into TensorBoard's graph format (``add_onnx_graph``).

Needs the ``onnx`` package (``pip install 'tbreport[onnx]'``), imported only here.
The ``GraphDef`` has one ``NodeDef`` per ONNX node, initializer and graph
input/output, like the graphs tensorboardX writes, with these improvements:

* a node's inputs name nodes that exist: the value an ONNX node reads is
  resolved to the node that produces it (``name:1`` for a second output, as
  TensorFlow writes it), so every edge is drawn;
* initializers (weights) are ``Const`` nodes and real inputs ``IO Node`` nodes
  under ``input/``; graph outputs are ``IO Node`` nodes under ``output/``, fed by
  the node that computes them (tensorboardX writes them twice under one name);
* ``dtype`` is a TensorFlow ``DataType`` (tensorboardX copies the ONNX enum, whose
  numbers mean other types) and ``_output_shapes`` comes from ONNX shape inference;
* every ONNX attribute becomes a typed ``AttrValue`` (ints, floats, strings and
  their lists; tensors as ``dtype[shape]`` text); scope separators ``/`` of
  exported torch models are kept, so modules fold into groups.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable
from typing import Any

from tbreport.errors import MissingDependencyError
from tbreport.proto import graph_pb2, tensor_pb2, types_pb2

__all__ = ["load_onnx_graph", "onnx_to_graph_def"]

logger = logging.getLogger(__name__)

PRODUCER_VERSION = 22
IO_OP = "IO Node"

# ONNX TensorProto.DataType -> TensorFlow DataType
_DTYPES = {
    1: types_pb2.DT_FLOAT,
    2: types_pb2.DT_UINT8,
    3: types_pb2.DT_INT8,
    4: types_pb2.DT_UINT16,
    5: types_pb2.DT_INT16,
    6: types_pb2.DT_INT32,
    7: types_pb2.DT_INT64,
    8: types_pb2.DT_STRING,
    9: types_pb2.DT_BOOL,
    10: types_pb2.DT_HALF,
    11: types_pb2.DT_DOUBLE,
    12: types_pb2.DT_UINT32,
    13: types_pb2.DT_UINT64,
    14: types_pb2.DT_COMPLEX64,
    15: types_pb2.DT_COMPLEX128,
    16: types_pb2.DT_BFLOAT16,
}


def _onnx() -> Any:
    try:
        onnx = importlib.import_module("onnx")
    except ImportError:
        raise MissingDependencyError(
            "add_onnx_graph needs the onnx package: pip install 'tbreport[onnx]'"
        ) from None
    return onnx


def load_onnx_graph(model: Any) -> graph_pb2.GraphDef:
    """The ``GraphDef`` of an ONNX model given as a file path, bytes or a loaded ``ModelProto``."""
    onnx = _onnx()
    if isinstance(model, (str, os.PathLike)):
        proto = onnx.load(os.fspath(model))
    elif isinstance(model, (bytes, bytearray)):
        proto = onnx.load_from_string(bytes(model))
    elif hasattr(model, "graph") and hasattr(model, "SerializeToString"):
        proto = model
    else:
        raise TypeError(
            "add_onnx_graph takes the path of an .onnx file, its bytes or an onnx.ModelProto, "
            f"got {type(model).__name__}"
        )
    try:
        proto = onnx.shape_inference.infer_shapes(proto)
    except Exception as exc:  # a model shape inference cannot handle: draw it without shapes
        logger.info("ONNX shape inference failed (%s); the graph has no inferred shapes", exc)
    return onnx_to_graph_def(proto.graph)


def _clean(name: str) -> str:
    return name.strip("/") or "unnamed"


def _shape(type_proto: Any) -> tensor_pb2.TensorShapeProto | None:
    if not type_proto.HasField("tensor_type") or not type_proto.tensor_type.HasField("shape"):
        return None
    dims = [
        tensor_pb2.TensorShapeProto.Dim(size=d.dim_value if d.HasField("dim_value") else -1)
        for d in type_proto.tensor_type.shape.dim
    ]
    return tensor_pb2.TensorShapeProto(dim=dims)


def _value_attrs(type_proto: Any) -> dict[str, graph_pb2.AttrValue]:
    attrs: dict[str, graph_pb2.AttrValue] = {}
    if type_proto.HasField("tensor_type"):
        dtype = _DTYPES.get(type_proto.tensor_type.elem_type)
        if dtype is not None:
            attrs["dtype"] = graph_pb2.AttrValue(type=dtype)
    shape = _shape(type_proto)
    if shape is not None:
        attrs["_output_shapes"] = graph_pb2.AttrValue(
            list=graph_pb2.AttrValue.ListValue(shape=[shape])
        )
    return attrs


def _attr(onnx: Any, attribute: Any) -> graph_pb2.AttrValue:
    kind = attribute.type
    kinds = onnx.AttributeProto
    if kind == kinds.INT:
        return graph_pb2.AttrValue(i=attribute.i)
    if kind == kinds.FLOAT:
        return graph_pb2.AttrValue(f=attribute.f)
    if kind == kinds.STRING:
        return graph_pb2.AttrValue(s=attribute.s)
    if kind == kinds.INTS:
        return graph_pb2.AttrValue(list=graph_pb2.AttrValue.ListValue(i=list(attribute.ints)))
    if kind == kinds.FLOATS:
        return graph_pb2.AttrValue(list=graph_pb2.AttrValue.ListValue(f=list(attribute.floats)))
    if kind == kinds.STRINGS:
        return graph_pb2.AttrValue(list=graph_pb2.AttrValue.ListValue(s=list(attribute.strings)))
    if kind == kinds.TENSOR:
        t = attribute.t
        text = f"{onnx.TensorProto.DataType.Name(t.data_type).lower()}{list(t.dims)}"
        return graph_pb2.AttrValue(s=text.encode())
    if kind == kinds.GRAPH:
        return graph_pb2.AttrValue(
            s=f"graph {attribute.g.name} ({len(attribute.g.node)} nodes)".encode()
        )
    return graph_pb2.AttrValue(s=kinds.AttributeType.Name(kind).lower().encode())


def onnx_to_graph_def(graph: Any) -> graph_pb2.GraphDef:
    """The ``GraphDef`` of an ONNX ``GraphProto``."""
    onnx = _onnx()
    types = {v.name: v.type for v in (*graph.input, *graph.output, *graph.value_info)}
    nodes: list[graph_pb2.NodeDef] = []
    ref: dict[str, str] = {}  # ONNX value name -> the node (and output) producing it
    taken: set[str] = set()

    def unique(name: str) -> str:
        base, n = name, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        return name

    initializers = {init.name: init for init in graph.initializer}
    for name, init in initializers.items():
        node = graph_pb2.NodeDef(name=unique(_clean(name)), op="Const")
        dtype = _DTYPES.get(init.data_type)
        if dtype is not None:
            node.attr["dtype"].type = dtype
        shape = tensor_pb2.TensorShapeProto(
            dim=[tensor_pb2.TensorShapeProto.Dim(size=int(d)) for d in init.dims]
        )
        node.attr["_output_shapes"].list.shape.append(shape)
        nodes.append(node)
        ref[name] = node.name
    for value in graph.input:
        if value.name in initializers:
            continue
        node = graph_pb2.NodeDef(name=unique(f"input/{_clean(value.name)}"), op=IO_OP)
        for key, attr in _value_attrs(value.type).items():
            node.attr[key].CopyFrom(attr)
        nodes.append(node)
        ref[value.name] = node.name
    for onnx_node in graph.node:
        outputs = [o for o in onnx_node.output if o]
        name = unique(_clean(onnx_node.name or (outputs[0] if outputs else onnx_node.op_type)))
        for i, out in enumerate(outputs):
            ref[out] = name if i == 0 else f"{name}:{i}"
        node = graph_pb2.NodeDef(name=name, op=onnx_node.op_type)
        node.input.extend(_inputs(onnx_node.input, ref))
        for attribute in onnx_node.attribute:
            node.attr[attribute.name].CopyFrom(_attr(onnx, attribute))
        if outputs and outputs[0] in types:
            for key, attr in _value_attrs(types[outputs[0]]).items():
                node.attr[key].CopyFrom(attr)
        nodes.append(node)
    for value in graph.output:
        node = graph_pb2.NodeDef(name=unique(f"output/{_clean(value.name)}"), op=IO_OP)
        node.input.extend(_inputs([value.name], ref))
        for key, attr in _value_attrs(value.type).items():
            node.attr[key].CopyFrom(attr)
        nodes.append(node)
    return graph_pb2.GraphDef(node=nodes, versions=graph_pb2.VersionDef(producer=PRODUCER_VERSION))


def _inputs(names: Iterable[str], ref: dict[str, str]) -> list[str]:
    # An empty name is an omitted optional input; a name nothing produces (an outer
    # scope's value in a subgraph) is left out rather than drawn as a dangling edge.
    return [ref[n] for n in names if n and n in ref]
