"""Model graphs drawn by Graphviz: ``Graph`` -> DOT source -> inline SVG.

``/`` name scopes become nested clusters; nodes show their short name, op type and
output shapes. ``dot`` is fast on graphs of a few hundred nodes and can take minutes on
a big tangled one, so the graph is first collapsed by scope depth until at most
``max_nodes`` boxes remain (a collapsed scope is one box: ``encoder/ (214 ops)``), and
``dot`` always runs under a timeout. Without ``dot`` the caller gets the DOT source to
show instead (and decides whether that is an error: ``--strict``).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tbreport.errors import GraphvizNotFoundError, RenderError
from tbreport.model import Graph, GraphNode

if TYPE_CHECKING:
    import graphviz

logger = logging.getLogger(__name__)

#: Default node cap after collapsing, and ``dot``'s time limit in seconds.
MAX_NODES = 250
TIMEOUT = 30.0


@dataclass(frozen=True)
class GraphLayout:
    """What will be drawn: the DOT source and how much was collapsed."""

    source: str
    nodes: int  # nodes of the original graph
    boxes: int  # boxes drawn
    depth: int | None  # scope depth kept (None: nothing collapsed)
    dropped: int = 0  # boxes left out because even depth 0 exceeded the cap
    dropped_edges: int = 0  # weakest edges between boxes left out (see ``layout``)
    folded: int = 0  # constant feeders folded into their consumers' labels


@dataclass(frozen=True)
class RenderedGraph:
    """``svg`` is inline markup; empty when ``dot`` was missing or failed (see ``error``)."""

    layout: GraphLayout
    svg: str = ""
    error: str = ""


def _clean_input(name: str) -> str:
    name = name[1:] if name.startswith("^") else name
    return re.sub(r":\d+$", "", name)


def _scopes(name: str) -> list[str]:
    return name.split("/")[:-1]


def _fmt_shape(shape: Sequence[int]) -> str:
    return "×".join("?" if d < 0 else str(d) for d in shape) if shape else "scalar"


def _group_key(name: str, depth: int) -> tuple[str, bool]:
    """The box a node falls into when scopes deeper than ``depth`` are collapsed."""
    parts = name.split("/")
    if len(parts) - 1 > depth:
        return "/".join(parts[: depth + 1]), True
    return name, False


#: ops that only feed constants into the real computation (TorchScript's attribute and
#: list plumbing, TF constants): folded into their consumer's label, as TensorBoard's
#: graph view sets such auxiliary nodes aside
CONSTANT_OPS = frozenset(
    {
        "prim::Constant",
        "prim::ListConstruct",
        "prim::TupleConstruct",
        "prim::GetAttr",
        "prim::NumToTensor",
        "Const",
    }
)


def _constant_feeders(nodes: Sequence[GraphNode], by_name: dict[str, GraphNode]) -> set[str]:
    """Nodes whose op is in :data:`CONSTANT_OPS` and whose inputs all are, too (or none)."""
    folded: set[str] = set()
    changed = True
    candidates = [n for n in nodes if n.op in CONSTANT_OPS]
    while changed:  # a ListConstruct of Constants folds once the Constants have
        changed = False
        for n in candidates:
            if n.name in folded:
                continue
            ins = [_clean_input(i) for i in n.inputs]
            if all(i in folded or i not in by_name for i in ins):
                folded.add(n.name)
                changed = True
    # keep a graph that is nothing but constants visible
    return folded if len(folded) < len(nodes) else set()


def _collapse(
    nodes: Sequence[GraphNode], max_nodes: int
) -> tuple[dict[str, list[GraphNode]], int | None, list[str], int]:
    """Group nodes by scope, from full depth down, until at most ``max_nodes`` boxes:
    (groups by box key, the depth kept, the keys drawn, how many boxes were left out)."""
    max_depth = max((len(_scopes(n.name)) for n in nodes), default=0)
    depth: int | None = None
    groups: dict[str, list[GraphNode]] = {}
    for d in [None, *range(max_depth - 1, -1, -1)]:
        groups = {}
        for n in nodes:
            key = n.name if d is None else _group_key(n.name, d)[0]
            groups.setdefault(key, []).append(n)
        depth = d
        if len(groups) <= max_nodes:
            break
    keys = list(groups)
    dropped = max(0, len(keys) - max_nodes)
    return groups, depth, keys[:max_nodes], dropped


def _digraph(title: str) -> graphviz.Digraph:
    import graphviz  # only when a graph is drawn

    return graphviz.Digraph(
        "G",
        graph_attr={
            "rankdir": "TB",
            "fontname": "Helvetica",
            "fontsize": "11",
            "nodesep": "0.25",
            "ranksep": "0.35",
            "bgcolor": "transparent",
            **({"label": title, "labelloc": "t"} if title else {}),
        },
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": "#eef3fb",
            "color": "#7a8aa6",
            "fontname": "Helvetica",
            "fontsize": "9",
            "margin": "0.08,0.03",
            "height": "0.3",
        },
        edge_attr={"color": "#8a94a6", "arrowsize": "0.6"},
    )


def _box_label(key: str, members: Sequence[GraphNode], feeds: Counter[str]) -> str:
    import graphviz  # only when a graph is drawn

    collapsed = len(members) > 1 or (members[0].name != key)
    if collapsed:
        ops = Counter(m.op for m in members)
        top = ", ".join(f"{op}×{c}" if c > 1 else op for op, c in ops.most_common(3))
        more = "…" if len(ops) > 3 else ""
        return "\n".join(
            graphviz.escape(s)
            for s in (key.rsplit("/", 1)[-1] + "/", f"{len(members)} ops: {top}{more}")
        ).replace("\n", "\\n")
    n = members[0]
    lines = [n.name.rsplit("/", 1)[-1] or n.name, n.op]
    if n.output_shapes:
        lines.append(" ".join(_fmt_shape(s) for s in n.output_shapes[:3]))
    if feeds[n.name]:
        lines.append(f"+{feeds[n.name]} const/param")
    return "\\n".join(graphviz.escape(s) for s in lines if s)


def _emit_boxes(
    dot: graphviz.Digraph,
    keys: Sequence[str],
    groups: dict[str, list[GraphNode]],
    feeds: Counter[str],
    ids: dict[str, str],
) -> None:
    """The boxes, in nested clusters by scope (a trie of scope paths)."""
    import graphviz  # only when a graph is drawn

    boxes_in: dict[tuple[str, ...], list[str]] = {}
    for key in keys:
        scope = tuple(key.split("/")[:-1])
        for i in range(len(scope) + 1):
            boxes_in.setdefault(scope[:i], [])
        boxes_in[scope].append(key)
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for scope in sorted(boxes_in):
        if scope:
            children.setdefault(scope[:-1], []).append(scope)
    clusters = 0

    def emit(parent: graphviz.Digraph, scope: tuple[str, ...]) -> None:
        nonlocal clusters
        for key in boxes_in.get(scope, []):
            members = groups[key]
            collapsed = len(members) > 1 or members[0].name != key
            extra = {"fillcolor": "#dfe7f3", "style": "rounded,filled,bold"} if collapsed else {}
            parent.node(
                ids[key],
                label=graphviz.nohtml(_box_label(key, members, feeds)),
                tooltip=graphviz.nohtml(graphviz.escape(key)),
                **extra,
            )
        for child in children.get(scope, []):
            with parent.subgraph(name=f"cluster_{clusters}") as sub:
                clusters += 1
                sub.attr(
                    label=graphviz.nohtml(graphviz.escape(child[-1])),
                    style="rounded,filled",
                    fillcolor="#f8f9fb",
                    color="#c5ccd8",
                    fontsize="10",
                    fontname="Helvetica",
                )
                emit(sub, child)

    emit(dot, ())


def _emit_edges(
    dot: graphviz.Digraph,
    nodes: Sequence[GraphNode],
    member_of: dict[str, str],
    ids: dict[str, str],
    max_edges: int,
) -> int:
    """The edges between the boxes drawn; how many weak ones were left out."""
    edges: Counter[tuple[str, str]] = Counter()
    for n in nodes:
        dst = member_of[n.name]
        if dst not in ids:
            continue
        for raw in n.inputs:
            src_name = _clean_input(raw)
            if src_name not in member_of:  # unknown, or a folded constant
                continue
            src = member_of[src_name]
            if src != dst and src in ids:
                edges[(src, dst)] += 1
    # Dense edges between collapsed scopes make dot slow and the picture unreadable:
    # keep the strongest connections (ties broken by name, so the output is stable).
    kept = sorted(edges.items(), key=lambda kv: (-kv[1], kv[0]))[:max_edges]
    for (src, dst), count in sorted(kept):
        if count > 1:
            dot.edge(ids[src], ids[dst], penwidth=f"{min(1.0 + count / 4, 4.0):.2f}")
        else:
            dot.edge(ids[src], ids[dst])
    return len(edges) - len(kept)


def layout(
    graph: Graph, *, max_nodes: int = MAX_NODES, title: str = "", fold_constants: bool = True
) -> GraphLayout:
    """Collapse ``graph`` by scope depth until it fits ``max_nodes`` and build DOT source.

    Constant feeders (:data:`CONSTANT_OPS`) are folded into their consumers' labels."""
    all_nodes = list(graph.nodes)
    by_name = {n.name: n for n in all_nodes}
    folded = _constant_feeders(all_nodes, by_name) if fold_constants else set()
    nodes = [n for n in all_nodes if n.name not in folded]
    feeds: Counter[str] = Counter()
    for n in nodes:
        feeds[n.name] = sum(1 for raw in n.inputs if _clean_input(raw) in folded)
    groups, depth, keys, dropped = _collapse(nodes, max_nodes)
    member_of = {n.name: key for key, members in groups.items() for n in members}
    dot = _digraph(title)
    # DOT ids are n0, n1, ...: names from logs only ever appear in (escaped) labels
    ids = {key: f"n{i}" for i, key in enumerate(keys)}
    _emit_boxes(dot, keys, groups, feeds, ids)
    dropped_edges = _emit_edges(dot, nodes, member_of, ids, max_nodes * 3)
    return GraphLayout(
        source=dot.source,
        nodes=len(all_nodes),
        folded=len(folded),
        boxes=len(keys),
        depth=depth,
        dropped=dropped,
        dropped_edges=dropped_edges,
    )


