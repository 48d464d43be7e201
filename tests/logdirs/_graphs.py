"""GraphDefs shaped like the ones TensorFlow writes (``graph.as_graph_def(add_shapes=True)``).

Every node carries the attrs TF puts on it (``T``/``dtype``, ``value`` for
constants, ``shape`` for variables) and ``_output_shapes`` (``-1`` for an unknown
dimension), with TF's naming: name scopes joined by ``/``, ``_1``, ``_2`` suffixes
for repeated names, ``^name`` control inputs, ``name:1`` for a second output.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tbreport.proto import graph_pb2, tensor_pb2, types_pb2

Shape = Sequence[int]


class GraphBuilder:
    """Appends ``NodeDef``s to a ``GraphDef``; names stay unique as TF makes them."""

    def __init__(self, producer: int = 134) -> None:
        self.graph = graph_pb2.GraphDef()
        self.graph.versions.producer = producer
        self._names: set[str] = set()

    def unique(self, name: str) -> str:
        if name not in self._names:
            return name
        k = 1
        while f"{name}_{k}" in self._names:
            k += 1
        return f"{name}_{k}"

    def node(
        self,
        name: str,
        op: str,
        inputs: Iterable[str] = (),
        *,
        shapes: Sequence[Shape] | None = ((),),
        dtype: int | None = types_pb2.DT_FLOAT,
        dtype_attr: str = "T",
        attrs: dict[str, Any] | None = None,
        device: str = "",
    ) -> str:
        """Add a node; returns its (unique) name.

        ``shapes``: one per output, each a tuple of dims (``-1`` unknown) or ``None``
        for an unknown rank; ``()`` for an op without outputs (an empty list, as TF
        writes for ``NoOp``); ``shapes=None`` leaves ``_output_shapes`` out.
        """
        name = self.unique(name)
        self._names.add(name)
        node = self.graph.node.add(name=name, op=op, device=device)
        node.input.extend(inputs)
        if dtype is not None and dtype_attr:
            node.attr[dtype_attr].type = dtype
        for key, value in (attrs or {}).items():
            _set_attr(node.attr[key], value)
        if shapes is not None:
            out = node.attr["_output_shapes"].list
            for shape in shapes:
                _shape(out.shape.add(), shape)
        return name

    def const(
        self, name: str, shape: Shape = (), dtype: int = types_pb2.DT_FLOAT, value: Any = 0
    ) -> str:
        t = tensor_pb2.TensorProto(dtype=dtype)
        _shape(t.tensor_shape, shape)
        if dtype == types_pb2.DT_STRING:
            t.string_val.append(str(value).encode())
        elif dtype == types_pb2.DT_INT32:
            t.int_val.append(int(value))
        elif dtype == types_pb2.DT_INT64:
            t.int64_val.append(int(value))
        else:
            t.float_val.append(float(value))
        return self.node(
            name, "Const", shapes=(shape,), dtype=dtype, dtype_attr="dtype", attrs={"value": t}
        )

    def variable(self, name: str, shape: Shape, *, initializer: str = "random_uniform") -> str:
        """A TF1 ``VariableV2`` with its initializer subgraph, ``Assign`` and ``read``."""
        var = self.node(
            name,
            "VariableV2",
            shapes=(shape,),
            dtype_attr="dtype",
            attrs={"shape": list(shape), "container": b"", "shared_name": b""},
        )
        scope = f"{var}/Initializer/{initializer}"
        if initializer == "zeros":
            init = self.const(f"{var}/Initializer/zeros", shape)
        else:
            dims = self.const(f"{scope}/shape", (len(shape),), types_pb2.DT_INT32, len(shape))
            lo = self.const(f"{scope}/min", (), value=-0.1)
            hi = self.const(f"{scope}/max", (), value=0.1)
            rnd = self.node(
                f"{scope}/RandomUniform",
                "RandomUniform",
                [dims],
                shapes=(shape,),
                dtype_attr="dtype",
                attrs={"seed": 0, "seed2": 0},
            )
            span = self.node(f"{scope}/sub", "Sub", [hi, lo])
            scaled = self.node(f"{scope}/mul", "Mul", [rnd, span], shapes=(shape,))
            init = self.node(scope, "Add", [scaled, lo], shapes=(shape,))
        self.node(
            f"{var}/Assign",
            "Assign",
            [var, init],
            shapes=(shape,),
            attrs={"use_locking": True, "validate_shape": True, "_class": [f"loc:@{var}".encode()]},
        )
        self.node(
            f"{var}/read",
            "Identity",
            [var],
            shapes=(shape,),
            attrs={"_class": [f"loc:@{var}".encode()]},
        )
        return var


def _shape(proto: Any, shape: Shape | None) -> None:
    if shape is None:
        proto.unknown_rank = True
        return
    for d in shape:
        proto.dim.add(size=int(d))


def _set_attr(attr: Any, value: Any) -> None:
    if isinstance(value, bool):
        attr.b = value
    elif isinstance(value, int):
        attr.i = value
    elif isinstance(value, float):
        attr.f = value
    elif isinstance(value, bytes):
        attr.s = value
    elif isinstance(value, str):
        attr.s = value.encode()
    elif isinstance(value, tensor_pb2.TensorProto):
        attr.tensor.CopyFrom(value)
    elif isinstance(value, list) and all(isinstance(v, bytes) for v in value) and value:
        attr.list.s.extend(value)
    elif isinstance(value, list):  # a shape
        _shape(attr.shape, value)
    else:  # pragma: no cover - builder misuse
        raise TypeError(f"unsupported attr value {value!r}")


# --------------------------------------------------------------------- TF1 LSTM

_F, _I32 = types_pb2.DT_FLOAT, types_pb2.DT_INT32


def _lstm_cell(
    g: GraphBuilder, i: int, x: str, c: str, h: str, kernel: str, bias: str, batch: int, hidden: int
) -> tuple[str, str, list[str]]:
    """One ``BasicLSTMCell`` step inside the while loop; returns (new c, new h, ops to differentiate)."""
    s = f"rnn/while/rnn/multi_rnn_cell/cell_{i}/lstm_cell"
    bh, b4 = (batch, hidden), (batch, 4 * hidden)
    k_enter = g.node(
        f"{s}/MatMul/Enter",
        "Enter",
        [kernel],
        shapes=((2 * hidden, 4 * hidden),),
        attrs={
            "frame_name": b"rnn/while/while_context",
            "is_constant": True,
            "parallel_iterations": 32,
        },
    )
    b_enter = g.node(
        f"{s}/BiasAdd/Enter",
        "Enter",
        [bias],
        shapes=((4 * hidden,),),
        attrs={
            "frame_name": b"rnn/while/while_context",
            "is_constant": True,
            "parallel_iterations": 32,
        },
    )
    axis = g.const(f"{s}/concat/axis", (), _I32, 1)
    cat = g.node(
        f"{s}/concat",
        "ConcatV2",
        [x, h, axis],
        shapes=((batch, 2 * hidden),),
        attrs={"N": 2, "Tidx": _I32},
    )
    mm = g.node(
        f"{s}/MatMul",
        "MatMul",
        [cat, k_enter],
        shapes=(b4,),
        attrs={"transpose_a": False, "transpose_b": False},
    )
    ba = g.node(
        f"{s}/BiasAdd", "BiasAdd", [mm, b_enter], shapes=(b4,), attrs={"data_format": b"NHWC"}
    )
    one = g.const(f"{s}/Const", (), _I32, 1)
    split = g.node(
        f"{s}/split", "Split", [one, ba], shapes=(bh, bh, bh, bh), attrs={"num_split": 4}
    )
    fb = g.const(f"{s}/add/y", (), value=1.0)
    add = g.node(f"{s}/add", "Add", [f"{split}:2", fb], shapes=(bh,))
    sig = g.node(f"{s}/Sigmoid", "Sigmoid", [add], shapes=(bh,))
    mul = g.node(f"{s}/mul", "Mul", [c, sig], shapes=(bh,))
    sig1 = g.node(f"{s}/Sigmoid_1", "Sigmoid", [split], shapes=(bh,))
    tanh = g.node(f"{s}/Tanh", "Tanh", [f"{split}:1"], shapes=(bh,))
    mul1 = g.node(f"{s}/mul_1", "Mul", [sig1, tanh], shapes=(bh,))
    new_c = g.node(f"{s}/add_1", "Add", [mul, mul1], shapes=(bh,))
    tanh1 = g.node(f"{s}/Tanh_1", "Tanh", [new_c], shapes=(bh,))
    sig2 = g.node(f"{s}/Sigmoid_2", "Sigmoid", [f"{split}:3"], shapes=(bh,))
    new_h = g.node(f"{s}/mul_2", "Mul", [tanh1, sig2], shapes=(bh,))
    return new_c, new_h, [mm, ba, split, add, sig, mul, sig1, tanh, mul1, new_c, tanh1, sig2, new_h]


def _loop_var(
    g: GraphBuilder, name: str, init: str, shape: Shape, dtype: int = _F
) -> tuple[str, str]:
    """The Enter/Merge/Switch/Identity scaffolding of one while-loop variable."""
    enter = g.node(
        f"rnn/while/Enter{name}",
        "Enter",
        [init],
        shapes=(shape,),
        dtype=dtype,
        attrs={
            "frame_name": b"rnn/while/while_context",
            "is_constant": False,
            "parallel_iterations": 32,
        },
    )
    merge = g.node(
        f"rnn/while/Merge{name}",
        "Merge",
        [enter, f"rnn/while/NextIteration{name}"],
        shapes=(shape, ()),
        dtype=dtype,
        attrs={"N": 2},
    )
    switch = g.node(
        f"rnn/while/Switch{name}",
        "Switch",
        [merge, "rnn/while/LoopCond"],
        shapes=(shape, shape),
        dtype=dtype,
        attrs={"_class": [f"loc:@{merge}".encode()]},
    )
    ident = g.node(
        f"rnn/while/Identity{name}", "Identity", [f"{switch}:1"], shapes=(shape,), dtype=dtype
    )
    g.node(f"rnn/while/Exit{name}", "Exit", [switch], shapes=(shape,), dtype=dtype)
    return ident, switch


def _gradient(g: GraphBuilder, op: str, shape: Shape, upstream: str) -> str:
    """TF1's gradient subgraph of one op inside the loop: stack push/pop of its input, two grads."""
    base = f"gradients/{op}_grad"
    acc = g.node(
        f"{base}/f_acc",
        "StackV2",
        [f"{base}/Const"],
        shapes=((),),
        dtype=_F,
        dtype_attr="elem_type",
        attrs={"stack_name": b""},
    )
    g.const(f"{base}/Const", (), _I32, -1)
    push = g.node(
        f"{base}/StackPushV2",
        "StackPushV2",
        [f"{base}/Enter", op],
        shapes=(shape,),
        attrs={"swap_memory": False},
    )
    g.node(
        f"{base}/Enter",
        "Enter",
        [acc],
        shapes=((),),
        dtype=types_pb2.DT_RESOURCE,
        attrs={
            "frame_name": b"rnn/while/while_context",
            "is_constant": True,
            "parallel_iterations": 32,
        },
    )
    pop = g.node(
        f"{base}/StackPopV2",
        "StackPopV2",
        [f"{base}/StackPopV2/Enter", f"^{push}"],
        shapes=(shape,),
        dtype=_F,
        dtype_attr="elem_type",
    )
    g.node(
        f"{base}/StackPopV2/Enter",
        "Enter",
        [acc],
        shapes=((),),
        dtype=types_pb2.DT_RESOURCE,
        attrs={
            "frame_name": b"gradients/rnn/while/while_context",
            "is_constant": True,
            "parallel_iterations": 32,
        },
    )
    grad = g.node(f"{base}/Mul", "Mul", [upstream, pop], shapes=(shape,))
    g.node(f"{base}/Mul_1", "Mul", [upstream, pop], shapes=(shape,))
    return grad


