"""A report that opens: the media budget (``--max-report-mb``) on a real image-heavy
logdir (``tests/logdirs/big_images.py``), through the real command line, and the build's
memory bounded while every medium of a large report is written (``tests/bounded.py``)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests import bounded
from tests.logdirs.big_images import EVERY, build_big_images, claims

BUDGET_MB = 5
PAGE_MB = 0.5
"""The report around its media (CSS, JS, captions): well under this."""

_FIGURE = re.compile(
    r'<figure class="card gallery[^"]*" id="[^"]*" data-tag="([^"]*)">(.*?)</figure>', re.S
)
_URI = re.compile(r'src="(data:image/[^"]*)"')


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_big_images(tmp_path_factory.mktemp("media") / "big_images", megabytes=12, pool=2)


def _galleries(page: str) -> list[tuple[str, list[int], int]]:
    """Each gallery's tag, the steps it shows and the bytes of its data URIs."""
    out = []
    for tag, body in _FIGURE.findall(page):
        steps = [
            int(s.replace(",", ""))
            for s in re.findall(r'class="frame[^"]*" data-step="([^"]*)"', body)
        ]
        out.append((html.unescape(tag), steps, sum(len(u) for u in _URI.findall(body))))
    return out


def test_media_over_the_budget_are_thinned_to_fit(logdir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = bounded.build(logdir, out, "--max-report-mb", str(BUDGET_MB))
    assert result.returncode == 0, result.text[-2000:]
    page = out.read_text("utf-8")
    galleries = _galleries(page)
    steps = max(
        n
        for r in claims(megabytes=12, pool=2).values()
        if isinstance(r, dict)
        for n in r["images"].values()
    )
    assert len(galleries) == 5
    media = sum(size for _, _, size in galleries)
    assert media <= BUDGET_MB * 1e6
    assert out.stat().st_size <= BUDGET_MB * 1e6 + PAGE_MB * 1e6
    kept = {len(s) for _, s, _ in galleries}
    assert len(kept) == 1 and 2 <= kept.pop() < steps  # every tag at the same even steps
    for _tag, shown, _ in galleries:
        assert shown[0] == (steps - 1) * EVERY and shown[-1] == 0  # last and first kept
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "Media thinned to fit the report's size budget (--max-report-mb 5)" in text
    assert "Every step: --max-report-mb 0" in text and "--image-steps N" in text
    assert f"samples/generated gan_celeba: {len(galleries[0][1])} of {steps} steps" in text


def test_no_budget_keeps_every_step(logdir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = bounded.build(logdir, out, "--max-report-mb", "0")
    assert result.returncode == 0, result.text[-2000:]
    page = out.read_text("utf-8")
    steps = claims(megabytes=12, pool=2)["gan_celeba"]["images"]["samples/generated"]
    galleries = _galleries(page)
    assert len(galleries) == 5 and all(len(s) == steps for _, s, _ in galleries)
    assert sum(size for _, _, size in galleries) > BUDGET_MB * 1e6 * 2
    assert 'class="thinned"' not in page


def test_image_steps_within_the_budget_is_kept_exactly(logdir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = bounded.build(logdir, out, "--image-steps", "3")
    assert result.returncode == 0, result.text[-2000:]
    page = out.read_text("utf-8")
    assert all(len(s) == 3 for _, s, _ in _galleries(page))
    assert 'class="thinned"' not in page  # the user's choice, not the budget's


def test_a_large_report_is_written_in_bounded_memory(tmp_path: Path) -> None:
    """A 60 MB image logdir written whole (a 77 MB report) in 384 MB of address space:
    the build holds the logdir's encoded images once and one data URI at a time (before,
    every URI, the page and its UTF-8 copy were held at once: MemoryError at this cap)."""
    logdir = build_big_images(tmp_path / "big", megabytes=60, pool=2)
    out = tmp_path / "report.html"
    result = bounded.build(logdir, out, "--max-report-mb", "0", memory_mb=384, timeout=120)
    assert result.returncode == 0, result.text[-2000:]
    assert out.stat().st_size > 70e6
    steps = claims(megabytes=60, pool=2)["unet_val"]["images"]["val/overlay"]
    assert len(re.findall(r'<div class="frame[ "]', out.read_text("utf-8"))) == 5 * steps