_ID = re.compile(r'\b(id|href|xlink:href)="(#?)([^"]*)"')


def clean_svg(svg: str, id_prefix: str) -> str:
    """Inline-ready SVG: no prolog, DOCTYPE, comments or namespaces; ids made unique."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)
    svg = re.sub(r"<title>[^<]*</title>\s*", "", svg)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = _ID.sub(lambda m: f'{m.group(1)}="{m.group(2)}{id_prefix}-{m.group(3)}"', svg)
    return svg.strip()


def dot_executable() -> str | None:
    """Path of Graphviz's ``dot``, or ``None``."""
    return shutil.which("dot")


def render_graph(
    graph: Graph,
    *,
    id_prefix: str,
    max_nodes: int = MAX_NODES,
    timeout: float = TIMEOUT,
    strict: bool = False,
) -> RenderedGraph:
    """Lay out and run ``dot -Tsvg``.

    Without ``dot`` (or when it fails or times out) the result has no SVG and an
    ``error``; with ``strict=True`` that raises :class:`GraphvizNotFoundError` /
    :class:`RenderError` instead.
    """
    lay = layout(graph, max_nodes=max_nodes)
    exe = dot_executable()
    if exe is None:
        if strict:
            raise GraphvizNotFoundError(
                "the Graphviz 'dot' executable was not found; install Graphviz (apt install "
                "graphviz, brew install graphviz), or drop --strict to get the DOT source instead"
            )
        message = (
            "the Graphviz 'dot' executable was not found; graphs are shown as DOT source. "
            "Install Graphviz (apt install graphviz, brew install graphviz) to draw them"
        )
        return RenderedGraph(layout=lay, error=message)
    try:
        proc = subprocess.run(
            [exe, "-Tsvg"],
            input=lay.source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        problem = f"dot took longer than {timeout:g} s on a {lay.boxes}-box graph"
        if strict:
            raise RenderError(
                f"{problem}; lower --max-graph-nodes or raise --graph-timeout"
            ) from None
        return RenderedGraph(layout=lay, error=f"{problem}; showing DOT source")
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        problem = f"dot failed ({'; '.join(detail) or f'exit {proc.returncode}'})"
        if strict:
            raise RenderError(problem)
        return RenderedGraph(layout=lay, error=f"{problem}; showing DOT source")
    return RenderedGraph(layout=lay, svg=clean_svg(proc.stdout.decode("utf-8"), id_prefix))
