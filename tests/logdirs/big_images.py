"""``big_images``: an image-heavy logdir of a chosen size, for memory and report-size benchmarks.

Written with tbreport's ``SummaryWriter.add_summary`` of legacy ``Summary.Image``
values (what torch's and tbreport's ``add_image`` write), from a pool of
pre-encoded images per tag (6 each, deterministic), so a 600 MB logdir builds at
disk speed. Each step's image gets its own bytes: a PNG ``tEXt`` chunk or a JPEG
``COM`` segment carrying the step, so no two points are identical.

Two runs, steps ``0, 10, 20, ...`` until the logdir reaches ``megabytes * scale``
MB (default 20 MB: 17 steps; ``--scale 30``: ~600 MB, 509 steps):

- ``gan_celeba``: ``samples/generated`` (512x512 RGB PNG, ~585 KB: photo-like
  content with sensor noise), ``train/augmented_batch`` (a 512x256 grid of 64 px
  tiles, PNG, ~305 KB);
- ``unet_val``: ``val/predictions`` (640x480 JPEG q90, ~100 KB),
  ``val/overlay`` (256x256 RGBA PNG, ~175 KB), ``attention/map`` (128x128
  grayscale PNG, ~12 KB).

What TensorBoard reads: every image of every step (with the default
``--samples_per_plugin`` its UI keeps a reservoir of 10 per tag; the benchmark
compares memory against its server on the same logdir).

tbreport at ``e0cfbc3``: the default 20 MB logdir gives a 26.8 MB report (every
image of every step inlined as base64) in ~2 s.
"""

from __future__ import annotations

import functools
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from tbreport import SummaryWriter
from tbreport.proto import summary_pb2
from tests.logdirs._write import START, finish, fresh, frozen, jpeg, legacy_image, png

POOL = 6
EVERY = 10


def _photo(rng: np.random.Generator, h: int, w: int, channels: int = 3) -> np.ndarray[Any, Any]:
    """Photo-like content: smooth colour fields, edges and sensor noise (PNG ~1.5 bytes/pixel)."""
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    img = np.zeros((h, w, channels))
    for c in range(channels):
        f = rng.uniform(2, 9, 4)
        img[..., c] = (
            0.5 + 0.25 * np.sin(f[0] * xx + f[1] * yy) + 0.2 * np.cos(f[2] * xx * yy * 4 + f[3])
        )
    for _ in range(6):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.2)
        img[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] *= rng.uniform(0.4, 1.3)
    img += rng.normal(0, 0.04, img.shape)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


@functools.lru_cache(maxsize=2)
def _pools(size: int = POOL) -> dict[tuple[str, str], list[tuple[bytes, int, int, int]]]:
    rng = np.random.default_rng(2024)

    def grid() -> np.ndarray[Any, Any]:
        tiles = [_photo(rng, 64, 64) for _ in range(32)]
        rows = [np.concatenate(tiles[r * 8 : (r + 1) * 8], axis=1) for r in range(4)]
        return np.concatenate(rows, axis=0)

    def overlay() -> np.ndarray[Any, Any]:
        img = _photo(rng, 256, 256, 4)
        img[..., 3] = np.where(img[..., 0] > 128, 200, 60)
        return img

    makers = {
        ("gan_celeba", "samples/generated"): (lambda: png(_photo(rng, 512, 512)), 512, 512, 3),
        ("gan_celeba", "train/augmented_batch"): (lambda: png(grid()), 256, 512, 3),
        ("unet_val", "val/predictions"): (lambda: jpeg(_photo(rng, 480, 640), 90), 480, 640, 3),
        ("unet_val", "val/overlay"): (lambda: png(overlay()), 256, 256, 4),
        ("unet_val", "attention/map"): (lambda: png(_photo(rng, 128, 128, 1)[..., 0]), 128, 128, 1),
    }
    return {
        key: [(make(), h, w, c) for _ in range(POOL)] for key, (make, h, w, c) in makers.items()
    }


def stamp(data: bytes, step: int) -> bytes:
    """``data`` (PNG or JPEG) with a metadata chunk naming ``step``: unique bytes, same pixels."""
    text = f"step={step}".encode()
    if data.startswith(b"\x89PNG"):
        body = b"tEXt" + b"Comment\x00" + text
        chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
        return data[:-12] + chunk + data[-12:]  # before IEND
    return data[:2] + b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text + data[2:]


def steps_for(megabytes: float, pool: int = POOL) -> int:
    """How many steps reach ``megabytes`` (from the pool's mean sizes)."""
    per_step = sum(np.mean([len(item[0]) for item in p]) for p in _pools(pool).values())
    return max(1, int(np.ceil(megabytes * 1e6 / per_step)))


def build_big_images(
    root: Path | str, *, megabytes: float = 20, scale: int = 1, pool: int = POOL
) -> Path:
    """Write the ``big_images`` logdir into ``root`` (replaced): ``megabytes * scale`` MB.

    ``pool``: distinct images encoded per tag (cycled over the steps)."""
    out = fresh(root)
    pools = _pools(pool)
    steps = steps_for(megabytes * scale, pool)
    with frozen() as clock:
        for run in ("gan_celeba", "unet_val"):
            clock.now = START
            with SummaryWriter(out / run, flush_secs=3600, max_queue=100) as w:
                for k in range(steps):
                    step = k * EVERY
                    values = [
                        legacy_image(tag, stamp(p[k % len(p)][0], step), *p[k % len(p)][1:])
                        for (r, tag), p in pools.items()
                        if r == run
                    ]
                    w.add_summary(summary_pb2.Summary(value=values), step, START + 30.0 * k)
    return finish(out)


def claims(*, megabytes: float = 20, scale: int = 1, pool: int = POOL) -> dict[str, Any]:
    n = steps_for(megabytes * scale, pool)
    return {
        "gan_celeba": {"images": {"samples/generated": n, "train/augmented_batch": n}},
        "unet_val": {"images": {"val/predictions": n, "val/overlay": n, "attention/map": n}},
        "total_mb": megabytes * scale,
    }
