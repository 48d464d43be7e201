"""The graphs section: what each run's card holds."""

from __future__ import annotations

import re

import pytest

from tbreport.errors import GraphvizNotFoundError, RenderError
from tbreport.kinds.graph import GraphRecord, decode_keras_model
from tbreport.model import Graph, GraphNode, Run
from tbreport.options import BuildOptions
from tbreport.render import graph as graphs
from tbreport.render import graphtree as gt
from tbreport.render import graphviz as gv
from tbreport.render.base import Context
from tests.logdirs import keras
from tests.render.test_graphtree import torch_resnet

needs_dot = pytest.mark.skipif(gv.dot_executable() is None, reason="Graphviz dot is not installed")


def _ctx(**options: object) -> Context:
    return Context(options=BuildOptions(**options), colors={n: "#123456" for n in "abcd"})  # type: ignore[arg-type]


def _small() -> Graph:
    return Graph(nodes=[GraphNode("x", "Placeholder"), GraphNode("net/y", "Relu", inputs=("x",))])


def test_one_note_for_a_missing_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gv, "dot_executable", lambda: None)
    other = Graph(nodes=[GraphNode("z", "Placeholder")])
    runs = [
        Run(name="a", path="a", graph=_small()),
        Run(name="b", path="b", graph=other),
        Run(name="c", path="c", run_metadata_tags=["step1"]),
    ]
    ctx = _ctx()
    section = graphs.build(runs, ctx)
    assert section is not None
    items = section.data["items"]
    assert [i.run for i in items] == ["a", "b", "c"]
    assert items[0].overview == "" and items[0].dot_source.startswith("digraph G {")
    assert items[2].nodes == 0 and items[2].run_metadata_tags == ["step1"]
    assert len(ctx.notes) == 1 and "Graphviz" in ctx.notes[0]
    with pytest.raises(GraphvizNotFoundError):
        graphs.build(runs, _ctx(strict=True))


def test_no_graph_no_section() -> None:
    assert graphs.build([Run(name="a", path="a")], _ctx()) is None


@needs_dot
def test_a_card_per_graph_keras_model_first_and_repeats_drawn_once() -> None:
    model = decode_keras_model(keras.keras3_json())
    resnet = Graph(nodes=torch_resnet())
    runs = [
        Run(name="a", path="a", graph=resnet, conceptual_graphs={"keras": model}),
        Run(name="b", path="b", graph=Graph(nodes=torch_resnet())),
    ]
    section = graphs.build(runs, _ctx())
    assert section is not None
    a_model, a_ops, b_ops = section.data["items"]
    assert (a_model.title, a_ops.title) == ("Keras model", "Op graph")
    assert a_model.overview.startswith("<svg") and a_ops.overview.startswith("<svg")
    assert b_ops.same_as == ("a", a_ops.anchor) and b_ops.overview == ""
    assert a_ops.overview_boxes <= gt.BUDGET
    # every scope that shows collapsed somewhere has an outline entry with its picture
    assert a_ops.scopes and all(e.anchor.startswith(a_ops.anchor) for e in a_ops.scopes)
    drawn = {e.anchor for e in a_ops.scopes if e.svg}
    links = set(re.findall(r'href="#([^"]+)"', a_ops.overview))
    assert links and links <= drawn  # each bold box opens a picture
    assert a_ops.full.startswith("<svg") and a_ops.full_boxes == a_ops.kept
    assert a_model.full == ""  # the overview already shows every layer


def test_other_graph_records_are_a_note() -> None:
    g = _small()
    g.step = 1000
    g.others = (GraphRecord(0, "graph_def", 612), GraphRecord(0, "meta_graph_def", 612))
    ctx = _ctx()
    section = graphs.build([Run(name="a", path="a", graph=g)], ctx)
    assert section is not None
    (item,) = section.data["items"]
    assert item.notes == [
        "This run holds 3 graph records; shown is the one at step 1,000, as TensorBoard "
        "picks it (the last graph_def, else the last meta graph). The others: a graph at "
        "step 0 (612 nodes), a meta graph at step 0 (612 nodes)."
    ]
    assert ctx.notes == []  # not a problem for the data-health box


def test_the_time_limit_bounds_tbreports_own_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graphs, "Deadline", lambda seconds: gt.Deadline(0.0))
    ctx = _ctx()
    section = graphs.build([Run(name="a", path="a", graph=Graph(nodes=torch_resnet()))], ctx)
    assert section is not None
    (item,) = section.data["items"]
    assert item.overview == "" and "longer than 0 s" in item.notes[0]
    assert len(ctx.notes) == 1 and "--graph-timeout" in ctx.notes[0]
    with pytest.raises(RenderError, match="--graph-timeout"):
        graphs.build(
            [Run(name="a", path="a", graph=Graph(nodes=torch_resnet()))], _ctx(strict=True)
        )


def test_the_outline_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graphs, "MAX_OUTLINE_SCOPES", 3)
    monkeypatch.setattr(graphs, "MAX_OUTLINE_ROWS", 10)
    monkeypatch.setattr(gv, "dot_executable", lambda: None)
    section = graphs.build([Run(name="a", path="a", graph=Graph(nodes=torch_resnet()))], _ctx())
    assert section is not None
    (item,) = section.data["items"]
    assert len(item.scopes) == 3 and item.more_scopes > 0
    assert len(item.top) + sum(len(e.rows) for e in item.scopes) == 10 and item.more_rows > 0
