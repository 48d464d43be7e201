"""Images, histograms, distributions, PR curves and hparams plots as readers see them,
in headless Chromium, on the test logdirs made for issue #9.

Asserts the page heights (the Keras weights-as-images report was 103,000 px tall),
that scaled-up pictures are drawn at whole factors with crisp pixels on a desktop and
on a phone, the decoded sizes in captions, the filmstrip and the step sliders, the
histograms' overlay toggle (and the offset view without JavaScript), and the
luminance of every picture in dark mode, light again in print.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest

from tests.browser.cdp import Browser, find_chromium

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed")


def _clean(b: Browser) -> None:
    r = b.report
    assert r.non_local == [] and r.console_errors == [] and r.exceptions == []
    assert r.dialogs == []


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from tbreport import build_report
    from tests.logdirs import build_keras, build_realistic, build_small_images, build_tf1_graph

    root = tmp_path_factory.mktemp("media")
    made = {
        "small_images": build_small_images(root / "small_images", frames=4),
        "keras": build_keras(root / "keras"),
        "realistic": build_realistic(root / "realistic", steps=1000, graph=False),
        "tf1_graph": build_tf1_graph(root / "tf1_graph"),
    }
    return {
        name: build_report(logdir, root / f"{name}.html", progress=False)
        for name, logdir in made.items()
    }


# --------------------------------------------------------------------------- images


def test_keras_weights_as_images_report_is_of_normal_length(
    reports: dict[str, Path], desktop: Browser
) -> None:
    desktop.open(reports["keras"])
    _clean(desktop)
    height = desktop.evaluate("document.documentElement.scrollHeight")
    assert height < 25_000  # 187,648 px before (the images alone 160 x 80,898 px each)
    tallest = desktop.evaluate_json(
        "return Math.max(...Array.from(document.querySelectorAll('.frame .pic, .frame img'))"
        ".map(e => e.getBoundingClientRect().height));",
    )
    assert tallest <= 642  # a 640 px box and its border
    desktop.open(reports["keras"], javascript=False)  # every step in a strip
    assert desktop.evaluate("document.documentElement.scrollHeight") < 25_000


_SCALES = """
return Array.from(document.querySelectorAll('.gallery .frame img')).filter(i =>
  i.getBoundingClientRect().width > 0).map(i => { const r = i.getBoundingClientRect();
  return {alt: i.alt, sx: r.width / i.naturalWidth, sy: r.height / i.naturalHeight,
          rendering: getComputedStyle(i).imageRendering, px: i.className}; });
"""


@pytest.mark.parametrize("view", ["desktop", "phone"])
def test_scaled_up_pictures_are_pixelated_at_whole_factors(
    reports: dict[str, Path], view: str, request: pytest.FixtureRequest
) -> None:
    b: Browser = request.getfixturevalue(view)
    b.open(reports["small_images"])
    _clean(b)
    shown = b.evaluate_json(_SCALES)
    assert len(shown) >= 10  # one frame of each gallery
    upscaled = [s for s in shown if s["sx"] > 1.01 or s["sy"] > 1.01]
    assert {s["alt"].split(",")[0] for s in upscaled} >= {
        "samples/rgb_32px",
        "samples/gray_32px",
        "samples/rgba_32px",
        "shapes/strip",
        "input_0_HWD_0/image/0",
    }
    for s in upscaled:
        assert s["rendering"] == "pixelated", s
        for k in ("sx", "sy"):
            assert abs(s[k] - round(s[k])) < 0.01 and round(s[k]) >= 1, s
    tile = next(s for s in shown if s["alt"].startswith("samples/rgb_32px"))
    assert round(tile["sx"]) == (11 if view == "desktop" else 10)
    strip = next(s for s in shown if s["alt"].startswith("shapes/strip"))
    assert (round(strip["sx"]), round(strip["sy"])) == (1, 24)  # 512x1 drawn 512x24
    width = b.evaluate("document.documentElement.clientWidth")
    overflow = b.evaluate_json(
        "return Array.from(document.querySelectorAll('#images figure.card'))"
        ".map(c => c.getBoundingClientRect().right);",
    )
    assert max(overflow) <= width + 0.5  # cards never push the page sideways


def test_captions_give_the_decoded_size(reports: dict[str, Path], desktop: Browser) -> None:
    desktop.open(reports["small_images"], javascript=False)
    text = desktop.evaluate("document.querySelector('#images').innerText")
    assert text.count("96×96 px (declared 10×10) · shown ×3") == 9
    assert "32×32 px · shown ×11" in text and "3000×48 px · actual size" in text
    assert desktop.evaluate("document.querySelectorAll('.filmstrip button').length") == 0


def test_filmstrip_jumps_to_the_first_middle_and_last_step(
    reports: dict[str, Path], desktop: Browser
) -> None:
    desktop.open(reports["keras"])
    got = desktop.evaluate_json(
        """
        const g = document.querySelector('.gallery.multi');
        const buttons = Array.from(g.querySelectorAll('.filmstrip button'));
        const labels = buttons.map(b => b.innerText.trim());
        const cur0 = buttons.map(b => b.getAttribute('aria-current'));
        buttons[0].click();
        const first = [g.querySelector('.slider input').value,
                       g.querySelector('.frame.current').dataset.step,
                       buttons[0].getAttribute('aria-current')];
        const thumbs = buttons.map(b => b.querySelector('img').src === g.querySelector('.frame img').src);
        return {labels, cur0, first, n: g.querySelectorAll('.frame').length,
                sameBytes: buttons.every(b => b.querySelector('img').src.startsWith('data:'))};
        """,
    )
    assert got["labels"] == ["step 0", "step 9", "step 19"]  # 20 steps
    assert got["cur0"] == ["false", "false", "true"]  # the last step is shown first
    assert got["first"] == ["0", "0", "true"] and got["n"] == 20 and got["sameBytes"]
    _clean(desktop)


# --------------------------------------------------------------------------- histograms


_BOTTOMS = """
const svg = document.querySelector('#histograms svg.hplot');
return Array.from(svg.querySelectorAll('.rg path')).map(p => {
  const r = p.getBoundingClientRect(); return [Math.round(r.bottom), getComputedStyle(p).fill]; });
