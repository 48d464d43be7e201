"""Model graphs drawn by Graphviz: views of a scope tree -> DOT -> inline SVG.

:mod:`tbreport.render.graphtree` decides what each picture shows; this module writes
each view as DOT (HTML-like labels whose text is escaped, so ``a&b&amp;c`` is drawn
exactly so and nothing from a log is markup), runs ``dot -Tsvg`` once per batch of
views under what is left of the graph's time limit, and turns its SVG into compact
inline markup: no ids, titles, fonts or colours of its own (the page's CSS colours it
through variables, so graphs follow dark mode and print light), rectangles as
``<rect>``, text centred in its box, sized in CSS pixels at 1:1 (never shrunk: the
box around it scrolls). Without ``dot`` the caller gets the overview's DOT source.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from tbreport.errors import GraphvizNotFoundError, RenderError
from tbreport.render.graphtree import (
    Deadline,
    GraphTree,
    Item,
    Label,
    Scope,
    View,
    item_text,
    label,
    stub_text,
)

logger = logging.getLogger(__name__)

#: Default node cap of the whole-graph view, and the time limit (seconds) for all the
#: work on one graph, tbreport's and ``dot``'s.
MAX_NODES = 250
TIMEOUT = 30.0
#: DOT sources longer than this are not put in the report when ``dot`` is missing
MAX_SOURCE_CHARS = 200_000
#: one SVG user unit is a point; CSS pixels per point
PX_PER_PT = 4 / 3
#: the node font size in points (12 CSS px at 1:1), and the small detail line's
FONT_PT = 9.0
DETAIL_PT = 8.0

_GRAPH_ATTRS = (
    'graph [rankdir=TB nodesep=0.22 ranksep=0.3 fontname="Helvetica" fontsize=9 '
    'bgcolor="transparent" pad=0.08 margin=0 labeljust=l]\n'
    'node [shape=box fontname="Helvetica" fontsize=9 height=0.28 margin="0.09,0.04"]\n'
    "edge [arrowsize=0.55]\n"
)


def _esc(text: str) -> str:
    """Text for an HTML-like DOT label, drawn exactly as written: ``&``, ``<``, ``>``
    and quotes as entities, and backslashes doubled (Graphviz expands ``\\N``,
    ``\\G``... even in HTML-like labels, after decoding entities)."""
    return escape(text.replace("\\", "\\\\"), quote=True)


def html_label(lab: Label, *, detail_pt: float = DETAIL_PT) -> str:
    """``<<b>title</b> subtitle<br/><font point-size="8">detail</font>>``."""
    first = f"<b>{_esc(lab.title)}</b>" + (f" {_esc(lab.subtitle)}" if lab.subtitle else "")
    rows = [first]
    if lab.detail:
        rows.append(f'<font point-size="{detail_pt:g}">{_esc(lab.detail)}</font>')
    return "<" + "<br/>".join(rows) + ">"


@dataclass
class DotView:
    """A view's DOT source and the tooltips of its nodes and clusters by DOT name."""

    source: str
    titles: dict[str, str] = field(default_factory=dict)
    boxes: int = 0


def _box_attrs(tree: GraphTree, item: Item, link: Callable[[Scope], str | None]) -> str:
    lab = label(tree, item)
    classes = ["op"] if not isinstance(item, Scope) or item.size == 1 else []
    if lab.category:
        classes.append(lab.category)
    attrs = [f"label={html_label(lab)}", f'class="{" ".join(classes)}"']
    if isinstance(item, Scope) and item.size > 1:
        href = link(item)
        if href:
            attrs.append(f'href="#{href}"')
    return " ".join(attrs)


def _cluster_label(tree: GraphTree, scope: Scope) -> str:
    lab = label(tree, scope)
    sub = f" {_esc(lab.subtitle)}" if lab.subtitle else ""
    return f"<<b>{_esc(lab.title)}</b>{sub}>"


