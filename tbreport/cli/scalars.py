"""``tbreport scalars``: every scalar point as CSV or JSON, as written."""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import math
from typing import IO, TYPE_CHECKING, Any

from tbreport.cli import args as _args
from tbreport.fmt import csv_text, plural
from tbreport.report.output import Output

if TYPE_CHECKING:
    from tbreport.model import Logdir

__all__ = ["add_parser", "run"]

logger = logging.getLogger(__name__)

_CSV_CHUNK = 1 << 16  # rows formatted at a time


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
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
        epilog=_args.BASIC_EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    _args.add_logdirs(p)
    _args.add_options(p, ("strict",))
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="default: csv")
    _args.add_output(p, "-")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    out = Output(args.output)
    out.check()  # before any work
    logdir = _args.load_readable(args.logdirs, strict=args.strict)
    logger.debug("writing %s", out.given)
    with out.open_text() as fh:
        if args.format == "json":
            _write_json(logdir, fh)
        else:
            _write_csv(logdir, fh)
    if not out.is_stdout and not getattr(args, "quiet", False):
        _args.wrote(out, _points(logdir))
    return _args.EXIT_OK


def _points(logdir: Logdir) -> str:
    """``240,000 scalar points of 80 tags in 3 runs``: what the export holds."""
    points = sum(len(s) for r in logdir.runs.values() for s in r.scalars.values())
    tags = len({t for r in logdir.runs.values() for t in r.scalars})
    runs = sum(1 for r in logdir.runs.values() if r.scalars)
    point_word = "scalar point" if points == 1 else "scalar points"
    return f"{points:,} {point_word} of {plural(tags, 'tag')} in {plural(runs, 'run')}"


def _num(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def _write_csv(logdir: Logdir, out: IO[str]) -> None:
    """Every scalar point, run by run, each run's points in the order they were written.

    Run and tag cells that a spreadsheet would read as a formula get a leading ``'``
    (:func:`tbreport.fmt.csv_text`); steps, wall times and values are plain numbers."""
    import numpy as np  # numpy: only when exporting (--help stays light)

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("run", "tag", "step", "wall_time", "value"))
    buf = io.StringIO()
    chunk = csv.writer(buf, lineterminator="\n")
    for name, r in logdir.runs.items():
        tags, tag_index, position = r.scalar_rows()
        if not tags:
            continue
        series = [r.scalars[t] for t in tags]
        run_cell, tag_cells = csv_text(name), [csv_text(t) for t in tags]
        starts = np.cumsum([0] + [len(x) for x in series[:-1]])
        flat = starts[tag_index] + position  # index into the run's concatenated columns
        steps = np.concatenate([x.steps for x in series])
        walls = np.concatenate([x.wall_times for x in series])
        values = np.concatenate([x.values for x in series])
        for c0 in range(0, len(flat), _CSV_CHUNK):
            sel = flat[c0 : c0 + _CSV_CHUNK]
            chunk.writerows(
                zip(
                    [run_cell] * len(sel),
                    [tag_cells[k] for k in tag_index[c0 : c0 + _CSV_CHUNK].tolist()],
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
    for i, (name, r) in enumerate(logdir.runs.items()):
        out.write(f"{', ' if i else ''}{dumps(name, ensure_ascii=False)}: {{")
        for t, (tag, series) in enumerate(r.scalars.items()):
            walls = map(_json_num_text, series.wall_times.tolist())
            values = map(_json_num_text, series.values.tolist())
            points = ", ".join(
                f"[{s}, {w}, {v}]" for s, w, v in zip(series.steps.tolist(), walls, values)
            )
            out.write(f"{', ' if t else ''}{dumps(tag, ensure_ascii=False)}: [{points}]")
        out.write("}")
    out.write("}}\n")