@dataclass(frozen=True)
class _Dims:
    layers: int
    hidden: int
    vocab: int
    batch: int
    num_steps: int


def tf1_lstm_graph(
    *, layers: int = 2, hidden: int = 200, vocab: int = 10000, batch: int = 20, num_steps: int = 35
) -> graph_pb2.GraphDef:
    """The graph of TF1's PTB language-model tutorial (``MultiRNNCell`` of
    ``BasicLSTMCell`` in ``tf.nn.dynamic_rnn``, dropout, Adam,
    ``clip_by_global_norm``, a ``Saver``), as ``tf.summary.FileWriter(logdir,
    sess.graph)`` writes it.

    Name scopes up to 9 deep (``gradients/rnn/while/rnn/multi_rnn_cell/cell_0/
    lstm_cell/MatMul_grad/...``); with the defaults, 612 nodes.
    """
    d = _Dims(layers, hidden, vocab, batch, num_steps)
    g = GraphBuilder(producer=134)  # TF 1.15
    ids = {"shapes": ((batch, num_steps),), "dtype": _I32, "dtype_attr": "dtype"}
    x = g.node("input/x", "Placeholder", **ids, attrs={"shape": [batch, num_steps]})
    y = g.node("input/y", "Placeholder", **ids, attrs={"shape": [batch, num_steps]})
    train = [g.variable("embedding", (vocab, hidden))]
    emb = g.node(
        "embedding_lookup",
        "GatherV2",
        [f"{train[0]}/read", x, g.const("embedding_lookup/axis", (), _I32, 0)],
        shapes=((batch, num_steps, hidden),),
        dtype_attr="Tparams",
        attrs={"Taxis": _I32, "Tindices": _I32, "batch_dims": 0, "_class": [b"loc:@embedding"]},
    )
    cell = "rnn/multi_rnn_cell/cell_{}/lstm_cell"
    kernels = [
        (
            g.variable(f"{cell.format(i)}/kernel", (2 * hidden, 4 * hidden)),
            g.variable(f"{cell.format(i)}/bias", (4 * hidden,), initializer="zeros"),
        )
        for i in range(layers)
    ]
    train += [v for pair in kernels for v in pair]
    out, diff = _dynamic_rnn(g, _dropout(g, emb, (batch, num_steps, hidden)), kernels, d)
    _softmax_loss(g, out, y, train, batch, num_steps, hidden, vocab)
    upstream = g.node(
        "gradients/Fill",
        "Fill",
        [g.const("gradients/Shape", (0,), _I32, 0), g.const("gradients/grad_ys_0", (), value=1.0)],
        attrs={"index_type": _I32},
    )
    for op in reversed(_outside_loop(g)):
        upstream = _plain_gradient(g, op, upstream)
    _gradients_and_adam(g, upstream, diff, train, batch, hidden)
    _global_step_and_summaries(g, train)
    _saver(g, train)
    return g.graph


