"""Writer throughput: tbreport vs tensorboardX vs torch.utils.tensorboard, side by side.

Times ``add_scalar``, ``add_image`` (64x64x3 uint8, HWC) and ``add_histogram``
(10,000 normal values) per call, including ``close()``, for each writer in the
same process, interleaved, several rounds; reports the median per call and the
ratio peer / tbreport. Writes ``benchmarks/results/writer.json`` and ``writer.md``.

    python benchmarks/bench_writer.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"


def writers() -> dict[str, Callable[[str], Any]]:
    from tbreport import SummaryWriter

    out: dict[str, Callable[[str], Any]] = {"tbreport": SummaryWriter}
    try:
        import tensorboardX

        out["tensorboardX"] = tensorboardX.SummaryWriter
    except ImportError:
        pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from torch.utils.tensorboard import SummaryWriter as TorchWriter
        out["torch"] = TorchWriter
    except ImportError:
        pass
    return out


def workloads(
    n_scalar: int, n_image: int, n_hist: int
) -> dict[str, tuple[int, Callable[[Any, int], None]]]:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    values = rng.normal(size=10_000)

    def scalar(w: Any, i: int) -> None:
        w.add_scalar("train/loss", 0.5, i)

    def img(w: Any, i: int) -> None:
        w.add_image("sample", image, i, dataformats="HWC")

    def hist(w: Any, i: int) -> None:
        w.add_histogram("weights", values, i)

    return {
        "add_scalar": (n_scalar, scalar),
        "add_image (64x64x3)": (n_image, img),
        "add_histogram (10k values)": (n_hist, hist),
    }


def time_one(factory: Callable[[str], Any], n: int, call: Callable[[Any, int], None]) -> float:
    d = tempfile.mkdtemp(prefix="tbbench-")
    try:
        w = factory(d)
        start = time.perf_counter()
        for i in range(n):
            call(w, i)
        w.close()
        return (time.perf_counter() - start) / n
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer calls and rounds")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    rounds = args.rounds or (3 if args.quick else 7)
    ws = writers()
    loads = workloads(50_000 // scale, 2_000 // scale, 1_000 // scale)
    times: dict[str, dict[str, list[float]]] = {k: {w: [] for w in ws} for k in loads}
    for _ in range(rounds):
        for kind, (n, call) in loads.items():
            for name, factory in ws.items():  # interleaved: noise hits everyone alike
                times[kind][name].append(time_one(factory, n, call))
    result: dict[str, Any] = {"python": sys.version.split()[0], "rounds": rounds, "workloads": {}}
    lines = [
        "| writer call | "
        + " | ".join(f"{w} (µs/call)" for w in ws)
        + " | "
        + " | ".join(f"{w} / tbreport" for w in ws if w != "tbreport")
        + " |",
        "|---" * (1 + len(ws) + len(ws) - 1) + "|",
    ]
    for kind, per in times.items():
        med = {w: statistics.median(t) * 1e6 for w, t in per.items()}
        result["workloads"][kind] = {"median_us": med, "calls": loads[kind][0]}
        ratios = [f"{med[w] / med['tbreport']:.1f}x" for w in ws if w != "tbreport"]
        lines.append(
            f"| {kind} | "
            + " | ".join(f"{med[w]:.1f}" for w in ws)
            + " | "
            + " | ".join(ratios)
            + " |"
        )
    table = "\n".join(lines)
    block = (
        f"**Writing**: median time per call, including `close()`, {rounds} interleaved rounds "
        f"(`python benchmarks/bench_writer.py`):\n\n{table}\n"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "writer.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "writer.md").write_text(block)
    print(table)
    return result


if __name__ == "__main__":
    main()
