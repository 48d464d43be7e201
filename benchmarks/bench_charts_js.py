"""Interactive charts benchmark: the real report of the 2M-point benchmark logdir, with
its live chart layer — its size and its load time in headless Chromium.

Usage::

    python benchmarks/bench_charts_js.py [--runs 8 --tags 50 --steps 5000] [--repeat 5]

Builds the report of the reader/report benchmarks' logdir (8 runs x 50 tags x 5,000
steps = 2M points, ``benchmarks/bench_reader.py``'s generator) with ``tbreport build``,
as a user does: every scalar chart a ``.tbc`` box holding its static image and its
payload (``tbreport.render.chartdata``), ``templates/charts.js`` and ``charts.css``
inlined once. Measures:

- the bytes of the report, of the payloads in it, and of charts.js + charts.css;
- in Chromium (``tests/browser/cdp.py``, a fresh browser per load, the network
  blocked): navigation start to ``DOMContentLoaded`` and ``load``, and to the moment
  the charts in the first viewport are live (a MutationObserver added over DevTools
  records when each box gets ``tbc-on``); then the time to draw every chart while
  scrolling through the page.

Prints a table and writes ``benchmarks/results/charts_js.json`` and ``charts_js.md``
(the README's ``bench:charts_js`` block). Timings are never tests.
"""

from __future__ import annotations

import argparse
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


def report_sizes(report: str) -> dict[str, int]:
    """Bytes of the report, of its chart payloads and of the live layer's code."""
    from tbreport.render.assets import read_asset

    payloads = re.findall(r'<script type="application/json" class="tbc-data">.*?</script>', report)
    return {
        "report_bytes": len(report.encode()),
        "payload_bytes": sum(len(p.encode()) for p in payloads),
        "payloads": len(payloads),
        "code_bytes": len((read_asset("charts.js") + read_asset("charts.css")).encode()),
    }


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
        for i in range(total):  # as a reader scrolls: each chart in view until it is live
            box = f"document.querySelectorAll('.tbc')[{i}]"
            b.evaluate(f"{box}.scrollIntoView({{block: 'center', behavior: 'instant'}})")
            end = time.monotonic() + 10
            while not b.evaluate(f"{box}.classList.contains('tbc-on')"):
                if time.monotonic() > end:
                    raise RuntimeError(f"chart {i} did not become live")
                time.sleep(0.005)
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
        started = time.perf_counter()
        build_report(logdir, report_path)
        build_seconds = time.perf_counter() - started
        sizes = report_sizes(report_path.read_text(encoding="utf-8"))
        if sizes["payloads"] == 0:
            raise RuntimeError("the report has no live charts")
        loads = [load_once(report_path) for _ in range(args.repeat)]
    median = {k: statistics.median(d[k] for d in loads) for k in loads[0]}
    result: dict[str, Any] = {
        "logdir": f"{args.runs} runs x {args.tags} tags x {args.steps} steps",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "build_seconds": build_seconds,
        **sizes,
        "median": median,
        "loads": loads,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "charts_js.json").write_text(json.dumps(result, indent=2) + "\n")
    md = (
        f"**Interactive charts**: the report of {result['logdir'].replace(' x ', ' × ')} "
        f"(`python benchmarks/bench_charts_js.py`; median of {args.repeat} cold loads in headless "
        f"Chromium, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}):\n\n"
        "| | |\n|---|---:|\n"
        f"| the report (`tbreport build`, live layer included) | {sizes['report_bytes'] / 1e6:.2f} MB |\n"
        f"| of which the payloads of its {sizes['payloads']} live charts | {sizes['payload_bytes'] / 1e6:.2f} MB |\n"
        f"| of which charts.js + charts.css | {sizes['code_bytes'] / 1e3:.0f} kB |\n"
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
