"""A model graph as a tree of name scopes, and the views drawn of it.

Pure Python and numpy (no Graphviz): :func:`build_tree` folds constant feeders into
their consumers, sorts the nodes topologically, nests them by ``/`` name scope
(single-child scope chains merged: ``rnn/while``; scopes with more than a screenful of
children split into ordered groups), and numbers them so that every scope is one
interval of positions. :func:`plan_views` then picks what each picture shows: the
overview (the root, expanded level by level while at most ``budget`` boxes show), one
view per scope that shows collapsed somewhere (drawn when the reader opens it), and
the whole graph; the edges between the boxes of every view come from one vectorised
pass per view over the edge list.

Every step is linear in the size of the graph (names, nodes, edges), or a small
multiple of it per view, never recursive (3,000-deep scopes are fine), and checks a
:class:`Deadline` so that ``--graph-timeout`` bounds tbreport's own work as it bounds
``dot``'s.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import numpy.typing as npt

from tbreport.errors import RenderError
from tbreport.model import GraphNode

#: at most this many boxes in the overview and in each scope's view
BUDGET = 40
#: scopes nested deeper than this inside one view are drawn collapsed
VIEW_NESTING = 4
#: the whole-graph view nests clusters at most this deep
FULL_NESTING = 12
#: views (besides the overview and the whole graph) drawn per graph, and their boxes in all
MAX_VIEWS = 80
MAX_VIEW_BOXES = 1200
#: stubs ("from layer1", "to fc") per view and direction
MAX_STUBS = 10

#: ops that only feed constants into the real computation (TorchScript's attribute and
#: list plumbing, TF constants): folded into their consumers, as TensorBoard's graph
#: view sets such auxiliary nodes aside
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

#: TF's bookkeeping, drawn apart without its (many) connections, as TensorBoard's graph
#: view extracts such auxiliary nodes: checkpointing, initialisation, summaries
_AUX_SCOPE = re.compile(r"^(save|init|report_uninitialized_variables|summaries|Merge)(_\d+)?$")
_AUX_OP = re.compile(r"Summary(V\d)?$")
_AUX_NOOP = re.compile(r"^(init|init_all_tables|group_deps)(_\d+)?$")
SUMMARIES = "summaries"  # the scope a TF scope's summary ops are gathered into

_INPUT_INDEX = re.compile(r":\d+$")
_MODULE = re.compile(r"^([A-Za-z_][\w.]*)\[(.*)\]$")  # torch: Conv2d[conv1]
_TRACE_NAME = re.compile(r"^(?:[A-Za-z_]\w*\.)?\d+$")  # torch debug names: input.7, 943
_NUMBERED = re.compile(r"_\d+$")


class Deadline:
    """The time left for one graph: ``check()`` raises :class:`RenderError` once it is
    past. Shared by tbreport's layout code and ``dot``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise RenderError(f"laying out the graph took longer than {self.seconds:g} s")


class Scope:
    """A name scope (or a group of a big scope's children, ``chunk``)."""

    __slots__ = (
        "children",
        "chunk",
        "depth",
        "hi",
        "index",
        "items",
        "last",
        "lo",
        "ops",
        "parent",
        "parts",
        "rank",
        "size",
        "sub",
    )

    def __init__(self, parts: tuple[str, ...], parent: Scope | None, chunk: bool = False) -> None:
        self.parts = parts  # name components it adds (several after merging a chain)
        self.parent = parent
        self.chunk = chunk
        self.sub: dict[str, Scope] = {}  # child scopes by name component (while building)
        self.children: list[Scope] = []
        self.ops: list[int] = []  # direct member nodes
        self.items: list[Scope | int] = []  # children and ops, in topological order
        self.depth: int = 0 if parent is None else parent.depth + 1
        self.index = -1  # position in GraphTree.scopes (pre-order)
        self.size = 0  # ops in the subtree
        self.rank = 0  # smallest topological rank in the subtree
        self.last = -1  # the op of the subtree with the largest rank (its output)
        self.lo = self.hi = 0  # its ops hold the positions lo .. hi-1

    def __repr__(self) -> str:
        return f"Scope({'/'.join(self.parts)!r}, size={self.size})"


Item = Scope | int  # a scope or a node (its index in GraphTree.nodes)


