"""Graph benchmark: tbreport's own graph work (scope tree, views) as the graph grows,
and whole reports of graph-heavy logdirs.

Usage::

    python benchmarks/bench_graph.py [--repeat 3]

Times, in this process (best of ``--repeat``):

- ``build_tree`` + ``plan_views`` on a chain of 10k, 30k and 100k ops under 100 scopes,
  listed consumer first (the shape that was quadratic), and on 300 ops nested 3,000 and
  6,000 scopes deep (a RecursionError before): the ratio per 10x more nodes is the
  number to watch (linear: ~10);
- ``tbreport build`` of the ``graph_stress`` and ``tf1_graph`` test logdirs (cold
  process), with the report's size.

TensorBoard lays graphs out in the browser, so there is no server-side peer to time.
Prints a table and writes ``benchmarks/results/graph.json`` and ``graph.md``. Timings are
never tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(ROOT))


def _best(work: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def layout_times(repeat: int) -> dict[str, float]:
    from tbreport.kinds.graph import decode_graph_def
    from tbreport.render import graphtree as gt
    from tests.logdirs import graph_stress

    out: dict[str, float] = {}
    graphs = {
        **{f"chain {n // 1000}k": graph_stress.chain(n) for n in (10_000, 30_000, 100_000)},
        "300 ops, 3,000 scopes deep": graph_stress.deep_scopes(300, 10),
        "300 ops, 6,000 scopes deep": graph_stress.deep_scopes(300, 20),
    }
    for name, proto in graphs.items():
        nodes = decode_graph_def(proto.SerializeToString()).nodes
        out[name] = _best(lambda: gt.plan_views(gt.build_tree(nodes)), repeat)  # noqa: B023
    return out


def report_times(tmp: Path) -> dict[str, dict[str, float]]:
    from tests import logdirs

    out = {}
    for name in ("graph_stress", "tf1_graph"):
        logdir = logdirs.build(name, tmp / name)
        report = tmp / f"{name}.html"
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "tbreport", "build", str(logdir), "-o", str(report), "-q"],
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        out[name] = {"seconds": time.perf_counter() - start, "mb": report.stat().st_size / 1e6}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    layout = layout_times(args.repeat)
    with tempfile.TemporaryDirectory(prefix="tbreport-bench-graph-") as tmp:
        reports = report_times(Path(tmp))
    result: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "layout_seconds": layout,
        "reports": reports,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "graph.json").write_text(json.dumps(result, indent=2) + "\n")
    ratio = layout["chain 100k"] / max(layout["chain 10k"], 1e-9)
    rows = "".join(f"| {name} | {s:.3f} s |\n" for name, s in layout.items())
    builds = "".join(
        f"| `tbreport build` {name} (cold) | {r['seconds']:.1f} s, {r['mb']:.1f} MB |\n"
        for name, r in reports.items()
    )
    md = (
        f"**Graph layout**, tbreport's own code (`python benchmarks/bench_graph.py`; best of "
        f"{args.repeat}, {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}); 10x the nodes costs {ratio:.1f}x the time:\n\n"
        f"| | |\n|---|---:|\n{rows}{builds}"
    )
    (RESULTS / "graph.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
