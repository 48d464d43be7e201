"""Meshes and point clouds: per mesh and run, the last step drawn from three angles.

TensorBoard's mesh dashboard is an interactive three.js viewer; a report is a static
page, so each mesh is drawn with matplotlib (``mplot3d``) from three fixed angles: a
three-quarter view, the front (looking along -z, as TensorBoard's camera starts) and
the top. Coordinates are read as three.js reads them, y up. Faces are shaded with
simple Lambert lighting from their normals (two-sided: winding order is not trusted),
lit from the viewer's upper left in every view; vertex colours, when logged, tint the
faces (the mean of their three vertices); without them a mesh is light grey, as in
TensorBoard, and a point cloud takes its run's colour. A point cloud (no faces) is
drawn as points, faded with depth.

Cost is bounded whatever the logdir holds: a mesh over :data:`MAIN_FACES` faces is
simplified by vertex clustering (vertices merged on a grid, faces that collapse
dropped) and a cloud over :data:`MAIN_POINTS` points is sampled (fixed seed, so the
report is reproducible), each with a note on its card; at most :data:`MAX_CARDS`
cards are drawn, and a section-wide budget of :data:`ELEMENT_BUDGET` input vertices
and faces stops further drawing with a note rather than a slow or failed build.

Earlier steps, and the other samples of a batch, are shown as small three-quarter
views under the main one (at most :data:`STRIP` of each).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tbreport.fmt import plural
from tbreport.model import MeshPoint, Run, Series
from tbreport.render.base import ChartSlot, Context, Group, Section, group_by_prefix, tagged

if TYPE_CHECKING:
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]

#: (caption, elevation, azimuth) in matplotlib's frame (z up; see _to_plot); all
#: orthographic, so sizes compare across views
VIEWS = (
    ("3/4 view", 24.0, -56.0),
    ("front (-z)", 0.0, -90.0),
    ("top (-y)", 90.0, -90.0),
)
#: the main figure (inches at 100 dpi: the card's width on a laptop screen)
MAIN_SIZE = (9.6, 3.3)
THUMB_SIZE = (1.9, 2.0)  # one thumbnail
#: faces / points drawn in each main view and in each thumbnail
MAIN_FACES = 5000
MAIN_POINTS = 8000
THUMB_FACES = 1500
THUMB_POINTS = 3000
#: earlier steps and other samples shown as thumbnails, at most this many of each
STRIP = 4
#: cards drawn in one report; later ones are listed with their numbers only
MAX_CARDS = 40
#: input vertices + faces the section may simplify and draw, over all cards
ELEMENT_BUDGET = 40_000_000
#: TensorBoard's mesh colour when none was logged
MESH_GREY = (0.63, 0.63, 0.63)
_AMBIENT = 0.32
_DIFFUSE = 0.68
#: how much of the axes box the bounding sphere's limits fill (tuned by eye: a
#: sphere touches the panel's edges, nothing is cut at any angle)
ZOOM = 1.6
#: the PNG palette: shaded surfaces band visibly with the line charts' 96 colours
PNG_COLORS = 256
_INK = "#444444"


# ------------------------------------------------------------------ the drawing spec


@dataclass(frozen=True, eq=False)
class Panel:
    """One view of one mesh: vertices in matplotlib's frame, faces or ``None`` for
    points, per-vertex RGB in [0, 1] or ``None`` (then ``base``)."""

    vertices: FloatArray
    faces: IntArray | None
    colors: FloatArray | None
    base: tuple[float, float, float]
    view: tuple[float, float]  # elevation, azimuth
    caption: str
    point_size: float = 1.0
    cull: int = 0  # +1 / -1: a closed mesh wound outward / inward (hide its back faces)


@dataclass(frozen=True, eq=False)
class MeshFigure:
    """A row of :class:`Panel` s, drawn by :func:`tbreport.render.charts.render_chart`."""

    panels: tuple[Panel, ...]
    size: tuple[float, float]
    png_colors: int = PNG_COLORS

    @property
    def margins(self) -> dict[str, float]:
        return {"left": 0.0, "right": 1.0, "top": 0.93, "bottom": 0.0, "wspace": 0.0}

    def draw(self, fig: Figure) -> None:
        for i, panel in enumerate(self.panels):
            ax = fig.add_subplot(1, len(self.panels), i + 1, projection="3d")
            draw_panel(ax, panel)


def camera(elev: float, azim: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The unit vectors toward the eye, to the screen's right and up (matplotlib frame)."""
    e, a = np.radians(elev), np.radians(azim)
    eye = np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
    right = np.array([-np.sin(a), np.cos(a), 0.0])
    up = np.cross(eye, right)
    return eye.astype(np.float32), right.astype(np.float32), up.astype(np.float32)


