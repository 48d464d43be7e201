"""``keras``: what ``keras.callbacks.TensorBoard(histogram_freq=1, write_images=True)`` writes.

Raw TF2 protos (our writer does not write TF2 tensor summaries or Keras plugins),
record for record as TF 2.x's C++ summary writer and the callback
(``keras/src/callbacks/tensorboard.py``, ``tf_keras/callbacks.py``) write them:
files ``events.out.tfevents.<secs>.tbhost.<pid>.<n>.v2`` with a header from
``tensorflow.core.util.events_writer``; every value carries its metadata; scalars
are ``DT_FLOAT`` tensors in ``tensor_content`` (plugin ``scalars``), histograms
``[30, 3]`` ``DT_DOUBLE`` tensors (plugin ``histograms``), images string tensors
``[width, height, png...]`` (plugin ``images``, at most 3 images per value).

The model is a small functional net with a residual branch, trained 20 epochs
on 28x28x1 inputs: ``conv2d`` (3x3x1x64) -> ``batch_normalization`` -> relu ->
``conv2d_1`` (3x3x64x64) -> ``batch_normalization_1`` -> ``add`` (with the first
relu) -> relu -> global average pooling -> ``dense`` (64x512) -> ``dropout`` ->
``dense_1`` (512x10, softmax). Two experiments, as ``logs/fit/<timestamp>/``:

``20260101-000000`` (Keras 3):
  the conceptual graph is the Keras 3 ``to_json()`` (``inbound_nodes`` as
  ``{"args": [{"class_name": "__keras_tensor__", ...}]}``), and weights are named
  by ``weight.name`` alone, so every layer's kernel logs under ``kernel/histogram``
  and ``kernel/image`` (keras-team/keras#18433, #20809): several values of one tag
  per step;
``20260101-010000`` (tf-keras 2.15):
  the Keras 2 ``to_json()`` (``inbound_nodes`` as ``[[["conv2d", 0, 0, {}]]]``,
  which TensorBoard 2.21's ``keras_util`` no longer links: its graph has no
  edges) and TF2 variable names (``conv2d/kernel_0/histogram``).

Each ``train/`` holds, in order: the conceptual graph (tag ``keras``, plugin
``graph_keras_model``, content ``b"1"``, a scalar ``DT_STRING`` tensor of the JSON,
step 0); the op graph of ``train_function`` (a ``graph_def`` event, 143 nodes of
TF2 function ops: ``ReadVariableOp``, ``Conv2D``, ``FusedBatchNormV3``,
``gradient_tape/...``, ``ResourceApplyAdam``); then per epoch ``epoch_loss``,
``epoch_accuracy``, ``epoch_learning_rate`` and, per weight, ``<w>/histogram`` and
``<w>/image``: a bias of 512 is one 1-wide, 512-tall image (``[1, 512, 1, 1]``);
a dense kernel ``(64, 512)`` one 512x64 image, ``(512, 10)`` transposed to one
512x10 image; the first conv kernel squeezes to 3x3x64 and gives three 3x3
images (``max_outputs=3``); the 3x3x64x64 kernel is skipped (its last dimension
is not 1, 3 or 4), as Keras does. ``validation/`` holds ``epoch_loss``,
``epoch_accuracy`` per epoch and ``evaluation_{loss,accuracy}_vs_iterations`` at
step ``469 * (epoch + 1)``.

What TensorBoard reads: the legacy accumulator sees everything as tensors; the
plugin view lists scalars, histograms, images, ``graph_keras_model/keras`` and
the run graph, with the repeated Keras 3 tags counted once per value
(``kernel/histogram``: 80 points over 20 steps).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tbreport.proto import event_pb2, types_pb2
from tests.logdirs._graphs import GraphBuilder
from tests.logdirs._write import (
    START,
    RawEventFile,
    fresh,
    png,
    tensor_value,
    tf2_histogram,
    tf2_image,
)

EPOCHS = 20
STEPS_PER_EPOCH = 469  # MNIST, batch 128
TF2_WRITER = "tensorflow.core.util.events_writer"


@dataclass(frozen=True)
class Layer:
    name: str  # Keras 3 name; Keras 2 differs only for the input ("input_1")
    cls: str
    inputs: tuple[str, ...]
    out: tuple[int | None, ...]
    weights: tuple[tuple[str, tuple[int, ...]], ...] = ()
    config: tuple[tuple[str, Any], ...] = ()


_BN = (("gamma", (64,)), ("beta", (64,)), ("moving_mean", (64,)), ("moving_variance", (64,)))
_CONV = (
    ("filters", 64),
    ("kernel_size", [3, 3]),
    ("strides", [1, 1]),
    ("padding", "same"),
    ("data_format", "channels_last"),
    ("activation", "linear"),
    ("use_bias", True),
)
LAYERS = (
    Layer("input_layer", "InputLayer", (), (None, 28, 28, 1)),
    Layer(
        "conv2d",
        "Conv2D",
        ("input_layer",),
        (None, 28, 28, 64),
        (("kernel", (3, 3, 1, 64)), ("bias", (64,))),
        _CONV,
    ),
    Layer(
        "batch_normalization",
        "BatchNormalization",
        ("conv2d",),
        (None, 28, 28, 64),
        _BN,
        (("axis", -1), ("momentum", 0.99), ("epsilon", 0.001)),
    ),
    Layer(
        "activation",
        "Activation",
        ("batch_normalization",),
        (None, 28, 28, 64),
        (),
        (("activation", "relu"),),
    ),
    Layer(
        "conv2d_1",
        "Conv2D",
        ("activation",),
        (None, 28, 28, 64),
        (("kernel", (3, 3, 64, 64)), ("bias", (64,))),
        _CONV,
    ),
    Layer(
        "batch_normalization_1",
        "BatchNormalization",
        ("conv2d_1",),
        (None, 28, 28, 64),
        _BN,
        (("axis", -1), ("momentum", 0.99), ("epsilon", 0.001)),
    ),
    Layer("add", "Add", ("activation", "batch_normalization_1"), (None, 28, 28, 64)),
    Layer(
        "activation_1", "Activation", ("add",), (None, 28, 28, 64), (), (("activation", "relu"),)
    ),
    Layer(
        "global_average_pooling2d",
        "GlobalAveragePooling2D",
        ("activation_1",),
        (None, 64),
        (),
        (("data_format", "channels_last"), ("keepdims", False)),
    ),
    Layer(
        "dense",
        "Dense",
        ("global_average_pooling2d",),
        (None, 512),
        (("kernel", (64, 512)), ("bias", (512,))),
        (("units", 512), ("activation", "relu")),
    ),
    Layer("dropout", "Dropout", ("dense",), (None, 512), (), (("rate", 0.5), ("seed", None))),
    Layer(
        "dense_1",
        "Dense",
        ("dropout",),
        (None, 10),
        (("kernel", (512, 10)), ("bias", (10,))),
        (("units", 10), ("activation", "softmax")),
    ),
)


# --------------------------------------------------------------------- to_json()


def _policy() -> dict[str, Any]:
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "float32"},
        "registered_name": None,
    }


def _k3_tensor(layer: Layer) -> dict[str, Any]:
    return {
        "class_name": "__keras_tensor__",
        "config": {
            "shape": list(layer.out),
            "dtype": "float32",
            "keras_history": [layer.name, 0, 0],
        },
    }


def keras3_json() -> str:
    """``model.to_json()`` of Keras 3.x for :data:`LAYERS`."""
    by_name = {layer.name: layer for layer in LAYERS}
    layers = []
    for layer in LAYERS:
        if layer.cls == "InputLayer":
            config: dict[str, Any] = {
                "batch_shape": list(layer.out),
                "dtype": "float32",
                "sparse": False,
                "name": layer.name,
            }
        else:
            config = {
                "name": layer.name,
                "trainable": True,
                "dtype": _policy(),
                **dict(layer.config),
            }
        args: list[Any] = [_k3_tensor(by_name[i]) for i in layer.inputs]
        if len(args) > 1:
            args = [args]  # Add is called on a list of tensors
        entry = {
            "module": "keras.layers",
            "class_name": layer.cls,
            "config": config,
            "registered_name": None,
            "name": layer.name,
            "inbound_nodes": [{"args": args, "kwargs": {}}] if args else [],
        }
        if layer.inputs:
            entry["build_config"] = {"input_shape": list(by_name[layer.inputs[0]].out)}
        layers.append(entry)
    model = {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {
            "name": "functional",
            "trainable": True,
            "layers": layers,
            "input_layers": [["input_layer", 0, 0]],
            "output_layers": [["dense_1", 0, 0]],
        },
        "registered_name": "Functional",
        "build_config": {"input_shape": None},
        "compile_config": {
            "optimizer": {
                "module": "keras.optimizers",
                "class_name": "Adam",
                "config": {"name": "adam", "learning_rate": 0.001},
                "registered_name": None,
            },
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
            "run_eagerly": False,
            "steps_per_execution": 1,
            "jit_compile": False,
        },
    }
    return json.dumps(model)


def keras2_json() -> str:
    """``model.to_json()`` of tf-keras 2.15 for :data:`LAYERS` (input named ``input_1``)."""
    rename = {"input_layer": "input_1"}
    layers = []
    for layer in LAYERS:
        name = rename.get(layer.name, layer.name)
        if layer.cls == "InputLayer":
            config: dict[str, Any] = {
                "batch_input_shape": list(layer.out),
                "dtype": "float32",
                "sparse": False,
                "ragged": False,
                "name": name,
            }
        else:
            config = {"name": name, "trainable": True, "dtype": "float32", **dict(layer.config)}
        inbound = [[[rename.get(i, i), 0, 0, {}] for i in layer.inputs]] if layer.inputs else []
        layers.append(
            {"class_name": layer.cls, "config": config, "name": name, "inbound_nodes": inbound}
        )
    model = {
        "class_name": "Functional",
        "config": {
            "name": "model",
            "trainable": True,
            "layers": layers,
            "input_layers": [["input_1", 0, 0]],
            "output_layers": [["dense_1", 0, 0]],
        },
        "keras_version": "2.15.0",
        "backend": "tensorflow",
    }
    return json.dumps(model)


# --------------------------------------------------------------------- the op graph


def train_function_graph() -> Any:
    """The ``GraphDef`` of Keras's ``train_function`` (TF 2.15 function graph ops)."""
    g = GraphBuilder(producer=1645)
    res = types_pb2.DT_RESOURCE
    it = g.node(
        "iterator", "Placeholder", shapes=((),), dtype=res, dtype_attr="dtype", attrs={"shape": []}
    )
    nxt = g.node(
        "IteratorGetNext",
        "IteratorGetNext",
        [it],
        shapes=((-1, 28, 28, 1), (-1,)),
        dtype=None,
        attrs={"output_shapes": [b"(-1,28,28,1)", b"(-1,)"]},
    )
    outputs = {"input_layer": nxt}
    params: list[str] = []
    for layer in LAYERS[1:]:
        scope = f"model/{layer.name}"
        shape = tuple(-1 if d is None else d for d in layer.out)
        reads = []
        for wname, wshape in layer.weights:
            handle = g.node(
                f"{scope}/{wname}/ReadVariableOp/resource",
                "Placeholder",
                shapes=((),),
                dtype=res,
                dtype_attr="dtype",
                attrs={"shape": []},
            )
            reads.append(
                g.node(
                    f"{scope}/{wname}/ReadVariableOp",
                    "ReadVariableOp",
                    [handle],
                    shapes=(wshape,),
                    dtype_attr="dtype",
                )
            )
            params.append(handle)
        ins = [outputs[i] for i in layer.inputs]
        op = {
            "Conv2D": "Conv2D",
            "BatchNormalization": "FusedBatchNormV3",
            "Activation": "Relu",
            "Add": "AddV2",
            "GlobalAveragePooling2D": "Mean",
            "Dense": "MatMul",
            "Dropout": "Identity",
        }[layer.cls]
        main = g.node(
            f"{scope}/{op}",
            op,
            ins + reads[:1] if op != "FusedBatchNormV3" else ins + reads,
            shapes=(shape,),
        )
        if layer.cls in ("Conv2D", "Dense"):
            main = g.node(
                f"{scope}/BiasAdd",
                "BiasAdd",
                [main, reads[1]],
                shapes=(shape,),
                attrs={"data_format": b"NHWC"},
            )
            act = dict(layer.config).get("activation")
            if act in ("relu", "softmax"):
                main = g.node(
                    f"{scope}/{act.capitalize()}", act.capitalize(), [main], shapes=(shape,)
                )
        outputs[layer.name] = main
    loss = _loss_and_metrics(g, outputs["dense_1"], f"{nxt}:1")
    _tape_and_adam(g, loss, params)
    return g.graph