"""


def test_histograms_offset_and_overlay(reports: dict[str, Path], desktop: Browser) -> None:
    desktop.open(reports["realistic"])
    offset = desktop.evaluate_json(_BOTTOMS)
    assert len(offset) >= 5
    bottoms = [b for b, _ in offset]
    assert bottoms == sorted(bottoms) and len(set(bottoms)) == len(bottoms)  # one baseline a step
    assert all(fill != "none" for _, fill in offset)  # filled ridges
    desktop.evaluate("document.querySelector('.hist-mode button[data-mode=overlay]').click()")
    import time

    time.sleep(0.7)  # the CSS transition
    overlay = desktop.evaluate_json(_BOTTOMS)
    assert len({b for b, _ in overlay}) <= 2  # one baseline (rounding)
    assert all(fill == "none" for _, fill in overlay)
    pressed = desktop.evaluate(
        "document.querySelector('.hist-mode button[data-mode=overlay]').getAttribute('aria-pressed')"
    )
    assert pressed == "true"
    _clean(desktop)
    desktop.open(reports["realistic"], javascript=False)
    assert (
        desktop.evaluate("getComputedStyle(document.querySelector('.hist-mode')).display") == "none"
    )
    assert len({b for b, _ in desktop.evaluate_json(_BOTTOMS)}) == len(offset)  # the offset view


def test_a_tags_runs_sit_side_by_side_on_one_axis(
    reports: dict[str, Path], desktop: Browser
) -> None:
    desktop.open(reports["realistic"])
    got = desktop.evaluate_json(
        """
        const card = document.querySelector('#histograms figure.hcard.multi');
        const panels = Array.from(card.querySelectorAll('.panel'));
        const tops = panels.map(p => Math.round(p.getBoundingClientRect().top));
        const ticks = panels.map(p => Array.from(p.querySelectorAll('.ax.x text')).map(t => t.textContent).join(' '));
        const steps = Array.from(card.querySelectorAll('.ax.y.off text')).map(t => t.textContent);
        return {n: panels.length, tops, ticks, steps};
        """,
    )
    assert got["n"] == 3 and len(set(got["tops"])) == 1  # one row at 1280 px
    assert len(set(got["ticks"])) == 1  # the same value axis
    assert all(s.replace(",", "").isdigit() for s in got["steps"])  # integer step ticks


# --------------------------------------------------------------------------- PR curves


def test_pr_step_slider(reports: dict[str, Path], desktop: Browser) -> None:
    desktop.open(reports["realistic"])
    got = desktop.evaluate_json(
        """
        const card = document.querySelector('.prcard');
        const bold = () => Array.from(card.querySelectorAll('path.cur')).map(p => p.dataset.step);
        const before = bold();
        const s = card.querySelector('.pr-steps input'); s.value = '0';
        s.dispatchEvent(new Event('input'));
        return {before, after: bold(), legend: Array.from(card.querySelectorAll('.prstep')).map(c => c.textContent),
                out: card.querySelector('.pr-steps output').textContent};
        """,
    )
    assert set(got["before"]) == {"1000"} and len(got["before"]) == 3  # each run's last step
    assert set(got["after"]) == {"0"} and got["legend"] == ["0"] * 3 and got["out"] == "0"
    _clean(desktop)


# --------------------------------------------------------------------------- dark mode


def _luminance(b: Browser, selector: str) -> float:
    import time

    from PIL import Image

    find = f"const e = document.querySelector({json.dumps(selector)});"
    measure = "const r = e.getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height];"
    b.evaluate_json(find + "e.scrollIntoView(); return 0;")
    # what scrolling brings near the viewport settles first (lazy images, live charts
    # replacing their static picture can move the page): measure once it stands still
    rect, before = b.evaluate_json(find + measure), None
    for _ in range(20):
        if rect == before:
            break
        time.sleep(0.15)
        before, rect = rect, b.evaluate_json(find + measure)
    x, y, w, h = rect
    # inside its edges: the page around it (light or dark) blends into the border pixels
    x, y, w, h = x + 2, y + 2, max(1, w - 4), max(1, h - 4)
    data = b.send(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": x, "y": y, "width": w, "height": h, "scale": 1},
        },
    )["data"]
    import numpy as np

    img = Image.open(io.BytesIO(base64.b64decode(data))).convert("L")
    return float(np.asarray(img, dtype=np.float64).mean() / 255)


PICTURES = {
    "histogram": "#histograms svg.hplot",
    "distribution": "#distributions svg.dplot",
    "PR curve": "svg.prplot",
    "parallel coordinates": "svg.pcoords",
    "image card": "#images figure.card figcaption",  # the card around the picture
}
#: an image is data: the same pixels in every theme
IMAGE = "#images .frame.current img"


def test_pictures_follow_dark_mode_and_print_light(
    reports: dict[str, Path], desktop: Browser
) -> None:
    light, dark, printed = {}, {}, {}
    desktop.open(reports["realistic"])
    for name, sel in {**PICTURES, "image": IMAGE}.items():
        light[name] = _luminance(desktop, sel)
    desktop.open(reports["realistic"], dark=True)
    _clean(desktop)
    for name, sel in {**PICTURES, "image": IMAGE}.items():
        dark[name] = _luminance(desktop, sel)
    desktop.send(
        "Emulation.setEmulatedMedia",
        {"media": "print", "features": [{"name": "prefers-color-scheme", "value": "dark"}]},
    )
    for name, sel in PICTURES.items():
        printed[name] = _luminance(desktop, sel)
    desktop.send("Emulation.setEmulatedMedia", {"media": "", "features": []})
    assert abs(light["image"] - dark["image"]) < 0.005  # the image's own pixels
    for name in PICTURES:
        assert light[name] > 0.7, (name, light[name])
        assert dark[name] < 0.35, (name, dark[name])  # a dark panel, not a white one
        assert printed[name] > 0.7, (name, printed[name])  # paper stays light


#: the matplotlib charts (the key metrics' and every scalar tag's): with JavaScript off
#: their static pictures; with it, the live layer over them (print shows the static one)
CHARTS = "#key-charts .chartbox, #scalars .chartbox"


@pytest.mark.parametrize("javascript", [False, True], ids=["nojs", "js"])
def test_charts_follow_dark_mode_and_print_light(
    reports: dict[str, Path], desktop: Browser, javascript: bool
) -> None:
    def each() -> list[float]:
        n = desktop.evaluate_json(
            f"const boxes = document.querySelectorAll({json.dumps(CHARTS)});"
            "boxes.forEach((b, i) => b.setAttribute('data-lum', i)); return boxes.length;",
        )
        assert n >= 6, n  # 2 key-metric charts and 4 more (hparam/* are tables)
        return [_luminance(desktop, f'[data-lum="{i}"]') for i in range(n)]

    desktop.open(reports["realistic"], javascript=javascript)
    light = each()
    desktop.open(reports["realistic"], javascript=javascript, dark=True)
    _clean(desktop)
    dark = each()
    desktop.send(
        "Emulation.setEmulatedMedia",
        {"media": "print", "features": [{"name": "prefers-color-scheme", "value": "dark"}]},
    )
    printed = each()
    desktop.send("Emulation.setEmulatedMedia", {"media": "", "features": []})
    assert min(light) > 0.8, light
    assert max(dark) < 0.3, dark  # dark panels with light lines, not white ones
    assert min(printed) > 0.8, printed  # paper stays light


def test_tf1_histograms_ending_at_dbl_max_are_drawn_sanely(
    reports: dict[str, Path], desktop: Browser
) -> None:
    desktop.open(reports["tf1_graph"])
    _clean(desktop)
    got = desktop.evaluate_json(
        """
        return Array.from(document.querySelectorAll('#histograms svg.hplot')).map(svg => {
          const plot = svg.getBoundingClientRect().width;
          const ridges = Array.from(svg.querySelectorAll('.rg path')).map(p => p.getBoundingClientRect().width);
          const ticks = Array.from(svg.querySelectorAll('.ax.x text')).map(t => t.textContent);
          return {plot, widest: Math.max(...ridges), ticks}; });
        """,
    )
    assert len(got) == 7  # the 7 trainable variables
    for h in got:
        assert h["widest"] > 0.6 * h["plot"]  # the ridges fill the axis, not one spike at 0
        assert all("e" not in t and len(t) <= 6 for t in h["ticks"]), h["ticks"]
