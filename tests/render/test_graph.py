from __future__ import annotations

import pytest

from tbreport.model import Graph, GraphNode, Run
from tbreport.options import BuildOptions
from tbreport.render import graph as graphs
from tbreport.render import graphviz as gv
from tbreport.render.base import Context


def _runs() -> list[Run]:
    g = Graph(nodes=[GraphNode("x", "Placeholder"), GraphNode("net/y", "Relu", inputs=("x",))])
    return [
        Run(name="a", path="a", graph=g),
        Run(name="b", path="b", graph=g),
        Run(name="c", path="c", run_metadata_tags=["step1"]),
    ]


def test_one_note_for_a_missing_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gv, "dot_executable", lambda: None)
    ctx = Context(options=BuildOptions(), colors={"a": "#1", "b": "#2", "c": "#3"})
    section = graphs.build(_runs(), ctx)
    assert section is not None
    items = section.data["items"]
    assert [i.run for i in items] == ["a", "b", "c"]
    assert items[0].svg == "" and items[0].dot_source.startswith("digraph")
    assert items[2].nodes == 0 and items[2].run_metadata_tags == ["step1"]
    assert len(ctx.notes) == 1 and "Graphviz" in ctx.notes[0]


def test_no_graph_no_section() -> None:
    assert (
        graphs.build([Run(name="a", path="a")], Context(options=BuildOptions(), colors={"a": "#1"}))
        is None
    )