def _loss_and_metrics(g: GraphBuilder, probs: str, labels: str) -> str:
    s = "compile_loss/sparse_categorical_crossentropy"
    clip = g.node(
        f"{s}/clip_by_value",
        "ClipByValue",
        [probs, g.const(f"{s}/Const", (), value=1e-7), g.const(f"{s}/sub", (), value=1 - 1e-7)],
        shapes=((-1, 10),),
    )
    log = g.node(f"{s}/Log", "Log", [clip], shapes=((-1, 10),))
    cast = g.node(
        f"{s}/Cast",
        "Cast",
        [labels],
        shapes=((-1,),),
        attrs={"SrcT": types_pb2.DT_UINT8, "DstT": types_pb2.DT_INT64, "Truncate": False},
        dtype=None,
    )
    xent = g.node(
        f"{s}/SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits",
        "SparseSoftmaxCrossEntropyWithLogits",
        [log, cast],
        shapes=((-1,), (-1, 10)),
        attrs={"Tlabels": types_pb2.DT_INT64},
    )
    loss = g.node(
        f"{s}/Mean",
        "Mean",
        [xent, g.const(f"{s}/Const_1", (1,), types_pb2.DT_INT32, 0)],
        attrs={"Tidx": types_pb2.DT_INT32, "keep_dims": False},
    )
    m = "compile_metrics/accuracy"
    arg = g.node(
        f"{m}/ArgMax",
        "ArgMax",
        [probs, g.const(f"{m}/ArgMax/dimension", (), types_pb2.DT_INT32, -1)],
        shapes=((-1,),),
        attrs={"Tidx": types_pb2.DT_INT32, "output_type": types_pb2.DT_INT64},
    )
    eq = g.node(
        f"{m}/Equal",
        "Equal",
        [arg, cast],
        shapes=((-1,),),
        dtype=types_pb2.DT_INT64,
        attrs={"incompatible_shape_error": True},
    )
    g.node(
        f"{m}/Cast_1",
        "Cast",
        [eq],
        shapes=((-1,),),
        attrs={"SrcT": types_pb2.DT_BOOL, "DstT": types_pb2.DT_FLOAT, "Truncate": False},
        dtype=None,
    )
    return loss