@dataclass
class GraphTree:
    """A graph nested by scope: see the module docstring."""

    nodes: Sequence[GraphNode]
    flavor: str  # "torch", "keras" or "tf": how names read
    root: Scope
    scopes: list[Scope]  # pre-order; scopes[i].index == i
    kept: int  # nodes drawn (the others are folded constants)
    folded: int
    feeds: npt.NDArray[np.int32]  # folded inputs per node
    pos: npt.NDArray[np.int64]  # each node's position (-1: folded)
    owner: list[Scope | None]  # the scope directly holding each node (None: folded)
    src: npt.NDArray[np.int64]  # edges between kept nodes, as positions
    dst: npt.NDArray[np.int64]
    ctrl: npt.NDArray[np.bool_]  # control-only edges (``^name`` inputs)
    unknown_inputs: int = 0  # inputs naming no node of the graph
    rank: Sequence[int] = ()  # each node's place in topological order

    def order(self, item: Item) -> int:
        """Where an item's output comes in topological order (a scope: its last op's)."""
        node = item.last if isinstance(item, Scope) else item
        return self.rank[node] if 0 <= node < len(self.rank) else -1


def _clean_input(name: str) -> tuple[str, bool]:
    if name.startswith("^"):
        return name[1:], True
    return _INPUT_INDEX.sub("", name), False


def _flavor(nodes: Sequence[GraphNode], source: str) -> str:
    if source == "keras":
        return "keras"
    for n in nodes[:200]:
        if n.op.startswith(("aten::", "prim::", "onnx::")) or n.op == "IO Node":
            return "torch"
    return "tf"


def _edges(
    nodes: Sequence[GraphNode], deadline: Deadline
) -> tuple[list[tuple[int, int, bool]], int]:
    """Every (source, destination, control) between nodes of the graph, by index."""
    index: dict[str, int] = {}
    for i, n in enumerate(nodes):
        index.setdefault(n.name, i)
    edges: list[tuple[int, int, bool]] = []
    unknown = 0
    for i, n in enumerate(nodes):
        if not i & 4095:
            deadline.check()
        for raw in n.inputs:
            name, ctrl = _clean_input(raw)
            j = index.get(name)
            if j is None:
                unknown += 1
            elif j != i:
                edges.append((j, i, ctrl))
    return edges, unknown


def _topological(n: int, edges: Sequence[tuple[int, int, bool]]) -> list[int]:
    """Kahn's order; nodes on cycles (TF while loops) follow in their listed order."""
    indegree = [0] * n
    out: list[list[int]] = [[] for _ in range(n)]
    for s, d, _ in edges:
        indegree[d] += 1
        out[s].append(d)
    ready = [i for i in range(n) if not indegree[i]]
    ready.reverse()
    order: list[int] = []
    while ready:
        i = ready.pop()
        order.append(i)
        for j in reversed(out[i]):
            indegree[j] -= 1
            if not indegree[j]:
                ready.append(j)
    if len(order) < n:
        placed = set(order)
        order += [i for i in range(n) if i not in placed]
    return order


def _fold(
    nodes: Sequence[GraphNode],
    order: Sequence[int],
    inputs: Sequence[list[int]],
) -> list[bool]:
    """Constant feeders: an op of :data:`CONSTANT_OPS` whose inputs are all folded too.
    One pass in topological order (linear); a graph of nothing but constants stays."""
    folded = [False] * len(nodes)
    for i in order:
        if nodes[i].op in CONSTANT_OPS and all(folded[j] for j in inputs[i]):
            folded[i] = True
    if all(folded):
        return [False] * len(nodes)
    return folded


def _place(nodes: Sequence[GraphNode], kept: Sequence[int], deadline: Deadline) -> Scope:
    """Nest the kept nodes by scope. A node named like a scope goes inside it
    (TensorBoard does the same: ``Adam`` beside ``Adam/...``)."""
    root = Scope((), None)
    paths = []
    for k, i in enumerate(kept):
        if not k & 4095:
            deadline.check()
        parts = nodes[i].name.split("/")
        scope = root
        for part in parts[:-1]:
            child = scope.sub.get(part)
            if child is None:
                child = scope.sub[part] = Scope((part,), scope)
            scope = child
        paths.append((scope, parts[-1]))
    for i, (scope, leaf) in zip(kept, paths):
        inner = scope.sub.get(leaf)
        (inner if inner is not None else scope).ops.append(i)
    return root


