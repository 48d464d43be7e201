"""Phone and paper, in a real headless Chromium (issue 9 item 12).

At 390 px the realistic, many-runs and Keras reports have no sideways overflow, with
JavaScript on and off: wide tables and legends scroll inside their own box, and the
contents collapse to a few lines. Printed to
PDF (Chromium's ``Page.printToPDF``, Letter), the realistic report keeps to a bounded
number of pages, its first page holds the key-metrics panel, charts sit two a row,
cards are not cut by page breaks, no number is split across lines, and folded parts
print as something a reader can see. The PDF's text is read with ``pdftotext``
(poppler-utils, a test dependency: tools/system-deps.sh).
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests import logdirs
from tests.browser.cdp import Browser, find_chromium

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed")

PHONE = 390
#: the realistic report printed: 28 pages before charts went two a row (issue 9: 44), 13 after
MAX_PAGES = 16

BUILDERS: dict[str, Callable[[Path], Path]] = {
    "realistic": logdirs.build_realistic,
    "many_runs": logdirs.build_many_runs,
    "keras": logdirs.build_keras,
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    from tbreport import build_report

    root = tmp_path_factory.mktemp("phone-print")

    @cache
    def get(name: str) -> Path:
        return build_report(BUILDERS[name](root / name), root / f"{name}.html", progress=False)

    return get


def _clean(b: Browser) -> None:
    r = b.report
    assert r.non_local == [] and r.console_errors == [] and r.exceptions == []


#: elements that stick out of the page on the right without a scrolling box around them
_STICKING_OUT = """
const cw = document.documentElement.clientWidth;
const scrolls = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
  if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return true; }
  return false; };
const out = Array.from(document.querySelectorAll('body *')).filter(e =>
  e.getBoundingClientRect().right > cw + 1 && getComputedStyle(e).position !== 'fixed' && !scrolls(e));
return {scrollWidth: document.scrollingElement.scrollWidth, clientWidth: cw,
  out: out.filter(e => !out.includes(e.parentElement)).slice(0, 5).map(e => e.outerHTML.slice(0, 120)),
  wideTables: Array.from(document.querySelectorAll('table')).filter(t => t.scrollWidth > cw).length,
  toc: document.querySelector('nav.toc').getBoundingClientRect().height};
