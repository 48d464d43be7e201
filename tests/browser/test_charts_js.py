"""``templates/charts.js`` in a real headless Chromium, over pages of real payloads.

The page (``tests/browser/charts_harness.py``) has the report's Content-Security-Policy
and the report's DOM structure for a live chart. Every interaction is done as a user
does it, with DevTools input events (mouse moves, drags, clicks, touches); the results
are read from the DOM and from the downloaded files and compared with the Python side
(the payload decoder and tbreport's own TensorBoard smoothing).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tbreport.metrics import smooth
from tbreport.render.chartdata import DEFAULT_BUCKETS, chart_payload, decode_payload, keep_indices
from tests.browser.cdp import Browser, find_chromium
from tests.browser.charts_harness import XSS, ChartCase, datasets, page_html

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed")

BUILD = Path(__file__).resolve().parents[2] / "build"


@pytest.fixture(scope="module")
def cases() -> list[ChartCase]:
    return datasets(fillers=150)


@pytest.fixture(scope="module")
def page(cases: list[ChartCase], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("charts") / "harness.html"
    path.write_text(page_html(cases), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = Browser(width=1280, height=1000)
    yield b
    b.close()


def case_of(cases: list[ChartCase], tag: str) -> ChartCase:
    return next(c for c in cases if c.tag == tag)


# ----------------------------------------------------------------------------- helpers


def box(tag: str) -> str:
    """A JS expression for the .tbc box of a tag's card."""
    return f"document.querySelector('figure[data-tag=' + CSS.escape({json.dumps(tag)}) + '] .tbc')"


def wait_for(b: Browser, expression: str, timeout: float = 10.0) -> Any:
    end = time.monotonic() + timeout
    while True:
        value = b.evaluate(expression)
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.05)


def show(b: Browser, tag: str) -> dict[str, Any]:
    """Scroll a chart to the middle of the viewport, wait until it is live and drawn;
    return its plot geometry in viewport coordinates and its domains. (Charts drawn on
    the way change the page's height, so the scroll is repeated until it holds.)"""
    live = f"{box(tag)}.classList.contains('tbc-on') && !!{box(tag)}.querySelector('svg[data-x0]')"
    end = time.monotonic() + 10
    while True:
        b.evaluate(f"{box(tag)}.scrollIntoView({{block: 'center', behavior: 'instant'}})")
        time.sleep(0.1)
        centred = b.evaluate(
            f"(() => {{ const r = {box(tag)}.getBoundingClientRect();"
            " return r.top >= 0 && r.bottom <= innerHeight; })()"
        )
        if centred and b.evaluate(live):
            break
        if time.monotonic() > end:
            raise AssertionError(f"{tag}: the chart was not drawn")
    time.sleep(0.1)  # the frame after a scroll
    return geometry(b, tag)


def geometry(b: Browser, tag: str) -> dict[str, Any]:
    result: dict[str, Any] = b.evaluate(
        f"(() => {{ const s = {box(tag)}.querySelector('svg.tbc-svg'); const r = s.getBoundingClientRect();"
        " const d = s.dataset; return {left: r.left + +d.left, top: r.top + +d.top, pw: +d.pw, ph: +d.ph,"
        " x0: +d.x0, x1: +d.x1, y0: +d.y0, y1: +d.y1, scale: d.scale, width: r.width}; })()"
    )
    return result


def px(g: dict[str, Any], x: float) -> float:
    return float(g["left"] + (x - g["x0"]) / (g["x1"] - g["x0"]) * g["pw"])


def mouse(
    b: Browser, kind: str, x: float, y: float, *, button: str = "none", clicks: int = 0
) -> None:
    params: dict[str, Any] = {"type": kind, "x": x, "y": y, "button": button, "clickCount": clicks}
    if button != "none":
        params["buttons"] = 1 if kind != "mouseReleased" else 0
    b.send("Input.dispatchMouseEvent", params)


def click(b: Browser, selector_js: str) -> None:
    """A real mouse click in the middle of an element (scrolled into view first)."""
    b.evaluate(f"{selector_js}.scrollIntoView({{block: 'center', behavior: 'instant'}})")
    time.sleep(0.1)
    r = b.evaluate(
        f"(() => {{ const r = {selector_js}.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }})()"
    )
    mouse(b, "mouseMoved", r[0], r[1])
    mouse(b, "mousePressed", r[0], r[1], button="left", clicks=1)
    mouse(b, "mouseReleased", r[0], r[1], button="left", clicks=1)
    time.sleep(0.1)