def view_dot(
    tree: GraphTree,
    view: View,
    *,
    name: str = "G",
    link: Callable[[Scope], str | None] = lambda s: None,
    brief: bool = False,
) -> DotView:
    """DOT source of ``view``: clusters nested as the scopes are, boxes in
    topological order, edges weighted by how many connections they stand for.
    ``brief``: tooltips say only the first line (a node's name), for big pictures."""
    out = DotView("")
    inside: dict[int, list[str]] = {}  # cluster scope index -> DOT lines
    drawn = {s.index for s in view.clusters}
    top: list[str] = []

    def holder(item: Item) -> list[str]:
        parent = item.parent if isinstance(item, Scope) else tree.owner[item]
        while parent is not None and parent.index not in drawn:
            parent = parent.parent
        if parent is None or (parent is view.root and view.parent is None):
            return top
        return inside.setdefault(parent.index, [])

    aux: list[str] = []
    for k, b in enumerate(view.boxes):
        dot_name = f"b{k}"
        (aux if k in view.aux else holder(b)).append(f"{dot_name} [{_box_attrs(tree, b, link)}]")
        tip = label(tree, b).tooltip
        out.titles[dot_name] = tip.split("\n", 1)[0] if brief else tip
    if aux:
        top.append(
            'subgraph cluster_aux { label=<<b>Auxiliary</b> (connections not drawn)> class="cl aux"'
        )
        top += aux
        top.append("}")
        main = [k for k in range(len(view.boxes)) if k not in view.aux]
        if main:  # below the last box of the computation, not beside the first
            last = max(main, key=lambda k: tree.order(view.boxes[k]))
            top.append(f"b{last} -> b{min(view.aux)} [style=invis]")
    for k, (item, incoming) in enumerate(view.stubs):
        text = _esc(stub_text(tree, item, incoming))
        top.append(f's{k} [label=<{text}> class="stub" style="dashed" fontsize=8 height=0.2]')
        out.titles[f"s{k}"] = item_text(tree, item)
    lines = [f"digraph {name} {{", _GRAPH_ATTRS.rstrip("\n")]
    lines += _clusters(tree, view, inside, out.titles)
    lines += top
    lines += _edge_lines(view)
    lines.append("}")
    out.source = "\n".join(lines) + "\n"
    out.boxes = len(view.boxes)
    return out


def _clusters(
    tree: GraphTree, view: View, inside: dict[int, list[str]], titles: dict[str, str]
) -> list[str]:
    """The nested ``subgraph cluster_N`` blocks (nesting is bounded by the view's)."""
    drawn = [s for s in view.clusters if not (s is view.root and view.parent is None)]
    index = {s.index for s in drawn}
    kids: dict[int, list[Scope]] = {}
    tops: list[Scope] = []
    for s in drawn:
        parent = s.parent
        while parent is not None and parent.index not in index:
            parent = parent.parent
        (kids.setdefault(parent.index, []) if parent is not None else tops).append(s)
    lines: list[str] = []
    stack: list[tuple[Scope, bool]] = [(s, False) for s in reversed(tops)]
    while stack:
        s, done = stack.pop()
        if done:
            lines.append("}")
            continue
        cname = f"cluster_{s.index}"
        titles[cname] = label(tree, s).tooltip
        lines.append(f'subgraph {cname} {{ label={_cluster_label(tree, s)} class="cl"')
        lines += inside.get(s.index, [])
        stack.append((s, True))
        stack.extend((c, False) for c in reversed(kids.get(s.index, [])))
    return lines


def _edge_lines(view: View) -> list[str]:
    lines = []
    for e in view.edges:
        a = f"b{e.src}" if e.src >= 0 else f"s{-1 - e.src}"
        b = f"b{e.dst}" if e.dst >= 0 else f"s{-1 - e.dst}"
        attrs = []
        if e.count > 1:
            attrs.append(f"penwidth={min(1.0 + e.count / 4, 3.5):.2f}")
        classes = []
        if e.ctrl:
            classes.append("ctrl")
            attrs.append("style=dashed")
        if e.src < 0 or e.dst < 0:
            classes.append("stubedge")
        if classes:
            attrs.append(f'class="{" ".join(classes)}"')
        lines.append(f"{a} -> {b}" + (f" [{' '.join(attrs)}]" if attrs else ""))
    return lines


# --------------------------------------------------------------------------- dot


def dot_executable() -> str | None:
    """Path of Graphviz's ``dot``, or ``None``."""
    return shutil.which("dot")


