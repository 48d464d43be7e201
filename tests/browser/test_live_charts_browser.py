"""The live chart layer on the real report, in a real headless Chromium.

``tbreport build`` of a logdir written here with known values (``known_logdir``): three
runs with a value planted at a known step, a learning-rate schedule spanning decades,
sparse validation points, and a run restarted into its own directory (its steps go
back). Every interaction is done as a user does it (DevTools mouse events on the
report's own buttons, legend rows and slider); what the page shows and downloads is
compared with what was logged (``tbreport.load``) and with tbreport's TensorBoard
smoothing. The realistic logdir's report is checked for a clean page and for charts
that read with JavaScript off and in print.
"""

from __future__ import annotations

import csv
import io
import math
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tbreport.metrics import smooth
from tests import logdirs
from tests.browser.cdp import Browser, find_chromium
from tests.browser.test_charts_js import (
    _downloaded,
    _downloads,
    assert_clean,
    box,
    click,
    geometry,
    mouse,
    px,
    series_runs,
    set_smoothing,
    show,
    tip_rows,
)

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed")

T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC
RUNS = ("alpha", "beta", "gamma")
KNOWN_STEP, KNOWN_VALUE = 150, 4.25  # alpha's train/loss there (exact in float32)


def _loss(i: int, step: int) -> float:
    return 2.0 * math.exp(-step / (60.0 + 25 * i)) + 0.2 + 0.03 * math.sin(step * 0.7 + i)


