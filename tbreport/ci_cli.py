"""The CI options shared by ``tbreport build`` and ``tbreport email``.

``--fail-if`` (metric gates, :mod:`tbreport.gates`), ``--summary-md`` (markdown summary,
:mod:`tbreport.summary_md`), ``--baseline`` and ``--group-by`` (:mod:`tbreport.compare`).

Exit status: a malformed ``--fail-if`` is exit 2 with one line, before anything is read;
a tripped gate, or a gate whose tag no run has, is exit 3 *after* the report and the
summary are written, with one line per tripped gate on stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from tbreport.errors import TbreportError
from tbreport.gates import Gate, GateResult, evaluate, parse_gate
from tbreport.model import Logdir

__all__ = [
    "EXIT_GATE",
    "GATES_HELP",
    "add_compare_arguments",
    "add_gate_arguments",
    "check_gates",
    "load_logdir",
    "parse_gates",
    "report_gates",
    "write_summary",
    "write_summary_md",
]

logger = logging.getLogger(__name__)

#: exit status when a gate trips or cannot be checked
EXIT_GATE = 3

GATES_HELP = """\
metric gates (--fail-if, repeatable):
  AGG(TAG) OP NUMBER [@ RUN_REGEX]
    AGG        last (value at the greatest step), first, min, max, mean
    OP         <  <=  >  >=  ==  !=
    @ REGEX    only the runs whose name matches REGEX (searched, like --runs)
  Every run that has TAG is checked. CI fails (the gate trips) for a run when the
  comparison holds; a NaN value trips every gate. Examples:
    --fail-if "last(val/loss) > 0.5"          fail if a run ends with val/loss above 0.5
    --fail-if "max(val/accuracy) < 0.9 @ ^lr_0\\.1/"
"""

EXIT_HELP = """\
exit status:
  0  success, every gate passed
  1  an internal error (a bug)
  2  bad arguments (a malformed --fail-if is reported before anything is read), a logdir
     without event files, an unknown --baseline, or (with --strict) damaged input
  3  a gate tripped, or a gate's tag is in no run: one line per problem on stderr; the
     report and the summary are still written
"""


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _regex(text: str) -> str:
    import re

    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"invalid regular expression {text!r}: {exc}") from None
    return text


def add_selection_arguments(p: argparse.ArgumentParser) -> None:
    """``LOGDIR...``, ``--title``, ``--runs``, ``--tags`` and ``--smoothing``, alike for
    ``tbreport build`` and ``tbreport email``."""
    p.add_argument("logdirs", nargs="+", metavar="LOGDIR", help="TensorBoard logdir(s)")
    p.add_argument("--title", help="title (default: from the logdir names)")
    p.add_argument("--runs", type=_regex, metavar="REGEX", help="only runs whose name matches")
    p.add_argument("--tags", type=_regex, metavar="REGEX", help="only tags that match")
    p.add_argument(
        "--smoothing",
        type=_fraction,
        default=0.6,
        metavar="W",
        help="TensorBoard's debiased EMA weight in [0, 1) (default: 0.6; 0 = off)",
    )


def _group_regex(text: str) -> str:
    from tbreport.options import check_group_regex

    try:
        check_group_regex(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_compare_arguments(p: argparse.ArgumentParser) -> None:
    """``--baseline RUN`` and ``--group-by REGEX``."""
    p.add_argument(
        "--baseline",
        metavar="RUN",
        help="show every other run's metrics as deltas against RUN (a run name, or a "
        "--group-by group such as 'lr_0.1/*')",
    )
    p.add_argument(
        "--group-by",
        type=_group_regex,
        metavar="REGEX",
        help="group runs whose names are equal once the part REGEX matches is replaced "
        "by '*' (e.g. 'seed_\\d+'): mean ± std in the tables, mean ± std bands in the charts",
    )


def add_gate_arguments(p: argparse.ArgumentParser, *, summary: bool = True) -> None:
    """``--fail-if EXPR`` (repeatable) and, for ``build``, ``--summary-md FILE``."""
    p.add_argument(
        "--fail-if",
        action="append",
        default=[],
        metavar="EXPR",
        help="metric gate 'AGG(TAG) OP NUMBER [@ RUN_REGEX]' (repeatable; see below): "
        "exit 3 if it trips",
    )
    if summary:
        p.add_argument(
            "--summary-md",
            metavar="FILE",
            help='also write a GitHub-flavoured markdown summary to FILE (e.g. "$GITHUB_STEP_SUMMARY"; '
            "- = stdout; the file is replaced)",
        )


def parse_gates(expressions: Sequence[str]) -> list[Gate]:
    """Parse every ``--fail-if``; a malformed one is a one-line error (exit 2)."""
    gates = []
    for text in expressions:
        try:
            gates.append(parse_gate(text))
        except ValueError as exc:
            raise TbreportError(str(exc)) from None
    return gates


def load_logdir(paths: Sequence[str]) -> Logdir:
    """Load one logdir, or several (run names prefixed with each logdir's name)."""
    from tbreport.reader.load import load

    return load(paths[0] if len(paths) == 1 else list(paths))


def check_gates(gates: Sequence[Gate], logdir: Logdir, runs_regex: str | None) -> list[GateResult]:
    """Evaluate the gates on the runs the report shows (``--runs``, purged)."""
    from tbreport.compare import select_runs

    return evaluate(gates, select_runs(logdir, runs_regex))


def report_gates(results: Sequence[GateResult]) -> int:
    """Print one line per tripped or uncheckable gate on stderr; the exit status."""
    failed = False
    for result in results:
        for line in result.messages():
            print(f"tbreport: {' '.join(line.split())}", file=sys.stderr)
            failed = True
    if results:
        ok = sum(1 for r in results if r.passed)
        logger.info("%d of %d gate(s) passed", ok, len(results))
    return EXIT_GATE if failed else 0


def write_summary(
    args: argparse.Namespace, logdir: Logdir, results: Sequence[GateResult], report: str
) -> None:
    """Write ``--summary-md`` for ``tbreport build`` (same runs, tags, baseline, groups)."""
    write_summary_md(
        args.summary_md,
        logdir,
        results,
        report,
        runs=args.runs,
        title=args.title,
        tags=args.tags,
        baseline=args.baseline,
        group_by=args.group_by,
    )


def write_summary_md(
    path: str,
    logdir: Logdir,
    results: Sequence[GateResult],
    report: str,
    *,
    runs: str | None = None,
    title: str | None = None,
    tags: str | None = None,
    baseline: str | None = None,
    group_by: str | None = None,
) -> None:
    """Write the markdown summary of ``logdir`` to ``path`` (``-``: stdout); the options
    are the report's (``runs`` and ``tags`` regexes, ...) so both show the same data."""
    from tbreport.compare import colors_for, select_runs
    from tbreport.summary_md import collect_summary, render_markdown, write_text

    selected = select_runs(logdir, runs)
    data = collect_summary(
        logdir,
        selected,
        colors_for([r.name for r in selected], group_by),
        title=title,
        tags=tags,
        baseline=baseline,
        group_by=group_by,
        gates=results,
        report=report,
    )
    write_text(path, render_markdown(data))
    logger.info("summary written to %s", path)