def lambert(
    vertices: FloatArray, faces: IntArray, view: tuple[float, float]
) -> npt.NDArray[np.float64]:
    """Each face's brightness in [ambient, 1]: two-sided Lambert from its normal, the
    light above-left of the viewer."""
    eye, right, up = camera(view[0], view[1])
    light = eye + 0.55 * up - 0.4 * right
    light /= np.linalg.norm(light)
    tri = vertices[faces].astype(np.float64)
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(normals, axis=1)
    cos = np.abs(normals @ light) / np.where(length > 0, length, 1.0)
    return np.asarray(_AMBIENT + _DIFFUSE * np.clip(cos, 0.0, 1.0))


def draw_panel(ax: Any, panel: Panel) -> None:
    """One view, on an ``Axes3D`` (``mpl_toolkits`` ships no type information): a
    shaded ``Poly3DCollection`` (faces) or a depth-faded scatter (points)."""
    from mpl_toolkits.mplot3d.art3d import (  # type: ignore[import-untyped]  # matplotlib: only when drawing
        Poly3DCollection,
    )

    elev, azim = panel.view
    v = panel.vertices
    faces = _front_faces(panel) if panel.faces is not None else None
    if faces is not None and len(faces):
        if panel.colors is not None:
            base = panel.colors[faces].mean(axis=1)
        else:
            base = np.tile(np.asarray(panel.base), (len(faces), 1))
        shade = np.clip(base * lambert(v, faces, panel.view)[:, None], 0.0, 1.0)
        # edges in the face colour hide the hairline seams between triangles
        poly = Poly3DCollection(v[faces], facecolors=shade, edgecolors=shade)
        poly.set_linewidth(1.0)
        poly.set_rasterized(True)  # an SVG of thousands of polygons would be megabytes
        ax.add_collection3d(poly)
    elif len(v):
        colors = panel.colors if panel.colors is not None else np.asarray([panel.base])
        ax.scatter(
            v[:, 0],
            v[:, 1],
            v[:, 2],
            c=colors,
            s=panel.point_size,
            linewidths=0,
            depthshade=True,
            rasterized=True,
        )
    _frame(ax, v)
    ax.set_proj_type("ortho")
    ax.view_init(elev=elev, azim=azim)
    ax.set_title(panel.caption, fontsize=8, color=_INK, pad=0)


def _front_faces(panel: Panel) -> IntArray:
    """The faces a closed mesh turns toward the viewer (all of them for an open or
    inconsistently wound one): back faces drawn over front ones are what the
    painter's algorithm of ``mplot3d`` gets wrong."""
    faces = panel.faces if panel.faces is not None else np.zeros((0, 3), np.int32)
    if not panel.cull or not len(faces):
        return faces
    eye, _, _ = camera(*panel.view)
    tri = panel.vertices[faces].astype(np.float64)
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return faces[(normals @ eye) * panel.cull >= 0]


def _frame(ax: Any, v: FloatArray) -> None:
    """Equal scales, the mesh's bounding sphere filling the view whatever the angle;
    no axes (as TensorBoard's viewer)."""
    if len(v):
        lo, hi = v.min(axis=0).astype(np.float64), v.max(axis=0).astype(np.float64)
        center = (lo + hi) / 2
        half = float(np.sqrt(((v.astype(np.float64) - center) ** 2).sum(axis=1).max()))
    else:
        center, half = np.zeros(3), 0.0
    half = half if half > 0 and np.isfinite(half) else 1.0
    ax.set_xlim(center[0] - half, center[0] + half)
    ax.set_ylim(center[1] - half, center[1] + half)
    ax.set_zlim(center[2] - half, center[2] + half)
    ax.set_box_aspect((1, 1, 1), zoom=ZOOM)
    ax.set_axis_off()


# ------------------------------------------------------------------ simplifying


@dataclass
class Shape:
    """One sample ready to draw: matplotlib frame, finite, within the budget."""

    vertices: FloatArray
    faces: IntArray | None
    colors: FloatArray | None
    note: str = ""
    cull: int = 0  # see Panel