"""


@pytest.mark.parametrize("name", list(BUILDERS))
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_no_sideways_overflow_on_a_phone(
    report: Callable[[str], Path], phone: Browser, name: str, javascript: bool
) -> None:
    phone.open(report(name), javascript=javascript, settle=0.5)
    _clean(phone)
    seen = phone.evaluate_json(_STICKING_OUT)
    assert seen["clientWidth"] == PHONE
    assert seen["scrollWidth"] <= PHONE, seen  # the page never scrolls sideways
    assert seen["out"] == [], seen  # what is wider scrolls in its own box
    if name == "many_runs":
        assert seen["wideTables"] > 0  # (there are tables wider than the phone: they scroll)
    # the contents collapse to a wrapped line of sections (realistic: 560 px tall before)
    assert seen["toc"] < (330 if javascript else 160), seen["toc"]


# --------------------------------------------------------------------------- print


@pytest.fixture(scope="module")
def printed(
    report: Callable[[str], Path], desktop: Browser, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The realistic report printed, and its DOM under print media (dark preferred: paper
    stays light all the same)."""
    desktop.open(report("realistic"), settle=0.5)
    _clean(desktop)
    desktop.send(
        "Emulation.setEmulatedMedia",
        {"media": "print", "features": [{"name": "prefers-color-scheme", "value": "dark"}]},
    )
    pdf = base64.b64decode(
        desktop.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": False})[
            "data"
        ]
    )
    out = tmp_path_factory.mktemp("pdf") / "realistic.pdf"
    out.write_bytes(pdf)
    dom = desktop.evaluate_json(_PRINT_DOM)
    desktop.send("Emulation.setEmulatedMedia", {"media": "", "features": []})
    return {"pdf": out, "pages": pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages"), **dom}


_PRINT_DOM = """
const boxes = sel => Array.from(document.querySelectorAll(sel)).filter(e => e.checkVisibility())
  .map(e => { const r = e.getBoundingClientRect(); return [Math.round(r.left), Math.round(r.top + scrollY), r.width]; });
// each text of a number cell: how many lines it takes (a split number takes two)
const split = [];
document.querySelectorAll('.num').forEach(cell => {
  if (!cell.checkVisibility()) return;
  const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let t = walk.nextNode(); t; t = walk.nextNode()) {
    const text = t.textContent.trim();
    if (!text || /\\s/.test(text)) continue;
    const range = document.createRange(); range.selectNodeContents(t);
    const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (tops.size > 1) split.push(text);
  }
});
const main = document.querySelector('main').getBoundingClientRect().width;
return {main, charts: boxes('#key-charts .chartbox, #scalars .chartbox'), split,
  cards: Array.from(document.querySelectorAll('figure.card, figure.rank')).map(e => getComputedStyle(e).breakInside),
  firstSection: document.querySelector('main section[id]').id,
  hidden: ['nav.toc', '.tbc-live', '.slider'].filter(s => Array.from(document.querySelectorAll(s)).some(e => e.checkVisibility())),
  darkCharts: Array.from(document.querySelectorAll('img.chart-dark')).filter(e => e.checkVisibility()).length,
  lightCharts: Array.from(document.querySelectorAll('img.chart.lt')).filter(e => e.checkVisibility()).length};
"""


def test_the_printed_report_is_bounded_and_opens_with_the_key_panel(
    printed: dict[str, Any],
) -> None:
    assert 1 <= printed["pages"] <= MAX_PAGES, printed["pages"]
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(printed["pdf"]), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Key metrics" in first
    # every key metric with its best run and value, on page 1
    for tag, best in [("val/acc", "0.931"), ("val/loss", "0.1501"), ("train/loss", "0.03446")]:
        assert re.search(rf"(?<![\w/]){re.escape(tag)}(?![\w/])", first), tag
        assert best in first, best
    every = subprocess.run(
        ["pdftotext", "-layout", str(printed["pdf"]), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert every.count("\f") >= printed["pages"] - 1
    assert "Hyperparameters" in every and "PR curves" in every  # the whole report is there


def test_printed_charts_two_a_row_cards_whole_numbers_unsplit(printed: dict[str, Any]) -> None:
    assert printed["firstSection"] == "key"
    charts = printed["charts"]
    assert len(charts) >= 6
    rows: dict[int, list[int]] = {}
    for left, top, width in charts:
        assert width < printed["main"] * 0.55, (width, printed["main"])  # half the page
        rows.setdefault(top, []).append(left)
    assert max(len(v) for v in rows.values()) == 2, rows
    assert sum(len(v) == 2 for v in rows.values()) >= 2, rows
    assert set(printed["cards"]) == {"avoid"}  # no page break inside a card
    assert printed["split"] == [], printed["split"][:10]  # "0.8" / "881" no more
    assert printed["hidden"] == []  # no contents, live layer or slider on paper
    # the light chart pictures, though the reader's screen prefers dark
    assert printed["darkCharts"] == 0 and printed["lightCharts"] == len(charts)


def test_folded_parts_print_as_something_to_read(
    report: Callable[[str], Path], desktop: Browser
) -> None:
    desktop.open(report("many_runs"), javascript=False, settle=0.3)
    desktop.send("Emulation.setEmulatedMedia", {"media": "print"})
    seen = desktop.evaluate_json(
        """
        const more = Array.from(document.querySelectorAll('#key details.more'));
        const empty = document.querySelector('details.empty-runs');
        return {more: more.length,
          summaries: more.filter(d => d.querySelector('summary').checkVisibility()).map(d => d.querySelector('summary').textContent.trim()),
          rows: more.map(d => Array.from(d.querySelectorAll('tbody tr')).filter(r => r.checkVisibility()).length),
          empty: empty ? Array.from(empty.children).filter(c => c.tagName !== 'SUMMARY').every(c => c.checkVisibility()) : null};
        """,
    )
    desktop.send("Emulation.setEmulatedMedia", {"media": ""})
    assert seen["more"] > 0
    # a metric's other runs stay folded on paper, its line saying how many (the run table
    # lists them all); before, the line was hidden and the rows too: nothing was printed
    assert len(seen["summaries"]) == seen["more"]
    assert all(re.fullmatch(r"\d+ more runs \(all \d+, ranked\)", s) for s in seen["summaries"])
    assert set(seen["rows"]) == {0}
    assert seen["empty"] is True  # the runs without data: a short note, printed open