_DIFFERENTIABLE = (
    "MatMul",
    "Add",
    "Reshape",
    "Transpose",
    "GatherV2",
    "RealDiv",
    "Sum",
    "SparseSoftmaxCrossEntropyWithLogits",
    "TensorArrayGatherV3",
    "TensorArrayScatterV3",
    "Exp",
)


def _outside_loop(g: GraphBuilder) -> list[str]:
    """The differentiable forward ops outside the while loop and the initializers."""
    return [
        n.name
        for n in g.graph.node
        if n.op in _DIFFERENTIABLE
        and not n.name.startswith("rnn/while/")
        and "/Initializer/" not in n.name
    ]


def _cells(
    g: GraphBuilder, kernels: list[tuple[str, str]], states: list[str], inp: str, bh: Shape
) -> list[str]:
    """The stacked LSTM cells of one loop iteration; returns the ops to differentiate."""
    diff: list[str] = []
    for i, (kernel, bias) in enumerate(kernels):
        c, h = states[2 * i], states[2 * i + 1]
        new_c, inp, ops = _lstm_cell(g, i, inp, c, h, f"{kernel}/read", f"{bias}/read", *bh)
        g.node(f"rnn/while/NextIteration_{2 * i + 1}", "NextIteration", [new_c], shapes=(bh,))
        g.node(f"rnn/while/NextIteration_{2 * i + 2}", "NextIteration", [inp], shapes=(bh,))
        diff += ops
    return diff


