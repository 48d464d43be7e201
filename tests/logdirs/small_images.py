"""``small_images``: images whose size, shape or declared size need care.

Run ``tiles`` (tbreport's ``SummaryWriter.add_image``, legacy ``Summary.Image``
PNGs), steps 0, 50, 100:

- ``samples/rgb_32px``: a 32x32 RGB tile; ``samples/gray_32px``: 32x32 grayscale
  (colorspace 1); ``samples/rgba_32px``: 32x32 RGBA with a transparent border
  (colorspace 4); ``samples/grid_32px``: 8 tiles as one 256x32 grid (``add_images``);
- ``shapes/tall``: 4096x64 (height x width); ``shapes/wide``: 48x3000;
  ``shapes/strip``: a 1x512 strip (one pixel tall).

Run ``monai_unet`` (raw records, as MONAI's ``plot_2d_or_3d_image`` ->
``add_animated_gif`` writes them through ``writer._get_file_writer().add_summary``):
tags ``input_0_HWD_0/image/0``, ``label_0_HWD_0/image/0``,
``output_0_HWD_0/image/0`` at steps 0, 10, 20: each an animated GIF of
``frames`` (default 24) grayscale 96x96 depth slices of a 3-D volume (pixel (0, 0)
counts the frames, so Pillow keeps every one), in a
``Summary.Image`` that declares ``height=10, width=10, colorspace=1`` whatever the
real size (``monai/visualize/img2tensorboard.py``).

What TensorBoard reads: every image as written; the legacy accumulator reports the
declared size (``ImageEvent.width/height`` = 10x10 for the GIFs), the browser shows
the decoded 96x96.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tbreport import SummaryWriter
from tests.logdirs._write import START, RawEventFile, finish, fresh, frozen, gif, legacy_image

STEPS = (0, 50, 100)
GIF_STEPS = (0, 10, 20)
GIF_TAGS = ("input_0_HWD_0/image/0", "label_0_HWD_0/image/0", "output_0_HWD_0/image/0")


def _tile(rng: np.random.Generator, channels: int, size: int = 32) -> np.ndarray[Any, Any]:
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    cx, cy = rng.uniform(0.3, 0.7, 2)
    blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) * 20)
    colour = rng.uniform(0.3, 1.0, channels)
    img = np.clip(blob[..., None] * colour + rng.normal(0, 0.05, (size, size, channels)), 0, 1)
    return (img * 255).astype(np.uint8)


def _write_tiles(out: Path) -> None:
    rng = np.random.default_rng(31)
    with SummaryWriter(out / "tiles", flush_secs=3600) as w:
        for step in STEPS:
            wall = START + step
            w.add_image("samples/rgb_32px", _tile(rng, 3), step, wall, dataformats="HWC")
            w.add_image("samples/gray_32px", _tile(rng, 1)[..., 0], step, wall, dataformats="HW")
            rgba = _tile(rng, 4)
            rgba[..., 3] = 255
            rgba[:4, :, 3] = rgba[-4:, :, 3] = rgba[:, :4, 3] = rgba[:, -4:, 3] = 0
            w.add_image("samples/rgba_32px", rgba, step, wall, dataformats="HWC")
            grid = np.stack([_tile(rng, 3).transpose(2, 0, 1) for _ in range(8)])
            w.add_images("samples/grid_32px", grid, step, wall, dataformats="NCHW")
            ramp = np.linspace(0, 255, 4096, dtype=np.float64)
            tall = np.broadcast_to(ramp[:, None], (4096, 64)).astype(np.uint8)
            w.add_image("shapes/tall", tall, step, wall, dataformats="HW")
            wide = (
                (np.sin(np.arange(3000) / 40.0)[None, :] * 127 + 128).repeat(48, 0).astype(np.uint8)
            )
            w.add_image("shapes/wide", wide, step, wall, dataformats="HW")
            strip = (np.arange(512) % 256).astype(np.uint8)[None, :]
            w.add_image("shapes/strip", strip, step, wall, dataformats="HW")


def volume_frames(step: int, kind: int, frames: int, size: int = 96) -> list[np.ndarray[Any, Any]]:
    """Depth slices of a sphere (input: noisy, label: binary, output: soft), uint8 ``size x size``."""
    rng = np.random.default_rng(100 * kind + step)
    zz = np.linspace(-1, 1, frames)
    yy, xx = np.mgrid[-1 : 1 : size * 1j, -1 : 1 : size * 1j]
    radius = 0.6 + 0.1 * kind
    out = []
    for z in zz:
        d = np.sqrt(xx**2 + yy**2 + z**2)
        if kind == 0:
            img = (d < radius) * 0.7 + rng.normal(0.15, 0.1, d.shape)
        elif kind == 1:
            img = (d < 0.6).astype(float)
        else:
            img = 1 / (1 + np.exp((d - 0.6) * (8 + step)))
        frame = (np.clip(img, 0, 1) * 255).astype(np.uint8)
        frame[0, 0] = len(out)  # a frame counter, so no two frames are equal (Pillow merges those)
        out.append(frame)
    return out


def _write_monai(out: Path, frames: int) -> None:
    # MONAI writes with torch's SummaryWriter; the GIF summaries go through add_summary
    # unchanged, so a raw file holds the same records.
    with RawEventFile(
        out / "monai_unet", START, writer="tensorboard.summary.writer.event_file_writer"
    ) as f:
        for step in GIF_STEPS:
            for kind, tag in enumerate(GIF_TAGS):
                data = gif(volume_frames(step, kind, frames))
                f.summary(step, START + 30 * step + kind, legacy_image(tag, data, 10, 10, 1))


def build_small_images(root: Path | str, *, frames: int = 24, scale: int = 1) -> Path:
    """Write the ``small_images`` logdir into ``root`` (replaced); ``scale`` multiplies ``frames``."""
    out = fresh(root)
    with frozen():
        _write_tiles(out)
    _write_monai(out, frames * scale)
    return finish(out)


def claims(*, frames: int = 24, scale: int = 1) -> dict[str, Any]:
    del frames, scale
    n = len(STEPS)
    tags = (
        "samples/rgb_32px",
        "samples/gray_32px",
        "samples/rgba_32px",
        "samples/grid_32px",
        "shapes/tall",
        "shapes/wide",
        "shapes/strip",
    )
    return {
        "tiles": {
            "images": dict.fromkeys(tags, n),
            "image_sizes": {
                "samples/rgb_32px": (32, 32),
                "samples/grid_32px": (256, 32),
                "shapes/tall": (64, 4096),
                "shapes/wide": (3000, 48),
                "shapes/strip": (512, 1),
            },
        },
        "monai_unet": {
            "images": dict.fromkeys(GIF_TAGS, len(GIF_STEPS)),
            "image_sizes": dict.fromkeys(GIF_TAGS, (10, 10)),
            "decoded_sizes": dict.fromkeys(GIF_TAGS, (96, 96)),
        },
    }
