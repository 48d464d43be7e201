"""``tbreport build``: the report subcommand, plugged into :mod:`tbreport.cli`.

:func:`add_build_parser` is listed in ``tbreport.cli.EXTENSIONS``; the handler raises
:class:`~tbreport.errors.TbreportError` (exit 2, one line) for bad input, and turns
bad option values into the same one-line error.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from tbreport.ci_cli import EXIT_HELP as GATE_EXIT_HELP
from tbreport.ci_cli import (
    GATES_HELP,
    add_compare_arguments,
    add_gate_arguments,
    add_selection_arguments,
)
from tbreport.errors import TbreportError

__all__ = ["add_build_parser"]

logger = logging.getLogger(__name__)

_DESCRIPTION = """\
Build one self-contained HTML report from TensorBoard logdirs: scalars (smoothed,
robust y-range), images, audio, graphs, histograms, distributions, text, PR curves,
hparams and custom-scalar layouts. The file loads nothing from the network, reads
without JavaScript, prints cleanly, and is byte-identical for identical input
(the build time honours SOURCE_DATE_EPOCH)."""


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def add_build_parser(subparsers: Any) -> None:
    """Register ``build`` on the ``tbreport`` command's subparsers."""
    p = subparsers.add_parser(
        "build",
        help="build one offline HTML report",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=GATES_HELP + "\n" + GATE_EXIT_HELP,
    )
    add_selection_arguments(p)
    p.add_argument(
        "-o", "--output", default="report.html", metavar="FILE", help="default: report.html"
    )
    p.add_argument(
        "--x-axis",
        choices=("step", "relative", "wall"),
        default="step",
        help="x-axis of scalar charts (default: step)",
    )
    p.add_argument(
        "--format", choices=("png", "svg"), default="png", help="chart format (default: png)"
    )
    p.add_argument(
        "--image-steps",
        type=_count,
        default=0,
        metavar="N",
        help="embed at most N steps per image tag, evenly spaced (default: 0 = every step)",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=_count,
        default=0,
        metavar="N",
        help="processes drawing charts (default: 0 = all cores)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="damaged or skipped event files, or a missing Graphviz, are errors (exit 2)",
    )
    p.add_argument(
        "--max-graph-nodes",
        type=_count,
        default=250,
        metavar="N",
        help="collapse graphs by name scope until at most N boxes remain (default: 250)",
    )
    p.add_argument(
        "--graph-timeout",
        type=_seconds,
        default=30.0,
        metavar="S",
        help="time limit for Graphviz on one graph; beyond it the DOT source is shown (default: 30)",
    )
    add_compare_arguments(p)  # --baseline, --group-by (tbreport/ci_cli.py)
    add_gate_arguments(p)  # --fail-if, --summary-md
    # -q/-v here as well as before the subcommand (tbreport -q build ...); own dests, so
    # the subparser's defaults never reset what the main parser set
    p.add_argument("-q", "--quiet", dest="build_quiet", action="store_true", help="only errors")
    p.add_argument(
        "-v", "--verbose", dest="build_verbose", action="count", default=0, help="more output"
    )
    p.set_defaults(func=_cmd_build)


def _cmd_build(args: argparse.Namespace) -> int:
    from tbreport.ci_cli import check_gates, load_logdir, parse_gates, report_gates, write_summary
    from tbreport.report import build_report

    gates = parse_gates(args.fail_if)  # a malformed gate: exit 2 before any work

    pkg = logging.getLogger("tbreport")
    if args.build_quiet:
        pkg.setLevel(logging.ERROR)
    elif args.build_verbose:
        pkg.setLevel(logging.INFO if args.build_verbose == 1 else logging.DEBUG)
    quiet = args.build_quiet or getattr(args, "quiet", False)
    try:
        logdir = load_logdir(args.logdirs)
        out = build_report(
            logdir,
            args.output,
            title=args.title,
            runs=args.runs,
            tags=args.tags,
            smoothing=args.smoothing,
            x_axis=args.x_axis,
            format=args.format,
            image_steps=args.image_steps or None,
            jobs=args.jobs or None,
            strict=args.strict,
            max_graph_nodes=max(1, args.max_graph_nodes),
            graph_timeout=args.graph_timeout,
            progress=False if quiet else None,
            baseline=args.baseline,
            group_by=args.group_by,
        )
        results = check_gates(gates, logdir, args.runs)
        if args.summary_md:
            write_summary(args, logdir, results, str(out))
    except ValueError as exc:
        raise TbreportError(str(exc)) from None
    logger.info("report written to %s", out)
    return report_gates(results)
