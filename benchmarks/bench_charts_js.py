"""Interactive charts benchmark: the report benchmark's logdir with a live chart payload
on every scalar chart — its size and its load time in headless Chromium.

Usage::

    python benchmarks/bench_charts_js.py [--runs 8 --tags 50 --steps 5000] [--repeat 5]

Builds the report of the reader/report benchmarks' logdir (8 runs x 50 tags x 5,000
steps = 2M points, ``benchmarks/bench_reader.py``'s generator), then a throwaway page:
that report with ``templates/charts.js`` and ``charts.css`` inlined (the script's hash
added to the Content-Security-Policy) and every scalar chart's box given its payload
(``tbreport.render.chartdata``), as the report will carry them. Measures:

- the bytes of the report and of the page, and of the payloads alone;
- the time to make the payloads (in this process);
- in Chromium (``tests/browser/cdp.py``, a fresh browser per load, the network
  blocked): navigation start to ``load``, and to the moment the charts in the first
  viewport are live (a MutationObserver added over DevTools records when each box
  gets ``tbc-on``); then the time to draw all 50 while scrolling through the page.

Prints a table and writes ``benchmarks/results/charts_js.json`` and ``charts_js.md``.
Timings are never tests.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(ROOT))

_CARD = re.compile(
    r'(<figure class="card" id="[^"]*" data-tag="(?P<tag>[^"]*)">.*?<div class="chartbox)'
    r'(">)(?P<static><img [^>]*>)(</div>)',
    re.S,
)

_OBSERVER = """
window.__tbcLive = [];
new MutationObserver(function (records) {
  records.forEach(function (r) {
    if (r.target.classList && r.target.classList.contains('tbc-on') && !r.target.__seen) {
      r.target.__seen = true; window.__tbcLive.push(performance.now());
    }
  });
}).observe(document, {attributes: true, attributeFilter: ['class'], subtree: true});
"""


def build_report(logdir: Path, out: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SOURCE_DATE_EPOCH="1700000000")
    subprocess.run(
        [sys.executable, "-m", "tbreport", "build", str(logdir), "-o", str(out), "-q"],
        env=env,
        check=True,
        timeout=900,
    )


def payloads(logdir: Path) -> tuple[dict[str, str], float]:
    """The embedded payload of every scalar tag, and the seconds it took to make them."""
    import tbreport
    from tbreport.render.chartdata import Line, chart_payload, embed
    from tbreport.select import colors_for

    loaded = tbreport.load(str(logdir))
    runs = [r.purged() for r in loaded.runs.values()]
    colors = colors_for([r.name for r in runs], None)
    started = time.perf_counter()
    out: dict[str, str] = {}
    for tag in sorted({t for r in runs for t in r.scalars}):
        lines = [
            Line(r.name, colors[r.name], s.steps, s.wall_times, s.values)
            for r in runs
            if (s := r.scalars.get(tag)) is not None and len(s)
        ]
        out[tag] = embed(chart_payload(tag, lines, smoothing=0.6))
    return out, time.perf_counter() - started


def live_page(report: str, embedded: dict[str, str]) -> str:
    from tbreport.render.assets import read_asset
    from tbreport.render.chartdata import csp_hash

    script = read_asset("charts.js")
    digest = csp_hash("\n" + script + "\n")
    count = 0

    def card(m: re.Match[str]) -> str:
        nonlocal count
        payload = embedded.get(html.unescape(m.group("tag")))
        if payload is None:
            return m.group(0)
        count += 1
        return f"{m.group(1)} tbc{m.group(3)}{m.group('static')}{payload}{m.group(5)}"

    page = _CARD.sub(card, report)
    if count != len(embedded):
        raise RuntimeError(f"found {count} scalar chart boxes for {len(embedded)} payloads")
    page = page.replace("script-src '", f"script-src '{digest}' '", 1)
    page = page.replace("</style>", read_asset("charts.css") + "\n</style>", 1)
    page = page.replace(
        '<h2 id="scalars-title">Scalars</h2>',
        '<h2 id="scalars-title">Scalars</h2>\n<div class="tbc-controls" data-smoothing="0.6" data-x="step"></div>',
        1,
    )
    return page.replace("</body>", f"<script>\n{script}\n</script>\n</body>", 1)


def load_once(page: Path) -> dict[str, float]:
    from tests.browser.cdp import Browser

    with Browser(width=1280, height=900) as b:
        b.send("Page.addScriptToEvaluateOnNewDocument", {"source": _OBSERVER})
        b.open(page, settle=0.0)
        end = time.monotonic() + 20
        while True:  # until the charts near the first viewport are drawn
            live = b.evaluate("window.__tbcLive.length")
            expected = b.evaluate(
                "Array.from(document.querySelectorAll('.tbc')).filter(e => {"
                " const r = e.getBoundingClientRect(); return r.top < innerHeight + 400 && r.bottom > -400; }).length"
            )
            if expected and live >= expected:
                break
            if time.monotonic() > end:
                raise RuntimeError(f"only {live} of {expected} charts became live")
            time.sleep(0.02)
        nav = b.evaluate(
            "(() => { const n = performance.getEntriesByType('navigation')[0];"
            " return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()"
        )
        first = b.evaluate("Math.max.apply(null, window.__tbcLive)")
        errors = b.report.console_errors + b.report.exceptions + b.report.non_local
        if errors:
            raise RuntimeError(f"the page is not clean: {errors}")
        start = time.perf_counter()
        total = b.evaluate("document.querySelectorAll('.tbc').length")
        for i in range(total):
            b.evaluate(
                f"document.querySelectorAll('.tbc')[{i}].scrollIntoView({{block: 'center', behavior: 'instant'}})"
            )
        while b.evaluate("document.querySelectorAll('.tbc.tbc-on').length") < total:
            time.sleep(0.01)
        scroll_all = time.perf_counter() - start
        return {
            "dom_content_loaded_ms": nav[0],
            "load_ms": nav[1],
            "first_charts_live_ms": first,
            "scroll_through_all_s": scroll_all,
            "charts": total,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--tags", type=int, default=50)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from bench_report import logdir_for  # type: ignore[import-not-found]

    # tests/browser/cdp.py hands Chromium its pipe as fds 3 and 4 (pass_fds=(3, 4)):
    # they must exist in this process, as they do under pytest
    while os.open(os.devnull, os.O_RDONLY) < 4:
        pass
    logdir = logdir_for(args.runs, args.tags, args.steps)
    with tempfile.TemporaryDirectory(prefix="tbreport-bench-charts-") as tmp:
        report_path = Path(tmp) / "report.html"
        build_report(logdir, report_path)
        report = report_path.read_text(encoding="utf-8")
        embedded, seconds = payloads(logdir)
        page_path = Path(tmp) / "live.html"
        page_path.write_text(live_page(report, embedded), encoding="utf-8")
        loads = [load_once(page_path) for _ in range(args.repeat)]
        sizes = {
            "report_bytes": len(report.encode()),
            "page_bytes": page_path.stat().st_size,
            "payload_bytes": sum(len(p) for p in embedded.values()),
        }
    median = {k: statistics.median(d[k] for d in loads) for k in loads[0]}
    result: dict[str, Any] = {
        "logdir": f"{args.runs} runs x {args.tags} tags x {args.steps} steps",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "payload_seconds": seconds,
        **sizes,
        "median": median,
        "loads": loads,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "charts_js.json").write_text(json.dumps(result, indent=2) + "\n")
    md = (
        f"**Interactive charts** on the report of {result['logdir']} "
        f"(`python benchmarks/bench_charts_js.py`; median of {args.repeat} cold loads in headless "
        f"Chromium, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}):\n\n"
        "| | |\n|---|---:|\n"
        f"| report without interaction | {sizes['report_bytes'] / 1e6:.2f} MB |\n"
        f"| payloads of its {median['charts']:.0f} scalar charts | {sizes['payload_bytes'] / 1e6:.2f} MB |\n"
        f"| page with payloads, charts.js and charts.css | {sizes['page_bytes'] / 1e6:.2f} MB |\n"
        f"| making the payloads | {seconds:.2f} s |\n"
        f"| navigation start → `DOMContentLoaded` | {median['dom_content_loaded_ms']:.0f} ms |\n"
        f"| navigation start → `load` | {median['load_ms']:.0f} ms |\n"
        f"| navigation start → first screen's charts live | {median['first_charts_live_ms']:.0f} ms |\n"
        f"| scrolling through every chart until all are live | {median['scroll_through_all_s']:.2f} s |\n"
    )
    (RESULTS / "charts_js.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
