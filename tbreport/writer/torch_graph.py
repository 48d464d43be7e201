"""Turn a torch model and an example input into TensorBoard's graph format.

:func:`build_graph` traces the model with ``torch.jit.trace``, walks the traced
(inlined) TorchScript graph and builds a ``GraphDef`` that TensorBoard's graph
plugin reads the way it reads the graphs ``torch.utils.tensorboard`` writes:

* one ``NodeDef`` per value a traced op produces, named
  ``<scope>/<debug name>``, where the scope is the module path written as
  ``Net/Sequential[features]/Conv2d[0]`` (class name and attribute name), so
  the plugin folds every module into a group;
* the op type is the TorchScript node kind (``aten::_convolution``,
  ``prim::Constant``, ...);
* ``input/<name>`` and ``output/output.<i>`` nodes of op ``IO Node`` for the
  model's inputs and outputs;
* ``_output_shapes`` (a list with one ``TensorShapeProto``) on every node that
  produces a tensor, ``dtype`` (a ``DataType``) when its element type is known,
  and an ``attr`` string with the node's TorchScript attributes
  (``{ value : 1}``), as torch writes it.

Intended differences from ``torch.utils.tensorboard`` (tested in
``tests/writer/test_torch_graph.py``):

* a node's inputs only name nodes that exist: torch lists the module objects a
  parameter is read from (``Net/Conv2d[conv1]/weight/conv1``) although it never
  writes such a node; module values are not data, so they are left out;
* parameter and buffer reads (``prim::GetAttr``) carry the shape and dtype of
  the tensor they read, so the edges from weights show their shape;
* an IO node whose value is not a tensor (a tuple or dict output, a tuple
  argument) gets no shape instead of torch's placeholder ``[1]``;
* tensor nodes also carry a ``dtype`` attribute;
* the ``RunMetadata`` has one ``NodeExecStats`` per node, with the bytes of the
  node's output tensor as its memory (torch writes an empty ``DeviceStepStats``).
  Nothing is timed: the time fields stay 0.
* the model's submodules get back exactly the train/eval mode each had (torch
  sets the whole tree to the root's mode).

torch is imported only inside :func:`build_graph`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any

from tbreport.errors import GraphTraceError
from tbreport.proto import graph_pb2, tensor_pb2, types_pb2

__all__ = ["build_graph"]

logger = logging.getLogger(__name__)

DEVICE = "/device:CPU:0"
IO_OP = "IO Node"
# The GraphDef producer version torch and tensorboardX write.
PRODUCER_VERSION = 22

_MODULE_SCOPE_PREFIX = "__module."

# TorchScript scalar type name -> (TensorFlow DataType, bytes per element).
_SCALAR_TYPES: dict[str, tuple[int, int]] = {
    "Float": (types_pb2.DT_FLOAT, 4),
    "Double": (types_pb2.DT_DOUBLE, 8),
    "Half": (types_pb2.DT_HALF, 2),
    "BFloat16": (types_pb2.DT_BFLOAT16, 2),
    "Long": (types_pb2.DT_INT64, 8),
    "Int": (types_pb2.DT_INT32, 4),
    "Short": (types_pb2.DT_INT16, 2),
    "Char": (types_pb2.DT_INT8, 1),
    "Byte": (types_pb2.DT_UINT8, 1),
    "UInt16": (types_pb2.DT_UINT16, 2),
    "UInt32": (types_pb2.DT_UINT32, 4),
    "UInt64": (types_pb2.DT_UINT64, 8),
    "Bool": (types_pb2.DT_BOOL, 1),
    "ComplexFloat": (types_pb2.DT_COMPLEX64, 8),
    "ComplexDouble": (types_pb2.DT_COMPLEX128, 16),
}


class _TensorInfo:
    """Shape and element type of one produced value, when they are known."""

    __slots__ = ("scalar_type", "sizes")

    def __init__(self, sizes: list[int] | None, scalar_type: str | None) -> None:
        self.sizes = sizes
        self.scalar_type = scalar_type

    def nbytes(self) -> int | None:
        known = _SCALAR_TYPES.get(self.scalar_type or "")
        if self.sizes is None or known is None or any(d < 0 for d in self.sizes):
            return None
        return math.prod(self.sizes) * known[1]


_NO_INFO = _TensorInfo(None, None)


def build_graph(
    model: object,
    input_to_model: object = None,
    *,
    verbose: bool = False,
    use_strict_trace: bool = True,
) -> tuple[graph_pb2.GraphDef, graph_pb2.RunMetadata]:
    """Trace ``model`` on ``input_to_model`` and return TensorBoard's graph messages.

    Args:
        model: a ``torch.nn.Module``. It is traced in eval mode; every submodule
            gets its own train/eval mode back afterwards.
        input_to_model: the example input: a tensor, a tuple or list of
            positional arguments (a list is taken as a tuple, not as one list
            argument; pass ``([a, b],)`` for that), a dict (one positional
            argument, as ``torch.jit.trace`` takes it), or ``None`` when
            ``forward`` takes no argument.
        verbose: log the traced TorchScript graph (``logging.INFO``).
        use_strict_trace: passed to ``torch.jit.trace(strict=...)``; pass
            ``False`` for models that return a dict or list.

    Returns:
        ``(GraphDef, RunMetadata)``, the messages ``SummaryWriter.add_graph``
        writes as ``Event.graph_def`` and ``Event.tagged_run_metadata``.

    Raises:
        ImportError: torch is not installed.
        TypeError: ``model`` is not an ``nn.Module`` or ``input_to_model`` is
            not a tensor, tuple, list, dict or ``None``.
        GraphTraceError: tracing failed (a ``RuntimeError``, as torch raises);
            the message carries torch's (the original exception is chained).
    """
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "add_graph needs torch; install it with: pip install 'tbreport[torch]'"
        ) from exc

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__qualname__}")
    args = _example_args(torch, input_to_model)
    root_name = _module_class_name(model)

    modes = [(module, module.training) for module in model.modules()]
    model.train(False)
    try:
        traced = torch.jit.trace(model, args, strict=use_strict_trace)
    except Exception as exc:
        message = " ".join(str(exc).split()) or "(no message)"
        raise GraphTraceError(
            f"could not trace model ({root_name}) with input_to_model "
            f"({_describe(torch, input_to_model)}): {type(exc).__name__}: {message}"
        ) from exc
    finally:
        for module, training in modes:
            module.training = training

    graph = _inlined_graph(torch, traced)
    if verbose:
        logger.info("traced graph of %s:\n%s", root_name, graph)
    nodes = _GraphBuilder(torch, model, root_name).build(graph)
    graph_def = graph_pb2.GraphDef(
        node=[node for node, _ in nodes],
        versions=graph_pb2.VersionDef(producer=PRODUCER_VERSION),
    )
    stats = []
    for node, info in nodes:
        stat = graph_pb2.NodeExecStats(node_name=node.name)
        nbytes = info.nbytes()
        if nbytes is not None:
            stat.memory.add(allocator_name="cpu", total_bytes=nbytes)
        stats.append(stat)
    run_metadata = graph_pb2.RunMetadata(
        step_stats=graph_pb2.StepStats(
            dev_stats=[graph_pb2.DeviceStepStats(device=DEVICE, node_stats=stats)]
        )
    )
    return graph_def, run_metadata


def _example_args(torch: Any, input_to_model: object) -> tuple[object, ...]:
    if input_to_model is None:
        return ()
    if isinstance(input_to_model, (tuple, list)):
        return tuple(input_to_model)
    if isinstance(input_to_model, (torch.Tensor, dict)):
        return (input_to_model,)
    raise TypeError(
        "input_to_model must be a torch.Tensor, a tuple or list of positional "
        f"arguments, a dict, or None; got {type(input_to_model).__qualname__}"
    )


def _describe(torch: Any, value: object) -> str:
    if isinstance(value, torch.Tensor):
        return f"Tensor{list(value.shape)}"
    if isinstance(value, list):
        return "[" + ", ".join(_describe(torch, item) for item in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(_describe(torch, item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(torch, v)}" for k, v in value.items()) + "}"
    return type(value).__qualname__


def _module_class_name(module: object) -> str:
    # Scripted submodules keep their Python class name in ``original_name``.
    name = getattr(module, "original_name", None)
    return name if isinstance(name, str) and name else type(module).__name__


def _inlined_graph(torch: Any, traced: Any) -> Any:
    """The traced forward graph with every submodule call inlined.

    Inlining ``traced.graph`` in place (as torch's writer does) keeps the debug
    names torch users see; ``inlined_graph`` (a renumbered copy) is the fallback.
    """
    inline = getattr(torch._C, "_jit_pass_inline", None)
    if inline is None:  # pragma: no cover - every torch >= 1.4 has it
        return traced.inlined_graph
    graph = traced.graph
    inline(graph)
    return graph


class _GraphBuilder:
    """Walks one inlined TorchScript graph and makes the NodeDefs."""

    def __init__(self, torch: Any, model: Any, root_name: str) -> None:
        self._torch = torch
        self._model = model
        self._root = root_name
        self._names: dict[str, str] = {}  # value debug name -> NodeDef name
        self._module_paths: dict[str, tuple[str, ...]] = {}  # module value -> path
        self._scopes: dict[str, str] = {}  # TorchScript scope name -> our scope
        self._nodes: list[tuple[graph_pb2.NodeDef, _TensorInfo]] = []

    def build(self, graph: Any) -> list[tuple[graph_pb2.NodeDef, _TensorInfo]]:
        for value in graph.inputs():
            if _is_module(value):
                self._module_paths[value.debugName()] = ()
            elif value.uses():  # like torch, an input the model never reads is left out
                self._add(f"input/{value.debugName()}", IO_OP, value, [], attr="")
        for node in graph.nodes():
            if node.kind() == "prim::GetAttr":
                self._add_get_attr(node)
            else:
                scope = self._scope(node.scopeName())
                inputs = self._input_names(node.inputs())
                attr = _attr_string(node)
                for value in node.outputs():
                    self._add(f"{scope}/{value.debugName()}", node.kind(), value, inputs, attr)
        for index, value in enumerate(graph.outputs(), start=1):
            name = f"output/output.{index}"
            self._add(name, IO_OP, value, self._input_names([value]), attr="", register=False)
        return self._nodes

    def _add(
        self,
        name: str,
        op: str,
        value: Any,
        inputs: list[str],
        attr: str,
        *,
        info: _TensorInfo | None = None,
        register: bool = True,
    ) -> None:
        node = graph_pb2.NodeDef(name=name, op=op, input=inputs)
        node.attr["attr"].s = attr.encode("utf-8")
        if info is None:
            info = _value_info(value)
        if info.sizes is not None:
            shape = tensor_pb2.TensorShapeProto(
                dim=[tensor_pb2.TensorShapeProto.Dim(size=size) for size in info.sizes]
            )
            node.attr["_output_shapes"].list.shape.append(shape)
        known = _SCALAR_TYPES.get(info.scalar_type or "")
        if known is not None:
            node.attr["dtype"].type = known[0]
        if register:
            self._names[value.debugName()] = name
        self._nodes.append((node, info))

    def _add_get_attr(self, node: Any) -> None:
        owner = next(iter(node.inputs()))
        attr_name = node.s("name")
        value = node.output()
        owner_path = self._module_paths.get(owner.debugName())
        if _is_module(value):
            # A submodule is not data: remember its path for the reads below it.
            if owner_path is not None:
                self._module_paths[value.debugName()] = (*owner_path, attr_name)
            return
        if owner_path is None:  # read from something that is not a known module
            scope, info = self._root, None
        else:
            scope = f"{self._module_scope(owner_path)}/{attr_name}"
            info = self._attribute_info(owner_path, attr_name)
        self._add(
            f"{scope}/{value.debugName()}",
            node.kind(),
            value,
            self._input_names([owner]),
            _attr_string(node),
            info=info,
        )

    def _input_names(self, values: Iterable[Any]) -> list[str]:
        # Values without a node (the module objects) are left out.
        names = (self._names.get(value.debugName()) for value in values)
        return [name for name in names if name is not None]

    def _scope(self, scope_name: str) -> str:
        """``__module.features/__module.features.0`` -> ``Net/Sequential[features]/Conv2d[0]``."""
        cached = self._scopes.get(scope_name)
        if cached is not None:
            return cached
        parts = [self._root]
        for part in scope_name.split("/"):
            if part.startswith(_MODULE_SCOPE_PREFIX):
                path = tuple(part[len(_MODULE_SCOPE_PREFIX) :].split("."))
                parts.append(self._module_label(path))
            elif part and part != "__module":
                parts.append(part.rsplit(".", 1)[-1])
        scope = "/".join(parts)
        self._scopes[scope_name] = scope
        return scope

    def _module_scope(self, path: tuple[str, ...]) -> str:
        return "/".join(
            [self._root] + [self._module_label(path[:i]) for i in range(1, len(path) + 1)]
        )

    def _module_label(self, path: tuple[str, ...]) -> str:
        module = self._submodule(path)
        class_name = "?" if module is None else _module_class_name(module)
        return f"{class_name}[{path[-1]}]"

    def _submodule(self, path: tuple[str, ...]) -> Any:
        module = self._model
        for name in path:
            # ``_modules`` is a dict on nn.Module and a mapping on scripted modules.
            try:
                module = module._modules[name]
            except (AttributeError, KeyError, TypeError):
                return None
            if module is None:
                return None
        return module

    def _attribute_info(self, owner_path: tuple[str, ...], attr_name: str) -> _TensorInfo | None:
        owner = self._submodule(owner_path)
        tensor = getattr(owner, attr_name, None) if owner is not None else None
        if not isinstance(tensor, self._torch.Tensor):
            return None
        scalar_type = _SCALAR_TYPE_NAMES.get(str(tensor.dtype))
        return _TensorInfo([int(d) for d in tensor.shape], scalar_type)


# torch.dtype's str -> TorchScript scalar type name.
_SCALAR_TYPE_NAMES = {
    "torch.float32": "Float",
    "torch.float64": "Double",
    "torch.float16": "Half",
    "torch.bfloat16": "BFloat16",
    "torch.int64": "Long",
    "torch.int32": "Int",
    "torch.int16": "Short",
    "torch.int8": "Char",
    "torch.uint8": "Byte",
    "torch.uint16": "UInt16",
    "torch.uint32": "UInt32",
    "torch.uint64": "UInt64",
    "torch.bool": "Bool",
    "torch.complex64": "ComplexFloat",
    "torch.complex128": "ComplexDouble",
}


def _is_module(value: Any) -> bool:
    return bool(value.type().kind() == "ClassType")


def _value_info(value: Any) -> _TensorInfo:
    value_type = value.type()
    if value_type.kind() != "TensorType":
        return _NO_INFO
    sizes = value_type.sizes()
    scalar_type = value_type.scalarType()
    return _TensorInfo(
        None if sizes is None else [-1 if d is None else int(d) for d in sizes],
        scalar_type if isinstance(scalar_type, str) else None,
    )


def _attr_string(node: Any) -> str:
    """The node's attributes as torch's writer shows them: ``{ value : 1}``."""
    attributes: dict[str, object] = {}
    for key in node.attributeNames():
        kind = node.kindOf(key)
        try:
            attributes[key] = getattr(node, kind)(key)
        except Exception:  # an attribute kind this torch cannot read back
            attributes[key] = f"<{kind}>"
    return str(attributes).replace("'", " ")
