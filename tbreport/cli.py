"""The ``tbreport`` command (also ``python -m tbreport``).

Subcommands of other modules plug in through :data:`EXTENSIONS`: each entry names a
function ``add_parser(subparsers) -> None`` that calls ``subparsers.add_parser(...)``
and ``set_defaults(func=handler)`` with ``handler(args: argparse.Namespace) -> int``.
Handlers raise :class:`~tbreport.errors.TbreportError` (or ``OSError``) for problems;
:func:`main` turns those into one line on stderr and exit status 2. Keep heavy
imports (matplotlib, jinja2) inside the handler so ``tbreport ls`` stays fast.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import logging
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any, Callable

import numpy as np

from tbreport import __version__
from tbreport.errors import NoRunsFoundError, TbreportError
from tbreport.model import Logdir

__all__ = ["EXTENSIONS", "build_parser", "main"]

logger = logging.getLogger(__name__)

#: "module:function" of subcommands defined elsewhere. The report builder's
#: ``build`` lives in ``tbreport/report_cli.py`` as ``add_build_parser(subparsers)``;
#: a missing module is skipped, so each side can land independently.
EXTENSIONS: tuple[str, ...] = (
    "tbreport.report_cli:add_build_parser",
    "tbreport.email_cli:add_email_parser",
)

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_ERROR = 2

_CSV_CHUNK = 1 << 16  # rows formatted at a time

_EPILOG = """\
exit status:
  0  success
  1  an unexpected internal error (a bug: please report it; -v shows the traceback)
  2  an error in the input or environment: bad arguments, a missing logdir or one
     without event files, an unwritable output file; the reason is one line on stderr