def tip_rows(b: Browser, tag: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = b.evaluate(
        f"Array.from({box(tag)}.querySelectorAll('.tbc-tip tbody tr')).map(tr => ({{"
        " run: tr.dataset.run, step: tr.dataset.step,"
        " value: tr.querySelector('.tbc-value').dataset.value, shown: tr.querySelector('.tbc-value').textContent,"
        " smoothed: (tr.querySelector('.tbc-smoothed') || {dataset: {}}).dataset.value,"
        " wall: tr.querySelector('.tbc-wall').textContent, rel: tr.querySelector('.tbc-rel').textContent,"
        " name: tr.querySelector('.tbc-name').textContent }))"
    )
    return rows


def series_runs(b: Browser, tag: str) -> list[str]:
    runs: list[str] = b.evaluate(
        f"Array.from({box(tag)}.querySelectorAll('g.tbc-series')).map(g => g.dataset.run)"
    )
    return runs


def assert_clean(b: Browser) -> None:
    r = b.report
    assert r.non_local == [], f"the page asked for the network: {r.non_local}"
    assert r.console_errors == []
    assert r.exceptions == []
    assert r.dialogs == [], f"a script from the logs ran: {r.dialogs}"
    errors = b.evaluate(
        "Array.from(document.querySelectorAll('[data-tbc-error]')).map(e => e.dataset.tbcError)"
    )
    assert errors == []


def kept(case: ChartCase, run: str) -> dict[str, np.ndarray]:
    line = next(ln for ln in case.lines if ln.run == run)
    idx = keep_indices(line.steps, line.values, DEFAULT_BUCKETS)
    return {
        "steps": np.asarray(line.steps)[idx],
        "values": np.asarray(line.values)[idx],
        "walls": np.asarray(line.wall_times)[idx],
    }


def set_smoothing(b: Browser, weight: float) -> None:
    b.evaluate(
        "(() => { const i = document.querySelector('.tbc-controls input[type=range]');"
        f" i.value = '{weight}'; i.dispatchEvent(new Event('input', {{bubbles: true}})); }})()"
    )
    time.sleep(0.15)


# ----------------------------------------------------------------------------- tests


def test_page_is_clean_offline_and_lazy(
    page: Path, browser: Browser, cases: list[ChartCase]
) -> None:
    browser.open(page, settle=0.8)
    assert_clean(browser)
    total = browser.evaluate("document.querySelectorAll('.tbc').length")
    live = browser.evaluate("document.querySelectorAll('.tbc.tbc-on').length")
    assert total == len(cases)
    assert 2 <= live < 30, "only the charts near the viewport are drawn at load"
    # the static image is kept in the page (print, e-mail, JavaScript off) but not shown
    shown = browser.evaluate(
        f"getComputedStyle({box('train/loss')}.querySelector('img.chart')).display"
    )
    assert shown == "none"
    # scrolling to the end draws the last chart
    last = cases[-1].tag
    show(browser, last)
    assert browser.evaluate(f"{box(last)}.classList.contains('tbc-on')")
    assert browser.evaluate("document.querySelectorAll('.tbc.tbc-on').length") < total
    browser.evaluate("window.scrollTo(0, 0)")
    time.sleep(0.2)
    browser.screenshot(BUILD / "charts-1280.png", max_height=2600)
    assert_clean(browser)


def test_hover_readout_shows_logged_values(
    page: Path, browser: Browser, cases: list[ChartCase]
) -> None:
    browser.open(page)
    tag = "train/loss"
    case = case_of(cases, tag)
    g = show(browser, tag)
    mouse(browser, "mouseMoved", px(g, 150), g["top"] + g["ph"] / 2)
    time.sleep(0.1)
    rows = tip_rows(browser, tag)
    assert [r["run"] for r in rows] == ["lr_0.1", "lr_0.01", XSS]
    for row, line in zip(rows, case.lines):
        assert row["step"] == "150"
        value = float(np.asarray(line.values)[150])
        assert float(row["value"]) == value  # the exact logged value
        assert row["shown"] == f"{value:.6g}"
        wall = float(np.asarray(line.wall_times)[150])
        assert row["wall"] == time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(wall))
        assert row["rel"] == "5 min 37 s"  # 37 s + 150 steps x 2 s after the run's start
        expected = smooth(np.asarray(line.values), 0.6)[150]
        assert math.isclose(float(row["smoothed"]), expected, rel_tol=1e-12)
    assert rows[2]["name"] == XSS  # the run name is text
    # a dot on each line and a readout inside the card
    assert browser.evaluate(f"{box(tag)}.querySelectorAll('.tbc-overlay circle').length") == 3
    # the mouse leaves: the readout goes
    mouse(browser, "mouseMoved", 5, 5)
    time.sleep(0.1)
    assert (
        browser.evaluate(f"getComputedStyle({box(tag)}.querySelector('.tbc-tip')).display")
        == "none"
    )
    assert_clean(browser)