def write_known(root: Path) -> Path:
    """The logdir the tests know every value of."""
    from tbreport import SummaryWriter

    for i, run in enumerate(RUNS):
        with SummaryWriter(str(root / run)) as w:
            for step in range(300):
                wall = T0 + 100 * i + step * 2.0
                value = KNOWN_VALUE if (run == "alpha" and step == KNOWN_STEP) else _loss(i, step)
                w.add_scalar("train/loss", value, step, walltime=wall)
                w.add_scalar("train/lr", 0.1 * 0.1 ** (step // 75) / (i + 1), step, walltime=wall)
                if step % 20 == 0:
                    w.add_scalar("val/acc", 0.5 + 0.4 * (1 - math.exp(-step / 90.0)), step, wall)
    # delta: a job restarted into its own directory without purge_step (steps go back)
    for attempt, steps in enumerate((range(0, 200), range(100, 300))):
        with SummaryWriter(str(root / "delta")) as w:
            for step in steps:
                wall = T0 + 1000 * attempt + step * 2.0
                # noisy (a schedule-like line would be drawn raw, unsmoothed)
                loss = 1.5 - 0.002 * step + 0.1 * attempt + 0.05 * math.sin(step * 1.3)
                w.add_scalar("train/loss", loss, step, walltime=wall)
    return root


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from tbreport import build_report

    root = tmp_path_factory.mktemp("live-known")
    logdir = write_known(root / "logs")
    return logdir, build_report(logdir, root / "known.html", progress=False)


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tbreport import build_report

    root = tmp_path_factory.mktemp("live-realistic")
    logdir = logdirs.build_realistic(root / "realistic", steps=400, graph=False)
    return build_report(logdir, root / "realistic.html", progress=False)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = Browser(width=1280, height=1000)
    yield b
    b.close()


def logged(logdir: Path, run: str, tag: str) -> dict[str, np.ndarray]:
    import tbreport

    s = tbreport.load(str(logdir)).runs[run].scalars[tag]
    return {"steps": s.steps, "values": s.values, "walls": s.wall_times}


def csv_rows(b: Browser, tag: str) -> list[dict[str, str]]:
    text: str = b.evaluate(f"{box(tag)}.tbcChart.csv()")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def legend_row(tag: str, run: str) -> str:
    return f"{box(tag)}.closest('figure').querySelector('tr[data-tbc-run=' + CSS.escape({run!r}) + ']')"


# ----------------------------------------------------------------------------- tests


def test_every_scalar_chart_is_live_and_the_page_stays_offline(
    known: tuple[Path, Path], browser: Browser
) -> None:
    _, report = known
    html = report.read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    policy = csp.group(1)
    assert "default-src 'none'" in policy and "connect-src" not in policy
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+';", policy)  # one hash, nothing else
    assert html.count('(function () {\n  "use strict";\n  if (!("IntersectionObserver"') == 1
    browser.open(report)
    charts = browser.evaluate("document.querySelectorAll('figure.card .chartbox').length")
    boxes = browser.evaluate("document.querySelectorAll('figure.card .chartbox.tbc').length")
    assert charts == boxes == 3  # train/loss, train/lr, val/acc: each one live
    for tag in ("train/loss", "train/lr", "val/acc"):
        show(browser, tag)
    assert browser.evaluate("document.querySelectorAll('.tbc.tbc-on').length") == 3
    assert_clean(browser)


def test_hover_readout_shows_the_known_value(known: tuple[Path, Path], browser: Browser) -> None:
    logdir, report = known
    browser.open(report)
    tag = "train/loss"
    g = show(browser, tag)
    mouse(browser, "mouseMoved", px(g, KNOWN_STEP), g["top"] + 20)
    time.sleep(0.15)
    rows = {r["run"]: r for r in tip_rows(browser, tag)}
    assert set(rows) == {*RUNS, "delta"}
    alpha = rows["alpha"]
    assert alpha["step"] == str(KNOWN_STEP)
    assert float(alpha["value"]) == KNOWN_VALUE and alpha["shown"] == "4.25"
    values = logged(logdir, "alpha", tag)["values"]
    assert math.isclose(float(alpha["smoothed"]), smooth(values, 0.6)[KNOWN_STEP], rel_tol=1e-12)
    assert alpha["wall"] == "2026-01-01 00:05:00"  # T0 + 150 * 2 s, UTC
    # the restarted run: at a step both attempts logged, the later attempt's point
    assert rows["delta"]["step"] == str(KNOWN_STEP) and "attempt 2" in rows["delta"]["name"]
    assert float(rows["delta"]["value"]) == pytest.approx(
        1.5 - 0.002 * KNOWN_STEP + 0.1 + 0.05 * math.sin(KNOWN_STEP * 1.3), rel=1e-6
    )
    assert_clean(browser)


def test_a_legend_row_click_hides_the_run_in_every_chart(
    known: tuple[Path, Path], browser: Browser
) -> None:
    _, report = known
    browser.open(report)
    show(browser, "train/loss")
    click(browser, legend_row("train/loss", "beta"))
    for tag in ("train/loss", "train/lr", "val/acc"):
        show(browser, tag)
        assert "beta" not in series_runs(browser, tag), tag
        assert "alpha" in series_runs(browser, tag), tag
        # every legend row of beta, in every card, says it is hidden
        assert (
            browser.evaluate(f"{legend_row(tag, 'beta')}.getAttribute('aria-pressed')") == "false"
        )
    assert browser.evaluate(
        "document.querySelector('.tbc-controls .tbc-hidden').textContent"
    ).startswith("1 run hidden")
    click(browser, legend_row("val/acc", "beta"))  # shown again, from another chart's legend
    for tag in ("train/loss", "train/lr", "val/acc"):
        show(browser, tag)
        assert "beta" in series_runs(browser, tag), tag
    assert_clean(browser)


def test_the_smoothing_slider_resmooths_every_chart(
    known: tuple[Path, Path], browser: Browser
) -> None:
    logdir, report = known
    browser.open(report)
    for weight in (0.9, 0.0, 0.3):
        set_smoothing(browser, weight)
        show(browser, "train/loss")
        rows = csv_rows(browser, "train/loss")
        for run in RUNS:
            mine = [r for r in rows if r["run"] == run]
            values = logged(logdir, run, "train/loss")["values"]
            if weight == 0:
                assert "smoothed" not in mine[0]
                continue
            got = np.array([float(r["smoothed"]) for r in mine])
            np.testing.assert_allclose(got, smooth(values, weight), rtol=1e-12)
        # the restarted run: each attempt smoothed on its own, as TensorBoard does
        if weight:
            delta = [r for r in rows if r["run"] == "delta"]
            values = logged(logdir, "delta", "train/loss")["values"]
            expected = np.concatenate([smooth(values[:200], weight), smooth(values[200:], weight)])
            np.testing.assert_allclose([float(r["smoothed"]) for r in delta], expected, rtol=1e-12)
    g = show(browser, "train/loss")
    mouse(browser, "mouseMoved", px(g, KNOWN_STEP), g["top"] + 20)
    time.sleep(0.15)
    alpha = next(r for r in tip_rows(browser, "train/loss") if r["run"] == "alpha")
    values = logged(logdir, "alpha", "train/loss")["values"]
    assert math.isclose(float(alpha["smoothed"]), smooth(values, 0.3)[KNOWN_STEP], rel_tol=1e-12)
    assert browser.evaluate("document.querySelector('.tbc-controls output').textContent") == "0.300"
    assert_clean(browser)


def test_the_log_toggle_switches_the_y_axis(known: tuple[Path, Path], browser: Browser) -> None:
    _, report = known
    browser.open(report)
    tag = "train/lr"  # 0.1 ... 3.3e-5: three and a half decades
    g = show(browser, tag)
    start = g["scale"]
    click(browser, f"{box(tag)}.querySelector('.tbc-log')")
    g = geometry(browser, tag)
    flipped = "log" if start == "linear" else "linear"
    assert g["scale"] == flipped
    if flipped == "log":
        assert 0 < g["y0"] < 0.1 / 3 * 1e-3 and g["y1"] > 0.1
        labels = browser.evaluate(
            f"Array.from({box(tag)}.querySelectorAll('.tbc-axes text')).map(t => t.textContent)"
        )
        assert "0.01" in labels and "0.001" in labels
    assert geometry(browser, "train/loss")["scale"] == "linear"  # the others keep theirs
    click(browser, f"{box(tag)}.querySelector('.tbc-log')")
    assert geometry(browser, tag)["scale"] == start
    assert_clean(browser)


def test_drag_zooms_and_reset_restores(known: tuple[Path, Path], browser: Browser) -> None:
    logdir, report = known
    browser.open(report)
    tag = "train/loss"
    g = show(browser, tag)
    full = (g["x0"], g["x1"], g["y0"], g["y1"])
    y = g["top"] + g["ph"] / 2
    a, z = px(g, 100), px(g, 200)
    mouse(browser, "mouseMoved", a, y)
    mouse(browser, "mousePressed", a, y, button="left", clicks=1)
    for f in np.linspace(0, 1, 6):
        mouse(browser, "mouseMoved", a + (z - a) * f, y, button="left")
    mouse(browser, "mouseReleased", z, y, button="left", clicks=1)
    time.sleep(0.15)
    zoomed = geometry(browser, tag)
    one_px = (full[1] - full[0]) / g["pw"]
    assert abs(zoomed["x0"] - 100) <= 2 * one_px and abs(zoomed["x1"] - 200) <= 2 * one_px
    inside = np.concatenate(
        [
            logged(logdir, r, tag)["values"][100:201]
            for r in RUNS  # delta's points in view are inside these bounds' span too
        ]
    )
    assert zoomed["y0"] <= inside.min() and zoomed["y1"] >= inside.max()
    click(browser, f"{box(tag)}.querySelector('.tbc-reset')")
    again = geometry(browser, tag)
    assert (again["x0"], again["x1"], again["y0"], again["y1"]) == pytest.approx(full)
    assert browser.evaluate(f"{box(tag)}.querySelector('.tbc-reset').disabled") is True
    assert_clean(browser)


def test_the_csv_download_holds_every_logged_point(
    known: tuple[Path, Path], browser: Browser, tmp_path: Path
) -> None:
    logdir, report = known
    _downloads(browser, tmp_path)
    browser.open(report)
    show(browser, "train/loss")
    click(browser, f"{box('train/loss')}.querySelector('.tbc-dl-csv')")
    text = _downloaded(tmp_path, "train_loss.csv").decode("utf-8")
    # a label column: the restarted run's lines are "attempt 1" and "attempt 2"
    assert text.startswith("\ufeffrun,label,step,wall_time,value,smoothed\r\n")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    for run in (*RUNS, "delta"):
        mine = [r for r in rows if r["run"] == run]
        want = logged(logdir, run, "train/loss")
        # every point, in the order logged (delta's restart included: 400 points)
        assert [int(r["step"]) for r in mine] == want["steps"].tolist()
        assert [float(r["value"]) for r in mine] == want["values"].tolist()
        np.testing.assert_allclose(
            [float(r["wall_time"]) for r in mine], want["walls"], atol=0.0005 + 1e-6, rtol=0
        )
    assert len([r for r in rows if r["run"] == "delta"]) == 400
    assert_clean(browser)


def test_a_restarted_run_is_drawn_as_its_attempts(
    known: tuple[Path, Path], browser: Browser
) -> None:
    _, report = known
    browser.open(report)
    show(browser, "train/loss")
    paths = browser.evaluate(
        f"Array.from({box('train/loss')}.querySelectorAll('g.tbc-series[data-run=delta] .tbc-raw'))"
        ".map(p => p.getAttribute('d'))"
    )
    # two lines, one per attempt, neither hidden, neither going back
    assert len(paths) == 2 and all(d.count("M") == 1 for d in paths)
    labels = browser.evaluate(
        f"{box('train/loss')}.tbcChart.series.filter(s => s.run === 'delta').map(s => s.label)"
    )
    assert labels == ["attempt 1", "attempt 2"]
    assert_clean(browser)


def _static_charts(b: Browser) -> dict[str, Any]:
    result: dict[str, Any] = b.evaluate(
        "(() => { const boxes = Array.from(document.querySelectorAll('.chartbox.tbc'));"
        " const shown = boxes.map(x => { const i = x.querySelector('img.chart, .svgchart');"
        " const r = i ? i.getBoundingClientRect() : {width: 0, height: 0};"
        " return {img: !!i && i.checkVisibility() && (i.tagName !== 'IMG' || i.naturalWidth > 0),"
        " w: r.width, h: r.height, box: x.getBoundingClientRect().height}; });"
        " const live = Array.from(document.querySelectorAll('.tbc-live, .tbc-bar, .tbc-tip'))"
        ".filter(e => e.checkVisibility()).length;"
        " const controls = Array.from(document.querySelectorAll('.tbc-controls'))"
        ".filter(e => e.checkVisibility()).length;"
        " return {boxes: boxes.length, shown: shown, live: live, controls: controls}; })()"
    )
    return result


def test_charts_read_without_javascript_and_in_print(realistic: Path, browser: Browser) -> None:
    browser.open(realistic, javascript=False)
    seen = _static_charts(browser)
    assert seen["boxes"] >= 6
    for chart in seen["shown"]:
        assert chart["img"] and chart["w"] > 300 and chart["h"] > 120, chart
        assert chart["box"] >= chart["h"] - 1, chart  # the box is the image, nothing empty
    assert seen["live"] == 0 and seen["controls"] == 0  # nothing of the layer shows
    assert_clean(browser)
    # with JavaScript, once drawn, print still shows the static image and no controls
    browser.open(realistic)
    show(browser, "val/acc")
    assert browser.evaluate("document.querySelectorAll('.tbc.tbc-on').length") >= 1
    browser.send("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        printed = _static_charts(browser)
    finally:
        browser.send("Emulation.setEmulatedMedia", {"media": ""})
    assert all(c["img"] and c["h"] > 100 for c in printed["shown"]), printed
    assert printed["live"] == 0 and printed["controls"] == 0
    assert_clean(browser)


def test_the_realistic_report_is_clean_with_every_chart_live(
    realistic: Path, browser: Browser
) -> None:
    browser.open(realistic)
    total = browser.evaluate("document.querySelectorAll('.tbc').length")
    tags = browser.evaluate(
        "Array.from(document.querySelectorAll('figure.card .tbc')).map(b => b.closest('figure').dataset.tag)"
    )
    assert total == len(tags) >= 6
    for tag in tags:
        show(browser, tag)
    assert browser.evaluate("document.querySelectorAll('.tbc.tbc-on').length") == total
    # the live chart draws the same runs, in the same colours, as the legend table
    for tag in tags:
        pairs = browser.evaluate(
            f"(() => {{ const f = {box(tag)}.closest('figure');"
            " const rows = Array.from(f.querySelectorAll('table.legend tr[data-tbc-run]'))"
            ".map(r => [r.dataset.tbcRun, r.querySelector('.sw').style.backgroundColor]).sort();"
            f" const drawn = {box(tag)}.tbcChart.series.map(s => [s.run, s.color]).sort();"
            " return [rows, drawn]; })()"
        )
        rows, drawn = pairs
        assert [r[0] for r in rows] == [d[0] for d in drawn], tag
    assert_clean(browser)
