"""The mesh section: a card per mesh and run, the last step drawn from three angles
(shaded from the face normals, vertex colours when logged, point clouds as points),
earlier steps and other samples as thumbnails, and a bounded cost however big the mesh."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from tbreport import SummaryWriter, build_report
from tbreport.model import MeshPoint, Run, Series
from tbreport.options import BuildOptions
from tbreport.render import mesh
from tbreport.render.base import Context
from tbreport.render.charts import render_chart

#: a cube wound counter-clockwise seen from outside
CUBE_V = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], np.float32)
_QUADS = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
CUBE_F = np.array([t for a, b, c, d in _QUADS for t in ((a, b, c), (a, c, d))], np.int32)


def sphere(n: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32]]:
    """A UV sphere of about ``n * n`` faces (open at the poles)."""
    u, w = np.meshgrid(np.linspace(0, 2 * np.pi, n, endpoint=False), np.linspace(0.05, 3.09, n))
    pts = np.stack([np.cos(u) * np.sin(w), np.cos(w), np.sin(u) * np.sin(w)], -1).reshape(-1, 3)
    idx = np.arange(n * n).reshape(n, n)
    a, b = idx[:-1], np.roll(idx, -1, axis=1)[:-1]
    c, d = idx[1:], np.roll(idx, -1, axis=1)[1:]
    faces = np.concatenate([np.stack([a, b, d], -1), np.stack([a, d, c], -1)]).reshape(-1, 3)
    return pts.astype(np.float32), faces.astype(np.int32)


def point(step: int, vertices: npt.NDArray[np.float32], **kw: Any) -> MeshPoint:
    return MeshPoint(step, float(step), vertices, **kw)


def run_with(**meshes: list[MeshPoint]) -> Run:
    return Run("r", "r", meshes={t: Series(t, points=p) for t, p in meshes.items()})


def ctx() -> Context:
    return Context(options=BuildOptions(), colors={"r": "#1f77b4"})


def pixels(spec: mesh.MeshFigure) -> npt.NDArray[np.uint8]:
    rendered = render_chart(spec, "png")
    data = base64.b64decode(rendered.data_uri.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_a_card_per_mesh_and_run_with_three_views_and_thumbnails() -> None:
    cube = [point(s, CUBE_V[None] * (s + 1), faces=CUBE_F[None]) for s in range(6)]
    batch = np.random.default_rng(0).normal(size=(3, 50, 3)).astype(np.float32)
    run = run_with(**{"shapes/cube": cube, "cloud": [point(9, batch)]})
    c = ctx()
    section = mesh.build([run], c)
    assert section is not None and section.count == 2 and section.kind == "meshes"
    assert [g.title for g in section.groups] == ["cloud", "shapes"]
    cloud_card = section.groups[0].items[0]
    cube_card = section.groups[1].items[0]
    assert (cube_card.step, cube_card.steps, cube_card.vertices, cube_card.faces) == (5, 6, 8, 12)
    assert cube_card.views is not None
    assert [p.caption for p in cube_card.views.spec.panels] == [v[0] for v in mesh.VIEWS]
    (earlier,) = cube_card.strips
    assert earlier.title == "earlier steps (4 of 5)"
    assert [p.caption for p in earlier.chart.spec.panels] == [f"step {s}" for s in (0, 1, 3, 4)]
    assert earlier.width == pytest.approx(100 * 4 * 1.9 / 9.6, abs=0.1)  # as wide as in the views
    (samples,) = cloud_card.strips
    assert samples.title == "the batch's other samples"
    assert [p.caption for p in samples.chart.spec.panels] == ["sample 2", "sample 3"]
    assert cloud_card.faces == 0 and cloud_card.samples == 3
    assert len(c.charts) == 4 and c.notes == []


def test_the_cube_is_shaded_by_its_face_normals() -> None:
    spec = mesh.MeshFigure(
        (
            mesh.Panel(
                mesh._to_plot(CUBE_V),
                CUBE_F,
                None,
                mesh.MESH_GREY,
                mesh.VIEWS[0][1:],
                "3/4",
                1.0,
                1,
            ),
        ),
        (3.0, 3.0),
    )
    img = pixels(spec)
    grey = img[(np.ptp(img.astype(int), axis=2) < 8) & (img.sum(axis=2) < 700)]
    levels = {tuple(v) for v in np.unique(grey // 12, axis=0)}
    # three faces in view, three brightnesses (lit from the viewer's upper left)
    big = [lv for lv in levels if (grey // 12 == lv).all(axis=1).sum() > 2000]
    assert len(big) == 3, big
    brightness = sorted(int(sum(lv)) for lv in big)
    assert brightness[0] < brightness[1] < brightness[2]


def test_the_dark_twin_darkens_the_panel_and_keeps_the_shading() -> None:
    from tbreport.render.charts import DARK_THEME

    red = np.tile(np.array([[255, 0, 0]], np.uint8), (8, 1))
    shape = mesh.prepare(CUBE_V, CUBE_F, red, 100, 100)
    spec = mesh.MeshFigure(
        (mesh._panel(shape, mesh.MESH_GREY, mesh.VIEWS[0][1:], "3/4"),), (3.0, 3.0)
    )
    r = render_chart(spec, "png", dark=True)
    light, dark = (
        np.asarray(Image.open(io.BytesIO(base64.b64decode(u.split(",", 1)[1]))).convert("RGB"))
        for u in (r.data_uri, r.dark_uri)
    )
    bg = tuple(int(DARK_THEME["#ffffff"][i : i + 2], 16) for i in (1, 3, 5))
    assert tuple(light[0, 0]) == (255, 255, 255) and tuple(dark[0, 0]) == bg
    # the shaded faces are data: the same pixels on either page
    faces = (light[..., 0] > 60) & (light[..., 1] < 30) & (light[..., 2] < 30)
    assert faces.sum() > 10_000
    diff = np.abs(light[faces].astype(int) - dark[faces].astype(int)).max(axis=1)
    assert np.percentile(diff, 95) <= 8  # (edge pixels blend into either background)


def test_shading_is_a_smooth_ramp_not_a_dozen_bands() -> None:
    verts, faces = sphere(60)
    shape = mesh.prepare(verts, faces, None, mesh.MAIN_FACES, mesh.MAIN_POINTS)
    spec = mesh.MeshFigure((mesh._panel(shape, mesh.MESH_GREY, mesh.VIEWS[1][1:], ""),), (3, 3))
    img = pixels(spec).astype(int)
    greys = {tuple(p) for p in img[np.ptp(img, axis=2) < 4].tolist()}
    assert len(greys) > 60  # the line charts' 96-colour octree would leave about 13


def test_vertex_colours_tint_faces_and_clouds_take_the_run_colour() -> None:
    red = np.tile(np.array([[255, 0, 0]], np.uint8), (8, 1))
    shape = mesh.prepare(CUBE_V, CUBE_F, red, 100, 100)
    spec = mesh.MeshFigure(
        (mesh._panel(shape, mesh.MESH_GREY, mesh.VIEWS[0][1:], "3/4"),), (3.0, 3.0)
    )
    img = pixels(spec).astype(int)
    reddish = (img[..., 0] > 60) & (img[..., 1] < 30) & (img[..., 2] < 30)
    assert reddish.sum() > 10_000
    cloud = point(0, np.random.default_rng(0).normal(size=(1, 400, 3)).astype(np.float32))
    assert mesh._base(cloud, "#1f77b4") == pytest.approx((0x1F / 255, 0x77 / 255, 0xB4 / 255))
    assert mesh._base(point(0, CUBE_V[None], faces=CUBE_F[None]), "#1f77b4") == mesh.MESH_GREY
    configured = point(
        0, CUBE_V[None], faces=CUBE_F[None], config='{"material": {"color": "#ff0000"}}'
    )
    assert mesh._base(configured, "#1f77b4") == (1.0, 0.0, 0.0)


def test_closed_meshes_hide_their_back_faces() -> None:
    plot = mesh._to_plot(CUBE_V)
    assert mesh.orientation(plot, CUBE_F) == 1
    assert mesh.orientation(plot, CUBE_F[:, ::-1].copy()) == -1
    assert mesh.orientation(plot, CUBE_F[:-2]) == 0  # a face missing: open
    mixed = CUBE_F.copy()
    mixed[::3] = mixed[::3, ::-1]
    assert mesh.orientation(plot, mixed) == 0  # inconsistent winding: every face drawn
    panel = mesh.Panel(plot, CUBE_F, None, mesh.MESH_GREY, mesh.VIEWS[0][1:], "", 1.0, 1)
    assert len(mesh._front_faces(panel)) == 6  # three sides of two triangles


def test_huge_meshes_are_simplified_and_huge_clouds_sampled() -> None:
    verts, faces = sphere(400)  # 319,200 faces
    shape = mesh.prepare(verts, faces, None, mesh.MAIN_FACES, mesh.MAIN_POINTS)
    assert shape.faces is not None and 500 < len(shape.faces) <= mesh.MAIN_FACES
    assert shape.note == f"drawn with {len(shape.faces):,} of {len(faces):,} faces (simplified)"
    assert shape.cull == 0  # clustering flips faces: nothing hidden
    radius = np.linalg.norm(shape.vertices, axis=1)
    assert radius.max() <= 1.0 + 1e-5 and radius.mean() > 0.9  # still the unit sphere
    cloud = np.random.default_rng(0).normal(size=(200_000, 3)).astype(np.float32)
    shape = mesh.prepare(cloud, None, None, mesh.MAIN_FACES, mesh.MAIN_POINTS)
    assert len(shape.vertices) == mesh.MAIN_POINTS
    assert shape.note == f"{mesh.MAIN_POINTS:,} of 200,000 points drawn (sampled)"
    again = mesh.prepare(cloud, None, None, mesh.MAIN_FACES, mesh.MAIN_POINTS)
    assert np.array_equal(again.vertices, shape.vertices)  # reproducible reports


def test_non_finite_vertices_are_left_out() -> None:
    verts = CUBE_V.copy()
    verts[0] = np.nan
    shape = mesh.prepare(verts, CUBE_F, None, 100, 100)
    assert shape.note == "1 vertex not finite, left out"
    assert shape.faces is not None and not (shape.faces == 0).any() and len(shape.faces) == 6
    nothing = np.full((1, 4, 3), np.inf, np.float32)
    c = ctx()
    section = mesh.build([run_with(bad=[point(0, nothing)])], c)
    assert section is not None
    card = section.groups[0].items[0]
    assert card.views is None
    assert card.notes == ["4 vertices not finite, left out", "no finite vertex to draw"]


def test_any_magnitude_draws_and_empty_meshes_say_so() -> None:
    for scale in (1e-30, 1.0, 1e30, 3e38):
        verts = (CUBE_V * np.float32(scale)).astype(np.float32)
        shape = mesh.prepare(verts, CUBE_F, None, 100, 100)
        radius = np.linalg.norm(shape.vertices, axis=1)
        assert np.allclose(radius, 1.0, atol=1e-5), scale  # the cube's corners
        assert shape.cull == 1
    huge = point(0, (CUBE_V * np.float32(3e38))[None], faces=CUBE_F[None])
    c = ctx()
    section = mesh.build(
        [
            run_with(
                huge=[huge],
                empty_batch=[point(0, np.zeros((0, 4, 3), np.float32))],
                no_vertices=[point(0, np.zeros((1, 0, 3), np.float32))],
            )
        ],
        c,
    )
    assert section is not None
    cards = {card.tag: card for g in section.groups for card in g.items}
    assert cards["huge"].views is not None and cards["huge"].notes == []
    pixels(cards["huge"].views.spec)  # draws
    assert cards["empty_batch"].notes == ["nothing to draw: the batch is empty"]
    assert cards["no_vertices"].notes == ["nothing to draw: no vertices"]


def test_the_drawing_budget_bounds_the_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mesh, "MAX_CARDS", 2)
    run = run_with(**{f"m{i}": [point(0, CUBE_V[None], faces=CUBE_F[None])] for i in range(5)})
    c = ctx()
    section = mesh.build([run], c)
    assert section is not None
    cards = [card for g in section.groups for card in g.items]
    assert [card.views is not None for card in cards] == [True, True, False, False, False]
    assert cards[2].notes == ["not drawn: the report's drawing budget for meshes is spent"]
    assert c.notes == [
        "3 mesh cards not drawn: the report draws at most 2 meshes (40,000,000 vertices "
        "and faces); pick fewer with --tags"
    ]


def test_svg_charts_keep_meshes_as_pictures() -> None:
    verts, faces = sphere(60)
    shape = mesh.prepare(verts, faces, None, mesh.MAIN_FACES, mesh.MAIN_POINTS)
    panels = tuple(mesh._panel(shape, mesh.MESH_GREY, v[1:], v[0]) for v in mesh.VIEWS)
    rendered = render_chart(mesh.MeshFigure(panels, mesh.MAIN_SIZE), "svg")
    assert rendered.svg.count("<image") == 3  # rasterised: not thousands of paths
    assert rendered.svg.count("<path") < 50 and len(rendered.svg) < 600_000


def test_the_report_shows_meshes(tmp_path: Path) -> None:
    verts, faces = sphere(20)
    with SummaryWriter(tmp_path / "logs" / "a") as w:
        w.add_mesh("blob", verts[None], faces=faces[None], global_step=1)
        w.add_mesh("cloud", verts[None], colors=np.full((1, len(verts), 3), 200), global_step=1)
        w.add_mesh("cloud", verts[None], global_step=2)
    html = build_report(tmp_path / "logs", tmp_path / "r.html", progress=False).read_text("utf-8")
    assert 'id="meshes"' in html and '<h4 class="tag">blob</h4>' in html
    assert "<li><b>3</b> meshes</li>" in html  # the header count, pluralised
    # two main views and a thumbnail strip, each with its dark twin (a dark page)
    assert html.count('<img class="chart lt"') == html.count('<img class="chart-dark"') >= 3
    assert "earlier steps" in html and "point cloud" in html
