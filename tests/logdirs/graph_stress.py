"""``graph_stress``: graphs whose shape, not their size on disk, makes layout expensive.

Raw ``graph_def`` events (tbreport's ``GraphDef``), one graph per run, plus one
scalar ``ok/loss`` per run:

- ``chain_constants``: 2,000 ``Const`` nodes ``chain/c0`` ... each taking the
  previous as a control input (``^chain/c41``), one float ``value`` each, listed
  consumer first (reverse topological order, which a GraphDef allows and graph
  converters emit): a ~138 KB graph that is one long path, and the worst order
  for any fixpoint loop over the node list;
- ``deep_scopes``: 300 nodes, node ``k`` nested ``10 (k + 1)`` scopes deep
  (``s/s/.../s/op_k``, down to 3,000 levels), each fed by the one before (~1 MB);
- ``chain_100k``: a ``nodes``-long chain of ``Identity`` ops (default 100,000,
  ~4.5 MB) under 100 scopes ``b00`` ... ``b99`` (``b07/n7123``), also listed
  consumer first;
- ``wide_fan``: one ``Placeholder`` feeding 2,000 ``Relu`` nodes that all feed one
  ``AddN`` (a node of degree 2,000 both ways).

What TensorBoard reads: every graph, with its node count (``graph_nodes`` in
:func:`claims`); its graph plugin lays graphs out in the browser, not here.

tbreport at ``e0cfbc3`` (``tbreport build`` of one run at a time): ``deep_scopes``
exits 1 ("internal error: RecursionError"), and so does the whole logdir;
``chain_constants`` takes 8.6 s (its constant folding loops until nothing changes
and folds one node per pass over a consumer-first chain: quadratic; listed
producer first it takes 0.9 s); ``chain_100k`` 4.3 s; ``wide_fan`` 1.5 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tbreport.proto import event_pb2, tensor_pb2, types_pb2
from tests.logdirs._graphs import GraphBuilder
from tests.logdirs._write import START, RawEventFile, fresh, simple_value


def _reversed(graph: Any) -> Any:
    """``graph`` with its nodes listed consumer first (reverse topological order)."""
    out = type(graph)()
    out.versions.CopyFrom(graph.versions)
    out.node.extend(reversed(graph.node))
    return out


def chain_constants(n: int = 2000) -> Any:
    g = GraphBuilder(producer=1645)
    prev: list[str] = []
    for k in range(n):
        t = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[float(k)])
        name = g.node(
            f"chain/c{k}", "Const", prev, shapes=None, dtype_attr="dtype", attrs={"value": t}
        )
        prev = [f"^{name}"]
    return _reversed(g.graph)


def deep_scopes(n: int = 300, step: int = 10) -> Any:
    g = GraphBuilder(producer=1645)
    prev: list[str] = []
    for k in range(n):
        name = "/".join(["s"] * (step * (k + 1))) + f"/op_{k}"
        prev = [g.node(name, "Identity" if prev else "Placeholder", prev, shapes=((1,),))]
    return g.graph


def chain(n: int = 100_000, blocks: int = 100) -> Any:
    g = GraphBuilder(producer=1645)
    per = max(1, n // blocks)
    prev: list[str] = []
    for k in range(n):
        name = f"b{k // per:02d}/n{k}"
        prev = [g.node(name, "Identity" if prev else "Placeholder", prev, shapes=None)]
    return _reversed(g.graph)


def wide_fan(n: int = 2000) -> Any:
    g = GraphBuilder(producer=1645)
    x = g.node("input", "Placeholder", shapes=((-1, 8),), dtype_attr="dtype")
    branches = [g.node(f"fan/relu_{k}", "Relu", [x], shapes=((-1, 8),)) for k in range(n)]
    g.node("sum", "AddN", branches, shapes=((-1, 8),), attrs={"N": n})
    return g.graph


def graphs(nodes: int = 100_000) -> dict[str, Any]:
    return {
        "chain_constants": chain_constants(),
        "deep_scopes": deep_scopes(),
        "chain_100k": chain(nodes),
        "wide_fan": wide_fan(),
    }


def build_graph_stress(root: Path | str, *, nodes: int = 100_000, scale: int = 1) -> Path:
    """Write the ``graph_stress`` logdir into ``root`` (replaced); ``nodes * scale`` for ``chain_100k``."""
    out = fresh(root)
    for k, (run, graph) in enumerate(graphs(nodes * scale).items()):
        with RawEventFile(out / run, START + k) as f:
            f.summary(0, START + k + 0.5, simple_value("ok/loss", 1.0))
            f.add(
                event_pb2.Event(
                    wall_time=START + k + 1, graph_def=graph.SerializeToString(deterministic=True)
                )
            )
    return out


def claims(*, nodes: int = 100_000, scale: int = 1) -> dict[str, Any]:
    counts = {
        "chain_constants": 2000,
        "deep_scopes": 300,
        "chain_100k": nodes * scale,
        "wide_fan": 2002,
    }
    return {
        run: {"scalars": {"ok/loss": 1}, "graph_nodes": n, "graphs": {"__run_graph__": 1}}
        for run, n in counts.items()
    }
