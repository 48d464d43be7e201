"""``tbreport ls``: one line per run (kinds, tag and point counts, steps), then the notes."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tbreport.cli import args as _args
from tbreport.fmt import plural

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "ls",
        help="list the runs of logdirs",
        description=(
            "One line per run: name, kinds of data found, tag and point counts, step\n"
            "range; then the notes (unknown plugins, repeated graphs, symlinked runs).\n"
            "Damaged or unreadable files are named on stderr."
        ),
        epilog=_args.BASIC_EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    _args.add_logdirs(p)
    _args.add_options(p, ("strict",))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    logdir = _args.load_readable(args.logdirs, strict=args.strict)
    rows = [("RUN", "KINDS", "TAGS", "POINTS", "STEPS")]
    for name, r in logdir.runs.items():
        steps = r.step_range()
        rows.append(
            (
                name,
                ",".join(r.kinds()) or "-",
                str(r.tag_count()),
                str(r.point_count()),
                f"{steps[0]}..{steps[1]}" if steps else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = sys.stdout
    for row in rows:
        cells = [
            row[0].ljust(widths[0]),
            row[1].ljust(widths[1]),
            row[2].rjust(widths[2]),
            row[3].rjust(widths[3]),
            row[4],
        ]
        out.write("  ".join(cells).rstrip() + "\n")
    notes = logdir.notes  # the damage is named on stderr, as by every command
    if notes:
        out.write(f"\n{plural(len(notes), 'note')} (not damage):\n")
        for w in notes:
            out.write(f"  {w}\n")
    out.flush()
    return _args.EXIT_OK