def run_dot(sources: Sequence[str], deadline: Deadline) -> list[str]:
    """SVG of each DOT source, from one ``dot -Tsvg`` run within ``deadline``.

    Raises :class:`GraphvizNotFoundError` without ``dot`` and :class:`RenderError`
    when it fails or runs out of time."""
    exe = dot_executable()
    if exe is None:
        raise GraphvizNotFoundError(
            "the Graphviz 'dot' executable was not found; install Graphviz (apt install "
            "graphviz, brew install graphviz) to draw graphs"
        )
    if not sources:
        return []
    left = deadline.left()
    if left <= 0:
        raise RenderError(f"no time left to run dot (--graph-timeout {deadline.seconds:g})")
    try:
        proc = subprocess.run(
            [exe, "-Tsvg"],
            input="".join(sources).encode("utf-8"),
            capture_output=True,
            timeout=left,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(f"dot took longer than {deadline.seconds:g} s") from None
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise RenderError(f"dot failed ({'; '.join(detail) or f'exit {proc.returncode}'})")
    svgs = [part + "</svg>" for part in proc.stdout.decode("utf-8").split("</svg>")[:-1]]
    if len(svgs) != len(sources):
        raise RenderError(f"dot drew {len(svgs)} of {len(sources)} graphs")
    return svgs


# --------------------------------------------------------------------------- SVG

#: the arrowhead every edge ends with (dot's own at ``arrowsize=0.55``): one marker in
#: the page (``ARROW_MARKER``) instead of a polygon per edge
ARROW_ID = "gv-arrow"
ARROW_MARKER = (
    '<svg class="gv-defs" width="0" height="0" aria-hidden="true"><defs>'
    f'<marker id="{ARROW_ID}" viewBox="0 0 10 7" refX="0" refY="3.5" markerWidth="5.5" '
    'markerHeight="3.85" markerUnits="userSpaceOnUse" orient="auto">'
    '<path d="M0,0L10,3.5L0,7z"/></marker></defs></svg>'
)
_ARROWHEAD = re.compile(r'(<g class="edge[^"]*">\s*<path[^>]*/>)\s*<polygon[^>]*/>')

_DROP = [
    re.compile(r"<\?xml[^>]*\?>\s*"),
    re.compile(r"<!DOCTYPE[^>]*>\s*"),
    re.compile(r"<!--.*?-->\s*", re.S),
    re.compile(r'<polygon fill="(?:white|transparent|none)" stroke="transparent"[^>]*/>\s*'),
    re.compile(r'\s(?:id|fill|stroke|font-family)="[^"]*"'),
    re.compile(r'\sfont-size="9\.00"'),
    re.compile(r'\sxmlns(?::\w+)?="[^"]*"'),
]
_GEOMETRY = re.compile(r'\s(d|points|x|y|width|height|transform)="([^"]*)"')
_DECIMALS = re.compile(r"-?\d+\.\d\d+")
_SVG_OPEN = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"\s+viewBox="([^"]*)"')
_TITLE = re.compile(r"<title>([^<]*)</title>\s*")
_LINK = re.compile(r'<g id="a_[^"]*"><a xlink:href="([^"]*)"[^>]*>')
_LINK_END = re.compile(r"</a>\s*</g>")
_RECT = re.compile(
    r'<polygon((?: [\w-]+="[^"]*")*) points="([-\d.]+),([-\d.]+) ([-\d.]+),([-\d.]+) ([-\d.]+),([-\d.]+) ([-\d.]+),([-\d.]+) [-\d.,]+"\s*/>'
)
_GROUP = re.compile(r'(<g class="node[^"]*">)(.*?)(</g>)', re.S)
_BOX = re.compile(r'<rect x="([-\d.]+)" y="[-\d.]+" width="([-\d.]+)"')
_CLUSTER = re.compile(r'(<g class="cluster[^"]*">)(.*?)(</g>)', re.S)
_TEXT = re.compile(r'<text text-anchor="\w+" x="([-\d.]+)" y="([-\d.]+)"([^>]*)>([^<]*)</text>\s*')


def _round(m: re.Match[str]) -> str:
    """Coordinates to 0.1 pt (0.13 CSS px): a fifth fewer bytes than dot's."""
    value = _DECIMALS.sub(lambda n: f"{float(n.group(0)):.1f}", m.group(2))
    return f' {m.group(1)}="{value}"'


def _rect(m: re.Match[str]) -> str:
    xs = [float(m.group(i)) for i in (2, 4, 6, 8)]
    ys = [float(m.group(i)) for i in (3, 5, 7, 9)]
    if len(set(xs)) != 2 or len(set(ys)) != 2:
        return m.group(0)
    x, y = min(xs), min(ys)
    return (
        f'<rect x="{x:g}" y="{y:g}" width="{max(xs) - x:g}" height="{max(ys) - y:g}"{m.group(1)}/>'
    )


def _lines(body: str) -> tuple[str, list[tuple[float, float, str]]]:
    """The text of a node or cluster as lines: ``body`` without its ``<text>``
    elements, and ``(x, y, markup)`` per line, runs of one line (a bold title and its
    plain subtitle) merged into one ``<text>`` of ``<tspan>`` elements."""
    lines: list[tuple[float, float, list[tuple[str, str]]]] = []
    for m in _TEXT.finditer(body):
        x, y, attrs, content = float(m.group(1)), float(m.group(2)), m.group(3), m.group(4)
        if lines and lines[-1][1] == y:
            lines[-1][2].append((attrs, content))
        else:
            lines.append((x, y, [(attrs, content)]))
    out = []
    for x, y, runs in lines:
        if len(runs) == 1:
            attrs, content = runs[0]
            out.append((x, y, f"{attrs}>{content}"))
        else:
            spans = "".join(f"<tspan{a}>{c}</tspan>" for a, c in runs)
            out.append((x, y, f">{spans}"))
    return _TEXT.sub("", body), out


def _centre(m: re.Match[str]) -> str:
    """A node's lines centred on its box (the browser's font may be a little wider or
    narrower than the one ``dot`` measured)."""
    head, body, tail = m.groups()
    box = _BOX.search(body)
    if box is None:
        return m.group(0)
    cx = float(box.group(1)) + float(box.group(2)) / 2
    rest, lines = _lines(body)
    # text-anchor: middle comes from the CSS (an attribute less per line)
    texts = "".join(f'<text x="{cx:.1f}" y="{y:g}"{t}</text>\n' for _, y, t in lines)
    end = rest.rfind("</a>")
    if end >= 0:  # keep the text inside the link, so it is clickable too
        return head + rest[:end] + texts + rest[end:] + tail
    return head + rest + texts + tail


def _cluster_labels(svg: str) -> str:
    """Cluster labels moved after the edges (with a halo in CSS), so an edge passing
    through a label never hides it."""
    labels: list[str] = []

    def take(m: re.Match[str]) -> str:
        head, body, tail = m.groups()
        rest, lines = _lines(body)
        labels.extend(f'<text class="cl-label" x="{x:g}" y="{y:g}"{t}</text>' for x, y, t in lines)
        return head + rest + tail

    svg = _CLUSTER.sub(take, svg)
    end = svg.rfind("</g>")
    if labels and end >= 0:
        svg = svg[:end] + "\n".join(labels) + "\n" + svg[end:]
    return svg


def clean_svg(svg: str, titles: dict[str, str], *, aria: str = "") -> str:
    """Inline-ready SVG from ``dot``'s (see the module docstring). ``titles``: the
    tooltip of each DOT node or cluster name (the ``<title>`` a browser shows)."""

    def title(m: re.Match[str]) -> str:
        text = titles.get(m.group(1))
        return f"<title>{escape(text, quote=False)}</title>" if text else ""

    svg = _TITLE.sub(title, svg)
    svg = _LINK.sub(r'<a href="\1">', svg)
    svg = _LINK_END.sub("</a>", svg)
    for pattern in _DROP:
        svg = pattern.sub("", svg)
    svg = _ARROWHEAD.sub(r"\1", svg)
    svg = _GEOMETRY.sub(_round, svg)
    svg = _RECT.sub(_rect, svg)
    svg = _GROUP.sub(_centre, svg)
    svg = _cluster_labels(svg)
    m = _SVG_OPEN.search(svg)
    if m:
        w, h = float(m.group(1)) * PX_PER_PT, float(m.group(2)) * PX_PER_PT
        box = " ".join(f"{float(v):g}" for v in m.group(3).split())
        label = f' role="img" aria-label="{escape(aria)}"' if aria else ""
        svg = (
            svg[: m.start()]
            + f'<svg class="gsvg" width="{w:.0f}" height="{h:.0f}" viewBox="{box}"{label}'
            + svg[m.end() :]
        )
    svg = re.sub(
        r'<g class="graph" transform="(?:scale\(1 1\) rotate\(0\) )?([^"]*)">',
        r'<g transform="\1">',
        svg,
    )
    return svg.strip()
