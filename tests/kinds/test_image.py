"""The image kind: goldens of the encoded values (pixels, not PNG bytes: zlib builds
differ), and decode(encode(x)) gives back the pixels."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from PIL import Image

from tbreport.kinds.image import (
    EncodedImage,
    decode_image,
    encode_png,
    header_size,
    image_value,
)
from tbreport.proto import summary_pb2
from tests.golden import check_golden

CHW = (np.arange(3 * 4 * 5, dtype=np.float64).reshape(3, 4, 5) / 59.0).astype(np.float32)


def _pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as img:
        assert img.format == "PNG"
        return np.asarray(img)


def _normalised(value: summary_pb2.Summary.Value) -> summary_pb2.Summary.Value:
    """The value with its PNG bytes replaced by what they hold (size, mode, pixel hash)."""
    out = summary_pb2.Summary.Value()
    out.CopyFrom(value)
    png = value.image.encoded_image_string
    with Image.open(io.BytesIO(png)) as img:
        digest = hashlib.sha256(np.asarray(img).tobytes()).hexdigest()[:16]
        out.image.encoded_image_string = (
            f"PNG {img.width}x{img.height} {img.mode} {digest}".encode()
        )
    return out


@pytest.mark.parametrize(
    ("name", "tensor", "fmt", "batch"),
    [
        ("image_chw", CHW, "CHW", False),
        ("image_hwc_uint8", (CHW.transpose(1, 2, 0) * 255).astype(np.uint8), "HWC", False),
        ("image_hw_gray", CHW[0], "HW", False),
        ("image_batch_nchw", np.stack([CHW, CHW[::-1]]), "NCHW", True),
    ],
)
def test_goldens(
    name: str, tensor: np.ndarray, fmt: str, batch: bool, update_goldens: bool
) -> None:
    value = image_value("img", tensor, fmt, batch=batch)
    check_golden(name, _normalised(value), update=update_goldens)


def test_decode_of_encode_gives_the_pixels() -> None:
    value = image_value("img", CHW, "CHW")
    point = decode_image(value, 3, 1.5)
    assert (point.step, point.wall_time, len(point.images)) == (3, 1.5, 1)
    img = point.images[0]
    assert (img.width, img.height, img.mime_type) == (5, 4, "image/png")
    expected = (CHW.transpose(1, 2, 0) * np.float32(255)).astype(np.uint8)  # truncated, as torch
    assert np.array_equal(_pixels(img.data), expected)
    assert np.array_equal(img.to_array(), expected)


def test_tensor_form_decodes_like_the_legacy_form() -> None:
    legacy = image_value("img", CHW, "CHW")
    png = legacy.image.encoded_image_string
    tensor = summary_pb2.Summary.Value(tag="img")
    tensor.metadata.plugin_data.plugin_name = "images"
    tensor.tensor.dtype = 7
    tensor.tensor.tensor_shape.dim.add(size=4)
    tensor.tensor.string_val.extend([b"5", b"4", png, png])
    a, b = decode_image(legacy, 0, 0.0), decode_image(tensor, 0, 0.0)
    assert b.images == (a.images[0].__class__(png, 5, 4),) * 2
    assert a.images[0].data == b.images[0].data


def test_a_malformed_tensor_is_a_value_error() -> None:
    bad = summary_pb2.Summary.Value(tag="img")
    bad.tensor.dtype = 1
    bad.tensor.float_val.append(1.0)
    with pytest.raises(ValueError, match="image tensor"):
        decode_image(bad, 0, 0.0)


def _encoded(fmt: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "JPEG"])
def test_decoded_size_comes_from_the_header(fmt: str) -> None:
    data = _encoded(fmt, (96, 40))
    assert header_size(data) == (96, 40)
    declared = EncodedImage(data, width=10, height=10)  # as MONAI declares its GIFs
    assert declared.decoded_size == (96, 40) and declared.size == (96, 40)
    assert (declared.width, declared.height) == (10, 10)  # the declaration is kept as read


def test_an_unreadable_header_falls_back_on_the_declaration() -> None:
    assert header_size(b"\x89PNG\r\n\x1a\n") == (0, 0)
    assert header_size(b"\xff\xd8\xff") == (0, 0)
    assert EncodedImage(b"?", width=3, height=2).size == (3, 2)
    assert EncodedImage(b"?").size == (0, 0)


def test_a_png_claiming_more_than_its_bytes_can_hold_is_refused() -> None:
    from tbreport.kinds.image import check_claims
    from tests.logdirs.huge_claims import png_bomb_header

    bomb = png_bomb_header()  # 30000x30000 RGB in 59 bytes: 2.5 GB of rows
    with pytest.raises(ValueError, match="PNG header claims 30000x30000 px"):
        check_claims(bomb)
    value = summary_pb2.Summary.Value(
        tag="i", image=summary_pb2.Summary.Image(encoded_image_string=bomb)
    )
    with pytest.raises(ValueError, match="decompression bomb"):
        decode_image(value, 0, 0.0)
    with pytest.raises(ValueError, match="more than deflate can hold"):
        EncodedImage(bomb).to_array()
    # the most compressible real PNG (8000x8000 black, ~1000:1) is read
    flat = encode_png(np.zeros((8000, 8000, 3), np.uint8))
    check_claims(flat)
    assert EncodedImage(flat).size == (8000, 8000)
