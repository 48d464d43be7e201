"""The ``tbreport`` command (also ``python -m tbreport``): one module per command.

Each command module (:mod:`~tbreport.cli.ls`, :mod:`~tbreport.cli.scalars`,
:mod:`~tbreport.cli.build`, :mod:`~tbreport.cli.email`) has ``add_parser(subparsers)``
and ``run(args) -> exit status``; what they share is in :mod:`~tbreport.cli.args`.
Commands raise :class:`~tbreport.errors.TbreportError` (or ``OSError``) for problems;
:func:`main` turns those into one ``tbreport: error:`` line and exit status 2.

Building the parser imports nothing heavy (no numpy, no matplotlib): each command
imports the library inside ``run``, so ``tbreport --version`` and ``--help`` are instant.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Callable, NoReturn

from tbreport import __version__
from tbreport.cli import args as _args
from tbreport.cli import build, email, interrupt, ls, scalars
from tbreport.errors import TbreportError

__all__ = ["COMMANDS", "build_parser", "main", "program"]

logger = logging.getLogger(__name__)

#: the commands, in the order ``--help`` lists them
COMMANDS = (ls, scalars, build, email)


def build_parser() -> argparse.ArgumentParser:
    common = _args.verbosity()
    parser = argparse.ArgumentParser(
        prog="tbreport",
        description="Read TensorBoard logdirs and turn them into offline reports.",
        epilog=_args.BASIC_EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"tbreport {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see ``tbreport --help``)."""
    return _main(argv, program=False)


def program() -> NoReturn:
    """The ``tbreport`` program (and ``python -m tbreport``): :func:`main`, then exit."""
    status = _main(None, program=True)
    if status == _args.EXIT_INTERRUPTED:
        interrupt.leave_now()  # see there: Python 3.11 might end it by the signal instead
    sys.exit(status)


def _main(argv: Sequence[str] | None, *, program: bool) -> int:
    args = build_parser().parse_args(argv)
    verbose = int(getattr(args, "verbose", 0))
    try:
        with (
            interrupt.handle_interrupts(program=program),
            _args.cli_logging(verbose, bool(getattr(args, "quiet", False))),
        ):
            return _run(args, verbose)
    except KeyboardInterrupt:  # outside the command (e.g. while logging is set up)
        interrupt.report()
        return _args.EXIT_INTERRUPTED


def _run(args: argparse.Namespace, verbose: int) -> int:
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return handler(args)
    except TbreportError as exc:
        _args.error(str(exc))
        return _args.EXIT_ERROR
    except BrokenPipeError:
        # Whoever read our output went away (`tbreport ls runs/ | head`): not an
        # error. Point stdout at /dev/null so the interpreter's final flush is quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return _args.EXIT_OK
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _args.error(f"{where}{exc.strerror or exc}")
        return _args.EXIT_ERROR
    except KeyboardInterrupt:  # Ctrl-C: see tbreport.cli.interrupt
        interrupt.report()
        return _args.EXIT_INTERRUPTED
    except Exception as exc:  # a bug: still one line, unless -v asks for the traceback
        if verbose:
            logger.exception("internal error")
        _args.error(f"internal error: {type(exc).__name__}: {exc} (run with -v for details)")
        return _args.EXIT_INTERNAL