def _dynamic_rnn(
    g: GraphBuilder, emb: str, kernels: list[tuple[str, str]], d: _Dims
) -> tuple[str, list[str]]:
    """``tf.nn.dynamic_rnn``'s set-up, while loop and exit; returns (output, ops to differentiate)."""
    bh = (d.batch, d.hidden)
    perm = g.const("rnn/transpose/perm", (3,), _I32, 1)
    tx = g.node(
        "rnn/transpose",
        "Transpose",
        [emb, perm],
        shapes=((d.num_steps, *bh),),
        attrs={"Tperm": _I32},
    )
    size = g.const("rnn/TensorArray/size", (), _I32, d.num_steps)
    ta = g.node(
        "rnn/TensorArray",
        "TensorArrayV3",
        [size],
        shapes=((2,), ()),
        dtype_attr="dtype",
        attrs={"dynamic_size": False, "clear_after_read": True},
    )
    indices = g.const("rnn/TensorArrayUnstack/range", (d.num_steps,), _I32, 0)
    ta_in = g.node(
        "rnn/TensorArrayUnstack/TensorArrayScatter/TensorArrayScatterV3",
        "TensorArrayScatterV3",
        [ta, indices, tx, f"{ta}:1"],
    )
    zero_state = "rnn/MultiRNNCellZeroState/BasicLSTMCellZeroState"
    zeros = [
        g.const(f"{zero_state}{'_' + str(i) if i else ''}/zeros{k}", bh, value=0.0)
        for i in range(d.layers)
        for k in ("", "_1")
    ]
    limit = g.const("rnn/strided_slice", (), _I32, d.num_steps)
    g.node(
        "rnn/while/Less",
        "Less",
        ["rnn/while/Identity", "rnn/while/Less/Enter"],
        shapes=((),),
        dtype=_I32,
    )
    g.node(
        "rnn/while/Less/Enter",
        "Enter",
        [limit],
        shapes=((),),
        dtype=_I32,
        attrs={"frame_name": b"rnn/while/while_context", "is_constant": True},
    )
    g.node("rnn/while/LoopCond", "LoopCond", ["rnn/while/Less"], shapes=((),), dtype=None)
    t_ident, _ = _loop_var(g, "", g.const("rnn/time", (), _I32, 0), (), _I32)
    states = [_loop_var(g, f"_{k + 1}", z, bh)[0] for k, z in enumerate(zeros)]
    inp = g.node(
        "rnn/while/TensorArrayReadV3",
        "TensorArrayReadV3",
        ["rnn/while/TensorArrayReadV3/Enter", t_ident, ta_in],
        shapes=(bh,),
        dtype_attr="dtype",
    )
    g.node(
        "rnn/while/TensorArrayReadV3/Enter",
        "Enter",
        [ta],
        shapes=((2,),),
        dtype=types_pb2.DT_RESOURCE,
    )
    diff = _cells(g, kernels, states, inp, bh)
    one = g.const("rnn/while/add/y", (), _I32, 1)
    step = g.node("rnn/while/add", "Add", [t_ident, one], shapes=((),), dtype=_I32)
    g.node("rnn/while/NextIteration", "NextIteration", [step], shapes=((),), dtype=_I32)
    indices = g.const("rnn/TensorArrayStack/range", (d.num_steps,), _I32, 0)
    out = g.node(
        "rnn/TensorArrayStack/TensorArrayGatherV3",
        "TensorArrayGatherV3",
        [ta, indices, "rnn/while/Exit_1"],
        shapes=((d.num_steps, *bh),),
        dtype_attr="dtype",
    )
    return out, diff


