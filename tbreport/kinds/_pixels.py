"""Pixels: arrays to uint8, tiling a batch into a grid, PNG encoding. Shared by the image
kind and the projector's sprite: a module of the kinds, not a kind."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["encode_png", "make_grid", "to_uint8"]


def to_uint8(arr: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    """Pixels as uint8: floats are taken as [0, 1] and scaled by 255; integers as [0, 255].

    torch and tensorboardX scale every non-uint8 array by 255, which turns an int64
    image in [0, 255] white; we only scale floating-point arrays.
    """
    if arr.dtype == np.uint8:
        return arr.astype(np.uint8, copy=False)
    if arr.dtype == np.bool_:
        return np.where(arr, np.uint8(255), np.uint8(0)).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.floating):
        scaled: npt.NDArray[np.float32] = np.nan_to_num(
            arr.astype(np.float32) * np.float32(255.0), nan=0.0, posinf=255.0, neginf=0.0
        )
        return scaled.clip(0, 255).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.integer):
        return arr.clip(0, 255).astype(np.uint8)
    raise TypeError(f"img_tensor must hold numbers, got dtype {arr.dtype}")


def make_grid(nchw: npt.NDArray[Any], ncols: int = 8) -> npt.NDArray[Any]:
    """Tile a batch ``[N, C, H, W]`` into one ``[C, H*rows, W*cols]`` image (grayscale becomes RGB)."""
    if nchw.shape[1] == 1:
        nchw = np.concatenate([nchw, nchw, nchw], 1)
    n, c, h, w = nchw.shape
    if c not in (3, 4):
        raise ValueError(f"img_tensor must have 1, 3 or 4 channels, got {c}")
    if n == 0:
        raise ValueError("img_tensor holds no image (N = 0)")
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((c, h * nrows, w * ncols), dtype=nchw.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h : (y + 1) * h, x * w : (x + 1) * w] = nchw[i]
    return canvas


def encode_png(hwc: npt.NDArray[np.uint8]) -> bytes:
    from PIL import Image  # Pillow: only when encoding an image

    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(hwc)).save(out, format="PNG")
    return out.getvalue()