def test_touch_shows_the_readout(page: Path, cases: list[ChartCase]) -> None:
    with Browser(width=390, height=844) as b:
        b.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
        b.open(page)
        g = show(b, "train/acc")
        x, y = px(g, 100), g["top"] + g["ph"] / 2
        b.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]}
        )
        b.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        time.sleep(0.15)
        rows = tip_rows(b, "train/acc")
        assert [r["step"] for r in rows] == ["100"] * 3
        value = float(np.asarray(case_of(cases, "train/acc").lines[0].values)[100])
        assert float(rows[0]["value"]) == value
        # the readout stays inside the screen
        right = b.evaluate(
            f"{box('train/acc')}.querySelector('.tbc-tip').getBoundingClientRect().right"
        )
        assert right <= 390
        assert_clean(b)


def test_legend_click_hides_the_run_in_every_chart(page: Path, browser: Browser) -> None:
    browser.open(page)
    show(browser, "train/loss")
    show(browser, "train/acc")
    assert series_runs(browser, "train/acc") == ["lr_0.1", "lr_0.01", XSS]
    chip = f"{box('train/loss')}.querySelectorAll('.tbc-chip')[1]"
    click(browser, chip)
    for tag in ("train/loss", "train/acc", "train/lr"):
        show(browser, tag)
        assert "lr_0.01" not in series_runs(browser, tag), tag
        pressed = browser.evaluate(
            f"Array.from({box(tag)}.querySelectorAll('.tbc-chip')).map(c => c.getAttribute('aria-pressed'))"
        )
        assert pressed[1] == "false"
    # a chart drawn only now (it was far below) starts with the run hidden too
    show(browser, "filler/metric_120")
    assert series_runs(browser, "filler/metric_120") == ["lr_0.1"]
    assert browser.evaluate(
        "document.querySelector('.tbc-controls .tbc-hidden').textContent"
    ).startswith("1 run hidden")
    # the hover readout leaves the hidden run out
    g = show(browser, "train/acc")
    mouse(browser, "mouseMoved", px(g, 20), g["top"] + 20)
    time.sleep(0.1)
    assert [r["run"] for r in tip_rows(browser, "train/acc")] == ["lr_0.1", XSS]
    # show it again from train/acc's legend table (a card with one shows no chips)
    click(browser, f"{box('train/acc')}.closest('figure').querySelectorAll('tr[data-tbc-run]')[1]")
    for tag in ("train/loss", "train/acc", "filler/metric_120"):
        show(browser, tag)
        assert "lr_0.01" in series_runs(browser, tag)
    assert_clean(browser)


def test_rows_marked_data_tbc_run_toggle_runs_too(page: Path, browser: Browser) -> None:
    browser.open(page)
    show(browser, "train/loss")
    row = f"{box('train/acc')}.closest('figure').querySelector('tr[data-tbc-run]')"
    click(browser, row)
    assert "lr_0.1" not in series_runs(browser, "train/loss")
    assert browser.evaluate(f"{row}.getAttribute('aria-pressed')") == "false"
    chip = browser.evaluate(
        f"{box('train/loss')}.querySelector('.tbc-chip').getAttribute('aria-pressed')"
    )
    assert chip == "false"
    browser.evaluate(f"{row}.focus()")
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Enter", "code": "Enter"})
    time.sleep(0.15)
    assert "lr_0.1" in series_runs(browser, "train/loss")
    assert browser.evaluate(f"{row}.getAttribute('aria-pressed')") == "true"
    assert_clean(browser)


