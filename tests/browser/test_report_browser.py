"""The report in a real headless Chromium, loaded from file:// with the network blocked.

Asserts what a user relies on: the page asks for nothing but file:/data: URLs, logs no
console error, raises no exception, opens no dialog (no script from a log ran), works
with JavaScript on (slider, sortable tables) and off (every image step visible), in
light and dark mode, and prints to PDF. Screenshots go to build/ for a human to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.cdp import Browser, find_chromium
from tests.conftest import CORPUS

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed")

BUILD = Path(__file__).resolve().parents[2] / "build"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tbreport import build_report

    out = tmp_path_factory.mktemp("browser") / "report.html"
    return build_report(CORPUS, out, progress=False)


@pytest.fixture(scope="module")
def browser() -> Browser:  # type: ignore[misc]
    b = Browser()
    yield b
    b.close()


def _assert_clean(b: Browser) -> None:
    r = b.report
    assert r.non_local == [], f"the page asked for the network: {r.non_local}"
    assert r.console_errors == []
    assert r.exceptions == []
    assert r.dialogs == [], f"a script from the logs ran: {r.dialogs}"


def test_offline_clean_with_javascript(report: Path, browser: Browser) -> None:
    browser.open(report)
    _assert_clean(browser)
    assert browser.evaluate("document.documentElement.classList.contains('js')") is True
    assert any(u.startswith("file:") for u in browser.report.requests)
    browser.screenshot(BUILD / "report-browser.png")
    assert (BUILD / "report-browser.png").stat().st_size > 10_000
    # every chart image decoded (a broken data URI has naturalWidth 0)
    broken = browser.evaluate(
        "Array.from(document.querySelectorAll('main img')).filter(i => !i.complete || i.naturalWidth === 0).length"
    )
    assert broken == 0
    # the tags with markup are text on the page, not elements
    text = browser.evaluate("document.body.innerText")
    assert "<script>alert(1)</script>" in text
    assert 'x&y "q" <b>bold</b>' in text
    # no script element in the report's body but the live charts' data (JSON, never run)
    assert (
        browser.evaluate(
            "document.querySelectorAll('main script:not([type=\"application/json\"].tbc-data)').length"
        )
        == 0
    )


def test_slider_steps_through_images(report: Path, browser: Browser) -> None:
    browser.open(report)
    visible = browser.evaluate(
        "(() => { const g = document.querySelector('.gallery.multi');"
        " return Array.from(g.querySelectorAll('.frame'))"
        ".filter(f => getComputedStyle(f).display !== 'none').map(f => f.dataset.step); })()"
    )
    assert len(visible) == 1  # one step at a time, the last one first
    moved = browser.evaluate(
        "(() => { const g = document.querySelector('.gallery.multi');"
        " const s = g.querySelector('input[type=range]'); s.value = '0';"
        " s.dispatchEvent(new Event('input'));"
        " return [g.querySelector('.frame.current').dataset.step, g.querySelector('output').textContent]; })()"
    )
    assert moved[0] == moved[1]
    assert moved[0] != visible[0]
    # click: the full-size view opens on the same image, a click closes it
    opened = browser.evaluate(
        "(() => { const img = document.querySelector('.frame.current img'); img.click();"
        " const d = document.querySelector('dialog.zoom');"
        " return [d.open, d.querySelector('img').src === img.src]; })()"
    )
    assert opened == [True, True]
    assert (
        browser.evaluate(
            "(() => { const d = document.querySelector('dialog.zoom'); d.click(); return d.open; })()"
        )
        is False
    )
    _assert_clean(browser)


def test_table_sorts(report: Path, browser: Browser) -> None:
    browser.open(report)
    order = browser.evaluate(
        "(() => { const t = document.querySelector('table.runs');"
        " const th = t.tHead.rows[0].cells[3]; th.click(); th.click();"  # points, descending
        " return Array.from(t.tBodies[0].rows).map(r => parseFloat(r.cells[3].dataset.sort)); })()"
    )
    assert order == sorted(order, reverse=True)
    _assert_clean(browser)


def test_readable_without_javascript(report: Path, browser: Browser) -> None:
    browser.open(report, javascript=False)
    _assert_clean(browser)
    assert browser.evaluate("document.documentElement.classList.contains('no-js')") is True
    hidden = browser.evaluate(
        "Array.from(document.querySelectorAll('.frame'))"
        ".filter(f => getComputedStyle(f).display === 'none').length"
    )
    assert hidden == 0  # every image step is in the strip
    assert browser.evaluate("document.querySelectorAll('.frame').length") > 20
    browser.screenshot(BUILD / "report-browser-nojs.png", max_height=4000)


def test_dark_mode_and_print(report: Path, browser: Browser) -> None:
    browser.open(report, dark=True)
    _assert_clean(browser)
    bg = browser.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg != "rgb(255, 255, 255)" and bg != "rgb(246, 247, 249)"
    browser.screenshot(BUILD / "report-browser-dark.png", max_height=4000)
    browser.pdf(BUILD / "report-print.pdf")
    assert (BUILD / "report-print.pdf").read_bytes().startswith(b"%PDF")
    _assert_clean(browser)


def test_svg_charts_and_wall_clock_axis(tmp_path: Path, browser: Browser) -> None:
    from tbreport import build_report

    out = build_report(CORPUS, tmp_path / "svg.html", format="svg", x_axis="wall", progress=False)
    browser.open(out)
    _assert_clean(browser)
    # the static rendering, as without JavaScript (with it, a live chart on screen
    # takes the place of its static SVG)
    browser.open(out, javascript=False)
    charts, drawn = browser.evaluate(
        "(() => { const all = Array.from(document.querySelectorAll('.svgchart svg'));"
        " return [all.length, all.filter(s => s.getBoundingClientRect().width > 100).length]; })()"
    )
    # every scalar chart (tags with one or two points are numbers, not charts) is inline
    # SVG with a real size
    assert charts >= 20 and drawn == charts


def test_tag_filter(report: Path, browser: Browser) -> None:
    browser.open(report)
    counts = browser.evaluate(
        "(() => { const f = document.getElementById('tag-filter');"
        " const visible = () => Array.from(document.querySelectorAll('figure.card[data-tag]'))"
        ".filter(c => getComputedStyle(c).display !== 'none').map(c => c.dataset.tag);"
        " const all = visible().length;"
        " f.value = '^tf2/'; f.dispatchEvent(new Event('input')); const tf2 = visible();"
        " f.value = '(['; f.dispatchEvent(new Event('input')); const bad = f.classList.contains('bad');"
        " f.value = ''; f.dispatchEvent(new Event('input'));"
        " return [all, tf2, bad, visible().length]; })()"
    )
    everything, tf2, bad, again = counts
    assert tf2 and all(t.startswith("tf2/") for t in tf2) and len(tf2) < everything
    assert bad is True and again == everything
    _assert_clean(browser)
