"""``symlinked``: healthy oddities that are notes, not damage.

Written with tbreport's ``SummaryWriter`` (``add_event`` for the graphs,
``add_summary`` for the plugin values):

- ``runs/exp1``: scalars ``loss`` and ``acc`` (50 points); two graph records (a
  6-node graph at step 0, and a 10-node one at step 25 after the script added an
  eval head: repeated graphs happen); a value of an unknown plugin
  ``acme_attention_maps`` (a string tensor with JSON content) at steps 0 and 49;
  a ``mesh`` plugin value (TensorBoard's 3-D mesh plugin: a float tensor of
  vertices, ``MeshPluginData`` content), which many readers do not know;
- ``runs/exp2``: scalars ``loss`` and ``acc`` (50 points);
- ``runs/latest -> exp1``: a relative symlink to a run directory, as scripts
  keep a "latest" pointer.

What TensorBoard reads: its ``EventMultiplexer`` follows the directory symlink,
so ``runs/latest`` is a third run, a copy of ``exp1`` (three runs in all);
``exp1``'s graph is the second one (10 nodes), with the "Found more than one graph
event per run" warning (once per run holding it: twice, with ``latest``); the
unknown plugin's tag is listed under its plugin name and the mesh value under
``mesh``. tbreport reads the same three runs; the symlink, the unknown plugin and
the second graph are notes in the data-health box, and ``--strict`` passes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from tbreport import SummaryWriter
from tbreport.proto import event_pb2, summary_pb2
from tests.logdirs._graphs import GraphBuilder
from tests.logdirs._write import START, field_bytes, finish, fresh, frozen, tensor_value

STEPS = 50


def small_graph(eval_head: bool) -> Any:
    g = GraphBuilder(producer=1645)
    x = g.node("x", "Placeholder", shapes=((-1, 4),), dtype_attr="dtype", attrs={"shape": [-1, 4]})
    w = g.const("dense/kernel", (4, 2), value=0.1)
    mm = g.node(
        "dense/MatMul",
        "MatMul",
        [x, w],
        shapes=((-1, 2),),
        attrs={"transpose_a": False, "transpose_b": False},
    )
    b = g.const("dense/bias", (2,), value=0.0)
    logits = g.node("dense/BiasAdd", "BiasAdd", [mm, b], shapes=((-1, 2),))
    g.node("softmax", "Softmax", [logits], shapes=((-1, 2),))
    if eval_head:
        y = g.node(
            "eval/y", "Placeholder", shapes=((-1,),), dtype_attr="dtype", attrs={"shape": [-1]}
        )
        arg = g.node(
            "eval/ArgMax", "ArgMax", ["softmax", g.const("eval/dim", (), 3, 1)], shapes=((-1,),)
        )
        g.node("eval/Equal", "Equal", [arg, y], shapes=((-1,),))
    return g.graph


def _mesh_value(tag: str) -> Any:
    verts = np.array([[[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]], dtype=np.float32)
    # MeshPluginData{version=0, name, content_type=VERTEX (1), json_config, shape [1, 4, 3]}
    content = field_bytes(2, tag.encode()) + b"\x18\x01" + field_bytes(6, b"\x01\x04\x03")
    return tensor_value(f"{tag}_VERTEX", verts, plugin="mesh", content=content)


def _run(out: Path, name: str, seed: int, extras: bool) -> None:
    rng = np.random.default_rng(seed)
    with SummaryWriter(out / name, flush_secs=3600) as w:
        for step in range(STEPS):
            wall = START + seed * 1000 + step
            if extras and step in (0, STEPS // 2):
                graph = small_graph(eval_head=step > 0)
                w.add_event(event_pb2.Event(graph_def=graph.SerializeToString()), step, wall)
            w.add_scalar(
                "loss", float(np.exp(-step / 20) + 0.05 * rng.random()), step, walltime=wall
            )
            w.add_scalar("acc", float(1 - np.exp(-step / 15) * 0.9), step, walltime=wall)
            if extras and step in (0, STEPS - 1):
                attention = {
                    "layer": 3,
                    "head": 5,
                    "tokens": ["[CLS]", "the", "cat"],
                    "weights": [[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.1, 0.3, 0.6]],
                }
                value = tensor_value(
                    "attention/layer3_head5",
                    json.dumps(attention),
                    plugin="acme_attention_maps",
                    content=b'{"version": 2}',
                )
                w.add_summary(summary_pb2.Summary(value=[value]), step, wall)
            if extras and step == STEPS - 1:
                w.add_summary(summary_pb2.Summary(value=[_mesh_value("point_cloud")]), step, wall)


def build_symlinked(root: Path | str, *, scale: int = 1) -> Path:
    """Write the ``symlinked`` logdir into ``root`` (replaced); ``scale`` is unused."""
    del scale
    out = fresh(root)
    with frozen() as clock:
        for seed, (name, extras) in enumerate((("runs/exp1", True), ("runs/exp2", False))):
            clock.now = START + seed * 1000
            _run(out, name, seed, extras)
    os.symlink("exp1", out / "runs" / "latest", target_is_directory=True)
    return finish(out)


def claims(*, scale: int = 1) -> dict[str, Any]:
    del scale
    scalars = {"loss": STEPS, "acc": STEPS}
    exp1 = {
        "scalars": scalars,
        "graphs": {"__run_graph__": 2},
        "graph_nodes": 10,
        "acme_attention_maps": {"attention/layer3_head5": 2},
        "mesh": {"point_cloud_VERTEX": 1},
    }
    return {
        "runs/exp1": exp1,
        "runs/exp2": {"scalars": scalars},
        "runs/latest": {**exp1, "symlink_to": "exp1"},
    }
