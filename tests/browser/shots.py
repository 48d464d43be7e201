"""Screenshots of a report the way its readers see it, for a human to look at.

``python -m tests.browser.shots REPORT.html --out build/shots`` writes, per view
(1280 px, 390 px phone, dark mode, JavaScript off, print), a full-page PNG cut into
screen-sized tiles, one PNG per top-level section (``<section id=...>``) and a
``views.json`` of the numbers a reviewer checks: page width against the viewport
(sideways overflow), page height, requests that left the page, console errors,
dialogs, and for print the PDF's page count (pages as PNGs when ``pdftoppm`` exists).

It is a looking tool, not a test: the browser tests assert; this shows.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.browser.cdp import Browser

VIEWS: dict[str, dict[str, Any]] = {
    "1280": {"width": 1280, "javascript": True, "dark": False},
    "390": {"width": 390, "javascript": True, "dark": False},
    "dark": {"width": 1280, "javascript": True, "dark": True},
    "nojs": {"width": 1280, "javascript": False, "dark": False},
    "print": {"width": 1280, "javascript": True, "dark": False, "print": True},
}

_SECTIONS_JS = """
JSON.stringify(Array.from(document.querySelectorAll('section[id], header[id]'))
  .filter(e => !e.parentElement.closest('section[id]'))
  .map(e => { const r = e.getBoundingClientRect();
    return {id: e.id, x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; }))
"""

_METRICS_JS = """
(() => {
  const cw = document.documentElement.clientWidth;
  const clipped = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
    if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return true; }
    return false; };
  const out = Array.from(document.querySelectorAll('body *')).filter(e =>
    e.getBoundingClientRect().right > cw + 1 && getComputedStyle(e).position !== 'fixed' && !clipped(e));
  const outer = out.filter(e => !out.includes(e.parentElement));
  return JSON.stringify({scrollWidth: document.documentElement.scrollWidth, clientWidth: cw,
    height: document.documentElement.scrollHeight,
    overflowing: outer.slice(0, 10).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : ''))});
})()
"""


def _clip(b: Browser, out: Path, x: float, y: float, w: float, h: float) -> None:
    import base64

    data = b.send(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": x, "y": y, "width": w, "height": min(h, 16000), "scale": 1},
        },
    )["data"]
    out.write_bytes(base64.b64decode(data))


def shoot(report: Path, out: Path, views: list[str], tile: int = 1600) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {}
    for name in views:
        v = VIEWS[name]
        with Browser(width=v["width"], height=900) as b:
            b.open(report, javascript=v["javascript"], dark=v["dark"], settle=0.8)
            metrics = json.loads(b.evaluate(_METRICS_JS))
            if v.get("print"):
                pdf = out / "print.pdf"
                b.pdf(pdf)
                metrics["pdf_pages"] = _pdf_pages(pdf, out)
            else:
                height = int(metrics["height"])
                for i, top in enumerate(range(0, min(height, 48000), tile)):
                    _clip(
                        b, out / f"{name}-{i:02d}.png", 0, top, v["width"], min(tile, height - top)
                    )
                for s in json.loads(b.evaluate(_SECTIONS_JS)):
                    if s["h"] > 0:
                        _clip(
                            b, out / f"{name}-section-{s['id']}.png", s["x"], s["y"], s["w"], s["h"]
                        )
            r = b.report
            metrics.update(
                requests_out=r.non_local,
                console_errors=r.console_errors,
                exceptions=r.exceptions,
                dialogs=r.dialogs,
            )
        summary[name] = metrics
    (out / "views.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def _pdf_pages(pdf: Path, out: Path) -> int | None:
    data = pdf.read_bytes()
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "50", str(pdf), str(out / "print-page")], check=False
        )
    return pages if pages > 0 else None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("report", type=Path)
    p.add_argument("--out", type=Path, default=Path("build/shots"))
    p.add_argument("--views", default=",".join(VIEWS), help="comma-separated: " + ",".join(VIEWS))
    a = p.parse_args()
    summary = shoot(a.report, a.out, [v for v in a.views.split(",") if v])
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