def _plain_gradient(g: GraphBuilder, op: str, upstream: str) -> str:
    """The gradient of an op outside the loop: two grads grouped by ``tuple/``."""
    base = f"gradients/{op}_grad"
    a = g.node(f"{base}/grad", "Mul", [upstream, op], shapes=(None,))
    b = g.node(f"{base}/grad_1", "Mul", [upstream, op], shapes=(None,))
    deps = g.node(f"{base}/tuple/group_deps", "NoOp", [f"^{a}", f"^{b}"], shapes=(), dtype=None)
    dep = g.node(
        f"{base}/tuple/control_dependency",
        "Identity",
        [a, f"^{deps}"],
        shapes=(None,),
        attrs={"_class": [f"loc:@{a}".encode()]},
    )
    g.node(
        f"{base}/tuple/control_dependency_1",
        "Identity",
        [b, f"^{deps}"],
        shapes=(None,),
        attrs={"_class": [f"loc:@{b}".encode()]},
    )
    return dep


def _global_step_and_summaries(g: GraphBuilder, train: list[str]) -> None:
    step = g.variable("global_step", (), initializer="zeros")
    decay = "ExponentialDecay"
    cast = g.node(
        f"{decay}/Cast",
        "Cast",
        [f"{step}/read"],
        attrs={"SrcT": types_pb2.DT_INT64, "DstT": _F, "Truncate": False},
    )
    ratio = g.node(
        f"{decay}/truediv", "RealDiv", [cast, g.const(f"{decay}/Cast_2/x", (), value=1000.0)]
    )
    floor = g.node(f"{decay}/Floor", "Floor", [ratio])
    power = g.node(f"{decay}/Pow", "Pow", [g.const(f"{decay}/Cast_1/x", (), value=0.5), floor])
    g.node(decay, "Mul", [g.const("ExponentialDecay/learning_rate", (), value=1e-3), power])
    g.node(
        "learning_rate",
        "ScalarSummary",
        [g.const("learning_rate/tags", (), types_pb2.DT_STRING, "learning_rate"), decay],
    )
    for var in train:
        tag = f"{var.replace('/', '_')}_hist"
        g.node(
            tag,
            "HistogramSummary",
            [g.const(f"{tag}/tag", (), types_pb2.DT_STRING, var), f"{var}/read"],
        )


