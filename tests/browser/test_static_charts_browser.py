"""Static scalar charts as a reader sees them, in a real headless Chromium (JavaScript
off, as in print and e-mail): each chart's PNG holds at least twice the pixels it is
shown at, its tick text is at least 11 CSS px, legend text too, run names wrap only
between their tokens, and a legend of many runs scrolls inside its card. With
JavaScript on, the live layer starts as the static chart does (log axis, band)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tbreport.render.charts import LINE_FONT
from tests import logdirs
from tests.browser.cdp import Browser, find_chromium

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed")

BUILDERS: dict[str, Callable[[Path], Path]] = {
    "realistic": lambda root: logdirs.build_realistic(root, steps=2000, graph=False),
    "many_runs": logdirs.build_many_runs,
}

#: per scalar chart card: the image's sizes, the legend's text size and run-name tokens
#: that sit on more than one line, and the legend box's scrolling
_MEASURE_JS = """
(() => {
  const out = [];
  for (const card of document.querySelectorAll('figure.card[data-tag]')) {
    const img = card.querySelector('.chartbox img.chart');
    if (!img || !card.querySelector('.legend-box')) continue;  // a scalar chart's card
    const broken = [];
    for (const rn of card.querySelectorAll('table.legend .rn')) {
      for (const node of rn.childNodes) {
        if (node.nodeName === 'WBR') continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(node.textContent);
      }
    }
    const box = card.querySelector('.legend-box');
    const td = card.querySelector('table.legend td');
    out.push({tag: card.dataset.tag, natural: img.naturalWidth, shown: img.clientWidth,
      css: Number(img.getAttribute('width')), legendPx: parseFloat(getComputedStyle(td).fontSize),
      broken: broken, boxHeight: box.clientHeight, boxScroll: box.scrollHeight,
      boxBottom: box.getBoundingClientRect().bottom, cardBottom: card.getBoundingClientRect().bottom,
      rows: card.querySelectorAll('table.legend tbody tr').length});
  }
  return JSON.stringify(out);
})()
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    from tbreport import build_report

    root = tmp_path_factory.mktemp("static-charts")

    @cache
    def get(name: str) -> Path:
        return build_report(BUILDERS[name](root / name), root / f"{name}.html", progress=False)

    return get


@pytest.fixture(scope="module", params=[1280, 390], ids=["1280", "390"])
def browser(request: pytest.FixtureRequest) -> Iterator[Browser]:
    b = Browser(width=request.param, height=900)
    yield b
    b.close()


def _measure(b: Browser) -> list[dict[str, Any]]:
    cards: list[dict[str, Any]] = json.loads(b.evaluate(_MEASURE_JS))
    return cards


@pytest.mark.parametrize("name", list(BUILDERS))
def test_static_charts_read_at_their_size(
    report: Callable[[str], Path], browser: Browser, name: str
) -> None:
    browser.open(report(name), javascript=False)
    cards = _measure(browser)
    assert cards
    wide = browser.evaluate("innerWidth") >= 1000
    for c in cards:
        assert c["natural"] >= 2 * c["shown"], c  # sharp at twice its display size
        assert c["broken"] == [], c  # run names wrap between tokens, never inside one
        assert c["legendPx"] >= 11, c
        if wide:  # tick text at the size the card shows the chart
            assert LINE_FONT / 72 * 100 * c["shown"] / c["css"] >= 11, c
        assert c["boxBottom"] <= c["cardBottom"] + 0.5, c  # the legend stays in its card
        if c["rows"] > 10:  # many runs: the legend scrolls inside its card
            assert c["boxScroll"] > c["boxHeight"] and c["boxHeight"] < 400, c


def test_the_live_layer_starts_as_the_static_chart(
    report: Callable[[str], Path], browser: Browser
) -> None:
    browser.open(report("realistic"), javascript=True, settle=1.0)
    assert browser.report.console_errors == [] and browser.report.exceptions == []

    def card(tag: str) -> str:
        return f"document.querySelector('figure.card[data-tag=\"{tag}\"]')"

    def drawn(el: str) -> None:  # live charts are drawn once on screen
        browser.evaluate(f"{el}.scrollIntoView()")
        end = time.monotonic() + 10
        while not browser.evaluate(f"!!{el}.querySelector('svg.tbc-svg .tbc-series')"):
            assert time.monotonic() < end, "the live chart was not drawn"
            time.sleep(0.1)

    lr = card("train/lr")
    drawn(lr)
    assert (
        browser.evaluate(f"{lr}.querySelector('.tbc-log').getAttribute('aria-pressed')") == "true"
    )
    assert browser.evaluate(f"{lr}.querySelector('svg.tbc-svg').dataset.scale") == "log"
    assert browser.evaluate(f"{lr}.querySelectorAll('.tbc-band').length") == 0  # a schedule: raw
    gn = card("train/grad_norm")
    drawn(gn)
    assert (
        browser.evaluate(f"{gn}.querySelector('.tbc-log').getAttribute('aria-pressed')") == "false"
    )
    # dense and smoothed: a band per run under its smoothed line, no raw line
    assert browser.evaluate(f"{gn}.querySelectorAll('.tbc-band').length") >= 3
    assert browser.evaluate(f"{gn}.querySelectorAll('.tbc-raw').length") == 0
