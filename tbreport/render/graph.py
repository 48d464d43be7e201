"""Graphs: each run's model graph as inline SVG drawn by Graphviz (or its DOT source)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tbreport.model import Run
from tbreport.render.base import Context, Section
from tbreport.render.graphviz import render_graph

logger = logging.getLogger(__name__)


@dataclass
class GraphItem:
    run: str
    color: str
    anchor: str
    svg: str  # inline SVG (ours, from dot), or "" with ``dot_source`` instead
    dot_source: str
    nodes: int
    boxes: int
    depth: int | None
    dropped: int
    dropped_edges: int
    folded: int
    source: str  # graph_def / meta_graph_def
    top_ops: list[tuple[str, int]]
    run_metadata_tags: list[str]


def build(runs: Sequence[Run], ctx: Context) -> Section | None:
    items = []
    missing_dot = False
    for run in runs:
        if run.graph is None and not run.run_metadata_tags:
            continue
        anchor = ctx.anchors.make("graph", run.name)
        if run.graph is None or not run.graph.nodes:
            items.append(
                GraphItem(
                    run.name,
                    ctx.colors[run.name],
                    anchor,
                    "",
                    "",
                    0,
                    0,
                    None,
                    0,
                    0,
                    0,
                    "",
                    [],
                    list(run.run_metadata_tags),
                )
            )
            continue
        rendered = render_graph(
            run.graph,
            id_prefix=anchor,
            max_nodes=ctx.options.max_graph_nodes,
            timeout=ctx.options.graph_timeout,
            strict=ctx.options.strict,
        )
        if rendered.error:
            if "not found" in rendered.error:
                missing_dot = True
            else:
                ctx.note(f"graph of run {run.name}: {rendered.error}")
        lay = rendered.layout
        items.append(
            GraphItem(
                run=run.name,
                color=ctx.colors[run.name],
                anchor=anchor,
                svg=rendered.svg,
                dot_source="" if rendered.svg else lay.source,
                nodes=lay.nodes,
                boxes=lay.boxes,
                depth=lay.depth,
                dropped=lay.dropped,
                dropped_edges=lay.dropped_edges,
                folded=lay.folded,
                source=run.graph.source,
                top_ops=Counter(n.op for n in run.graph.nodes).most_common(8),
                run_metadata_tags=list(run.run_metadata_tags),
            )
        )
    if missing_dot:
        ctx.note(
            "Graphviz's 'dot' executable was not found, so graphs are shown as DOT source; "
            "install Graphviz (apt install graphviz / brew install graphviz) to draw them"
        )
    if not items:
        return None
    section = Section(
        kind="graphs",
        title="Graphs",
        anchor="graphs",
        template="kinds/graph.html.j2",
        count=len(items),
    )
    section.data = {"items": items}
    return section