def _dropout(g: GraphBuilder, x: str, shape: Shape) -> str:
    """``tf.nn.dropout(x, keep_prob)`` as TF 1.x builds it."""
    keep = g.node(
        "keep_prob",
        "PlaceholderWithDefault",
        [g.const("keep_prob/input", (), value=0.5)],
        dtype_attr="dtype",
        attrs={"shape": []},
    )
    d = "dropout"
    dims = g.node(
        f"{d}/Shape", "Shape", [x], shapes=((len(shape),),), dtype=_I32, dtype_attr="out_type"
    )
    rnd = g.node(
        f"{d}/random_uniform/RandomUniform",
        "RandomUniform",
        [dims],
        shapes=(shape,),
        dtype_attr="dtype",
        attrs={"seed": 0, "seed2": 0},
    )
    lo = g.const(f"{d}/random_uniform/min", (), value=0.0)
    span = g.node(
        f"{d}/random_uniform/sub", "Sub", [g.const(f"{d}/random_uniform/max", (), value=1.0), lo]
    )
    mul = g.node(f"{d}/random_uniform/mul", "Mul", [rnd, span], shapes=(shape,))
    uni = g.node(f"{d}/random_uniform", "Add", [mul, lo], shapes=(shape,))
    mask = g.node(
        f"{d}/Floor",
        "Floor",
        [g.node(f"{d}/add", "Add", [keep, uni], shapes=(shape,))],
        shapes=(shape,),
    )
    scaled = g.node(f"{d}/truediv", "RealDiv", [x, keep], shapes=(shape,))
    return g.node(f"{d}/mul", "Mul", [scaled, mask], shapes=(shape,))


def _softmax_loss(
    g: GraphBuilder,
    out: str,
    y: str,
    train: list[str],
    batch: int,
    num_steps: int,
    hidden: int,
    vocab: int,
) -> tuple[str, str]:
    flat = g.node(
        "Reshape",
        "Reshape",
        [out, g.const("Reshape/shape", (2,), _I32, -1)],
        shapes=((batch * num_steps, hidden),),
        attrs={"Tshape": _I32},
    )
    w = g.variable("softmax_w", (hidden, vocab))
    b = g.variable("softmax_b", (vocab,), initializer="zeros")
    train += [w, b]
    mm = g.node(
        "MatMul",
        "MatMul",
        [flat, f"{w}/read"],
        shapes=((batch * num_steps, vocab),),
        attrs={"transpose_a": False, "transpose_b": False},
    )
    logits = g.node("add", "Add", [mm, f"{b}/read"], shapes=((batch * num_steps, vocab),))
    seq = "sequence_loss"
    xent = g.node(
        f"{seq}/SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits",
        "SparseSoftmaxCrossEntropyWithLogits",
        [logits, y],
        shapes=((batch * num_steps,), (batch * num_steps, vocab)),
        attrs={"Tlabels": _I32},
    )
    total = g.node(
        f"{seq}/Sum",
        "Sum",
        [xent, g.const(f"{seq}/Const", (1,), _I32, 0)],
        shapes=((),),
        attrs={"Tidx": _I32, "keep_dims": False},
    )
    loss = g.node(f"{seq}/truediv", "RealDiv", [total, g.const(f"{seq}/Const_1", (), value=700.0)])
    g.node("Loss", "ScalarSummary", [g.const("Loss/tags", (), types_pb2.DT_STRING, "Loss"), loss])
    g.node(
        "Perplexity",
        "ScalarSummary",
        [
            g.const("Perplexity/tags", (), types_pb2.DT_STRING, "Perplexity"),
            g.node("Exp", "Exp", [loss]),
        ],
    )
    g.node("Merge/MergeSummary", "MergeSummary", ["Loss", "Perplexity"], dtype=None, attrs={"N": 2})
    return logits, loss


