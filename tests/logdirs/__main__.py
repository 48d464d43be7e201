"""``python -m tests.logdirs NAME OUT [--scale N] [--megabytes MB]``: write one test logdir (``all``: every one)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from tests.logdirs import BUILDERS, FOR_ISSUE


def _size(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(os.fsencode(root)):
        for name in files:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                total += os.path.getsize(path)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.logdirs", description=__doc__)
    parser.add_argument("name", nargs="?", help=f"one of: {', '.join(BUILDERS)}, or 'all'")
    parser.add_argument("out", nargs="?", type=Path, help="where to write (replaced)")
    parser.add_argument("--scale", type=int, default=1, help="size multiplier (default 1)")
    parser.add_argument(
        "--megabytes",
        type=float,
        help="big_images only: its size in MB (times --scale; default 20)",
    )
    parser.add_argument("--list", action="store_true", help="list the logdirs and exit")
    args = parser.parse_args(argv)
    if args.list or not args.name:
        for name, builder in BUILDERS.items():
            doc = (sys.modules[builder.__module__].__doc__ or "").strip().splitlines()[0]
            sys.stdout.write(f"{name:16} #{FOR_ISSUE[name]}  {doc}\n")
        return 0
    if args.out is None:
        parser.error("OUT is required")
    if args.name != "all" and args.name not in BUILDERS:
        parser.error(f"unknown logdir {args.name!r}; --list shows them")
    if args.scale < 1:
        parser.error("--scale must be >= 1")
    if args.megabytes is not None and (args.name != "big_images" or args.megabytes <= 0):
        parser.error("--megabytes takes a size > 0 and only for big_images")
    names = list(BUILDERS) if args.name == "all" else [args.name]
    for name in names:
        root = args.out / name if args.name == "all" else args.out
        started = time.perf_counter()
        sized = {"megabytes": args.megabytes} if args.megabytes is not None else {}
        BUILDERS[name](root, scale=args.scale, **sized)
        seconds = time.perf_counter() - started
        sys.stdout.write(f"{name}: {root} ({_size(root) / 1e6:.1f} MB, {seconds:.2f} s)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