def _gather_summaries(root: Scope, nodes: Sequence[GraphNode]) -> None:
    """A TF scope's summary ops (two or more) go into one ``summaries`` scope."""
    for s in _preorder(root):
        found = [i for i in s.ops if _AUX_OP.search(nodes[i].op)]
        if len(found) < 2:
            continue
        group = s.sub.get(SUMMARIES)
        if group is None:
            group = s.sub[SUMMARIES] = Scope((SUMMARIES,), s)
        taken = set(found)
        s.ops = [i for i in s.ops if i not in taken]
        group.ops.extend(found)


def is_aux(tree: GraphTree, item: Item) -> bool:
    """Whether ``item`` is TF bookkeeping (see :data:`_AUX_SCOPE`), drawn apart."""
    if tree.flavor != "tf":
        return False
    if isinstance(item, Scope):
        return not item.chunk and bool(item.parts) and bool(_AUX_SCOPE.match(item.parts[-1]))
    n = tree.nodes[item]
    leaf = n.name.rsplit("/", 1)[-1]
    return bool(_AUX_OP.search(n.op)) or (n.op == "NoOp" and bool(_AUX_NOOP.match(leaf)))


def _preorder(root: Scope, key: str = "sub") -> list[Scope]:
    out: list[Scope] = []
    stack = [root]
    while stack:
        s = stack.pop()
        out.append(s)
        kids = list(s.sub.values()) if key == "sub" else s.children
        stack.extend(reversed(kids))
    return out


def _merge_chains(root: Scope) -> None:
    """A scope holding nothing but one child scope becomes one scope (``a/b``)."""
    stack = list(root.sub.values())
    while stack:
        s = stack.pop()
        while not s.ops and len(s.sub) == 1:
            (child,) = s.sub.values()
            s.parts = s.parts + child.parts
            s.sub = child.sub
            s.ops = child.ops
        for c in s.sub.values():
            c.parent = s
            stack.append(c)


def _order_items(scopes: list[Scope], rank: Sequence[int]) -> None:
    """Sizes, ranks and items in topological order, bottom-up (reverse pre-order)."""
    for s in reversed(scopes):
        s.children = list(s.sub.values())
        s.sub = {}
        size = len(s.ops)
        best = min((rank[i] for i in s.ops), default=1 << 62)
        last = max(s.ops, key=rank.__getitem__, default=-1)
        for c in s.children:
            size += c.size
            best = min(best, c.rank)
            if c.last >= 0 and (last < 0 or rank[c.last] > rank[last]):
                last = c.last
        s.size, s.rank, s.last = size, best, last
        items: list[Item] = [*s.children, *s.ops]
        items.sort(key=lambda it: it.rank if isinstance(it, Scope) else rank[it])
        s.items = items


def _chunk(root: Scope, rank: Sequence[int], budget: int) -> None:
    """Split the items of a scope with more than ``budget`` of them into ordered groups
    of about ``sqrt(n)`` (at most ``budget`` groups), again inside a group if needed."""
    work = _preorder(root, key="children")
    while work:
        s = work.pop()
        n = len(s.items)
        if n <= budget:
            continue
        per = max(math.ceil(n / budget), math.isqrt(n - 1) + 1)
        groups: list[Item] = []
        for start in range(0, n, per):
            g = Scope((), s, chunk=True)
            g.items = s.items[start : start + per]
            g.children = [it for it in g.items if isinstance(it, Scope)]
            g.ops = [it for it in g.items if not isinstance(it, Scope)]
            for c in g.children:
                c.parent = g
            g.size = sum(c.size if isinstance(c, Scope) else 1 for c in g.items)
            g.rank = min(c.rank if isinstance(c, Scope) else rank[c] for c in g.items)
            lasts = [c.last if isinstance(c, Scope) else c for c in g.items]
            g.last = max((x for x in lasts if x >= 0), key=rank.__getitem__, default=-1)
            groups.append(g)
            work.append(g)
        s.items = groups
        s.children = [g for g in groups if isinstance(g, Scope)]
        s.ops = []


