"""``make bench``: every benchmark, each in a fresh process, then the README's numbers.

Runs ``bench_writer.py``, ``bench_reader.py``, ``bench_report.py``, ``bench_charts_js.py``,
``bench_graph.py`` and ``bench_media.py`` (each times
tbreport and its peers side by side in one run and writes
``benchmarks/results/<name>.md`` and ``.json``), then replaces the README block
between ``<!-- bench:<name> -->`` and ``<!-- /bench:<name> -->`` with that file.

    python benchmarks/run_all.py [--only writer,reader,report,media] [--no-readme]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
BENCHES = ("writer", "reader", "report", "charts_js", "graph", "media")


def update_readme(name: str, block: str, readme: Path = README) -> bool:
    """Put ``block`` between the README's markers for ``name``; False if the markers are missing."""
    text = readme.read_text(encoding="utf-8")
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        return False
    new = pattern.sub(lambda _: f"{start}\n{block.strip()}\n{end}", text, count=1)
    readme.write_text(new, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated subset")
    parser.add_argument("--no-readme", action="store_true", help="do not edit README.md")
    args = parser.parse_args(argv)
    failed = []
    for name in [n.strip() for n in args.only.split(",") if n.strip()]:
        script = HERE / f"bench_{name}.py"
        print(f"== {script.name}", flush=True)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], check=False)
        print(f"== {script.name}: exit {proc.returncode} in {time.perf_counter() - started:.0f} s")
        if proc.returncode != 0:
            failed.append(name)
            continue
        result = HERE / "results" / f"{name}.md"
        if not args.no_readme and result.exists() and not update_readme(name, result.read_text()):
            print(f"README.md has no <!-- bench:{name} --> markers; left it alone")
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