Damaged event files inside a valid logdir are not errors: every intact record is
read and each problem is listed as a warning.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tbreport",
        description="Read TensorBoard logdirs and turn them into offline reports.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tbreport {__version__}")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)"
    )
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    ls = sub.add_parser(
        "ls",
        help="list the runs of a logdir",
        description=(
            "One line per run: name, kinds of data found, tag and point counts, step\n"
            "range; then every warning (damaged or skipped records)."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ls.add_argument("logdir", metavar="LOGDIR", help="a TensorBoard logdir (or one event file)")
    ls.set_defaults(func=_cmd_ls)

    sc = sub.add_parser(
        "scalars",
        help="export every scalar point as CSV or JSON",
        description=(
            "Every scalar point, one per record as written (file order; duplicate and\n"
            "out-of-order steps kept; runs sorted by name, tags in order of appearance).\n\n"
            "CSV: header run,tag,step,wall_time,value; floats in full precision;\n"
            "non-finite values as nan, inf, -inf.\n"
            'JSON: {"runs": {RUN: {TAG: [[step, wall_time, value], ...]}}}; non-finite\n'
            'values as the strings "nan", "inf", "-inf".'
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sc.add_argument("logdir", metavar="LOGDIR", help="a TensorBoard logdir (or one event file)")
    sc.add_argument("--format", choices=("csv", "json"), default="csv", help="default: csv")
    sc.add_argument(
        "-o", "--output", metavar="FILE", default="-", help="output file (default: - = stdout)"
    )
    sc.set_defaults(func=_cmd_scalars)

    for ext in EXTENSIONS:
        _register(ext, sub)
    return parser


def _register(spec: str, subparsers: Any) -> None:
    module_name, _, func_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return
        raise
    add: Callable[[Any], None] = getattr(module, func_name)
    add(subparsers)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see ``tbreport --help``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    with _cli_logging(args.verbose, args.quiet):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return handler(args)
    except TbreportError as exc:
        _error(str(exc))
        return EXIT_ERROR
    except BrokenPipeError:
        # Whoever read our output went away (`tbreport ls runs/ | head`): not an
        # error. Point stdout at /dev/null so the interpreter's final flush is quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"{where}{exc.strerror or exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as exc:  # a bug: still one line, unless -v asks for the traceback
        if args.verbose:
            logger.exception("internal error")
        _error(f"internal error: {type(exc).__name__}: {exc} (run with -v for details)")
        return EXIT_INTERNAL


def _error(message: str) -> None:
    line = " ".join(message.split())  # one line, whatever the message holds
    print(f"tbreport: error: {line}", file=sys.stderr)


@contextmanager
def _cli_logging(verbose: int, quiet: bool) -> Iterator[None]:
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
    handler.setFormatter(logging.Formatter("tbreport: %(levelname)s: %(message)s"))
    pkg.setLevel(level)
    pkg.addHandler(handler)
    pkg.propagate = False
    try:
        yield
    finally:
        pkg.removeHandler(handler)
        pkg.setLevel(saved[0])
        pkg.propagate = saved[1]


# ------------------------------------------------------------------------- ls


def _load_something(path: str) -> Logdir:
    """``load(path)``, or :class:`NoRunsFoundError` if not a single record could be read."""
    from tbreport.reader.load import load

    logdir = load(path)
    if not any(f.records for run in logdir.runs.values() for f in run.files):
        for w in logdir.warnings:
            print(f"warning: {w}", file=sys.stderr)
        raise NoRunsFoundError(f"{path}: event files found, but none holds a readable record")
    return logdir


def _cmd_ls(args: argparse.Namespace) -> int:
    logdir = _load_something(args.logdir)
    rows = [("RUN", "KINDS", "TAGS", "POINTS", "STEPS")]
    for name, run in logdir.runs.items():
        steps = run.step_range()
        rows.append(
            (
                name,
                ",".join(run.kinds()) or "-",
                str(run.tag_count()),
                str(run.point_count()),
                f"{steps[0]}..{steps[1]}" if steps else "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = sys.stdout
    for r in rows:
        cells = [
            r[0].ljust(widths[0]),
            r[1].ljust(widths[1]),
            r[2].rjust(widths[2]),
            r[3].rjust(widths[3]),
            r[4],
        ]
        out.write("  ".join(cells).rstrip() + "\n")
    if logdir.warnings:
        out.write(f"\n{len(logdir.warnings)} warning(s):\n")
        for w in logdir.warnings:
            out.write(f"  {w}\n")
    out.flush()
    return EXIT_OK


# -------------------------------------------------------------------- scalars


def _num(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


@contextmanager
def _open_output(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    with open(path, "w", encoding="utf-8", newline="") as fh:
        yield fh


def _cmd_scalars(args: argparse.Namespace) -> int:
    logdir = _load_something(args.logdir)
    for w in logdir.warnings:
        print(f"warning: {w}", file=sys.stderr)
    with _open_output(args.output) as out:
        if args.format == "json":
            _write_json(logdir, out)
        else:
            _write_csv(logdir, out)
    return EXIT_OK


def _write_csv(logdir: Logdir, out: IO[str]) -> None:
    """Every scalar point, run by run, each run's points in the order they were written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("run", "tag", "step", "wall_time", "value"))
    buf = io.StringIO()
    chunk = csv.writer(buf, lineterminator="\n")
    for name, run in logdir.runs.items():
        tags, tag_index, position = run.scalar_rows()
        if not tags:
            continue
        series = [run.scalars[t] for t in tags]
        starts = np.cumsum([0] + [len(x) for x in series[:-1]])
        flat = starts[tag_index] + position  # index into the run's concatenated columns
        steps = np.concatenate([x.steps for x in series])
        walls = np.concatenate([x.wall_times for x in series])
        values = np.concatenate([x.values for x in series])
        for c0 in range(0, len(flat), _CSV_CHUNK):
            sel = flat[c0 : c0 + _CSV_CHUNK]
            chunk.writerows(
                zip(
                    [name] * len(sel),
                    [tags[k] for k in tag_index[c0 : c0 + _CSV_CHUNK].tolist()],
                    steps[sel].tolist(),
                    [_num(w) for w in walls[sel].tolist()],
                    [_num(v) for v in values[sel].tolist()],
                )
            )
            out.write(buf.getvalue())
            buf.seek(0)
            buf.truncate()


def _json_num_text(x: float) -> str:
    """A float as JSON: shortest round-trip repr, non-finite values as strings."""
    return repr(x) if math.isfinite(x) else f'"{_num(x)}"'


def _write_json(logdir: Logdir, out: IO[str]) -> None:
    """``{"runs": {run: {tag: [[step, wall_time, value], ...]}}}``, streamed tag by tag."""
    dumps = json.dumps
    out.write('{"runs": {')
    for r, (name, run) in enumerate(logdir.runs.items()):
        out.write(f"{', ' if r else ''}{dumps(name, ensure_ascii=False)}: {{")
        for t, (tag, series) in enumerate(run.scalars.items()):
            walls = map(_json_num_text, series.wall_times.tolist())
            values = map(_json_num_text, series.values.tolist())
            points = ", ".join(
                f"[{s}, {w}, {v}]" for s, w, v in zip(series.steps.tolist(), walls, values)
            )
            out.write(f"{', ' if t else ''}{dumps(tag, ensure_ascii=False)}: [{points}]")
        out.write("}")
    out.write("}}\n")