def _number(root: Scope, n: int) -> tuple[list[Scope], npt.NDArray[np.int64], list[Scope | None]]:
    """Pre-order scope indices and depths, node positions (each scope's ops hold one
    interval ``[lo, hi)``, its items in order) and the scope holding each node."""
    pos = np.full(n, -1, dtype=np.int64)
    owner: list[Scope | None] = [None] * n
    scopes: list[Scope] = []
    counter = 0
    stack: list[tuple[int, Scope | int]] = [(0, root)]  # (0 enter | 1 leave | 2 node, what)
    while stack:
        what, it = stack.pop()
        if what == 2:
            pos[it] = counter  # type: ignore[index]
            counter += 1
            continue
        it = cast(Scope, it)
        if what == 1:
            it.hi = counter
            continue
        it.index = len(scopes)
        it.depth = 0 if it.parent is None else it.parent.depth + 1
        scopes.append(it)
        it.lo = counter
        stack.append((1, it))
        for c in reversed(it.items):
            if isinstance(c, Scope):
                stack.append((0, c))
            else:
                owner[c] = it
                stack.append((2, c))
    return scopes, pos, owner


def build_tree(
    nodes: Sequence[GraphNode],
    *,
    source: str = "graph_def",
    deadline: Deadline | None = None,
    fold_constants: bool = True,
    budget: int = BUDGET,
) -> GraphTree:
    """The scope tree of ``nodes`` (see the module docstring)."""
    deadline = deadline or Deadline(math.inf)
    edges, unknown = _edges(nodes, deadline)
    inputs: list[list[int]] = [[] for _ in nodes]
    for s, d, _ in edges:
        inputs[d].append(s)
    deadline.check()
    order = _topological(len(nodes), edges)
    rank = [0] * len(nodes)
    for r, i in enumerate(order):
        rank[i] = r
    folded = _fold(nodes, order, inputs) if fold_constants else [False] * len(nodes)
    kept = [i for i in order if not folded[i]]
    deadline.check()
    flavor = _flavor(nodes, source)
    root = _place(nodes, kept, deadline)
    if flavor == "tf":
        _gather_summaries(root, nodes)
    _merge_chains(root)
    _order_items(_preorder(root), rank)
    deadline.check()
    _chunk(root, rank, budget)
    scopes, pos, owner = _number(root, len(nodes))
    deadline.check()
    feeds = np.zeros(len(nodes), dtype=np.int32)
    kept_edges = [(s, d, c) for s, d, c in edges if not folded[d] and not folded[s]]
    for s, d, _ in edges:
        if folded[s] and not folded[d]:
            feeds[d] += 1
    arr = np.array([(pos[s], pos[d], c) for s, d, c in kept_edges], dtype=np.int64).reshape(-1, 3)
    return GraphTree(
        nodes=nodes,
        flavor=flavor,
        root=root,
        scopes=scopes,
        kept=len(kept),
        folded=len(nodes) - len(kept),
        feeds=feeds,
        pos=pos,
        owner=owner,
        src=arr[:, 0].copy(),
        dst=arr[:, 1].copy(),
        ctrl=arr[:, 2].astype(bool),
        unknown_inputs=unknown,
        rank=rank,
    )


# --------------------------------------------------------------------------- views


@dataclass
class Edge:
    src: int  # index into View.boxes, or -1 - k for stub k
    dst: int
    count: int
    ctrl: bool  # every connection it stands for is a control input


@dataclass
class View:
    """One picture: ``root`` expanded, the scopes in ``clusters`` drawn as nested
    boxes, ``boxes`` the items drawn (collapsed scopes and ops), ``stubs`` the outside
    items that feed it or that it feeds (``(item, incoming)``)."""

    root: Scope
    clusters: list[Scope]
    boxes: list[Item]
    edges: list[Edge] = field(default_factory=list)
    stubs: list[tuple[Item, bool]] = field(default_factory=list)
    more_stubs: tuple[int, int] = (0, 0)  # sources / targets left out beyond MAX_STUBS
    aux: set[int] = field(default_factory=set)  # boxes drawn apart, without their edges
    parent: View | None = None
    starts: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    ids: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))


