from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from tbreport.model import EncodedImage, ImagePoint, Run, Series
from tbreport.options import BuildOptions
from tbreport.render import image as images
from tbreport.render.base import Context
from tbreport.render.image import (
    BOX_W,
    MAX_H,
    PHONE_W,
    THIN,
    WIDE_W,
    desktop_fit,
    fit,
    picture,
    select_steps,
)


def png(w: int, h: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h)).save(out, format="PNG")
    return out.getvalue()


def gif(w: int, h: int) -> bytes:
    out = io.BytesIO()
    frames = [Image.new("L", (w, h), color=c) for c in (0, 128)]
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def jpeg(w: int, h: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h)).save(out, format="JPEG")
    return out.getvalue()


def test_sizes_are_read_from_the_bytes_not_the_declaration() -> None:
    assert EncodedImage(png(24, 16)).size == (24, 16)
    assert EncodedImage(jpeg(33, 17)).size == (33, 17)
    assert EncodedImage(gif(96, 80)).size == (96, 80)
    assert EncodedImage(b"nonsense").size == (0, 0)
    assert EncodedImage(b"x", width=5, height=6).size == (5, 6)  # undecodable: the declaration
    monai = EncodedImage(gif(96, 96), width=10, height=10, colorspace=1)
    assert monai.size == (96, 96) and monai.decoded_size == (96, 96)
    pic = picture(monai)
    assert pic.size_text == "96×96 px (declared 10×10)"
    assert picture(EncodedImage(png(96, 96), width=96, height=96)).declared is None


def test_small_tiles_are_scaled_up_by_whole_factors() -> None:
    f = fit(32, 32)
    assert f.how == "up" and f.pixelated
    assert f.width == 32 * 11 and f.height == 32 * 11  # as large as the card allows
    assert f.note == "shown ×11"
    phone = fit(32, 32, PHONE_W)
    assert phone.width == 320 and phone.pixelated
    # a 256x32 grid of tiles gets a card as wide as the page: x3 instead of 1:1
    d, wide = desktop_fit(256, 32)
    assert wide and d.width == 768 and d.height == 96 and d.pixelated


def test_strips_are_stretched_across_to_a_readable_thickness() -> None:
    # Keras logs a bias of 512 as a 1 px wide, 512 px tall image
    f = fit(1, 512)
    assert (f.width, f.height) == (THIN, 512) and f.pixelated and f.how == "strip"
    assert f.note == f"stretched ×{THIN} across"
    # a 1 px tall, 512 px wide strip: wider than a card, so a wide card holds it
    d, wide = desktop_fit(512, 1)
    assert wide and (d.width, d.height) == (512, THIN) and not d.scrolls
    assert fit(512, 1, PHONE_W).scrolls  # on a phone it scrolls sideways in place
    short = fit(1, 64)
    assert short.width == THIN and short.height <= 360 and short.height % 64 == 0


def test_big_pictures_shrink_and_thin_ones_scroll_instead() -> None:
    photo = fit(2000, 1500)
    assert photo.how == "down" and not photo.pixelated
    assert photo.width <= BOX_W and photo.height <= MAX_H
    tall = fit(64, 4096)  # shrunk to 640 px it would be 10 px wide: actual size, scrolling
    assert tall.how == "scroll" and tall.scrolls and (tall.width, tall.height) == (64, 4096)
    d, wide = desktop_fit(3000, 48)
    assert wide and d.how == "scroll" and d.width == 3000


@given(st.integers(1, 5000), st.integers(1, 5000), st.integers(1, 3))
def test_every_fit_is_bounded_and_crisp_scales_are_whole(w: int, h: int, count: int) -> None:
    d, wide = desktop_fit(w, h, count)
    for f, box in ((d, WIDE_W if wide else BOX_W), (fit(w, h, PHONE_W), PHONE_W)):
        # nothing is drawn taller than MAX_H unless it scrolls in a MAX_H box
        assert f.height <= MAX_H or f.scrolls
        assert f.width <= box or f.scrolls
        if f.pixelated:
            assert f.width % w == 0 and f.height % h == 0
            assert f.width // w >= 1 and f.height // h >= 1
        if f.how == "down":
            assert f.width <= w and f.height <= h and not f.pixelated


