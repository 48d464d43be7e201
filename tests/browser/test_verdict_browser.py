"""The verdict at a glance, in a real headless Chromium: at 1280 x 900 the key-metrics
panel is on the first screen, nothing of the header or the panel needs sideways
scrolling, and the page as a whole has no sideways scroll; with JavaScript off too.
Screenshots of the first screen go to build/ for a human to look at."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests import logdirs
from tests.browser.cdp import Browser, find_chromium

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed")

BUILD = Path(__file__).resolve().parents[2] / "build"
FIRST_SCREEN = 900

BUILDERS: dict[str, Callable[[Path], Path]] = {
    "realistic": lambda root: logdirs.build_realistic(root, steps=400, graph=False),
    "many_runs": logdirs.build_many_runs,
    "restarted": logdirs.build_restarted,
    "one_value_tags": logdirs.build_one_value_tags,
}

#: where the panel is, and everything on the first screen that is wider than its box
_FIRST_SCREEN_JS = """
(() => {
  const key = document.getElementById('key');
  const r = key.getBoundingClientRect();
  const cw = document.documentElement.clientWidth;
  // the verdict's own parts: the header (title, counts, data health) and the panel
  const mine = Array.from(document.querySelectorAll('header.top, header.top *, #key, #key *'));
  const wide = mine.filter(e => {
    const b = e.getBoundingClientRect();
    if (b.top + scrollY >= FIRST || b.height === 0) return false;
    const style = getComputedStyle(e);
    const scrolls = ['auto', 'scroll'].includes(style.overflowX) && e.scrollWidth > e.clientWidth + 1;
    return scrolls || b.right > cw + 1;
  }).map(e => e.tagName.toLowerCase() + '.' + (e.className || '').toString().split(' ')[0]);
  return JSON.stringify({top: r.top + scrollY, bottom: r.bottom + scrollY,
    cards: key.querySelectorAll('figure.rank').length,
    scrollWidth: document.documentElement.scrollWidth, clientWidth: cw, wide: wide});
})()
""".replace("FIRST", str(FIRST_SCREEN))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    from tbreport import build_report

    root = tmp_path_factory.mktemp("verdict-browser")

    @cache
    def get(name: str) -> Path:
        logdir = BUILDERS[name](root / name)
        return build_report(logdir, root / f"{name}.html", progress=False)

    return get


@pytest.fixture(scope="module")
def browser() -> Browser:  # type: ignore[misc]
    b = Browser(width=1280, height=FIRST_SCREEN)
    yield b
    b.close()


def _first_screen(b: Browser) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(b.evaluate(_FIRST_SCREEN_JS))
    return data


@pytest.mark.parametrize("name", list(BUILDERS))
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_the_panel_is_on_the_first_screen_without_sideways_scrolling(
    report: Callable[[str], Path], browser: Browser, name: str, javascript: bool
) -> None:
    browser.open(report(name), javascript=javascript, settle=0.5)
    r = browser.report
    assert r.non_local == [] and r.console_errors == [] and r.exceptions == []
    seen = _first_screen(browser)
    assert seen["cards"] >= 3
    assert seen["top"] < FIRST_SCREEN / 3, seen  # the verdict starts near the top
    assert seen["bottom"] <= FIRST_SCREEN, seen  # and the whole panel fits the first screen
    assert seen["wide"] == [], seen  # nothing of the verdict scrolls or sticks out sideways
    assert seen["scrollWidth"] <= seen["clientWidth"], seen  # nor does the page
    if javascript:
        BUILD.mkdir(exist_ok=True)
        browser.screenshot(BUILD / f"verdict-{name}-1280.png", full_page=False)


def test_a_folded_ranking_opens_without_javascript(
    report: Callable[[str], Path], browser: Browser
) -> None:
    browser.open(report("many_runs"), javascript=False)
    rows = "document.querySelectorAll('#key details.more')[0].querySelectorAll('tbody tr')"
    visible = f"Array.from({rows}).filter(r => r.checkVisibility()).length"
    assert browser.evaluate(visible) == 0
    browser.evaluate("document.querySelectorAll('#key details.more')[0].open = true")
    assert browser.evaluate(visible) == 35  # every other run, ranked