def _to_plot(v: npt.NDArray[Any]) -> FloatArray:
    """three.js (x, y up, z toward the viewer) to matplotlib (x, y into the screen, z up)."""
    return np.stack([v[:, 0], -v[:, 2], v[:, 1]], axis=1).astype(np.float32)


def prepare(
    vertices: npt.NDArray[Any],
    faces: npt.NDArray[Any] | None,
    colors: npt.NDArray[Any] | None,
    max_faces: int,
    max_points: int,
) -> Shape:
    """One sample (``[N, 3]`` vertices, ``[F, 3]`` faces, ``[N, 3]`` uint8 colours) made
    drawable: scaled into the unit sphere (any magnitude draws), non-finite vertices
    and the faces using them left out, then simplified to ``max_faces`` faces or
    sampled to ``max_points`` points, with a note saying so."""
    finite = np.isfinite(vertices).all(axis=1)
    notes = []
    if not finite.all():
        notes.append(f"{plural(int((~finite).sum()), 'vertex', 'vertices')} not finite, left out")
    if not finite.any():
        return Shape(np.zeros((0, 3), np.float32), None, None, "; ".join(notes))
    verts = _to_plot(normalised(vertices, finite))
    rgb = None if colors is None else colors.astype(np.float32) / 255.0
    if faces is not None and len(faces):
        faces = faces[finite[faces].all(axis=1)]
        simplified = len(faces) > max_faces
        if simplified:
            total = len(faces)
            verts, faces, rgb = cluster(verts, faces, rgb, max_faces)
            notes.append(f"drawn with {len(faces):,} of {total:,} faces (simplified)")
        faces = faces.astype(np.int32)
        # clustering flips some faces: hiding "back" faces would punch holes
        cull = orientation(verts, faces) if not simplified else 0
        return Shape(verts, faces, rgb, "; ".join(notes), cull)
    keep = np.flatnonzero(finite)
    if len(keep) > max_points:
        total = len(keep)
        keep = np.sort(np.random.default_rng(0).choice(keep, max_points, replace=False))
        notes.append(f"{max_points:,} of {total:,} points drawn (sampled)")
    points = verts[keep]
    return Shape(points, None, None if rgb is None else rgb[keep], "; ".join(notes))


def normalised(vertices: npt.NDArray[Any], finite: npt.NDArray[np.bool_]) -> FloatArray:
    """The finite vertices moved and scaled into the unit sphere (in float64, so 1e38
    draws as well as 1); the others put at its centre, inside every bound."""
    with np.errstate(all="ignore"):
        v = np.where(finite[:, None], vertices.astype(np.float64), 0.0)
        scale = float(np.abs(v).max()) or 1.0
        v = v / scale
        good = v[finite]
        center = (good.min(axis=0) + good.max(axis=0)) / 2
        v = np.where(finite[:, None], v - center, 0.0)
        radius = float(np.sqrt((v * v).sum(axis=1).max())) or 1.0
        return (v / radius).astype(np.float32)


def orientation(vertices: FloatArray, faces: IntArray, tolerance: float = 0.02) -> int:
    """+1 if the faces close a surface wound outward (each edge met once each way, but
    for ``tolerance`` of them), -1 if wound inward, 0 if open or inconsistent."""
    n = np.int64(len(vertices))
    f = faces.astype(np.int64)
    tails = np.concatenate([f[:, 0], f[:, 1], f[:, 2]])
    heads = np.concatenate([f[:, 1], f[:, 2], f[:, 0]])
    forward, backward = tails * n + heads, heads * n + tails
    repeated = len(forward) - len(np.unique(forward))
    unmatched = int((~np.isin(backward, forward)).sum())
    if repeated + unmatched > tolerance * len(forward):
        return 0
    tri = vertices[faces].astype(np.float64)
    volume = float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum())
    scale = float(np.ptp(vertices, axis=0).prod()) if len(vertices) else 0.0
    if not np.isfinite(volume) or abs(volume) <= 1e-6 * scale:
        return 0
    return 1 if volume > 0 else -1