def item_id(item: Item) -> int:
    """A number for an item, unique within a tree: scopes >= 0, nodes < 0."""
    return item.index if isinstance(item, Scope) else -1 - item


def _expand(root: Scope, budget: int, nesting: int) -> tuple[list[Scope], list[Item]]:
    """Expand ``root`` level by level while at most ``budget`` boxes show."""
    clusters = [root]
    level = [root]
    count = len(root.items)
    for _ in range(nesting):
        candidates = [c for s in level for c in s.items if isinstance(c, Scope) and c.size > 1]
        if not candidates:
            break
        grown = count - len(candidates) + sum(len(c.items) for c in candidates)
        if grown > budget:
            break
        clusters += candidates
        level = candidates
        count = grown
    inside = {s.index for s in clusters}
    boxes: list[Item] = [
        it for s in clusters for it in s.items if not (isinstance(it, Scope) and it.index in inside)
    ]
    return clusters, boxes


def _locate(view: View, tree: GraphTree) -> None:
    starts = np.array(
        [b.lo if isinstance(b, Scope) else tree.pos[b] for b in view.boxes], dtype=np.int64
    )
    order = np.argsort(starts, kind="stable")
    view.starts = starts[order]
    view.ids = np.array([item_id(view.boxes[k]) for k in order], dtype=np.int64)
    view.boxes = [view.boxes[k] for k in order]


