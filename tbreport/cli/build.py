"""``tbreport build``: one offline HTML report, then the gates and the markdown summary."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from tbreport.cli import args as _args
from tbreport.options import COMPARE_OPTIONS, DRAWING_OPTIONS, SELECTION_OPTIONS
from tbreport.report.output import Output

__all__ = ["add_parser", "run"]

logger = logging.getLogger(__name__)

_DESCRIPTION = """\
Build one self-contained HTML report from TensorBoard logdirs: scalars (smoothed,
robust y-range), images, audio, graphs, histograms, distributions, text, PR curves,
hparams and custom-scalar layouts. The file loads nothing from the network, reads
without JavaScript, prints cleanly, and is byte-identical for identical input
(the build time honours SOURCE_DATE_EPOCH)."""


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "build",
        help="build one offline HTML report",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_args.GATES_HELP + "\n" + _args.EXIT_HELP,
        parents=[common],
    )
    _args.add_logdirs(p)
    _args.add_output(p, "report.html")
    _args.add_options(p, SELECTION_OPTIONS + DRAWING_OPTIONS + COMPARE_OPTIONS)
    _args.add_gate_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tbreport.report.gates import parse_gates  # the library: only when run (--help stays light)
    from tbreport.report.html import build, describe, select_for  # the library: only when run

    # every argument problem before any work: gates, option values, outputs
    gates = parse_gates(args.fail_if)
    opts = _args.options_from(args, progress=False if getattr(args, "quiet", False) else None)
    opts.validate()
    out = Output(args.output)
    summary = Output(args.summary_md) if args.summary_md else None
    for o in (out, summary):
        if o is not None:
            o.check()
    logdir = _args.load_readable(args.logdirs, progress=opts.progress)
    selection = select_for(logdir, opts)
    results = build(selection, opts, out, gates, summary)
    if not getattr(args, "quiet", False):
        _args.wrote(out, describe(selection), thing="the report")
    return _args.report_gates(results)