def test_smoothing_slider_resmooths_as_tensorboard(
    page: Path, browser: Browser, cases: list[ChartCase]
) -> None:
    browser.open(page)
    for weight in (0.9, 0.0, 0.999, 0.35):
        set_smoothing(browser, weight)
        for tag in (
            "train/loss",
            "train/grad_norm",
            "debug/nonfinite",
            "misc/constant",
            "misc/restarted",
        ):
            show(browser, tag)
            rows = list(
                csv.DictReader(
                    io.StringIO(browser.evaluate(f"{box(tag)}.tbcChart.csv()").lstrip("\ufeff"))
                )
            )
            case = case_of(cases, tag)
            for line in case.lines:
                k = kept(case, line.run)
                mine = [r for r in rows if r["run"] == line.run]
                assert [int(r["step"]) for r in mine] == k["steps"].tolist()
                got_values = np.array([float(r["value"]) for r in mine])
                assert np.array_equal(got_values, k["values"], equal_nan=True)
                if weight == 0:
                    assert "smoothed" not in mine[0]
                    continue
                # TensorBoard smooths each attempt of a restarted series on its own
                cuts = np.flatnonzero(np.diff(k["steps"]) < 0) + 1
                expected = np.concatenate(
                    [smooth(part, weight) for part in np.split(k["values"], cuts)]
                )
                got = np.array([float(r["smoothed"]) for r in mine])
                np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12, equal_nan=True)
    # the readout follows the slider
    g = show(browser, "train/loss")
    mouse(browser, "mouseMoved", px(g, 200), g["top"] + 30)
    time.sleep(0.1)
    row = tip_rows(browser, "train/loss")[0]
    values = np.asarray(case_of(cases, "train/loss").lines[0].values)
    assert math.isclose(float(row["smoothed"]), smooth(values, 0.35)[200], rel_tol=1e-12)
    assert browser.evaluate("document.querySelector('.tbc-controls output').textContent") == "0.350"
    assert_clean(browser)


def test_log_toggle(page: Path, browser: Browser) -> None:
    browser.open(page)
    tag = "train/lr"
    g = show(browser, tag)
    assert g["scale"] == "linear"
    click(browser, f"{box(tag)}.querySelector('.tbc-log')")
    g = geometry(browser, tag)
    assert g["scale"] == "log"
    assert 0 < g["y0"] < 1e-5 and 0.1 < g["y1"] < 0.2
    labels = browser.evaluate(
        f"Array.from({box(tag)}.querySelectorAll('.tbc-axes text')).map(t => t.textContent)"
    )
    assert "0.01" in labels and "0.001" in labels
    assert (
        browser.evaluate(f"{box(tag)}.querySelector('.tbc-log').getAttribute('aria-pressed')")
        == "true"
    )
    # the other charts keep their own scale
    assert geometry(browser, "train/loss")["scale"] == "linear"
    click(browser, f"{box(tag)}.querySelector('.tbc-log')")
    assert geometry(browser, tag)["scale"] == "linear"
    assert_clean(browser)


def test_drag_zooms_and_reset_restores(
    page: Path, browser: Browser, cases: list[ChartCase]
) -> None:
    browser.open(page)
    tag = "train/loss"
    g = show(browser, tag)
    full = (g["x0"], g["x1"], g["y0"], g["y1"])
    y = g["top"] + g["ph"] / 2
    a, z = px(g, 100), px(g, 200)
    mouse(browser, "mouseMoved", a, y)
    mouse(browser, "mousePressed", a, y, button="left", clicks=1)
    for f in np.linspace(0, 1, 6):
        mouse(browser, "mouseMoved", a + (z - a) * f, y, button="left")
    assert browser.evaluate(f"!!{box(tag)}.querySelector('.tbc-selection')")
    mouse(browser, "mouseReleased", z, y, button="left", clicks=1)
    time.sleep(0.15)
    zoomed = geometry(browser, tag)
    step = (full[1] - full[0]) / g["pw"]  # one pixel in steps
    assert abs(zoomed["x0"] - 100) <= 2 * step and abs(zoomed["x1"] - 200) <= 2 * step
    # y fits what is in view: every value between the zoomed steps, 5 % padding
    inside = np.concatenate([np.asarray(ln.values)[100:201] for ln in case_of(cases, tag).lines])
    span = inside.max() - inside.min()
    assert zoomed["y0"] <= inside.min() and zoomed["y1"] >= inside.max()
    assert zoomed["y1"] - zoomed["y0"] <= span * 1.6  # fitted, not the full range
    assert zoomed["y1"] - zoomed["y0"] < full[3] - full[2]
    assert browser.evaluate(f"{box(tag)}.querySelector('.tbc-reset').disabled") is False
    click(browser, f"{box(tag)}.querySelector('.tbc-reset')")
    again = geometry(browser, tag)
    assert (again["x0"], again["x1"], again["y0"], again["y1"]) == pytest.approx(full)
    assert browser.evaluate(f"{box(tag)}.querySelector('.tbc-reset').disabled") is True
    # double-click resets too
    mouse(browser, "mouseMoved", a, y)
    mouse(browser, "mousePressed", a, y, button="left", clicks=1)
    mouse(browser, "mouseMoved", z, y, button="left")
    mouse(browser, "mouseReleased", z, y, button="left", clicks=1)
    time.sleep(0.1)
    assert geometry(browser, tag)["x1"] < full[1]
    for n in (1, 2):
        mouse(browser, "mousePressed", a, y, button="left", clicks=n)
        mouse(browser, "mouseReleased", a, y, button="left", clicks=n)
    time.sleep(0.15)
    assert geometry(browser, tag)["x1"] == pytest.approx(full[1])
    assert_clean(browser)


