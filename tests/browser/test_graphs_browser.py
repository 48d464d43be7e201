"""Graphs as a reader sees them, in headless Chromium: legible at 100 % (labels measured
in CSS px from the SVG), an overview that fits a screen, a scope opened in place with
JavaScript and reached through the outline without it, the Keras model drawn with its
edges, names drawn exactly as logged, dark mode and print (issue 9 items 4 and 5)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tbreport import build_report
from tbreport.proto import event_pb2
from tests import logdirs
from tests.browser.cdp import Browser, find_chromium
from tests.logdirs import _models, bad_names
from tests.logdirs._write import START, RawEventFile
from tests.render.test_graphviz import needs_dot

pytestmark = [
    pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed"),
    needs_dot,
]

BUILD = Path(__file__).resolve().parents[2] / "build"

#: every text of every graph picture: its size on screen in CSS px (font size x scale)
LABEL_SIZES_JS = """
(() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const sizes = [];
  document.querySelectorAll('svg.gsvg text').forEach(t => {
    const m = t.getScreenCTM();
    if (m) sizes.push(parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b));
  });
  return JSON.stringify(sizes);
})()
"""

#: click the first box of the overview of figure ``index`` whose text contains ``text``
CLICK_JS = """
(() => {
  const fig = document.querySelectorAll('figure.graph')[%d];
  const a = Array.from(fig.querySelectorAll('.graph-viewer svg a'))
    .find(x => x.textContent.includes(%s));
  if (!a) return 'no box';
  a.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));
  return 'clicked';
})()
"""


#: where the outline entry ``ID`` stands once its link was followed
STATE_JS = """
(() => { const e = document.getElementById(ID);
  return {hash: location.hash, open: e.closest('details').open,
    outline: e.closest('details.graph-outline').open,
    rows: e.querySelectorAll('table.gops tbody tr').length,
    picture: !!e.querySelector('svg.gsvg')}; })()
