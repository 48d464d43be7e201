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
    c = render_chart(spec, "svg", salt="s2")
    assert c.svg != a.svg  # ids differ between charts of one page


def test_render_rejects_unknown_format() -> None:
    with pytest.raises(ValueError, match="png or svg"):
        render_chart(_spec(), "gif")
