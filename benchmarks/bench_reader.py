"""Reader benchmark: tbreport.load vs TensorBoard's EventAccumulator, tbparse and rustboard.

Usage::

    python benchmarks/bench_reader.py [--runs 8 --tags 50 --steps 5000] [--repeat 3]
                                      [--skip eventaccumulator,tbparse,rustboard]

Generates a logdir of ``runs x tags x steps`` legacy scalar events (what torch's and
tensorboardX's ``add_scalar`` write: one event per value) under ``benchmarks/data/``
(cached, gitignored), then times, each in a fresh subprocess so nothing is shared:

- ``tbreport.load`` (CRC of every record checked), default settings (worker processes
  for a logdir this size) and with ``workers=1``; plus the memory it keeps per point;
- TensorBoard's ``EventAccumulator`` (``size_guidance`` 0 = keep all), one per run;
- ``tbparse.SummaryReader(logdir).scalars``;
- ``tensorboard-data-server`` (rustboard) with ``--checksum --reload once
  --samples-per-plugin scalars=all``: the time from spawning it until it logs
  "Finished load cycle".

Library timings exclude interpreter start-up and imports. Prints a table of seconds
and ratios and writes ``benchmarks/results/reader.json`` and ``reader.md``. Timings are never tests.
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
DATA = HERE / "data"
RESULTS = HERE / "results"


# ------------------------------------------------------------------ the logdir


def generate(runs: int, tags: int, steps: int, style: str = "torch") -> Path:
    """The benchmark logdir (made once, then cached).

    ``style="torch"``: legacy ``simple_value`` events, as torch and tensorboardX write;
    ``style="tf2"``: 0-d float32 tensor values with ``scalars`` metadata on every
    value, as TF2's ``tf.summary.scalar`` writes.
    """
    sys.path.insert(0, str(ROOT))
    from tbreport.kinds.scalar import encode_scalar_event
    from tbreport.proto import event_pb2
    from tbreport.record import encode_record

    logdir = DATA / f"{'' if style == 'torch' else style + '_'}scalars_{runs}x{tags}x{steps}"
    stamp = logdir / ".complete"
    if stamp.exists():
        return logdir
    import math
    import random

    rng = random.Random(0)
    names = [f"group_{i % 5}/metric_{i:03d}".encode() for i in range(tags)]
    for r in range(runs):
        run_dir = logdir / f"run_{r}"
        run_dir.mkdir(parents=True, exist_ok=True)
        wall = 1_700_000_000.0 + r * 10_000
        head = event_pb2.Event(wall_time=wall, file_version="brain.Event:2")
        chunks = [encode_record(head.SerializeToString())]
        for step in range(steps):
            for t, tag in enumerate(names):
                wall += 0.0004
                value = math.exp(-step / 1000) * (1 + t / 10) + rng.random() * 0.01
                if style == "tf2":
                    event = event_pb2.Event(wall_time=wall, step=step)
                    v = event.summary.value.add(tag=tag.decode())
                    v.metadata.plugin_data.plugin_name = "scalars"
                    v.tensor.dtype = 1  # DT_FLOAT
                    v.tensor.tensor_shape.SetInParent()
                    v.tensor.float_val.append(value)
                    chunks.append(encode_record(event.SerializeToString()))
                else:
                    chunks.append(encode_record(encode_scalar_event(tag, value, step, wall)))
        path = run_dir / f"events.out.tfevents.{int(wall)}.benchhost.{r}.0"
        path.write_bytes(b"".join(chunks))
    stamp.write_text("ok\n")
    return logdir


def logdir_size(logdir: Path) -> int:
    return sum(p.stat().st_size for p in logdir.rglob("*tfevents*"))


# -------------------------------------------------------------------- timings

_TBREPORT = r"""
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
import numpy as np
import tbreport
from tbreport.reader import load as load_mod
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
before = rss()
t = time.perf_counter()
logdir = tbreport.load({logdir!r}, workers={workers})
elapsed = time.perf_counter() - t
points = sum(len(s) for r in logdir.runs.values() for s in r.scalars.values())
kept = sum(s.steps.nbytes + s.wall_times.nbytes + s.values.nbytes
           + (s.records.nbytes if s.records is not None else 0)
           for r in logdir.runs.values() for s in r.scalars.values())
peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps(dict(seconds=elapsed, points=points, kept_bytes=kept,
    rss_after_minus_before=rss() - before, peak_rss_main=peak_self,
    rss_before=before, peak_rss_worker=peak_children, warnings=len(logdir.warnings))))
