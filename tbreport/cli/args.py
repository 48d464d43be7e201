"""What the commands share: their arguments, the verbosity, the messages, the exit codes.

The report options come from :class:`tbreport.options.BuildOptions` (:func:`add_options`
turns each field's :class:`~tbreport.options.Flag` into an argument), so their choices
and checks are written once. ``-v``/``-q`` are accepted before and after the command.
Every message on stderr is one line starting ``tbreport: warning:`` or
``tbreport: error:`` (``tbreport: info:`` and ``tbreport: debug:`` with ``-v``/``-vv``).

Nothing here imports numpy: ``tbreport --help`` and ``--version`` stay instant.
"""

from __future__ import annotations

import argparse
import logging
import os
import stat
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import MISSING, fields
from typing import TYPE_CHECKING, Any

from tbreport.errors import NoRunsFoundError
from tbreport.fmt import fmt_bytes, plural, shown_name
from tbreport.options import BuildOptions, Flag, flag_of

if TYPE_CHECKING:
    from tbreport.model import Logdir
    from tbreport.report.gates import GateResult
    from tbreport.report.output import Output

__all__ = [
    "BASIC_EXIT_HELP",
    "EXIT_ERROR",
    "EXIT_GATE",
    "EXIT_HELP",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "GATES_HELP",
    "add_gate_arguments",
    "add_logdirs",
    "add_options",
    "add_output",
    "cli_logging",
    "error",
    "load_readable",
    "name_problems",
    "options_from",
    "report_gates",
    "verbosity",
    "wrote",
]

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_ERROR = 2
#: a gate tripped or could not be checked
EXIT_GATE = 3
EXIT_INTERRUPTED = 130

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

BASIC_EXIT_HELP = """\
exit status:
  0  success
  1  an unexpected internal error (a bug: please report it; -v shows the traceback)
  2  an error in the input or environment: bad arguments, a missing logdir or one
     without event files, an unwritable output file, or (with --strict) damaged
     input; the reason is one line on stderr
  130  interrupted (Ctrl-C): one line; no partial output, no worker left

Damaged event files inside a valid logdir are not errors without --strict: every
intact record is read and each damaged file is named on stderr. Damage is a CRC
failure, a truncated record or an unreadable file; notes (unknown plugins, repeated
graphs, symlinked run directories, empty files) never fail --strict.
"""

EXIT_HELP = """\
exit status:
  0  success, every gate passed
  1  an internal error (a bug: please report it; -v shows the traceback)
  2  an error in the input or environment: bad arguments (a malformed --fail-if is
     reported before anything is read), a logdir without event files, an unknown
     --baseline, an unwritable output, or (with --strict) damaged input; one line on
     stderr
  3  a gate tripped, or a gate's tag is in no run: one line per problem on stderr; the
     outputs are still written
  130  interrupted (Ctrl-C): one line; no partial output, no worker left
"""


