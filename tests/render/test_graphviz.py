"""Views as DOT, ``dot`` under the deadline, and the SVG made inline-ready."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from tbreport.errors import GraphvizNotFoundError, RenderError
from tbreport.model import GraphNode
from tbreport.render import graphtree as gt
from tbreport.render import graphviz as gv
from tests.render.test_graphtree import torch_resnet

needs_dot = pytest.mark.skipif(gv.dot_executable() is None, reason="Graphviz dot is not installed")

HOSTILE = [
    GraphNode("in/a&b&amp;c", "Placeholder", output_shapes=((1, 2),)),
    GraphNode("in/<script>alert(1)<\\script>", 'x&y "q"', ("in/a&b&amp;c",)),
    GraphNode('in/back\\slash\\N"quote', "<b>bold</b>", ("in/<script>alert(1)<\\script>",)),
    GraphNode("in/line\nbreak\u202eevil", "Relu", ('in/back\\slash\\N"quote',)),
]


def _svg(nodes: list[GraphNode], *, which: str = "overview") -> str:
    tree = gt.build_tree(nodes)
    plan = gt.plan_views(tree)
    view = plan.overview if which == "overview" else plan.full
    dot = gv.view_dot(tree, view, link=lambda s: f"x-s{s.index}")
    (svg,) = gv.run_dot([dot.source], gt.Deadline(30))
    return gv.clean_svg(svg, dot.titles, aria="test")


def _texts(svg: str) -> list[str]:
    """Every line of text as a browser draws it (entities decoded once, tspans joined)."""
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter("text")]


@needs_dot
def test_entities_and_markup_are_drawn_exactly_as_written() -> None:
    svg = _svg(HOSTILE)
    texts = _texts(svg)
    assert "Placeholder a&b&amp;c" in texts  # not decoded by Graphviz
    assert '<b>bold</b> back\\slash\\N"quote' in texts  # no escString (\\N) expansion
    assert 'x&y "q" <script>alert(1)<\\script>' in texts
    assert "Relu line\\nbreak\\u202eevil" in texts  # control and bidi characters visible
    assert "<script" not in svg and "<b>" not in svg
    assert "a&amp;b&amp;amp;c" in svg


@needs_dot
def test_svg_is_compact_inline_markup_sized_one_to_one() -> None:
    svg = _svg(torch_resnet())
    assert svg.startswith('<svg class="gsvg" width="')
    assert "<?xml" not in svg and "<!--" not in svg and "xmlns" not in svg
    assert not re.search(r'\s(id|fill|stroke|font-family)="', svg)
    m = re.match(
        r'<svg class="gsvg" width="(\d+)" height="(\d+)" viewBox="0 0 ([\d.]+) ([\d.]+)"', svg
    )
    assert m is not None
    assert abs(int(m.group(1)) - float(m.group(3)) * 4 / 3) <= 1  # 1 pt = 4/3 CSS px
    assert "<polygon" not in re.sub(
        r'<g class="edge.*?</g>', "", svg, flags=re.S
    )  # boxes are rects
    # the scope boxes link to their outline entries
    assert re.search(r'<a href="#x-s\d+">', svg)
    # each node's text sits centred in its box
    for group in re.findall(r'<g class="node[^"]*">(.*?)</g>', svg, re.S):
        rect = re.search(r'<rect x="([-\d.]+)" y="[-\d.]+" width="([-\d.]+)"', group)
        assert rect is not None
        cx = float(rect.group(1)) + float(rect.group(2)) / 2
        xs = re.findall(r'<text x="([-\d.]+)"', group)
        assert xs and all(abs(float(x) - cx) < 0.06 for x in xs)
        assert "text-anchor" not in group  # the CSS centres node text


@needs_dot
def test_font_sizes_never_below_eight_points() -> None:
    svg = _svg(torch_resnet(), which="full")
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
    assert sizes and min(sizes) >= gv.DETAIL_PT  # the rest inherit 9 pt from the CSS


@needs_dot
def test_one_dot_run_draws_many_views() -> None:
    tree = gt.build_tree(torch_resnet())
    plan = gt.plan_views(tree)
    sources = [gv.view_dot(tree, v).source for v in plan.views.values()]
    svgs = gv.run_dot(sources, gt.Deadline(30))
    assert len(svgs) == len(sources) == len(plan.views) > 3
    assert all(s.lstrip().startswith("<?xml") and s.endswith("</svg>") for s in svgs)


def test_aux_boxes_sit_in_their_own_cluster_without_edges() -> None:
    nodes = [
        GraphNode("w", "VariableV2"),
        GraphNode("loss", "Mean", ("w",)),
        GraphNode("save/SaveV2", "SaveV2", ("w",)),
        GraphNode("init", "NoOp", ("^w",)),
    ]
    tree = gt.build_tree(nodes)
    plan = gt.plan_views(tree)
    source = gv.view_dot(tree, plan.overview).source
    assert "cluster_aux" in source
    drawn = [line for line in source.splitlines() if "->" in line and "invis" not in line]
    assert len(drawn) == 1  # w -> loss only
    assert "[style=invis]" in source  # the auxiliary cluster kept below the computation


def test_missing_dot_is_an_error_the_caller_handles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gv, "dot_executable", lambda: None)
    with pytest.raises(GraphvizNotFoundError, match="apt install graphviz"):
        gv.run_dot(["digraph G {}"], gt.Deadline(30))


def test_dot_runs_within_what_is_left_of_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, float] = {}

    def slow(*args: object, timeout: float, **kwargs: object) -> None:
        seen["timeout"] = timeout
        raise subprocess.TimeoutExpired(cmd="dot", timeout=timeout)

    monkeypatch.setattr(gv, "dot_executable", lambda: "/usr/bin/dot")
    monkeypatch.setattr(gv.subprocess, "run", slow)
    with pytest.raises(RenderError, match="longer than 5 s"):
        gv.run_dot(["digraph G {}"], gt.Deadline(5))
    assert 0 < seen["timeout"] <= 5
    with pytest.raises(RenderError, match="no time left"):
        gv.run_dot(["digraph G {}"], gt.Deadline(0))


@needs_dot
def test_dot_failure_is_a_render_error() -> None:
    with pytest.raises(RenderError, match="dot failed"):
        gv.run_dot(["digraph G { a -> }"], gt.Deadline(30))
