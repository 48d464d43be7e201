from __future__ import annotations

import io

import pytest
from PIL import Image

from tbreport.model import EncodedImage, ImagePoint
from tbreport.render.image import image_size, picture, select_steps


def png(w: int, h: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h)).save(out, format="PNG")
    return out.getvalue()


def jpeg(w: int, h: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h)).save(out, format="JPEG")
    return out.getvalue()


def test_image_size_from_headers() -> None:
    assert image_size(EncodedImage(png(24, 16))) == (24, 16)
    assert image_size(EncodedImage(jpeg(33, 17))) == (33, 17)
    assert image_size(EncodedImage(b"nonsense")) == (0, 0)
    assert image_size(EncodedImage(b"x", width=5, height=6)) == (5, 6)


def test_small_images_are_scaled_up_crisply() -> None:
    p = picture(EncodedImage(png(24, 16)))
    assert p.display_width >= 160 and p.display_width % 24 == 0 and p.pixelated
    assert p.uri.startswith("data:image/png;base64,")
    big = picture(EncodedImage(png(1000, 10)))
    assert big.display_width == 480 and not big.pixelated


def test_select_steps_keeps_first_and_last() -> None:
    pts = [ImagePoint(step=i, wall_time=0.0) for i in range(100)]
    assert select_steps(pts, None) == pts
    chosen = select_steps(pts, 5)
    assert [p.step for p in chosen] == [0, 25, 50, 74, 99]
    assert chosen[-1].step == 99 and len(chosen) == 5
    assert [p.step for p in select_steps(pts, 1)] == [99]


def test_a_huge_gallery_suggests_image_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    from tbreport.model import Run, Series
    from tbreport.options import BuildOptions
    from tbreport.render import image as images
    from tbreport.render.base import Context

    monkeypatch.setattr(images, "BIG_REPORT_BYTES", 1000)
    pts = [
        ImagePoint(step=i, wall_time=0.0, images=(EncodedImage(png(64, 64)),)) for i in range(20)
    ]
    run = Run(name="r", path="r", images={"img": Series(tag="img", points=pts)})
    ctx = Context(options=BuildOptions(), colors={"r": "#000000"})
    section = images.build([run], ctx)
    assert section is not None and len(section.groups[0].items[0].frames) == 20
    assert any("--image-steps" in n for n in ctx.notes)
    limited = Context(options=BuildOptions(image_steps=3), colors={"r": "#000000"})
    section = images.build([run], limited)
    assert section is not None and len(section.groups[0].items[0].frames) == 3
    assert limited.notes == []