_GRADS = {
    "Conv2D": ("Conv2DBackpropInput", "Conv2DBackpropFilter"),
    "BiasAdd": ("BiasAddGrad",),
    "FusedBatchNormV3": ("FusedBatchNormGradV3",),
    "Relu": ("ReluGrad",),
    "Mean": ("Tile", "truediv"),
    "MatMul": ("MatMul", "MatMul"),
    "Softmax": ("mul", "Sum", "sub"),
}
"""The ops ``tf.GradientTape`` adds for each forward op (under ``gradient_tape/<op name>/``)."""


def _tape_and_adam(g: GraphBuilder, loss: str, params: list[str]) -> None:
    ones = g.node(
        "gradient_tape/compile_loss/sparse_categorical_crossentropy/Mean/Reshape",
        "Reshape",
        [
            g.const("ones", (), value=1.0),
            g.const("gradient_tape/Shape", (1,), types_pb2.DT_INT32, 1),
        ],
        shapes=((1,),),
        attrs={"Tshape": types_pb2.DT_INT32},
    )
    up = ones
    forward = [n for n in g.graph.node if n.name.startswith("model/") and n.op in _GRADS]
    for node in forward[::-1]:
        scope = f"gradient_tape/{node.name}"
        for k, grad_op in enumerate(_GRADS[node.op]):
            up = g.node(
                f"{scope}/{grad_op}" if k == 0 else f"{scope}/{grad_op}_{k}",
                grad_op,
                [up, node.name],
                shapes=(None,),
            )
    lr = g.node(
        "Adam/Cast/ReadVariableOp",
        "ReadVariableOp",
        [
            g.node(
                "Adam/Cast/ReadVariableOp/resource",
                "Placeholder",
                dtype=types_pb2.DT_RESOURCE,
                dtype_attr="dtype",
                attrs={"shape": []},
            )
        ],
        dtype_attr="dtype",
    )
    updates = [
        g.node(
            f"Adam/Adam/update_{k}/ResourceApplyAdam",
            "ResourceApplyAdam",
            [p, f"{p}/m", f"{p}/v", lr, up],
            shapes=(),
            attrs={"use_locking": True, "use_nesterov": False},
        )
        for k, p in enumerate(params)
    ]
    for p in params:
        for slot in ("m", "v"):
            g.node(
                f"{p}/{slot}",
                "Placeholder",
                dtype=types_pb2.DT_RESOURCE,
                dtype_attr="dtype",
                attrs={"shape": []},
            )
    done = g.node("Adam/Adam/group_deps", "NoOp", [f"^{u}" for u in updates], shapes=(), dtype=None)
    g.node(
        "Adam/Adam/AssignAddVariableOp",
        "AssignAddVariableOp",
        [
            "Adam/Cast/ReadVariableOp/resource",
            g.const("Adam/Adam/Const", (), types_pb2.DT_INT64, 1),
            f"^{done}",
        ],
        shapes=(),
        dtype_attr="dtype",
        dtype=types_pb2.DT_INT64,
    )
    g.node("Identity", "Identity", [loss, f"^{done}"])
    g.node("NoOp", "NoOp", [f"^{done}"], shapes=(), dtype=None)