"""


def _entities_logdir(root: Path) -> Path:
    with RawEventFile(root / "names", START) as f:
        graph = bad_names._graph().SerializeToString()
        f.add(event_pb2.Event(wall_time=START + 1, graph_def=graph))
    return root


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("graphs")
    logs = {
        "keras": logdirs.build("keras", root / "keras"),
        "tf1_graph": logdirs.build("tf1_graph", root / "tf1"),
        "names": _entities_logdir(root / "names"),
    }
    if _models.torch_available():
        logs["realistic"] = logdirs.build("realistic", root / "realistic", steps=50)
    return {
        name: build_report(path, root / f"{name}.html", progress=False)
        for name, path in logs.items()
    }


@pytest.fixture(scope="module")
def browser() -> Browser:  # type: ignore[misc]
    b = Browser()
    yield b
    b.close()


def _clean(b: Browser) -> None:
    r = b.report
    assert r.non_local == [] and r.console_errors == [] and r.exceptions == [], r


def _overview_boxes(b: Browser) -> list[int]:
    return list(
        b.evaluate(
            "Array.from(document.querySelectorAll('figure.graph .graph-viewer svg'))"
            ".map(s => s.querySelectorAll('g.node:not(.stub)').length)"
        )
    )


@pytest.mark.parametrize("name", ["realistic", "keras", "tf1_graph"])
def test_every_label_is_legible_and_the_overview_fits(
    name: str, reports: dict[str, Path], browser: Browser
) -> None:
    if name not in reports:
        pytest.skip("the realistic logdir's graph needs torch")
    browser.open(reports[name])
    _clean(browser)
    boxes = _overview_boxes(browser)
    assert boxes and max(boxes) <= 40, boxes
    sizes = json.loads(browser.evaluate(LABEL_SIZES_JS))
    assert len(sizes) > 50
    assert min(sizes) >= 8, min(sizes)  # never shrunk below legible: the box scrolls
    assert max(sizes) >= 11.9  # the titles are 12 px


def test_open_a_scope_in_place_and_go_back(reports: dict[str, Path], browser: Browser) -> None:
    name, box, inner = ("realistic", "layer2.0", "layer2.0.conv1")
    if name not in reports:
        name, box, inner = ("tf1_graph", "dropout", "random_uniform")
    browser.open(reports[name])
    before = _overview_boxes(browser)[0]
    assert browser.evaluate(CLICK_JS % (0, json.dumps(box))) == "clicked"
    view = browser.evaluate(
        "(() => { const v = document.querySelector('figure.graph .graph-viewer');"
        " return {text: v.querySelector('svg').textContent,"
        " crumbs: v.querySelector('.graph-crumbs').hidden ? null"
        " : v.querySelector('.graph-crumbs').textContent}; })()"
    )
    assert inner in view["text"] and view["crumbs"].startswith("Overview")
    assert view["crumbs"].endswith(box)
    browser.evaluate("document.querySelector('figure.graph .graph-crumbs button').click()")
    assert _overview_boxes(browser)[0] == before
    assert browser.evaluate("document.querySelector('.graph-crumbs').hidden") is True
    _clean(browser)


def test_without_javascript_each_box_leads_to_the_outline(
    reports: dict[str, Path], browser: Browser
) -> None:
    browser.open(reports["tf1_graph"], javascript=False)
    _clean(browser)
    assert (
        browser.evaluate("getComputedStyle(document.querySelector('#graphs .no-js-only')).display")
        != "none"
    )
    target = browser.evaluate(
        "(() => { const a = document.querySelector('figure.graph .graph-viewer svg a');"
        " a.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));"
        " return a.getAttribute('href'); })()"
    )
    time.sleep(0.3)
    state: dict[str, Any] = browser.evaluate(STATE_JS.replace("ID", json.dumps(target[1:])))
    assert state["hash"] == target  # the link was followed, in the page
    assert state["open"] and state["outline"]  # the entry's <details> opened to show it
    assert state["picture"] and state["rows"] > 0


def test_the_keras_model_is_drawn_with_its_layers_and_edges(
    reports: dict[str, Path], browser: Browser
) -> None:
    browser.open(reports["keras"])
    drawn = browser.evaluate(
        "Array.from(document.querySelectorAll('figure.graph')).filter(f =>"
        " f.querySelector('.gkind').textContent.startsWith('Keras model')).map(f => {"
        " const s = f.querySelector('.graph-viewer svg');"
        " return [s.querySelectorAll('g.node').length, s.querySelectorAll('g.edge').length,"
        " s.textContent.includes('Conv2D conv2d')]; })"
    )
    assert drawn == [[12, 12, True], [12, 12, True]]  # Keras 3 and tf-keras 2 alike
    assert "graph_keras_model" not in browser.evaluate("document.body.innerText")


def test_names_are_drawn_exactly_as_logged(reports: dict[str, Path], browser: Browser) -> None:
    browser.open(reports["names"])
    _clean(browser)
    texts = browser.evaluate(
        "Array.from(document.querySelectorAll('.graph-viewer svg text')).map(t => t.textContent)"
    )
    assert "Placeholder a&b&amp;c" in texts
    assert 'Identity quote"d' in texts
    assert "Identity new\\nline" in texts
    titles = browser.evaluate(
        "Array.from(document.querySelectorAll('.graph-viewer svg title')).map(t => t.textContent)"
    )
    assert any(t.startswith("<b>bold</b>\nop: Identity") for t in titles)  # "/" is a scope
    assert browser.report.dialogs == []


def _colours(b: Browser) -> dict[str, str]:
    return dict(
        b.evaluate(
            "(() => { const s = document.querySelector('.graph-viewer svg');"
            " return {box: getComputedStyle(s.closest('.graphbox')).backgroundColor,"
            " node: getComputedStyle(s.querySelector('g.node rect')).fill,"
            " text: getComputedStyle(s.querySelector('g.node text')).fill}; })()"
        )
    )


def _luminance(rgb: str) -> float:
    r, g, b = (float(v) for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_graphs_follow_dark_mode_and_print_light(
    reports: dict[str, Path], browser: Browser
) -> None:
    browser.open(reports["tf1_graph"], dark=True)
    dark = _colours(browser)
    assert _luminance(dark["box"]) < 0.2 and _luminance(dark["node"]) < 0.3
    assert _luminance(dark["text"]) > 0.7
    browser.screenshot(BUILD / "graphs-dark.png", max_height=3000)
    browser.send(
        "Emulation.setEmulatedMedia",
        {"media": "print", "features": [{"name": "prefers-color-scheme", "value": "dark"}]},
    )
    printed = _colours(browser)
    assert _luminance(printed["box"]) > 0.95 and _luminance(printed["node"]) > 0.85
    assert _luminance(printed["text"]) < 0.1
    browser.send("Emulation.setEmulatedMedia", {"media": ""})