def verbosity() -> argparse.ArgumentParser:
    """``-v``/``-q`` as a parent parser: given to the main parser and every command, so
    they work before and after the command (``tbreport -q build ...``, ``tbreport ls -v``)."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_mutually_exclusive_group()
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="more log output (-vv: debug)",
    )
    group.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="only errors"
    )
    return parent


def add_logdirs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "logdirs",
        nargs="+",
        metavar="LOGDIR",
        help="TensorBoard logdir(s) or event file(s); with several, run names start with "
        "each logdir's name",
    )


def add_output(p: argparse.ArgumentParser, default: str) -> None:
    shown = "- = standard output" if default == "-" else default
    p.add_argument(
        "-o",
        "--output",
        default=default,
        metavar="FILE",
        help=f"where to write it (default: {shown}; - = standard output; a missing "
        "directory is created)",
    )


def _type(name: str, flag: Flag) -> Any:
    def parse(text: str) -> Any:
        try:
            value = flag.convert(text)
        except ValueError:
            kind = "an integer" if flag.convert is int else "a number"
            raise argparse.ArgumentTypeError(f"not {kind}: {text!r}") from None
        problem = flag.problem(value)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    parse.__name__ = name  # argparse names the type in some messages
    return parse


def add_options(p: argparse.ArgumentParser, names: Sequence[str]) -> None:
    """The :class:`BuildOptions` fields ``names`` as arguments (``x_axis`` -> ``--x-axis``)."""
    defaults = {f.name: f.default for f in fields(BuildOptions) if f.default is not MISSING}
    for name in names:
        flag = flag_of(name)
        names_ = [f"--{name.replace('_', '-')}"] + ([flag.short] if flag.short else [])
        if flag.switch:
            p.add_argument(*names_, dest=name, action="store_true", help=flag.help)
            continue
        if flag.choices:
            p.add_argument(
                *names_, dest=name, default=defaults[name], choices=flag.choices, help=flag.help
            )
            continue
        p.add_argument(
            *names_,
            dest=name,
            default=defaults[name],
            metavar=flag.metavar,
            type=_type(name, flag),
            help=flag.help,
        )


def options_from(args: argparse.Namespace, **extra: Any) -> BuildOptions:
    """The :class:`BuildOptions` of the parsed arguments (fields not given: defaults)."""
    given = {f.name: getattr(args, f.name) for f in fields(BuildOptions) if hasattr(args, f.name)}
    given.update(extra)
    return BuildOptions(**given)


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


def load_readable(
    paths: Sequence[str], *, strict: bool = False, progress: bool | None = False
) -> Logdir:
    """Load the logdirs; :class:`~tbreport.errors.NoRunsFoundError` (after a warning per
    problem met) when not a single record could be read; with ``strict``, the
    :class:`~tbreport.errors.DamagedInputError` of any damage (never of a note);
    ``progress``: a reading bar (``None``: on a terminal)."""
    from tbreport.select import load_logdirs, require_records, strict_error  # numpy: when run

    logdir = load_logdirs(paths, progress=progress)
    try:
        require_records(logdir)
    except NoRunsFoundError:
        for w in logdir.warnings:
            logging.getLogger("tbreport").warning("%s", w)
        raise
    if strict and logdir.damage:
        raise strict_error(logdir.damage)
    name_problems(logdir)
    return logdir


#: damaged files named on stderr before "and N more" (-v: all)
MAX_NAMED = 10


def name_problems(logdir: Logdir) -> None:
    """Each damaged file on stderr, one ``tbreport: warning: FILE: what`` line, at most
    :data:`MAX_NAMED` (all with ``-v``; none with ``-q``); the notes with ``-v`` only."""
    log = logging.getLogger("tbreport")
    damage = logdir.damage
    shown = damage if log.isEnabledFor(logging.INFO) else damage[:MAX_NAMED]
    for w in shown:
        log.warning("%s", w)
    if len(damage) > len(shown):
        log.warning(
            "and %d more damaged or unreadable files (-v lists them all)",
            len(damage) - len(shown),
        )
    for w in logdir.notes:
        log.info("note: %s", w)


def wrote(out: Output, what: str, *, thing: str = "the output") -> None:
    """The one success line on stderr, as coverage.py says where its HTML went:
    ``tbreport: wrote PATH (SIZE): WHAT``."""
    print(shown_name(f"tbreport: wrote {_where(out, thing)}: {what}"), file=sys.stderr)


def _where(out: Output, thing: str) -> str:
    """The path as given, with the size of what is there now (a regular file's)."""
    if out.is_stdout:
        return f"{thing} to standard output"
    try:
        st = os.stat(out.given)
    except OSError:
        return out.given
    return f"{out.given} ({fmt_bytes(st.st_size)})" if stat.S_ISREG(st.st_mode) else out.given


def error(message: str) -> None:
    """One ``tbreport: error:`` line on stderr, whatever the message holds."""
    print(f"tbreport: error: {' '.join(shown_name(message).split())}", file=sys.stderr)


def report_gates(results: Sequence[GateResult]) -> int:
    """One error line per tripped or uncheckable gate; the exit status."""
    failed = False
    for result in results:
        for line in result.messages():
            error(line)
            failed = True
    if results:
        passed = sum(1 for r in results if r.passed)
        logging.getLogger("tbreport").info("%d of %s passed", passed, plural(len(results), "gate"))
    return EXIT_GATE if failed else EXIT_OK


class _Formatter(logging.Formatter):
    """``tbreport: warning: message`` (one line; a traceback follows only with -v)."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"tbreport: {record.levelname.lower()}: {shown_name(record.getMessage())}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


@contextmanager
def cli_logging(verbose: int, quiet: bool) -> Iterator[None]:
    """Log the package's records to the current stderr for the duration of one command.

    The handler is removed afterwards (and the logger restored), so calling
    ``main()`` in-process, as tests and notebooks do, leaves logging as it was.
    """
    level = logging.ERROR if quiet else logging.WARNING
    if verbose == 1:
        level = logging.INFO
    elif verbose >= 2:
        level = logging.DEBUG
    pkg = logging.getLogger("tbreport")
    saved = (pkg.level, pkg.propagate)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    pkg.setLevel(level)
    pkg.addHandler(handler)
    pkg.propagate = False
    try:
        yield
    finally:
        pkg.removeHandler(handler)
        pkg.setLevel(saved[0])
        pkg.propagate = saved[1]