def _box_of(view: View, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Index into ``view.boxes`` of the box holding each position (inside the view)."""
    return np.searchsorted(view.starts, positions, side="right") - 1


def _outside_ids(view: View, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """For positions outside ``view``: the item standing for each in the nearest
    enclosing view that holds it (what the reader saw before opening this one)."""
    out = np.zeros(len(positions), dtype=np.int64)
    todo = np.arange(len(positions))
    outer = view.parent
    while outer is not None and len(todo):
        p = positions[todo]
        inside = (p >= outer.root.lo) & (p < outer.root.hi)
        hit = todo[inside]
        out[hit] = outer.ids[_box_of(outer, p[inside])]
        todo = todo[~inside]
        outer = outer.parent
    return out


def item_of(tree: GraphTree, key: int) -> Item:
    """The item of an :func:`item_id`."""
    return tree.scopes[key] if key >= 0 else -1 - key


def _connect(view: View, tree: GraphTree) -> None:
    """The view's edges (aggregated between boxes) and stubs."""
    lo, hi = view.root.lo, view.root.hi
    s_in = (tree.src >= lo) & (tree.src < hi)
    d_in = (tree.dst >= lo) & (tree.dst < hi)
    both = s_in & d_in
    bs, bd = _box_of(view, tree.src[both]), _box_of(view, tree.dst[both])
    ctrl = tree.ctrl[both]
    keep = bs != bd
    view.aux = {k for k, b in enumerate(view.boxes) if is_aux(tree, b)}
    if len(view.aux) == len(view.boxes):
        view.aux = set()
    aux = np.zeros(max(len(view.boxes), 1), dtype=bool)
    aux[list(view.aux)] = True
    keep &= ~aux[bs] & ~aux[bd]
    nb = max(len(view.boxes), 1)
    view.edges = _aggregate(bs[keep] * nb + bd[keep], ctrl[keep], nb)
    if view.parent is None:
        return
    stub_ids: dict[int, int] = {}
    for incoming, mask in ((True, d_in & ~s_in), (False, s_in & ~d_in)):
        inner = _box_of(view, (tree.dst if incoming else tree.src)[mask])
        outer = _outside_ids(view, (tree.src if incoming else tree.dst)[mask])
        ctrl = tree.ctrl[mask]
        real = ~aux[inner]
        inner, outer, ctrl = inner[real], outer[real], ctrl[real]
        found = _aggregate(outer * nb + inner, ctrl, nb)
        found = [e for e in found if not is_aux(tree, item_of(tree, e.src))]  # drawn apart
        kept = _rank_stubs(found)
        dropped = len({e.src for e in found}) - len({e.src for e in kept})
        view.more_stubs = (
            (dropped, view.more_stubs[1]) if incoming else (view.more_stubs[0], dropped)
        )
        for e in kept:
            outer_id, box = e.src, e.dst
            key = (outer_id << 1) | incoming
            if key not in stub_ids:
                stub_ids[key] = len(view.stubs)
                view.stubs.append((item_of(tree, outer_id), incoming))
            k = -1 - stub_ids[key]
            view.edges.append(
                Edge(k, box, e.count, e.ctrl) if incoming else Edge(box, k, e.count, e.ctrl)
            )


def _aggregate(keys: npt.NDArray[np.int64], ctrl: npt.NDArray[np.bool_], nb: int) -> list[Edge]:
    """Edges from ``key = a * nb + b`` codes: one per distinct pair, with counts."""
    if not len(keys):
        return []
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    data = np.bincount(inverse, weights=(~ctrl).astype(np.float64), minlength=len(uniq))
    a, b = np.divmod(uniq, nb)  # floor division keeps negative (item) ids right
    return [Edge(int(x), int(y), int(c), not d) for x, y, c, d in zip(a, b, counts, data > 0)]


def _rank_stubs(edges: list[Edge]) -> list[Edge]:
    """The edges of the :data:`MAX_STUBS` outside items with the most connections."""
    weight: dict[int, int] = {}
    for e in edges:
        weight[e.src] = weight.get(e.src, 0) + e.count
    top = set(sorted(weight, key=lambda k: (-weight[k], k))[:MAX_STUBS])
    return [e for e in edges if e.src in top]


@dataclass
class Plan:
    """What is drawn of a tree: the overview, the scope views, the whole graph."""

    overview: View
    views: dict[int, View]  # scope index -> its view (the overview's root included)
    full: View
    skipped_views: int = 0  # scopes that would have had a view beyond the caps


def plan_views(
    tree: GraphTree,
    *,
    budget: int = BUDGET,
    full_budget: int = 250,
    deadline: Deadline | None = None,
    max_views: int = MAX_VIEWS,
    max_view_boxes: int = MAX_VIEW_BOXES,
) -> Plan:
    """The overview, a view for every scope that shows collapsed (breadth first, within
    ``max_views`` and ``max_view_boxes``), and the whole graph (``full_budget`` boxes)."""
    deadline = deadline or Deadline(math.inf)
    overview = _make_view(tree, tree.root, None, budget, VIEW_NESTING)
    views = {tree.root.index: overview}
    queue = [overview]
    boxes = 0
    skipped = 0
    while queue:
        deadline.check()
        parent = queue.pop(0)
        for b in parent.boxes:
            if not isinstance(b, Scope) or b.size <= 1 or b.index in views:
                continue
            if len(views) > max_views or boxes > max_view_boxes:
                skipped += 1
                continue
            view = _make_view(tree, b, parent, budget, VIEW_NESTING)
            views[b.index] = view
            boxes += len(view.boxes)
            queue.append(view)
    deadline.check()
    full = _make_view(tree, tree.root, None, full_budget, FULL_NESTING)
    return Plan(overview, views, full, skipped)


def _make_view(
    tree: GraphTree,
    root: Scope,
    parent: View | None,
    budget: int,
    nesting: int,
) -> View:
    clusters, boxes = _expand(root, budget, nesting)
    view = View(root, clusters, boxes, parent=parent)
    _locate(view, tree)
    _connect(view, tree)
    return view


# --------------------------------------------------------------------------- labels

_CATEGORIES = (
    ("io", re.compile(r"^(io node|placeholder|inputlayer|input|iteratorgetnext)$")),
    ("conv", re.compile(r"conv")),
    ("norm", re.compile(r"norm")),
    ("linear", re.compile(r"linear|dense|matmul|addmm|gemm|einsum|embedding|^bmm$|^mm$")),
    (
        "act",
        re.compile(
            r"relu|sigmoid|tanh|gelu|softmax|softplus|elu$|silu|swish|mish|activation|hardtanh"
        ),
    ),
    ("pool", re.compile(r"pool|^mean$")),
    ("drop", re.compile(r"dropout")),
    ("merge", re.compile(r"^(add|addv2|add_|addn|concat|concatv2|cat|stack|mul|multiply)$")),
)
#: the legend of the colours (category, what it covers)
LEGEND = (
    ("conv", "convolution"),
    ("linear", "linear / matmul"),
    ("norm", "normalization"),
    ("act", "activation"),
    ("pool", "pooling"),
    ("merge", "add / concat"),
    ("io", "input / output"),
    ("scope", "module or scope (click to open)"),
)


def op_name(op: str) -> str:
    """An op without its namespace: ``aten::_convolution`` -> ``_convolution``."""
    return op.rsplit("::", 1)[-1] or op


def category(text: str) -> str:
    """The colour class of an op or layer class (``""``: none)."""
    t = op_name(text).lower().lstrip("_")
    for name, pattern in _CATEGORIES:
        if pattern.search(t):
            return name
    return ""


def visible(text: str, limit: int = 60) -> str:
    """``text`` with control, format and bidi characters made visible (``\\n``,
    ``\\u202e``) and cut in the middle beyond ``limit`` characters."""
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    text = "".join(out)
    if len(text) > limit:
        half = (limit - 1) // 2
        text = text[:half] + "…" + text[len(text) - (limit - 1 - half) :]
    return text


def fmt_shape(shape: Sequence[int]) -> str:
    return "×".join("?" if d < 0 else str(d) for d in shape) if shape else "scalar"


def _module(part: str) -> tuple[str, str] | None:
    m = _MODULE.match(part)
    return (m.group(1), m.group(2)) if m else None


def module_path(scope: Scope, limit: int = 40) -> str:
    """torch's dotted module path of a scope: ``layer1.0.conv1``."""
    names: list[str] = []
    s: Scope | None = scope
    while s is not None and len(names) < limit:
        for part in reversed(s.parts):
            m = _module(part)
            if m:
                names.append(m[1])
        s = s.parent
    return ".".join(reversed(names))


def scope_path(scope: Scope, tree: GraphTree, limit: int = 120) -> str:
    """The scope's name (``a/b/c``), cut in the middle when long or deep."""
    parts: list[str] = []
    s: Scope | None = scope
    while s is not None and s.parent is not None and len(parts) < limit:
        parts.extend(reversed(s.parts) if s.parts else [_chunk_name(s, tree)])
        s = s.parent
    more = "…/" if s is not None and s.parent is not None else ""
    return visible(more + "/".join(reversed(parts)), limit)


def _chunk_name(s: Scope, tree: GraphTree) -> str:
    """``[a … z]``: a group of a big scope's items, by its first and last."""
    if not s.items:
        return "[]"
    return f"[{_end_name(s.items[0], tree, 0)} … {_end_name(s.items[-1], tree, -1)}]"


def _end_name(item: Item, tree: GraphTree, end: int) -> str:
    while isinstance(item, Scope) and item.chunk and item.items:
        item = item.items[end]
    if isinstance(item, Scope):
        return visible(item_text(tree, item), 30)
    return visible(tree.nodes[item].name.rsplit("/", 1)[-1], 30)


@dataclass(frozen=True)
class Label:
    """What a box says: a bold ``title`` and a plain ``subtitle`` on its first line
    (``Conv2d`` ``layer1.0.conv1``), a small ``detail`` line (output shape, ops)."""

    title: str
    subtitle: str = ""
    detail: str = ""
    category: str = ""
    tooltip: str = ""

    @property
    def text(self) -> str:
        """Title and subtitle as one line of text."""
        return f"{self.title} {self.subtitle}" if self.subtitle else self.title


def _shape_of(tree: GraphTree, node: int) -> str:
    shapes = tree.nodes[node].output_shapes if node >= 0 else ()
    return " ".join(fmt_shape(s) for s in shapes[:2])


def _keras_brief(node: GraphNode) -> str:
    """``64 · 3×3 · relu``: what a Keras layer's config says it does."""
    a = node.attrs
    bits = [a[k] for k in ("units", "filters", "output_dim", "num_heads") if k in a]
    for key in ("kernel_size", "pool_size"):
        if key in a:
            bits.append(a[key].strip("[]").replace(", ", "×"))
    strides = a.get("strides", "").strip("[]").replace(" ", "")
    if strides and set(strides.split(",")) != {"1"} and strides != "None":
        bits.append("stride " + strides.replace(",", "×"))
    if "rate" in a:
        bits.append(f"rate {a['rate']}")
    act = a.get("activation", "")
    if act and act != "linear":
        bits.append(act)
    return " · ".join(visible(b, 20) for b in bits)


def _node_label(tree: GraphTree, node: int) -> tuple[str, str, str]:
    """(title, subtitle, detail) of one node."""
    n = tree.nodes[node]
    leaf = n.name.rsplit("/", 1)[-1]
    shape = _shape_of(tree, node)
    if tree.flavor == "keras":
        return n.op, visible(leaf, 40), _join(_keras_brief(n), shape)
    if tree.flavor == "torch":
        if n.op == "IO Node":
            head = n.name.split("/", 1)[0]
            sub = "" if _TRACE_NAME.match(leaf) else visible(leaf, 40)
            return visible(head, 40), sub, shape
        return op_name(n.op), "", shape
    op = n.op or "?"
    same = _NUMBERED.sub("", leaf).lower() == op.lower()
    return op, "" if same else visible(leaf, 40), shape


def _tooltip(tree: GraphTree, node: int) -> str:
    n = tree.nodes[node]
    lines = [visible(n.name, 300), f"op: {visible(n.op, 80)}"]
    if n.output_shapes:
        lines.append("output: " + ", ".join(fmt_shape(s) for s in n.output_shapes[:4]))
    if tree.feeds[node]:
        lines.append(f"+{tree.feeds[node]} constant/parameter inputs (folded)")
    shown = [(k, v) for k, v in n.attrs.items() if k and v and not k.startswith("_")]
    for k, v in shown[:4]:
        lines.append(f"{visible(k, 30)}: {visible(v, 60)}")
    if n.device:
        lines.append(f"device: {visible(n.device, 60)}")
    return "\n".join(lines)


def _join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def _names(tree: GraphTree, item: Item) -> tuple[str, str, str]:
    """(title, subtitle, category) of an item's box, without its tooltip."""
    if not isinstance(item, Scope):
        title, sub, _ = _node_label(tree, item)
        return visible(title, 40), sub, category(tree.nodes[item].op)
    s = item
    if s.chunk:
        return visible(_chunk_name(s, tree).strip("[]"), 50), "", "scope"
    if not s.parts:
        return "top level", "", "scope"
    module = _module(s.parts[-1]) if tree.flavor == "torch" else None
    if module is not None:
        kind, path = visible(module[0], 40), visible(module_path(s), 40)
        if s.size == 1 and s.last >= 0:
            return kind, path, category(module[0]) or category(tree.nodes[s.last].op)
        return kind, path, "scope"
    if s.size == 1 and s.last >= 0:
        return _names(tree, s.last)
    return visible("/".join(s.parts), 40), "", "scope"


def label(tree: GraphTree, item: Item) -> Label:
    """What the box of ``item`` says: module or op first, never a trace name."""
    title, sub, cat = _names(tree, item)
    if not isinstance(item, Scope):
        return Label(title, sub, _node_label(tree, item)[2], cat, _tooltip(tree, item))
    s = item
    if s.size == 1 and s.last >= 0:
        detail = _node_label(tree, s.last)[2]
        tip = _tooltip(tree, s.last)
        if tree.flavor == "torch" and s.parts and _module(s.parts[-1]):
            tip = f"{title} {sub}\n{tip}"  # the module, then its op
        return Label(title, sub, detail, cat, tip)
    ops = f"{s.size:,} ops"
    if s.chunk:
        n = f"{len(s.items):,} items"
        return Label(title, "", _join(n, ops), cat, _join(n, ops))
    # a TF scope's last op is rarely what it outputs (an Assign, a gradient)
    shape = _shape_of(tree, s.last) if tree.flavor != "tf" else ""
    return Label(title, sub, _join(shape, ops), cat, f"{scope_path(s, tree, 300)}\n{ops}")


def item_text(tree: GraphTree, item: Item) -> str:
    """A short one-line name of an item (stubs, groups): a torch module's path, a Keras
    layer's name, else the title."""
    if isinstance(item, Scope) and item.chunk:
        return _chunk_name(item, tree)
    title, sub, _ = _names(tree, item)
    if sub and tree.flavor in ("torch", "keras"):
        return sub
    return title


def stub_text(tree: GraphTree, item: Item, incoming: bool) -> str:
    return ("from " if incoming else "to ") + visible(item_text(tree, item), 40)