def cluster(
    vertices: FloatArray, faces: npt.NDArray[Any], colors: FloatArray | None, max_faces: int
) -> tuple[FloatArray, IntArray, FloatArray | None]:
    """Vertex-clustering simplification: vertices merged per cell of a grid (their mean
    position and colour), faces that collapse or repeat dropped; the grid coarsens
    until at most ``max_faces`` faces remain (then, if ever needed, a sample of them)."""
    lo = vertices.min(axis=0)
    span = float((vertices.max(axis=0) - lo).max()) or 1.0
    res = max(2, int(np.sqrt(max_faces / 2.0)))
    for _ in range(8):
        cells = np.minimum(((vertices - lo) / span * res).astype(np.int64), res - 1)
        keys = (cells[:, 0] * res + cells[:, 1]) * res + cells[:, 2]
        uniq, inverse = np.unique(keys, return_inverse=True)
        merged = _unique_faces(inverse.reshape(-1)[faces], len(uniq))
        if len(merged) <= max_faces or res == 2:
            break
        res = max(2, int(res * np.sqrt(max_faces / len(merged)) * 0.9))
    if len(merged) > max_faces:
        pick = np.random.default_rng(0).choice(len(merged), max_faces, replace=False)
        merged = merged[np.sort(pick)]
    inverse = inverse.reshape(-1)
    counts = np.bincount(inverse, minlength=len(uniq)).astype(np.float64)
    counts[counts == 0] = 1.0

    def mean(values: npt.NDArray[Any]) -> FloatArray:
        cols = [np.bincount(inverse, weights=values[:, k], minlength=len(uniq)) for k in range(3)]
        return (np.stack(cols, axis=1) / counts[:, None]).astype(np.float32)

    return mean(vertices), merged.astype(np.int32), None if colors is None else mean(colors)