def _downloads(b: Browser, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    b.send(
        "Browser.setDownloadBehavior",
        {"behavior": "allow", "downloadPath": str(folder), "eventsEnabled": True},
        session=False,
    )


def _downloaded(folder: Path, name: str, timeout: float = 10.0) -> bytes:
    end = time.monotonic() + timeout
    path = folder / name
    while time.monotonic() < end:
        if path.exists() and not any(p.suffix == ".crdownload" for p in folder.iterdir()):
            data = path.read_bytes()
            if data:
                return data
        time.sleep(0.05)
    raise AssertionError(f"{name} was not downloaded (have {os.listdir(folder)})")


def test_downloads_png_svg_csv(
    page: Path, browser: Browser, cases: list[ChartCase], tmp_path: Path
) -> None:
    from PIL import Image

    _downloads(browser, tmp_path)
    browser.open(page)
    tag = "train/loss"
    g = show(browser, tag)
    for kind in ("csv", "svg", "png"):
        click(browser, f"{box(tag)}.querySelector('.tbc-dl-{kind}')")
    case = case_of(cases, tag)
    text = _downloaded(tmp_path, "train_loss.csv").decode("utf-8")
    assert text.startswith("\ufeffrun,step,wall_time,value,smoothed\r\n")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == sum(len(np.asarray(ln.steps)) for ln in case.lines)  # 300 each: all kept
    first = [r for r in rows if r["run"] == XSS]
    line = case.lines[2]
    assert [float(r["value"]) for r in first] == np.asarray(line.values).tolist()
    assert [int(r["step"]) for r in first] == list(range(300))
    walls = np.array([float(r["wall_time"]) for r in first])
    np.testing.assert_allclose(walls, np.asarray(line.wall_times), atol=0.0005 + 1e-6, rtol=0)

    svg = _downloaded(tmp_path, "train_loss.svg").decode("utf-8")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = [t.text for t in root.iter() if t.tag.endswith("text")]
    assert tag in texts and XSS in texts and "lr_0.1" in texts
    paths = [p for p in root.iter() if p.tag.endswith("path")]
    assert len(paths) >= 6  # raw and smoothed line per run

    png = Image.open(io.BytesIO(_downloaded(tmp_path, "train_loss.png")))
    assert png.format == "PNG"
    assert png.width == 2 * round(g["width"]) and png.height == 2 * int(root.get("height") or 0)
    assert len(png.convert("RGB").getcolors(1 << 20) or []) > 50  # drawn, not blank

    # spreadsheet formulas in run names are neutralised, quotes and commas quoted
    show(browser, "misc/csv_names")
    click(browser, f"{box('misc/csv_names')}.querySelector('.tbc-dl-csv')")
    raw = _downloaded(tmp_path, "misc_csv_names.csv").decode("utf-8")
    names = [r["run"] for r in csv.DictReader(io.StringIO(raw.lstrip("\ufeff")))]
    assert sorted(set(names)) == sorted(["'=SUM(A1:A2)", "'@risk", "'-minus", 'plain,"quoted"'])
    assert '"plain,""quoted"""' in raw
    assert_clean(browser)


def test_dark_mode_changes_the_colours(page: Path, browser: Browser) -> None:
    def colours(dark: bool) -> dict[str, str]:
        browser.open(page, dark=dark)
        show(browser, "train/lr")
        result: dict[str, str] = browser.evaluate(
            f"(() => {{ const b = {box('train/lr')};"
            " const s = b.querySelector('svg.tbc-svg');"
            " return {bg: s.querySelector('rect').getAttribute('fill'),"
            " ticks: s.querySelector('.tbc-axes').getAttribute('fill'),"
            " grid: s.querySelector('.tbc-axes line').getAttribute('stroke'),"
            " legend: getComputedStyle(b.querySelector('.tbc-chip')).backgroundColor,"
            " box: getComputedStyle(b).backgroundColor}; })()"
        )
        return result

    light, dark = colours(False), colours(True)
    for key in ("bg", "ticks", "grid", "legend"):
        assert light[key] != dark[key], key

    def lum(c: str) -> float:
        c = c.lstrip("#")
        r, g, b = (int(c[i : i + 2], 16) / 255 for i in (0, 2, 4))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    assert lum(light["bg"]) > 0.9 and lum(dark["bg"]) < 0.2
    assert lum(dark["ticks"]) > lum(dark["bg"]) + 0.3  # text reads on the dark panel
    # a dark run colour (#003f5c, navy) is lifted so it reads on the dark background
    browser.open(page, dark=True)
    show(browser, "sweep/val_acc")
    strokes = browser.evaluate(
        f"Array.from({box('sweep/val_acc')}.querySelectorAll('path.tbc-smooth')).map(p => p.getAttribute('stroke'))"
    )
    assert "#000000" not in strokes  # trial_00's colour, lifted
    browser.screenshot(BUILD / "charts-dark.png", max_height=2600)
    assert_clean(browser)


def test_print_and_no_javascript_show_the_static_image(page: Path, browser: Browser) -> None:
    browser.open(page)
    show(browser, "train/loss")
    img = f"{box('train/loss')}.querySelector('img.chart')"
    browser.send("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert browser.evaluate(f"getComputedStyle({img}).display") != "none"
        assert (
            browser.evaluate(
                f"getComputedStyle({box('train/loss')}.querySelector('.tbc-live')).display"
            )
            == "none"
        )
        assert (
            browser.evaluate("getComputedStyle(document.querySelector('.tbc-controls')).display")
            == "none"
        )
    finally:
        browser.send("Emulation.setEmulatedMedia", {"media": ""})
    browser.open(page, javascript=False)
    assert browser.evaluate("document.querySelectorAll('.tbc-live').length") == 0
    assert browser.evaluate(f"getComputedStyle({img}).display") != "none"
    assert browser.evaluate(f"{img}.naturalWidth") > 100
    assert_clean(browser)


def test_phone_width_has_no_sideways_overflow(page: Path) -> None:
    with Browser(width=390, height=844) as b:
        b.open(page, settle=0.5)
        for tag in ("train/loss", "sweep/val_acc", "debug/nonfinite", "misc/restarted"):
            g = show(b, tag)
            card = b.evaluate(f"{box(tag)}.getBoundingClientRect().width")
            assert g["width"] <= card + 0.5
            mouse(b, "mouseMoved", px(g, (g["x0"] + g["x1"]) * 0.9), g["top"] + 10)
            time.sleep(0.1)
            right = b.evaluate(
                f"{box(tag)}.querySelector('.tbc-tip').getBoundingClientRect().right"
            )
            assert right <= 390
        assert b.evaluate("document.documentElement.scrollWidth") <= 390
        b.evaluate("window.scrollTo(0, 0)")
        time.sleep(0.2)
        b.screenshot(BUILD / "charts-390.png", max_height=2600)
        assert_clean(b)


def test_text_sizes_names_and_many_runs(page: Path, browser: Browser) -> None:
    browser.open(page)
    tag = "sweep/val_acc"
    show(browser, tag)
    sizes = browser.evaluate(
        f"(() => {{ const b = {box(tag)}; const px = e => parseFloat(getComputedStyle(e).fontSize);"
        " return {ticks: Array.from(b.querySelectorAll('.tbc-axes text')).map(px),"
        " chips: Array.from(b.querySelectorAll('.tbc-chip')).map(px)}; })()"
    )
    assert min(sizes["ticks"]) >= 11 and min(sizes["chips"]) >= 11
    legend = browser.evaluate(
        f"(() => {{ const l = {box(tag)}.querySelector('.tbc-legend');"
        " return [l.scrollHeight, l.clientHeight, l.querySelectorAll('.tbc-chip').length]; })()"
    )
    assert legend[2] == 78
    assert legend[0] > legend[1] and legend[1] < 130  # scrolls inside its card
    # a run name breaks only after "/", never inside a token
    lines = browser.evaluate(
        f"(() => {{ const rn = {box(tag)}.querySelector('.tbc-chip .tbc-rn'); const range = document.createRange();"
        " const tops = new Set(); for (const node of rn.childNodes) { if (node.nodeType !== 3) continue;"
        " range.selectNodeContents(node); for (const r of range.getClientRects()) tops.add(Math.round(r.top)); }"
        " return tops.size; })()"
    )
    assert lines == 1
    # a readout of 78 runs lists the nearest ten and says how many more
    g = geometry(browser, tag)
    mouse(browser, "mouseMoved", px(g, 250), g["top"] + 20)
    time.sleep(0.1)
    assert len(tip_rows(browser, tag)) == 10
    assert (
        browser.evaluate(f"{box(tag)}.querySelector('.tbc-more').textContent") == "and 68 more runs"
    )
    assert_clean(browser)


def test_log_strings_stay_text(page: Path, browser: Browser) -> None:
    browser.open(page)
    show(browser, "train/loss")
    chip = browser.evaluate(f"{box('train/loss')}.querySelectorAll('.tbc-chip')[2].textContent")
    assert chip == XSS
    assert browser.evaluate("document.querySelectorAll('.tbc-live img').length") == 0
    assert browser.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    assert browser.report.dialogs == []
    assert_clean(browser)


def test_nonfinite_values_are_marked(page: Path, browser: Browser) -> None:
    browser.open(page)
    tag = "debug/nonfinite"
    g = show(browser, tag)
    marks = browser.evaluate(
        f"(() => {{ const b = {box(tag)}; return [b.querySelectorAll('.tbc-nan').length,"
        " b.querySelectorAll('.tbc-inf').length,"
        " Array.from(b.querySelectorAll('path')).some(p => /NaN|Infinity/.test(p.getAttribute('d')))]; })()"
    )
    assert marks == [3, 2, False]
    # the line breaks at each of them: one sub-path per stretch of finite values
    d = browser.evaluate(f"{box(tag)}.querySelector('g.tbc-series path.tbc-raw').getAttribute('d')")
    assert d.count("M") == 5  # 0-9, 12-39, 41-59, 61-79, 81-119
    mouse(browser, "mouseMoved", px(g, 40), g["top"] + 10)
    time.sleep(0.1)
    row = tip_rows(browser, tag)[0]
    assert (row["step"], row["shown"], row["value"]) == ("40", "NaN", "nan")
    mouse(browser, "mouseMoved", px(g, 60), g["top"] + 10)
    time.sleep(0.1)
    assert tip_rows(browser, tag)[0]["shown"] == "+inf"
    assert_clean(browser)


@pytest.mark.parametrize(
    "name", ["extremes", "subnormal", "all_nan", "only_inf", "one_point", "empty"]
)
def test_edge_cases_draw_without_breaking(page: Path, browser: Browser, name: str) -> None:
    if name == "extremes":
        browser.open(page)
    tag = f"edge/{name}"
    g = show(browser, tag)
    assert all(math.isfinite(g[k]) for k in ("x0", "x1", "y0", "y1")) and g["y1"] > g["y0"]
    broken = browser.evaluate(
        f"Array.from({box(tag)}.querySelectorAll('[d], [cx], [cy], [x], [y], [x1], [y1]'))"
        ".filter(e => /NaN|Infinity/.test(Array.from(e.attributes).map(a => a.value).join(' '))).length"
    )
    assert broken == 0
    labels = browser.evaluate(
        f"Array.from({box(tag)}.querySelectorAll('.tbc-axes text')).map(t => t.textContent)"
    )
    assert labels and not any("NaN" in t or "Infinity" in t for t in labels), labels
    mouse(browser, "mouseMoved", g["left"] + g["pw"] / 2, g["top"] + 10)
    time.sleep(0.1)
    rows = tip_rows(browser, tag)
    if name != "empty":
        assert rows and rows[-1]["wall"] == "—" and rows[-1]["rel"] == "—"  # wall time unknown (0)
    for kind in ("log",):
        click(browser, f"{box(tag)}.querySelector('.tbc-{kind}')")
        assert all(
            math.isfinite(v) for v in geometry(browser, tag).values() if isinstance(v, float)
        )
        click(browser, f"{box(tag)}.querySelector('.tbc-{kind}')")
    assert_clean(browser)


def test_the_y_range_leaves_out_spikes_only(page: Path, browser: Browser) -> None:
    browser.open(page)
    g = show(browser, "outliers/readme")  # 1/(step+1): the start is kept
    assert g["y0"] < 0.01 and g["y1"] > 1.0
    g = show(browser, "outliers/spike")  # one 1e6 in 0..1: left out
    assert -0.1 < g["y0"] < 0.0 and 1.0 < g["y1"] < 1.1
    g = show(browser, "outliers/spike_shown")  # --no-outlier-clip
    assert g["y1"] > 1e6
    assert_clean(browser)


def test_restart_is_drawn_as_attempts(page: Path, browser: Browser) -> None:
    browser.open(page)
    tag = "misc/restarted"
    g = show(browser, tag)
    d = browser.evaluate(f"{box(tag)}.querySelector('path.tbc-raw').getAttribute('d')")
    assert d.count("M") == 2  # no line back from step 99 to step 50
    mouse(browser, "mouseMoved", px(g, 120), g["top"] + 10)
    time.sleep(0.1)
    row = tip_rows(browser, tag)[0]
    assert row["step"] == "120" and row["name"].endswith("attempt 2")
    assert_clean(browser)


def test_x_axis_choice_applies_to_every_chart(page: Path, browser: Browser) -> None:
    browser.open(page)
    show(browser, "train/loss")
    browser.evaluate(
        "(() => { const s = document.querySelector('.tbc-controls select'); s.value = 'wall';"
        " s.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )
    time.sleep(0.2)
    for tag in ("train/loss", "train/acc"):
        g = show(browser, tag)
        assert g["x0"] > 1.7e12  # wall time in milliseconds
        labels = browser.evaluate(
            f"Array.from({box(tag)}.querySelectorAll('.tbc-axes text[text-anchor=middle]')).map(t => t.textContent)"
        )
        assert labels and all(len(t) == 5 and t[2] == ":" for t in labels), labels
    browser.evaluate(
        "(() => { const s = document.querySelector('.tbc-controls select'); s.value = 'relative';"
        " s.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )
    time.sleep(0.2)
    g = show(browser, "train/loss")
    assert g["x0"] == pytest.approx(37.0, abs=1) and g["x1"] == pytest.approx(37 + 299 * 2, abs=1)
    labels = browser.evaluate(
        f"Array.from({box('train/loss')}.querySelectorAll('.tbc-axes text[text-anchor=middle]')).map(t => t.textContent)"
    )
    assert all(t.endswith(" min") for t in labels), labels
    assert_clean(browser)


def test_keyboard_moves_the_readout(page: Path, browser: Browser) -> None:
    browser.open(page)
    tag = "misc/constant"
    show(browser, tag)
    browser.evaluate(f"{box(tag)}.querySelector('svg.tbc-svg').focus()")
    for key in ("Home", "ArrowRight", "ArrowRight"):
        browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": key, "code": key})
        browser.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": key})
    time.sleep(0.1)
    assert tip_rows(browser, tag)[0]["step"] == "2"
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "End", "code": "End"})
    time.sleep(0.1)
    assert tip_rows(browser, tag)[0]["step"] == "59"
    assert_clean(browser)


def test_payload_decodes_as_python_does(cases: list[ChartCase]) -> None:
    """The harness's payloads are the module's: the browser tests above read the same
    points that decode_payload() gives back (a guard against testing a stale format)."""
    case = case_of(cases, "train/grad_norm")
    decoded = decode_payload(chart_payload(case.tag, case.lines))
    for d, line in zip(decoded, case.lines):
        k = kept(case, line.run)
        assert d.steps.tolist() == k["steps"].tolist()
        assert d.values.tolist() == k["values"].tolist()
        assert len(d.steps) <= 2 * DEFAULT_BUCKETS + 2
