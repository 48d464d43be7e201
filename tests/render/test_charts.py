"""Drawing a chart spec: deterministic, quantised PNG; inline-ready, salted SVG."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from tbreport.render.charts import render_chart
from tbreport.render.colors import run_colors
from tbreport.render.lines import LineChart, line_chart, prepare_series

if TYPE_CHECKING:
    pass


def _spec(n_runs: int = 3, n: int = 500) -> LineChart:
    rng = np.random.default_rng(0)
    colors = run_colors([f"r{i}" for i in range(n_runs)])
    lines = []
    for i in range(n_runs):
        v = np.exp(-np.arange(n) / 100) + rng.normal(0, 0.05, n)
        v[10] = np.nan
        v[20] = 1e30
        lines.append(
            prepare_series(
                np.arange(n), np.arange(n) * 1.0, v, color=colors[f"r{i}"], smoothing=0.6
            )
        )
    spec, beyond = line_chart(lines)
    assert beyond >= n_runs  # the 1e30 spikes
    return spec


def test_png_is_deterministic_quantised_and_small() -> None:
    import base64
    import io

    from PIL import Image

    spec = _spec()
    a, b = render_chart(spec, "png"), render_chart(spec, "png")
    assert a == b
    assert a.data_uri.startswith("data:image/png;base64,")
    png = base64.b64decode(a.data_uri.split(",", 1)[1])
    with Image.open(io.BytesIO(png)) as img:
        assert img.mode == "P"  # palette: quantised
        # a line chart: its CSS size in the <img>, twice as many pixels in the PNG
        assert (a.width, a.height) == (480, 240) and img.size == (960, 480)
        assert not img.info.get("Software")
    assert len(png) < 60_000


def test_svg_is_deterministic_inline_ready_and_salted() -> None:
    spec = _spec()
    a, b = render_chart(spec, "svg", salt="s1"), render_chart(spec, "svg", salt="s1")
    assert a.svg == b.svg and a.svg.startswith("<svg")
    assert "http" not in a.svg and "<?xml" not in a.svg and "DOCTYPE" not in a.svg
    assert "<metadata" not in a.svg
    # matplotlib's "*{stroke-linejoin...}" would be a page-wide rule, once per chart
    assert "<style" not in a.svg and "*{" not in a.svg
    c = render_chart(spec, "svg", salt="s2")
    assert c.svg != a.svg  # ids differ between charts of one page


def test_render_rejects_unknown_format() -> None:
    with pytest.raises(ValueError, match="png or svg"):
        render_chart(_spec(), "gif")


def _pixels(uri: str) -> np.ndarray:
    import base64
    import io

    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as img:
        return np.asarray(img.convert("RGB"), dtype=np.int16)


def _nearest(pixels: np.ndarray, color: str) -> float:
    """How far (max channel difference) the pixel closest to ``color`` is from it."""
    rgb = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    return float(np.abs(pixels.reshape(-1, 3) - rgb).max(axis=1).min())


def test_a_dark_twin_is_drawn_on_request_and_the_light_chart_is_unchanged() -> None:
    from tbreport.render.charts import DARK_THEME
    from tbreport.render.colors import dark_variant

    spec = _spec()
    light, both = render_chart(spec, "png"), render_chart(spec, "png", dark=True)
    assert light.dark_uri == "" and both.data_uri == light.data_uri
    assert both == render_chart(spec, "png", dark=True)  # deterministic too
    lp, dp = _pixels(light.data_uri), _pixels(both.dark_uri)
    assert lp.shape == dp.shape
    assert lp.mean() / 255 > 0.85 and dp.mean() / 255 < 0.25  # a dark panel
    assert _nearest(dp[:3, :3], DARK_THEME["#ffffff"]) == 0  # the report's dark card
    # tick labels in light ink
    assert _nearest(dp, DARK_THEME["#444444"]) < 12
    # the slate run is drawn lighter on the dark page, as its legend swatch shows it
    slate = run_colors(["r0"])["r0"]
    assert dark_variant(slate) != slate
    assert _nearest(lp, slate) < 6 and _nearest(dp, dark_variant(slate)) < 6
    # the other runs keep their colour
    cyan = run_colors(["r0", "r1"])["r1"]
    assert dark_variant(cyan) == cyan and _nearest(dp, cyan) < 6


def test_a_dark_svg_carries_its_theme_colours_as_css_variables() -> None:
    import re
    from pathlib import Path

    from tbreport.render.charts import DARK_THEME
    from tbreport.render.colors import DARK_VARIANTS

    plain, themed = render_chart(_spec(), "svg"), render_chart(_spec(), "svg", dark=True)
    assert "fill: #ffffff" in plain.svg and "var(--mpl-" not in plain.svg
    assert "fill: #ffffff" not in themed.svg and "fill: var(--mpl-ffffff, #ffffff)" in themed.svg
    assert "stroke: var(--mpl-425066, #425066)" in themed.svg  # the slate run
    assert "stroke: #12b5cb" in themed.svg  # a run colour that is the same on a dark page
    # style.css gives every variable its dark value, on a dark screen only
    css = (Path(__file__).resolve().parents[2] / "templates" / "style.css").read_text()
    block = css[css.index(".svgchart { --mpl-") :].split("}", 1)[0]
    declared = dict(re.findall(r"--mpl-([0-9a-f]{6}): (#[0-9a-f]{6})", block))
    assert declared == {k[1:]: v for k, v in {**DARK_THEME, **DARK_VARIANTS}.items()}
    start = css.rindex("@media", 0, css.index(".svgchart { --mpl-"))
    assert css[start:].startswith("@media screen and (prefers-color-scheme: dark)")


def test_to_dark_swaps_theme_and_slate_colours_and_keeps_data_colours() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_hex
    from matplotlib.figure import Figure

    from tbreport.render.charts import DARK_THEME, to_dark

    fig = Figure(figsize=(6.4, 3.0), facecolor="white")
    canvas = FigureCanvasAgg(fig)
    _spec().draw(fig)
    ax = fig.axes[0]
    ax.imshow(np.array([[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]]), extent=(0, 10, 0, 0.1))  # data
    canvas.draw()

    def colours() -> set[str]:
        out = {to_hex(line.get_color()) for line in ax.get_lines()}
        out |= {to_hex(t.get_color()) for t in ax.get_xticklabels() + ax.get_yticklabels()}
        out |= {to_hex(g.get_color()) for g in ax.get_xgridlines()}
        return out | {to_hex(fig.patch.get_facecolor()), to_hex(ax.patch.get_facecolor())}

    before = colours()
    assert {"#ffffff", "#444444", "#dddddd", "#425066"} <= before
    to_dark(fig)
    canvas.draw()  # a redraw makes its ticks anew: they keep the dark colours
    after = colours()
    assert not after & {"#ffffff", "#444444", "#dddddd", "#425066"}
    assert {DARK_THEME["#ffffff"], DARK_THEME["#444444"], DARK_THEME["#dddddd"], "#8e98a3"} <= after
    assert "#12b5cb" in after  # the cyan run is the same on a dark page
    assert ax.images[0].get_array().tolist()[0][0] == [1.0, 1.0, 1.0]  # data stays


def test_a_line_charts_recoloured_palette_matches_drawing_it_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tbreport.render import charts

    spec = _spec(8, 2000)  # dense, noisy, crossing lines: colours mixed in many pixels
    fast = render_chart(spec, "png", dark=True)
    assert charts._dark_palette is not None
    monkeypatch.setattr(charts, "_dark_palette", lambda img, sources: None)
    drawn = render_chart(spec, "png", dark=True)  # the figure drawn again, darkened
    assert fast.data_uri == drawn.data_uri and fast.dark_uri != drawn.dark_uri
    a, b = _pixels(fast.dark_uri), _pixels(drawn.dark_uri)
    assert np.abs(a - b).mean() < 6  # of 255 (two quantisations of overlapping blends)
    assert np.percentile(np.abs(a - b).max(axis=2), 95) < 40
