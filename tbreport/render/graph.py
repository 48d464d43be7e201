"""Graphs: each run's model graph and Keras conceptual graphs, drawn to show the
architecture.

Per graph: an overview collapsed by name scope to at most
:data:`~tbreport.render.graphtree.BUDGET` boxes (module names and output shapes),
each collapsed scope a link that opens its own view (in place with JavaScript, in the
outline without), the outline of every scope and its ops (readable with JavaScript
off), and the whole graph on demand (``--max-graph-nodes`` boxes). A graph another run
already showed is not drawn twice. All the work on one graph, tbreport's and
Graphviz's, stops at ``--graph-timeout``.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tbreport.errors import GraphvizNotFoundError, RenderError
from tbreport.fmt import fmt_int
from tbreport.model import Graph, Run
from tbreport.render.base import Context, Section
from tbreport.render.graphtree import (
    LEGEND,
    Deadline,
    GraphTree,
    Plan,
    Scope,
    build_tree,
    fmt_shape,
    item_id,
    label,
    plan_views,
    scope_path,
    visible,
)
from tbreport.render.graphviz import (
    ARROW_MARKER,
    MAX_SOURCE_CHARS,
    clean_svg,
    run_dot,
    view_dot,
)

logger = logging.getLogger(__name__)

#: the outline lists at most this many scopes and rows (ops) per graph
MAX_OUTLINE_SCOPES = 400
MAX_OUTLINE_ROWS = 2000


@dataclass
class OutlineRow:
    """One item of a scope in the outline: an op, or a scope (``link`` to its entry)."""

    name: str
    detail: str  # the op (or "N ops")
    shape: str
    link: str = ""
    tip: str = ""


@dataclass
class ScopeEntry:
    """A scope of the outline: its heading, its drawn view (if any), its items."""

    anchor: str
    parent: str  # the anchor of the enclosing entry ("" at the top)
    depth: int
    title: str
    subtitle: str
    detail: str
    path: str
    svg: str = ""
    rows: list[OutlineRow] = field(default_factory=list)


@dataclass
class GraphItem:
    """One drawn graph (a run's op graph or one of its Keras models)."""

    run: str
    color: str
    anchor: str
    title: str  # "Op graph" / "Keras model"
    tag: str
    source: str
    nodes: int
    kept: int = 0
    folded: int = 0
    overview: str = ""  # inline SVG
    overview_boxes: int = 0
    full: str = ""
    full_boxes: int = 0
    full_collapsed: bool = False  # the whole graph has scopes drawn collapsed
    top: list[OutlineRow] = field(default_factory=list)  # the outline's top level
    scopes: list[ScopeEntry] = field(default_factory=list)
    more_scopes: int = 0
    more_rows: int = 0
    dot_source: str = ""
    notes: list[str] = field(default_factory=list)
    same_as: tuple[str, str] | None = None  # (run, anchor) that shows the same graph
    top_ops: list[tuple[str, int]] = field(default_factory=list)
    run_metadata_tags: list[str] = field(default_factory=list)


def _signature(graph: Graph) -> str:
    h = hashlib.sha1(graph.source.encode())
    for n in graph.nodes:
        h.update(repr((n.name, n.op, n.inputs, n.output_shapes)).encode("utf-8", "replace"))
    return h.hexdigest()


def _records_note(graph: Graph) -> str:
    """Which of a run's graph records is shown (as TensorBoard picks it), and the others."""
    if not graph.others:
        return ""
    what = {"meta_graph_def": "a meta graph", "keras": "a model"}
    others = ", ".join(
        f"{what.get(r.source, 'a graph')} at step {fmt_int(r.step)} ({fmt_int(r.nodes)} nodes)"
        for r in graph.others[:5]
    )
    more = f" and {len(graph.others) - 5} more" if len(graph.others) > 5 else ""
    rule = (
        "the last one written"
        if graph.source == "keras"
        else "the last graph_def, else the last meta graph"
    )
    return (
        f"This run holds {len(graph.others) + 1} graph records; shown is the one at step "
        f"{fmt_int(graph.step)}, as TensorBoard picks it ({rule}). The others: {others}{more}."
    )


class _Drawer:
    """Draws the graphs of one build (keeps the notes and what was drawn where)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.missing_dot = False
        self.seen: dict[str, tuple[str, str]] = {}

    def item(self, run: Run, title: str, tag: str, graph: Graph) -> GraphItem:
        ctx = self.ctx
        anchor = ctx.anchors.make("graph", run.name, tag)
        item = GraphItem(
            run=run.name,
            color=ctx.colors[run.name],
            anchor=anchor,
            title=title,
            tag=tag,
            source=graph.source,
            nodes=len(graph.nodes),
            top_ops=Counter(n.op for n in graph.nodes).most_common(8),
        )
        note = _records_note(graph)
        if note:
            item.notes.append(note)
        if not graph.nodes:
            return item
        sig = _signature(graph)
        if sig in self.seen:
            item.same_as = self.seen[sig]
            return item
        self.seen[sig] = (run.name, anchor)
        self._draw(item, graph)
        return item

    def _draw(self, item: GraphItem, graph: Graph) -> None:
        opts = self.ctx.options
        deadline = Deadline(opts.graph_timeout)
        try:
            tree = build_tree(graph.nodes, source=graph.source, deadline=deadline)
            plan = plan_views(tree, full_budget=opts.max_graph_nodes, deadline=deadline)
            item.kept, item.folded = tree.kept, tree.folded
            anchors = _outline(item, tree)
            self._pictures(item, tree, plan, deadline, anchors)
        except GraphvizNotFoundError:
            if opts.strict:
                raise
            self.missing_dot = True
        except RenderError as exc:
            if opts.strict:
                raise RenderError(
                    f"graph of run {item.run}: {exc}; raise --graph-timeout or lower "
                    "--max-graph-nodes"
                ) from None
            message = f"graph of run {item.run}: {exc}; raise --graph-timeout to draw it"
            item.notes.append(message[0].upper() + message[1:] + ".")
            self.ctx.note(message)

    def _pictures(
        self,
        item: GraphItem,
        tree: GraphTree,
        plan: Plan,
        deadline: Deadline,
        anchors: dict[int, str],
    ) -> None:
        """The overview, each listed scope's view, the whole graph: three ``dot`` runs,
        so that the overview is there even when the others run out of time."""

        def link(scope: Scope) -> str | None:
            return anchors.get(scope.index)

        overview = view_dot(tree, plan.overview, link=link)
        item.overview_boxes = overview.boxes
        try:
            (svg,) = run_dot([overview.source], deadline)
        except GraphvizNotFoundError:
            if len(overview.source) <= MAX_SOURCE_CHARS:
                item.dot_source = overview.source
            raise
        aria = f"{item.title} of run {item.run}: overview"
        item.overview = clean_svg(svg, overview.titles, aria=aria)
        views = [
            (k, view_dot(tree, v, link=link))
            for k, v in plan.views.items()
            if v is not plan.overview and k in anchors
        ]
        try:
            svgs = run_dot([d.source for _, d in views], deadline)
        except RenderError as exc:
            item.notes.append(f"The scopes' own pictures were not drawn: {exc}.")
            svgs = []
        by_anchor = {e.anchor: e for e in item.scopes}
        for (k, d), svg in zip(views, svgs):
            entry = by_anchor[anchors[k]]
            entry.svg = clean_svg(svg, d.titles, aria=f"{item.title}: {entry.path}")
        if {item_id(b) for b in plan.full.boxes} == {item_id(b) for b in plan.overview.boxes}:
            return  # the overview already shows every box
        full = view_dot(tree, plan.full, link=link, brief=True)
        item.full_boxes = full.boxes
        item.full_collapsed = any(isinstance(b, Scope) and b.size > 1 for b in plan.full.boxes)
        try:
            (svg,) = run_dot([full.source], deadline)
            item.full = clean_svg(svg, full.titles, aria=f"{item.title} of run {item.run}")
        except RenderError as exc:
            item.notes.append(f"The whole graph was not drawn: {exc}.")


def _row(tree: GraphTree, it: Scope | int, anchors: dict[int, str]) -> OutlineRow:
    lab = label(tree, it)
    if isinstance(it, Scope) and it.size > 1:
        shape = _shape(tree, it.last)
        return OutlineRow(lab.text, f"{it.size:,} ops", shape, anchors.get(it.index, ""))
    node = it if not isinstance(it, Scope) else it.last
    n = tree.nodes[node]
    return OutlineRow(lab.text, visible(n.op, 60), _shape(tree, node), "", visible(n.name, 300))


def _shape(tree: GraphTree, node: int) -> str:
    shapes = tree.nodes[node].output_shapes if node >= 0 else ()
    return " ".join(fmt_shape(s) for s in shapes[:2])


def _outline(item: GraphItem, tree: GraphTree) -> dict[int, str]:
    """The outline: every scope of more than one op (pre-order), with its items;
    returns the anchor of each listed scope by index."""
    anchors: dict[int, str] = {}
    listed: list[Scope] = []
    for s in tree.scopes:
        if s.parent is None or s.size <= 1:
            continue
        if len(listed) >= MAX_OUTLINE_SCOPES:
            item.more_scopes += 1
            continue
        anchors[s.index] = f"{item.anchor}-s{s.index}"
        listed.append(s)
    rows = 0

    def rows_of(scope: Scope) -> list[OutlineRow]:
        nonlocal rows
        out = []
        for it in scope.items:
            if rows >= MAX_OUTLINE_ROWS:
                item.more_rows += 1
                continue
            rows += 1
            out.append(_row(tree, it, anchors))
        return out

    item.top = rows_of(tree.root)
    for s in listed:
        lab = label(tree, s)
        parent = s.parent
        while parent is not None and parent.index not in anchors:
            parent = parent.parent
        item.scopes.append(
            ScopeEntry(
                anchor=anchors[s.index],
                parent=anchors.get(parent.index, "") if parent is not None else "",
                depth=min(s.depth - 1, 12),
                title=lab.title,
                subtitle=lab.subtitle,
                detail=lab.detail,
                path=scope_path(s, tree),
                rows=rows_of(s),
            )
        )
    return anchors


def build(runs: Sequence[Run], ctx: Context) -> Section | None:
    drawer = _Drawer(ctx)
    items: list[GraphItem] = []
    for run in runs:
        for tag, graph in run.conceptual_graphs.items():
            items.append(drawer.item(run, "Keras model", tag, graph))
        if run.graph is not None:
            items.append(drawer.item(run, "Op graph", "", run.graph))
            items[-1].run_metadata_tags = list(run.run_metadata_tags)
        elif run.run_metadata_tags:
            item = GraphItem(
                run.name, ctx.colors[run.name], ctx.anchors.make("graph", run.name), "", "", "", 0
            )
            item.run_metadata_tags = list(run.run_metadata_tags)
            items.append(item)
    if drawer.missing_dot:
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
    section.data = {"items": items, "legend": LEGEND, "arrow": ARROW_MARKER}
    return section
