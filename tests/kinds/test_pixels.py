"""Pixels: uint8 conversion (as torch, but integers are not rescaled), grids, PNG."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from tbreport.kinds._pixels import encode_png, make_grid, to_uint8


def test_to_uint8() -> None:
    assert to_uint8(np.array([0.0, 0.5, 1.0, 2.0, np.nan])).tolist() == [0, 127, 255, 255, 0]
    assert to_uint8(np.array([0, 128, 300])).tolist() == [0, 128, 255]  # ints stay [0, 255]
    assert to_uint8(np.array([True, False])).tolist() == [255, 0]


def test_make_grid_tiles_a_batch() -> None:
    batch = np.ones((3, 1, 2, 2))
    grid = make_grid(batch, ncols=2)
    assert grid.shape[0] == 3 and grid.shape[1] > 2 and grid.shape[2] > 2


def test_encode_png_round_trip() -> None:
    hwc = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    with Image.open(io.BytesIO(encode_png(hwc))) as img:
        assert np.array_equal(np.asarray(img), hwc)