# --------------------------------------------------------------------- weights as Keras logs them


def weight_images(w: np.ndarray[Any, Any]) -> list[np.ndarray[Any, Any]] | None:
    """``_log_weight_as_image``: the uint8 ``HxW`` images Keras logs for ``w`` (``None``: skipped)."""
    img = np.squeeze(w)
    if img.ndim == 1:
        img = img.reshape(1, img.shape[0], 1, 1)
    elif img.ndim == 2:
        if img.shape[0] > img.shape[1]:
            img = img.T
        img = img.reshape(1, img.shape[0], img.shape[1], 1)
    elif img.ndim == 3:
        img = np.transpose(img, (2, 0, 1)).reshape(img.shape[2], img.shape[0], img.shape[1], 1)
    if img.ndim != 4 or img.shape[-1] not in (1, 3, 4):
        return None
    pixels = np.clip(np.floor(img * 255.5), 0, 255).astype(np.uint8)  # convert_image_dtype
    return [pixels[k, :, :, 0] for k in range(min(3, pixels.shape[0]))]  # max_outputs=3


def _weights(rng: np.random.Generator, epoch: int) -> dict[tuple[str, str], np.ndarray[Any, Any]]:
    out = {}
    drift = 1.0 + 0.04 * epoch
    for layer in LAYERS:
        for wname, shape in layer.weights:
            if wname == "kernel":
                fan = int(np.prod(shape[:-1]))
                value = rng.uniform(-1, 1, shape) * math.sqrt(6 / (fan + shape[-1])) * drift
            elif wname in ("gamma", "moving_variance"):
                value = 1.0 + rng.normal(0, 0.05 * drift, shape)
            else:
                value = rng.normal(0, 0.02 * drift, shape)
            out[(layer.name, wname)] = value.astype(np.float32)
    return out