def test_the_pictures_of_one_step_sit_side_by_side() -> None:
    d, wide = desktop_fit(3, 3, count=3)  # Keras logs 3 slices of a 3x3 conv kernel
    assert not wide and d.pixelated and 3 * (d.width + 2) + 2 * images.GAP <= BOX_W + 2


def test_select_steps_keeps_first_and_last() -> None:
    pts = [ImagePoint(step=i, wall_time=0.0) for i in range(100)]
    assert select_steps(pts, None) == pts
    chosen = select_steps(pts, 5)
    assert [p.step for p in chosen] == [0, 25, 50, 74, 99]
    assert chosen[-1].step == 99 and len(chosen) == 5
    assert [p.step for p in select_steps(pts, 1)] == [99]


def test_image_steps_caps_every_gallery() -> None:
    pts = [
        ImagePoint(step=i, wall_time=0.0, images=(EncodedImage(png(64, 64)),)) for i in range(20)
    ]
    run = Run(name="r", path="r", images={"img": Series(tag="img", points=pts)})
    ctx = Context(options=BuildOptions(), colors={"r": "#000000"})
    section = images.build([run], ctx)
    assert section is not None and len(section.groups[0].items[0].frames) == 20
    limited = Context(options=BuildOptions(image_steps=3), colors={"r": "#000000"})
    section = images.build([run], limited)
    assert section is not None
    gallery = section.groups[0].items[0]
    assert [f.step for f in gallery.frames] == [19, 10, 0] and gallery.thinned
    assert limited.notes == [] and limited.media_plan is not None
    assert limited.media_plan.thinned == []  # --image-steps alone: nothing the budget did


# --------------------------------------------------------------- on the test logdirs

_IMG = re.compile(r'<img src="data:[^"]*" alt="([^"]*)" style="([^"]*)"(?: class="([^"]*)")?')


def _sizes(html: str) -> list[tuple[str, dict[str, str], str]]:
    out = []
    for alt, style, cls in _IMG.findall(html):
        props = dict(kv.split(":", 1) for kv in style.split(";") if kv)
        out.append((alt, props, cls or ""))
    return out


def _height(props: dict[str, str], w: str, ar: str) -> float:
    a, b = (float(v) for v in props[ar].split("/"))
    return float(props[w].removesuffix("px")) * b / a


@pytest.fixture(scope="module")
def small_images_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tbreport import build_report
    from tests.logdirs import build_small_images

    root = tmp_path_factory.mktemp("small")
    logdir = build_small_images(root / "logdir", frames=4)
    return build_report(logdir, root / "r.html", progress=False).read_text(encoding="utf-8")


def test_small_images_report_sizes_and_captions(small_images_report: str) -> None:
    html = small_images_report
    pics = _sizes(html)
    assert pics
    for alt, props, _cls in pics:
        for w, ar in (("--w", "--ar"), ("--wp", "--arp")):
            assert _height(props, w, ar) <= MAX_H or "shapes/tall" in alt, alt
    tiles = [(p, c) for a, p, c in pics if a.startswith("samples/rgb_32px")]
    assert tiles and all(p["--w"] == "352px" and p["--wp"] == "320px" for p, _ in tiles)
    assert all("px" in c.split() and "pxp" in c.split() for _, c in tiles)
    strips = [p for a, p, _ in pics if a.startswith("shapes/strip")]
    assert strips and all(p["--w"] == "512px" and p["--ar"] == f"512/{THIN}" for p in strips)
    # MONAI's GIFs declare 10x10: the caption says what they are
    assert html.count("96×96 px (declared 10×10)") == 9
    assert "10×10 px" not in html


def test_keras_weights_report_is_of_normal_length(tmp_path: Path) -> None:
    from tbreport import build_report
    from tests.logdirs import build_keras

    logdir = build_keras(tmp_path / "logdir")
    html = build_report(logdir, tmp_path / "r.html", tags="image$", progress=False).read_text(
        encoding="utf-8"
    )
    pics = _sizes(html)
    assert len(pics) > 100
    tallest = max(_height(p, "--w", "--ar") for _, p, _ in pics)
    assert tallest <= 512  # a bias of 512 at 1 px a value (it was 80,898 px tall)
    bias = [p for a, p, _ in pics if a.startswith("dense/bias_0/image")]
    assert bias and all(p["--w"] == f"{THIN}px" and p["--ar"] == f"{THIN}/512" for p in bias)