def _gradients_and_adam(
    g: GraphBuilder, upstream: str, diff: list[str], train: list[str], batch: int, hidden: int
) -> None:
    for op in reversed(diff):
        upstream = _gradient(g, op, (batch, hidden), upstream)
    norm = "clip_by_global_norm"
    gl = g.node(f"{norm}/global_norm/L2Loss", "L2Loss", [upstream])
    gn = g.node(f"{norm}/global_norm/global_norm", "Sqrt", [gl])
    clipped = [
        g.node(f"{norm}/{norm}/_{k}", "Identity", [f"{norm}/mul_{k}"], shapes=(None,))
        for k in range(len(train))
    ]
    for k in range(len(train)):
        g.node(f"{norm}/mul_{k}", "Mul", [upstream, gn], shapes=(None,))
    lr = g.const("Adam/learning_rate", (), value=1e-3)
    b1 = g.variable("beta1_power", (), initializer="zeros")
    b2 = g.variable("beta2_power", (), initializer="zeros")
    updates = []
    for var, grad in zip(train, clipped):
        m = g.variable(f"{var}/Adam", (), initializer="zeros")
        v = g.variable(f"{var}/Adam_1", (), initializer="zeros")
        updates.append(
            g.node(
                f"Adam/update_{var}/ApplyAdam",
                "ApplyAdam",
                [
                    var,
                    m,
                    v,
                    f"{b1}/read",
                    f"{b2}/read",
                    lr,
                    "Adam/beta1",
                    "Adam/beta2",
                    "Adam/epsilon",
                    grad,
                ],
                shapes=(None,),
                attrs={
                    "use_locking": False,
                    "use_nesterov": False,
                    "_class": [f"loc:@{var}".encode()],
                },
            )
        )
    for name, value in (("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        g.const(f"Adam/{name}", (), value=value)
    g.node("Adam/mul", "Mul", [f"{b1}/read", "Adam/beta1", *[f"^{u}" for u in updates]])
    g.node(
        "Adam/Assign",
        "Assign",
        [b1, "Adam/mul"],
        attrs={"use_locking": False, "validate_shape": True},
    )
    g.node("Adam", "NoOp", [f"^{u}" for u in updates] + ["^Adam/Assign"], shapes=(), dtype=None)
    g.node(
        "init",
        "NoOp",
        [f"^{n.name}" for n in g.graph.node if n.name.endswith("/Assign")][:64],
        shapes=(),
        dtype=None,
    )


def _saver(g: GraphBuilder, train: list[str]) -> None:
    saved = [n.name for n in g.graph.node if n.op == "VariableV2"]
    fname = g.const("save/filename/input", (), types_pb2.DT_STRING, "model")
    g.node(
        "save/filename",
        "PlaceholderWithDefault",
        [fname],
        dtype=types_pb2.DT_STRING,
        dtype_attr="dtype",
        attrs={"shape": []},
    )
    const = g.node(
        "save/Const",
        "PlaceholderWithDefault",
        ["save/filename"],
        dtype=types_pb2.DT_STRING,
        dtype_attr="dtype",
        attrs={"shape": []},
    )
    names = g.const("save/SaveV2/tensor_names", (len(saved),), types_pb2.DT_STRING, "embedding")
    slices = g.const("save/SaveV2/shape_and_slices", (len(saved),), types_pb2.DT_STRING, "")
    save = g.node("save/SaveV2", "SaveV2", [const, names, slices, *saved], shapes=(), dtype=None)
    g.node("save/control_dependency", "Identity", [const, f"^{save}"], dtype=types_pb2.DT_STRING)
    rn = g.const("save/RestoreV2/tensor_names", (len(saved),), types_pb2.DT_STRING, "embedding")
    rs = g.const("save/RestoreV2/shape_and_slices", (len(saved),), types_pb2.DT_STRING, "")
    restore = g.node(
        "save/RestoreV2", "RestoreV2", [const, rn, rs], shapes=[()] * len(saved), dtype=None
    )
    assigns = [
        g.node(
            "save/Assign",
            "Assign",
            [var, f"{restore}:{k}" if k else restore],
            attrs={"use_locking": True, "validate_shape": True, "_class": [f"loc:@{var}".encode()]},
        )
        for k, var in enumerate(saved)
    ]
    g.node("save/restore_all", "NoOp", [f"^{a}" for a in assigns], shapes=(), dtype=None)
