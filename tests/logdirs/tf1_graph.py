"""``tf1_graph``: a TF 1.x PTB language model trained under ``tf.train.MonitoredSession``.

Raw protos (tbreport's ``Event``/``GraphDef`` + ``encode_record``), because our
writer does not write TF1 graphs. What TF 1.15 writes, record for record:

- ``ptb_lstm/`` (file ``events.out.tfevents.<secs>.tbhost``: TF1's name has no
  pid; header without ``source_metadata``):
  ``SessionLog.START`` at step 0; the ``GraphDef`` (612 nodes of a two-layer
  ``BasicLSTMCell`` in ``dynamic_rnn``: ``rnn/while/rnn/multi_rnn_cell/cell_0/
  lstm_cell/...``, ``gradients/...`` with while-loop stacks, Adam slots
  ``<var>/Adam``, ``<var>/Adam_1``, ``save/...``; every node with TF's attrs and
  ``_output_shapes``); a ``meta_graph_def`` holding the same graph; merged
  summaries every 10 steps (one ``Event`` with three ``simple_value``\\ s:
  ``Loss``, ``Perplexity``, ``learning_rate``); ``global_step/sec`` every 100
  steps; legacy histograms (TF's default buckets, collapsed: every one ends at
  ``DBL_MAX``) of the 7 trainable variables every 500 steps;
  ``SessionLog.CHECKPOINT`` every 500 steps; and, at step 1000, a **second graph
  record**: the same graph plus a 13-node ``valid/`` scope (625 nodes), as a
  script that calls ``writer.add_graph(sess.graph)`` again after building its
  eval ops does;
- ``ptb_lstm/eval/``: ``Loss`` and ``Perplexity`` every 500 steps.

What TensorBoard reads: ``EventAccumulator`` keeps the second graph (625 nodes)
and logs, twice (the meta graph counts too), "Found more than one graph event per
run, or there was a metagraph containing a graph_def, as well as one or more graph
events. Overwriting the graph with the newest event"; ``meta_graph`` is true; the
plugin view lists both graph records (``graphs/__run_graph__``: 2 points); every
scalar and histogram is read (201 merged summaries, 20 ``global_step/sec``, 5
histograms of each variable); ``eval``: 5 points of each tag.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np

from tbreport.proto import event_pb2, summary_pb2, types_pb2
from tests.logdirs._graphs import GraphBuilder, tf1_lstm_graph
from tests.logdirs._write import (
    START,
    RawEventFile,
    field_bytes,
    fresh,
    simple_value,
    tf1_histogram,
)

STEPS = 2000
SUMMARY_EVERY = 10
RATE_EVERY = 100
HIST_EVERY = 500
TRAINABLE = (
    "embedding",
    "rnn/multi_rnn_cell/cell_0/lstm_cell/kernel",
    "rnn/multi_rnn_cell/cell_0/lstm_cell/bias",
    "rnn/multi_rnn_cell/cell_1/lstm_cell/kernel",
    "rnn/multi_rnn_cell/cell_1/lstm_cell/bias",
    "softmax_w",
    "softmax_b",
)


def meta_graph_bytes(graph: Any) -> bytes:
    """A ``MetaGraphDef`` (``meta_info_def`` with TF's version strings, then the graph)."""
    info = field_bytes(5, b"1.15.5") + field_bytes(6, b"v1.15.4-39-g3db52be")
    return field_bytes(1, info) + field_bytes(2, graph.SerializeToString(deterministic=True))


def with_eval_scope(graph: Any) -> Any:
    """``graph`` plus the ops a script adds for validation (``valid/...``, 13 nodes)."""
    g = GraphBuilder()
    g.graph = copy.deepcopy(graph)
    g._names = {n.name for n in graph.node}
    x = g.node(
        "valid/x",
        "Placeholder",
        shapes=((20, 35),),
        dtype=types_pb2.DT_INT32,
        dtype_attr="dtype",
        attrs={"shape": [20, 35]},
    )
    y = g.node(
        "valid/y",
        "Placeholder",
        shapes=((20, 35),),
        dtype=types_pb2.DT_INT32,
        dtype_attr="dtype",
        attrs={"shape": [20, 35]},
    )
    axis = g.const("valid/embedding_lookup/axis", (), types_pb2.DT_INT32, 0)
    emb = g.node(
        "valid/embedding_lookup",
        "GatherV2",
        ["embedding/read", x, axis],
        shapes=((20, 35, 200),),
        dtype_attr="Tparams",
        attrs={"Taxis": types_pb2.DT_INT32, "Tindices": types_pb2.DT_INT32, "batch_dims": 0},
    )
    flat = g.node(
        "valid/Reshape",
        "Reshape",
        [emb, g.const("valid/Reshape/shape", (2,), types_pb2.DT_INT32, -1)],
        shapes=((700, 200),),
        attrs={"Tshape": types_pb2.DT_INT32},
    )
    mm = g.node(
        "valid/MatMul",
        "MatMul",
        [flat, "softmax_w/read"],
        shapes=((700, 10000),),
        attrs={"transpose_a": False, "transpose_b": False},
    )
    logits = g.node("valid/add", "Add", [mm, "softmax_b/read"], shapes=((700, 10000),))
    xent = g.node(
        "valid/xent",
        "SparseSoftmaxCrossEntropyWithLogits",
        [logits, y],
        shapes=((700,), (700, 10000)),
        attrs={"Tlabels": types_pb2.DT_INT32},
    )
    loss = g.node(
        "valid/Mean",
        "Mean",
        [xent, g.const("valid/Const", (1,), types_pb2.DT_INT32, 0)],
        attrs={"Tidx": types_pb2.DT_INT32, "keep_dims": False},
    )
    g.node(
        "valid/Loss",
        "ScalarSummary",
        [g.const("valid/Loss/tags", (), types_pb2.DT_STRING, "valid/Loss"), loss],
    )
    return g.graph


def _loss(step: int) -> float:
    return 4.6 + 2.3 * math.exp(-step / 350.0) + 0.02 * math.sin(step / 7.0)


def _write_train(root: Path, graph: Any, steps: int) -> None:
    rng = np.random.default_rng(7)
    t0 = START + 0.5
    with RawEventFile(root / "ptb_lstm", START, tf1=True) as f:
        f.add(
            event_pb2.Event(
                wall_time=t0,
                step=0,
                session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START),
            )
        )
        f.add(
            event_pb2.Event(
                wall_time=t0 + 0.01, graph_def=graph.SerializeToString(deterministic=True)
            )
        )
        f.add(event_pb2.Event(wall_time=t0 + 0.02, meta_graph_def=meta_graph_bytes(graph)))
        for step in range(0, steps + 1):
            wall = t0 + 1.0 + step * 0.12
            if step == steps // 2:
                again = with_eval_scope(graph)
                f.add(
                    event_pb2.Event(
                        wall_time=wall,
                        step=step,
                        graph_def=again.SerializeToString(deterministic=True),
                    )
                )
            if step % SUMMARY_EVERY == 0:
                loss = _loss(step) + float(rng.normal(0, 0.05))
                lr = 1e-3 * 0.5 ** (step // 1000)
                f.summary(
                    step,
                    wall,
                    simple_value("Loss", loss),
                    simple_value("Perplexity", math.exp(loss)),
                    simple_value("learning_rate", lr),
                )
            if step % RATE_EVERY == 0 and step:
                f.summary(
                    step, wall, simple_value("global_step/sec", 8.3 + float(rng.normal(0, 0.2)))
                )
            if step % HIST_EVERY == 0:
                values = [
                    summary_pb2.Summary.Value(
                        tag=f"{var.replace('/', '_')}_hist",
                        histo=tf1_histogram(rng.normal(0, 0.1 * (1 + step / steps), 2000)),
                    )
                    for var in TRAINABLE
                ]
                f.summary(step, wall, *values)
                f.add(
                    event_pb2.Event(
                        wall_time=wall,
                        step=step,
                        session_log=event_pb2.SessionLog(
                            status=event_pb2.SessionLog.CHECKPOINT,
                            checkpoint_path=f"/tmp/ptb/model.ckpt-{step}",
                        ),
                    )
                )


def _write_eval(root: Path, steps: int) -> None:
    with RawEventFile(root / "ptb_lstm" / "eval", START + 60, tf1=True) as f:
        for step in range(0, steps + 1, HIST_EVERY):
            wall = START + 61 + step * 0.12
            loss = _loss(step) + 0.15
            f.summary(
                step, wall, simple_value("Loss", loss), simple_value("Perplexity", math.exp(loss))
            )


def build_tf1_graph(root: Path | str, *, scale: int = 1) -> Path:
    """Write the ``tf1_graph`` logdir into ``root`` (replaced); see the module docstring.

    ``scale`` multiplies the number of steps (the graph stays the same).
    """
    out = fresh(root)
    graph = tf1_lstm_graph()
    _write_train(out, graph, STEPS * scale)
    _write_eval(out, STEPS * scale)
    return out


def claims(*, scale: int = 1) -> dict[str, Any]:
    steps = STEPS * scale
    n = steps // SUMMARY_EVERY + 1
    return {
        "ptb_lstm": {
            "scalars": {
                "Loss": n,
                "Perplexity": n,
                "learning_rate": n,
                "global_step/sec": steps // RATE_EVERY,
            },
            "histograms": {
                f"{v.replace('/', '_')}_hist": steps // HIST_EVERY + 1 for v in TRAINABLE
            },
            "graphs": {"__run_graph__": 2},
            "graph_nodes": 625,
        },
        "ptb_lstm/eval": {
            "scalars": {"Loss": steps // HIST_EVERY + 1, "Perplexity": steps // HIST_EVERY + 1},
        },
    }