"""

_MEMORY = r"""
import json, sys, tracemalloc
sys.path.insert(0, {root!r})
import tbreport
import tbreport.reader.load  # imported before tracing: count data, not code
tracemalloc.start()
logdir = tbreport.load({logdir!r}, workers=1)
current, peak = tracemalloc.get_traced_memory()
points = sum(len(s) for r in logdir.runs.values() for s in r.scalars.values())
print(json.dumps(dict(points=points, traced_peak_bytes=peak, traced_kept_bytes=current)))
"""

_EVENT_ACCUMULATOR = r"""
import json, os, sys, time, warnings
warnings.simplefilter("ignore")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
t = time.perf_counter()
points = 0
for name in sorted(os.listdir({logdir!r})):
    acc = EventAccumulator(
        os.path.join({logdir!r}, name), size_guidance={{"scalars": 0, "tensors": 0}}
    )
    acc.Reload()
    points += sum(len(acc.Scalars(tag)) for tag in acc.Tags()["scalars"])
    points += sum(len(acc.Tensors(tag)) for tag in acc.Tags()["tensors"])  # TF2 scalars
print(json.dumps(dict(seconds=time.perf_counter() - t, points=points)))
"""

_TBPARSE = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
from tbparse import SummaryReader
t = time.perf_counter()
reader = SummaryReader({logdir!r}, extra_columns={{"dir_name"}})
points = len(reader.scalars) + len(reader.tensors)  # TF2 scalars are tensors to tbparse
print(json.dumps(dict(seconds=time.perf_counter() - t, points=points)))
"""


def _python(code: str, timeout: float = 900) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def time_tbreport(logdir: Path, workers: int | None) -> dict[str, Any]:
    return _python(_TBREPORT.format(root=str(ROOT), logdir=str(logdir), workers=workers))


def measure_memory(logdir: Path) -> dict[str, Any]:
    """Python-level allocations (numpy included) of one single-process load, per point."""
    return _python(_MEMORY.format(root=str(ROOT), logdir=str(logdir)))


def time_event_accumulator(logdir: Path) -> dict[str, Any]:
    return _python(_EVENT_ACCUMULATOR.format(logdir=str(logdir)))


def time_tbparse(logdir: Path) -> dict[str, Any]:
    return _python(_TBPARSE.format(logdir=str(logdir)))