def _unique_faces(faces: npt.NDArray[np.int64], n: int) -> npt.NDArray[np.int64]:
    """Faces with three distinct vertices, each triangle once (first kept, in order)."""
    faces = faces[
        (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    ]
    if not len(faces) or n >= 2_000_000:  # n ** 3 must fit an int64 key
        return faces
    s = np.sort(faces, axis=1)
    keys = (s[:, 0] * n + s[:, 1]) * n + s[:, 2]
    _, first = np.unique(keys, return_index=True)
    kept: npt.NDArray[np.int64] = faces[np.sort(first)]
    return kept


# ------------------------------------------------------------------ the section


@dataclass
class Strip:
    title: str
    chart: ChartSlot
    panels: int

    @property
    def width(self) -> float:
        """Its width in % of the main views', so thumbnails stay smaller on any screen."""
        return round(min(100.0, 100.0 * THUMB_SIZE[0] * self.panels / MAIN_SIZE[0]), 1)


@dataclass
class MeshCard:
    tag: str
    run: str
    color: str
    anchor: str
    step: int
    wall_time: float
    steps: int  # points logged for the tag in this run
    samples: int
    vertices: int
    faces: int
    colored: bool
    views: ChartSlot | None = None
    strips: list[Strip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Budget:
    """How many cards and input elements the section may still draw."""

    def __init__(self) -> None:
        self.cards = MAX_CARDS
        self.elements = ELEMENT_BUDGET
        self.skipped = 0

    def take(self, *points: MeshPoint) -> bool:
        """Spend what drawing one sample of each of ``points`` costs, if it is left."""
        cost = sum(p.vertex_count + p.face_count for p in points)
        if cost > self.elements:
            return False
        self.elements -= cost
        return True


def _rgb(color: str) -> tuple[float, float, float]:
    h = color.lstrip("#")
    if len(h) != 6:
        return MESH_GREY
    try:
        return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255)
    except ValueError:
        return MESH_GREY


def _shape(point: MeshPoint, sample: int, thumb: bool) -> Shape:
    return prepare(
        point.vertices[sample],
        None if point.faces is None else point.faces[sample],
        None if point.colors is None else point.colors[sample],
        THUMB_FACES if thumb else MAIN_FACES,
        THUMB_POINTS if thumb else MAIN_POINTS,
    )


def _panel(shape: Shape, base: tuple[float, float, float], view: Any, caption: str) -> Panel:
    n = len(shape.vertices)
    size = float(np.clip(2500.0 / max(n, 1), 0.4, 9.0))
    return Panel(shape.vertices, shape.faces, shape.colors, base, view, caption, size, shape.cull)


def _base(point: MeshPoint, run_color: str) -> tuple[float, float, float]:
    """The colour of a mesh without vertex colours: the config's material colour, else
    TensorBoard's grey; a point cloud takes the run's colour (as TensorBoard draws it)."""
    material = point.config_dict().get("material")
    if isinstance(material, dict) and isinstance(material.get("color"), str):
        return _rgb(material["color"])
    return MESH_GREY if point.faces is not None else _rgb(run_color)


def _views(point: MeshPoint, card: MeshCard, ctx: Context) -> None:
    if not point.samples or not point.vertex_count:
        empty = "the batch is empty" if not point.samples else "no vertices"
        card.notes.append(f"nothing to draw: {empty}")
        return
    shape = _shape(point, 0, thumb=False)
    if shape.note:
        card.notes.append(shape.note)
    if not len(shape.vertices):
        card.notes.append("no finite vertex to draw")
        return
    base = _base(point, card.color)
    panels = tuple(_panel(shape, base, v[1:], v[0]) for v in VIEWS)
    alt = f"mesh {card.tag} of run {card.run} at step {card.step}: {', '.join(v[0] for v in VIEWS)}"
    card.views = ctx.chart(MeshFigure(panels, MAIN_SIZE), alt)


def _thumbs(items: list[tuple[MeshPoint, int, str]], card: MeshCard, ctx: Context) -> ChartSlot:
    panels = []
    for point, sample, caption in items:
        shape = _shape(point, sample, thumb=True)
        panels.append(_panel(shape, _base(point, card.color), VIEWS[0][1:], caption))
    alt = f"mesh {card.tag} of run {card.run}: {', '.join(c for _, _, c in items)}"
    return ctx.chart(MeshFigure(tuple(panels), (THUMB_SIZE[0] * len(panels), THUMB_SIZE[1])), alt)


def _strips(points: list[MeshPoint], card: MeshCard, budget: _Budget, ctx: Context) -> None:
    last = points[-1]
    if last.samples > 1:
        shown = min(last.samples, STRIP + 1)
        if budget.take(*[last] * (shown - 1)):
            items = [(last, s, f"sample {s + 1}") for s in range(1, shown)]
            title = "the batch's other samples"
            if shown < last.samples:
                title += f" ({shown - 1} of {last.samples - 1})"
            card.strips.append(Strip(title, _thumbs(items, card, ctx), len(items)))
    earlier = [p for p in points[:-1] if p.samples and p.vertex_count]
    if earlier:
        at = np.unique(np.linspace(0, len(earlier) - 1, min(STRIP, len(earlier))).round())
        chosen = [earlier[int(i)] for i in at]
        if budget.take(*chosen):
            items = [(p, 0, f"step {p.step:,}") for p in chosen]
            title = "earlier steps"
            if len(chosen) < len(earlier):
                title += f" ({len(chosen)} of {len(earlier)})"
            card.strips.append(Strip(title, _thumbs(items, card, ctx), len(items)))


def _card(run: Run, series: Series[MeshPoint], budget: _Budget, ctx: Context) -> MeshCard:
    points = series.points
    last = points[-1]
    card = MeshCard(
        series.tag,
        run.name,
        ctx.colors[run.name],
        ctx.anchors.make("mesh", series.tag, run.name),
        last.step,
        last.wall_time,
        len(points),
        last.samples,
        last.vertex_count,
        last.face_count,
        last.colors is not None,
    )
    if budget.cards <= 0 or not budget.take(last):
        budget.skipped += 1
        card.notes.append("not drawn: the report's drawing budget for meshes is spent")
        return card
    budget.cards -= 1
    _views(last, card, ctx)
    if card.views is not None:
        _strips(points, card, budget, ctx)
    return card


def build(runs: Sequence[Run], ctx: Context) -> Section | None:
    by_tag = tagged(runs, lambda r: r.meshes, ctx)
    if not by_tag:
        return None
    section = Section(
        kind="meshes",
        title="Meshes",
        anchor="meshes",
        template="kinds/mesh.html.j2",
        count=len(by_tag),
        data={"views": [v[0] for v in VIEWS]},
    )
    budget = _Budget()
    for prefix, tags in group_by_prefix(by_tag).items():
        items = [_card(run, series, budget, ctx) for tag in tags for run, series in by_tag[tag]]
        section.groups.append(Group(prefix, ctx.anchors.make("meshes", prefix), items))
    if budget.skipped:
        ctx.note(
            f"{plural(budget.skipped, 'mesh card')} not drawn: the report draws at most "
            f"{MAX_CARDS} meshes ({ELEMENT_BUDGET:,} vertices and faces); pick fewer with --tags"
        )
    return section