def _tags(layer: str, wname: str, keras3: bool) -> str:
    return wname if keras3 else f"{layer}/{wname}_0"


def _write_train(run: Path, t0: float, keras3: bool) -> None:
    rng = np.random.default_rng(3 if keras3 else 4)
    with RawEventFile(run / "train", int(t0), suffix=".v2", writer=TF2_WRITER, uid=0) as f:
        model_json = keras3_json() if keras3 else keras2_json()
        f.summary(
            0, t0 + 0.1, tensor_value("keras", model_json, plugin="graph_keras_model", content=b"1")
        )
        f.add(
            event_pb2.Event(
                wall_time=t0 + 2.0,
                step=0,
                graph_def=train_function_graph().SerializeToString(deterministic=True),
            )
        )
        for epoch in range(EPOCHS):
            wall = t0 + 12.0 * (epoch + 1)
            loss = 0.05 + 0.45 * math.exp(-epoch / 4.0) + float(rng.normal(0, 0.005))
            lr = 1e-3 * (0.5 ** (epoch // 8))
            for tag, value in (
                ("epoch_loss", loss),
                ("epoch_accuracy", 1 - loss / 1.6),
                ("epoch_learning_rate", lr),
            ):
                f.summary(epoch, wall, tensor_value(tag, np.float32(value), plugin="scalars"))
            for (layer, wname), w in _weights(rng, epoch).items():
                tag = _tags(layer, wname, keras3)
                f.summary(
                    epoch,
                    wall + 0.2,
                    tensor_value(f"{tag}/histogram", tf2_histogram(w), plugin="histograms"),
                )
                images = weight_images(w)
                if images is not None:
                    h, wd = images[0].shape
                    f.summary(
                        epoch,
                        wall + 0.2,
                        tf2_image(f"{tag}/image", [png(i) for i in images], wd, h),
                    )


def _write_validation(run: Path, t0: float) -> None:
    rng = np.random.default_rng(5)
    with RawEventFile(
        run / "validation", int(t0 + 11), suffix=".v2", writer=TF2_WRITER, uid=1
    ) as f:
        for epoch in range(EPOCHS):
            wall = t0 + 12.0 * (epoch + 1) - 0.5
            loss = 0.08 + 0.42 * math.exp(-epoch / 4.5) + float(rng.normal(0, 0.01))
            values = {"loss": loss, "accuracy": 1 - loss / 1.5}
            for name, value in values.items():
                f.summary(
                    epoch, wall, tensor_value(f"epoch_{name}", np.float32(value), plugin="scalars")
                )
            for name, value in values.items():
                f.summary(
                    STEPS_PER_EPOCH * (epoch + 1),
                    wall,
                    tensor_value(
                        f"evaluation_{name}_vs_iterations", np.float32(value), plugin="scalars"
                    ),
                )


EXPERIMENTS = (("20260101-000000", True), ("20260101-010000", False))


def build_keras(root: Path | str, *, scale: int = 1) -> Path:
    """Write the ``keras`` logdir into ``root`` (replaced); ``scale`` is unused (fixed size)."""
    del scale
    out = fresh(root)
    for k, (name, keras3) in enumerate(EXPERIMENTS):
        t0 = START + 3600 * k
        _write_train(out / name, t0, keras3)
        _write_validation(out / name, t0)
    return out


def claims(*, scale: int = 1) -> dict[str, Any]:
    del scale
    e = EPOCHS
    out: dict[str, Any] = {}
    for name, keras3 in EXPERIMENTS:
        hist: dict[str, int] = {}
        imgs: dict[str, int] = {}
        for layer in LAYERS:
            for wname, shape in layer.weights:
                tag = _tags(layer.name, wname, keras3)
                hist[f"{tag}/histogram"] = hist.get(f"{tag}/histogram", 0) + e
                if weight_images(np.zeros(shape)) is not None:
                    imgs[f"{tag}/image"] = imgs.get(f"{tag}/image", 0) + e
        out[f"{name}/train"] = {
            "scalars": {"epoch_loss": e, "epoch_accuracy": e, "epoch_learning_rate": e},
            "histograms": hist,
            "images": imgs,
            "graph_keras_model": {"keras": 1},
            "graphs": {"__run_graph__": 1},
            "graph_nodes": 143,
            "keras_graph": {"nodes": 12, "edges": 12 if keras3 else 0},
        }
        out[f"{name}/validation"] = {
            "scalars": {
                "epoch_loss": e,
                "epoch_accuracy": e,
                "evaluation_loss_vs_iterations": e,
                "evaluation_accuracy_vs_iterations": e,
            },
        }
    return out