def time_rustboard(logdir: Path, timeout: float = 300) -> dict[str, Any]:
    import tensorboard_data_server  # type: ignore[import-untyped]

    binary = tensorboard_data_server.server_binary()
    if not binary:
        raise RuntimeError("tensorboard_data_server has no binary for this platform")
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            binary,
            "--logdir",
            str(logdir),
            "--port",
            "0",
            "--port-file",
            os.path.join(tmp, "port"),
            "--reload",
            "once",
            "--checksum",
            "--samples-per-plugin",
            "scalars=all",
            "-v",
        ]
        t = time.perf_counter()
        proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        try:
            assert proc.stderr is not None
            deadline = t + timeout
            for line in proc.stderr:
                if "Finished load cycle" in line:
                    elapsed = time.perf_counter() - t
                    m = re.search(r"\(([\d.]+)(ms|s)\)", line)
                    own = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1) if m else None
                    return dict(seconds=elapsed, reported_load_cycle_seconds=own)
                if time.perf_counter() > deadline:
                    break
            raise RuntimeError("rustboard did not finish a load cycle")
        finally:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--tags", type=int, default=50)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the fast contenders")
    parser.add_argument(
        "--style",
        choices=("torch", "tf2"),
        default="torch",
        help="torch: legacy simple_value events (default); tf2: tensor scalars",
    )
    parser.add_argument(
        "--skip", default="", help="comma-separated: eventaccumulator,tbparse,rustboard"
    )
    args = parser.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}

    t = time.perf_counter()
    logdir = generate(args.runs, args.tags, args.steps, args.style)
    print(
        f"logdir {logdir} ({logdir_size(logdir) / 1e6:.0f} MB, ready in "
        f"{time.perf_counter() - t:.1f} s)",
        flush=True,
    )

    results: dict[str, Any] = {}

    contenders: list[tuple[str, Any, tuple[Any, ...], bool]] = [
        ("tbreport.load", time_tbreport, (logdir, None), True),
        ("tbreport.load(workers=1)", time_tbreport, (logdir, 1), True),
        ("rustboard --checksum", time_rustboard, (logdir,), "rustboard" not in skip),
        ("EventAccumulator", time_event_accumulator, (logdir,), "eventaccumulator" not in skip),
        ("tbparse", time_tbparse, (logdir,), "tbparse" not in skip),
    ]
    # The fast contenders run round-robin, --repeat times each, so a busy spell of
    # the machine hits them alike; each reports its best time. The slow ones run once.
    runs: dict[str, list[dict[str, Any]]] = {}
    for round_ in range(args.repeat):
        for name, fn, fargs, enabled in contenders:
            slow = name in ("EventAccumulator", "tbparse")
            if not enabled or (slow and round_ > 0) or name in results:
                continue
            try:
                runs.setdefault(name, []).append(fn(*fargs))
            except Exception as exc:  # report and go on: one peer failing is not fatal
                results[name] = {"error": str(exc)}
    for name, _, _, _ in contenders:
        if name in runs and name not in results:
            best: dict[str, Any] = min(runs[name], key=lambda r: r["seconds"])
            best["all_seconds"] = [r["seconds"] for r in runs[name]]
            best["median_seconds"] = statistics.median(best["all_seconds"])
            results[name] = best
    results = {name: results[name] for name, _, _, _ in contenders if name in results}
    for name, r in results.items():
        print(f"  {name:28s} {r.get('seconds', float('nan')):8.3f} s  {r.get('error', '')}")

    memory = measure_memory(logdir)
    base = results["tbreport.load"]["seconds"]
    points = results["tbreport.load"]["points"]
    print()
    print(f"{'reader':30s} {'seconds':>9s} {'vs tbreport':>12s}")
    for name, r in results.items():
        if "seconds" in r:
            print(f"{name:30s} {r['seconds']:9.3f} {r['seconds'] / base:11.2f}x")
    tb = results["tbreport.load"]
    per_point = {
        "kept_arrays": tb["kept_bytes"] / points,
        "traced_kept": memory["traced_kept_bytes"] / points,
        "traced_peak_single_process": memory["traced_peak_bytes"] / points,
        "rss_growth_main": tb["rss_after_minus_before"] / points,
    }
    print()
    print(
        f"points: {points:,}; bytes/point kept: {per_point['kept_arrays']:.1f} (arrays), "
        f"{per_point['traced_kept']:.1f} (all allocations); peak during a single-process "
        f"load: {per_point['traced_peak_single_process']:.1f}; RSS growth of the loading "
        f"process: {per_point['rss_growth_main']:.1f} (peak RSS {tb['peak_rss_main'] / 1e6:.0f} MB "
        f"main, {tb['peak_rss_worker'] / 1e6:.0f} MB per worker)"
    )
    ratios = {
        f"{name} / tbreport.load": r["seconds"] / base
        for name, r in results.items()
        if "seconds" in r
    }
    for k, v in ratios.items():
        print(f"  {k}: {v:.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    md = [
        f"Reading {args.runs} runs x {args.tags} tags x {args.steps:,} steps "
        f"({points:,} {'TF2 tensor' if args.style == 'tf2' else 'legacy'} scalar events, "
        f"{logdir_size(logdir) / 1e6:.0f} MB), every CRC checked:",
        "",
        "| reader | best seconds (range) | time vs tbreport.load |",
        "|---|---:|---:|",
    ]
    for name, r in results.items():
        if "seconds" in r:
            spread = r.get("all_seconds", [r["seconds"]])
            md.append(
                f"| {name} | {r['seconds']:.2f} ({min(spread):.2f}-{max(spread):.2f}) | "
                f"{r['seconds'] / base:.2f}x |"
            )
    md += [
        "",
        f"tbreport keeps {per_point['kept_arrays']:.0f} bytes per point (numpy columns); a "
        f"single-process load peaks at {per_point['traced_peak_single_process']:.0f} bytes per "
        "point of Python-level allocations.",
    ]
    suffix = "" if args.style == "torch" else f"_{args.style}"
    (RESULTS / f"reader{suffix}.md").write_text("\n".join(md) + "\n")
    out = {
        "style": args.style,
        "logdir": {
            "runs": args.runs,
            "tags": args.tags,
            "steps": args.steps,
            "points": points,
            "bytes": logdir_size(logdir),
        },
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "results": results,
        "memory_bytes_per_point": per_point,
        "ratios": ratios,
    }
    (RESULTS / f"reader{suffix}.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"\nwrote {RESULTS / f'reader{suffix}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
