"""Media benchmark: ``tbreport build`` of an image-heavy logdir beside TensorBoard's server.

Usage::

    python benchmarks/bench_media.py [--megabytes 600] [--skip tensorboard]

The logdir is ``big_images`` from the test logdirs (``tests/logdirs/big_images.py``: two
runs, five image tags, 512x512 PNGs and 640x480 JPEGs, ~510 steps at 600 MB), written
once under ``benchmarks/data/``. Measured, each from a cold process start:

- ``tbreport build LOGDIR -o report.html`` with the default media budget
  (``--max-report-mb 50``) and with none (``--max-report-mb 0``, every step embedded):
  wall time, peak RSS (``ru_maxrss`` of the child, its largest process) and the
  report's size;
- ``tensorboard --logdir LOGDIR --load_fast=false`` (the Python data path; the Rust
  data server would be another process): from spawning it until its images plugin
  serves the last step of every (run, tag), then its peak RSS (``VmHWM`` in
  ``/proc/PID/status``). It keeps 10 images per tag (``--samples_per_plugin``'s
  default) and draws nothing: the browser fetches each image when it is shown.

Prints a table and writes ``benchmarks/results/media.json`` and ``media.md``.
Timings are never tests.
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
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/_http.py
from _http import free_port, get_json

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
MB = 1e6


def logdir_for(megabytes: float) -> tuple[Path, dict[str, Any]]:
    """The ``big_images`` logdir of ``megabytes`` MB (cached) and what it holds.

    Made in a child process: ``ru_maxrss`` survives ``fork`` + ``exec`` on Linux, so a
    big benchmark process would show in every child it measures."""
    logdir = HERE / "data" / f"media_big_images_{megabytes:g}mb"
    script = (
        "import json, sys; from pathlib import Path\n"
        "from tests.logdirs.big_images import build_big_images, claims\n"
        "root, mb = Path(sys.argv[1]), float(sys.argv[2])\n"
        "if not (root / '.complete').exists():\n"
        "    build_big_images(root, megabytes=mb); (root / '.complete').write_text('ok\\n')\n"
        "print(json.dumps(claims(megabytes=mb)))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", script, str(logdir), str(megabytes)],
        env=env,
        cwd=str(ROOT),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return logdir, json.loads(out)


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*tfevents*") if p.is_file())


def run_tbreport(logdir: Path, out: Path, *flags: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SOURCE_DATE_EPOCH="1700000000")
    cmd = [sys.executable, "-m", "tbreport", "build", str(logdir), "-o", str(out), "-q", *flags]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=str(ROOT), stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"tbreport build {' '.join(flags)} failed: {stderr.strip()[-500:]}")
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss * 1024 / MB, 1),  # Linux: kilobytes
        "report_mb": round(out.stat().st_size / MB, 1),
    }


def _status(pid: int, field: str) -> float:
    """``VmHWM``/``VmRSS`` of ``pid`` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / MB
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def run_tensorboard(logdir: Path, claims: dict[str, Any]) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable,
        "-m",
        "tensorboard.main",
        "--logdir",
        str(logdir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--load_fast=false",
    ]
    want = {
        (run, tag): (steps - 1) * 10  # big_images logs steps 0, 10, 20, ...
        for run, kinds in claims.items()
        if isinstance(kinds, dict)
        for tag, steps in kinds["images"].items()
    }
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            done: set[tuple[str, str]] = set()
            deadline = start + 900
            while time.perf_counter() < deadline:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"tensorboard exited: {log.read().decode()[-500:]}")
                try:
                    index = get_json(f"{base}/data/plugin/images/tags")
                except OSError:
                    time.sleep(0.2)
                    continue
                for run, tags in index.items():
                    for tag in tags:
                        if (run, tag) in done or (run, tag) not in want:
                            continue
                        query = urllib.parse.urlencode({"run": run, "tag": tag, "sample": 0})
                        served = get_json(f"{base}/data/plugin/images/images?{query}")
                        if served and served[-1]["step"] == want[(run, tag)]:
                            done.add((run, tag))
                if len(done) == len(want):
                    seconds = time.perf_counter() - start
                    time.sleep(1.0)  # nothing more to read: its memory has settled
                    return {
                        "seconds": round(seconds, 2),
                        "peak_rss_mb": round(_status(proc.pid, "VmHWM"), 1),
                        "rss_mb": round(_status(proc.pid, "VmRSS"), 1),
                    }
                time.sleep(0.5)
            raise RuntimeError(f"tensorboard loaded {len(done)} of {len(want)} tags in time")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def markdown(r: dict[str, Any]) -> str:
    """The README block (``make bench`` puts it between the bench:media markers)."""
    d, z = r["tbreport_default"], r["tbreport_unlimited"]
    lines = [
        f"**Images**: the `big_images` test logdir, {r['logdir_mb']:.0f} MB of event files "
        f"({r['images']:,} PNG/JPEG images, 5 tags × 2 runs; `python benchmarks/bench_media.py`; "
        f"one cold start each, {r['machine']}):",
        "",
        "| | seconds | peak RSS | report |",
        "|---|---:|---:|---:|",
        f"| `tbreport build` (default `--max-report-mb 50`: steps thinned evenly) | "
        f"{d['seconds']:.1f} | {d['peak_rss_mb']:.0f} MB | {d['report_mb']:.1f} MB |",
        f"| `tbreport build --max-report-mb 0` (every step embedded) | "
        f"{z['seconds']:.1f} | {z['peak_rss_mb']:.0f} MB | {z['report_mb']:.1f} MB |",
    ]
    tb = r.get("tensorboard")
    if tb:
        lines += [
            "| TensorBoard `--load_fast=false`: from start until its images plugin serves the "
            "last step of every tag (10 kept per tag; the browser fetches each one shown) | "
            f"{tb['seconds']:.1f} | {tb['peak_rss_mb']:.0f} MB | — |",
            "",
            f"Peak memory: tbreport **{d['peak_rss_mb'] / tb['peak_rss_mb']:.2f}×** "
            f"TensorBoard's server with the default budget, "
            f"{z['peak_rss_mb'] / tb['peak_rss_mb']:.2f}× with none; time "
            f"{d['seconds'] / tb['seconds']:.2f}× and {z['seconds'] / tb['seconds']:.2f}×. "
            "tbreport keeps the logdir's encoded images in memory while it builds and writes "
            "each one into the page on its own.",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--megabytes", type=float, default=600)
    ap.add_argument("--skip", default="", help="comma-separated: tensorboard")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    logdir, claims = logdir_for(args.megabytes)
    results: dict[str, Any] = {
        "logdir_mb": round(_size(logdir) / MB, 1),
        "images": sum(
            n for k in claims.values() if isinstance(k, dict) for n in k["images"].values()
        ),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    with tempfile.TemporaryDirectory() as tmp:
        results["tbreport_default"] = run_tbreport(logdir, Path(tmp) / "default.html")
        results["tbreport_unlimited"] = run_tbreport(
            logdir, Path(tmp) / "all.html", "--max-report-mb", "0"
        )
    if "tensorboard" not in skip:
        results["tensorboard"] = run_tensorboard(logdir, claims)
        tb = results["tensorboard"]
        results["ratios"] = {
            "peak_rss_default": round(
                results["tbreport_default"]["peak_rss_mb"] / tb["peak_rss_mb"], 3
            ),
            "peak_rss_unlimited": round(
                results["tbreport_unlimited"]["peak_rss_mb"] / tb["peak_rss_mb"], 3
            ),
            "seconds_default": round(results["tbreport_default"]["seconds"] / tb["seconds"], 3),
        }
    text = markdown(results)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "media.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "media.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
