from __future__ import annotations

import subprocess

import pytest

from tbreport.errors import GraphvizNotFoundError, RenderError
from tbreport.model import Graph, GraphNode
from tbreport.render import graphviz as gv

needs_dot = pytest.mark.skipif(gv.dot_executable() is None, reason="Graphviz dot is not installed")


def cnn() -> Graph:
    nodes = [GraphNode("input", "Placeholder", output_shapes=((2, 1, 14, 14),))]
    prev = "input"
    for block in range(3):
        for op in ("conv", "bn", "relu"):
            name = f"Net/block{block}/{op}"
            nodes.append(
                GraphNode(name, op.title(), inputs=(prev + ":0",), output_shapes=((2, 8, 14, 14),))
            )
            nodes.append(GraphNode(name + "/weight", "Const"))
            prev = name
    nodes.append(GraphNode("<script>alert(1)</script>", 'x&y "q"', inputs=(prev, "^input")))
    nodes.append(GraphNode('back\\slash\\N"quote', "<b>bold</b>", inputs=(prev,)))
    return Graph(nodes=nodes)


def test_layout_keeps_small_graphs_whole() -> None:
    lay = gv.layout(cnn(), fold_constants=False)
    assert lay.depth is None and lay.boxes == lay.nodes == 21
    assert "cluster_" in lay.source
    assert "2×8×14×14" in lay.source


def test_layout_collapses_by_scope_depth_to_the_cap() -> None:
    lay = gv.layout(cnn(), max_nodes=8)
    assert lay.boxes <= 8
    assert lay.depth == 1  # Net/blockN boxes
    assert "ops:" in lay.source


def test_layout_caps_a_flat_graph() -> None:
    g = Graph(nodes=[GraphNode(f"n{i}", "Op") for i in range(50)])
    lay = gv.layout(g, max_nodes=10)
    assert lay.boxes == 10 and lay.dropped == 40


def test_layout_caps_edges_between_boxes() -> None:
    nodes = [
        GraphNode(
            f"s{i % 20}/n{i}",
            "Op",
            inputs=tuple(f"s{j % 20}/n{j}" for j in range(max(0, i - 30), i)),
        )
        for i in range(400)
    ]
    lay = gv.layout(Graph(nodes=nodes), max_nodes=20)
    assert lay.dropped_edges > 0
    assert lay.source.count("->") <= 60


@needs_dot
def test_render_escapes_names_from_logs() -> None:
    r = gv.render_graph(cnn(), id_prefix="g1")
    assert r.error == ""
    assert r.svg.startswith("<svg")
    assert "<script" not in r.svg and "<b>" not in r.svg
    assert "&lt;script&gt;" in r.svg
    assert "http" not in r.svg and "<!--" not in r.svg
    assert 'id="g1-' in r.svg


def test_missing_dot_gives_the_source_or_raises_when_strict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gv, "dot_executable", lambda: None)
    r = gv.render_graph(cnn(), id_prefix="g")
    assert r.svg == "" and "not found" in r.error and r.layout.source.startswith("digraph")
    with pytest.raises(GraphvizNotFoundError, match="dot"):
        gv.render_graph(cnn(), id_prefix="g", strict=True)


def test_timeout_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args: object, **kwargs: object) -> None:
        raise subprocess.TimeoutExpired(cmd="dot", timeout=0.01)

    monkeypatch.setattr(gv, "dot_executable", lambda: "/usr/bin/dot")
    monkeypatch.setattr(gv.subprocess, "run", slow)
    r = gv.render_graph(cnn(), id_prefix="g", timeout=0.01)
    assert r.svg == "" and "longer than" in r.error
    with pytest.raises(RenderError, match="longer than"):
        gv.render_graph(cnn(), id_prefix="g", timeout=0.01, strict=True)


def test_constant_feeders_fold_into_their_consumers() -> None:
    lay = gv.layout(cnn())
    assert lay.nodes == 21 and lay.folded == 9 and lay.boxes == 12
    chain = Graph(
        nodes=[
            GraphNode("c1", "prim::Constant"),
            GraphNode("c2", "prim::Constant"),
            GraphNode("lst", "prim::ListConstruct", inputs=("c1", "c2")),
            GraphNode("x", "IO Node"),
            GraphNode("conv", "aten::_convolution", inputs=("x", "lst")),
        ]
    )
    lay = gv.layout(chain)
    assert lay.folded == 3 and lay.boxes == 2 and "+1 const/param" in lay.source
    only_constants = Graph(nodes=[GraphNode("a", "Const"), GraphNode("b", "Const")])
    assert gv.layout(only_constants).folded == 0  # never fold a graph away
