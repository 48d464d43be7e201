"""What a summary shows, gathered once: the markdown summary and the e-mail render it.

:func:`collect_summary` takes the :class:`~tbreport.select.Selection` every output
shares and picks the key metrics (the gated tags first), the hyperparameters that
differ between runs, the gates' results and the data-health warnings.

Strings from logs may hold invisible bidi and zero-width controls (U+202E
RIGHT-TO-LEFT OVERRIDE, ...) that reorder or hide the text around them:
:func:`show_controls` writes them as a visible ``\\u202e`` for the text outputs.
"""

from __future__ import annotations

import logging
import os
import re
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from tbreport import __version__
from tbreport.errors import TbreportError
from tbreport.fmt import fmt_time, shown_name
from tbreport.render.pool import reason_of
from tbreport.report.comparison import Comparison, build_comparison, differing_hparams
from tbreport.report.gates import GateResult
from tbreport.report.verdict import restart_notes
from tbreport.select import Selection

__all__ = ["SummaryData", "collect_summary", "isolated", "show_controls"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


def isolated(problems: list[str], what: str, make: Callable[[], T], fallback: T) -> T:
    """``make()``; if it raises (an internal error), ``fallback``, and a line naming
    ``what`` could not be drawn goes to ``problems`` (the summary's data-health lines)
    and the log (the traceback at debug level): one part never costs the summary."""
    try:
        return make()
    except TbreportError:
        raise
    except Exception as exc:
        line = f"could not draw {what}: {reason_of(exc)}"
        if line not in problems:  # a part drawn again (the e-mail fits its size) is one line
            logger.warning("%s", line)
            logger.debug("%s\n%s", line, traceback.format_exc().rstrip())
            problems.append(line)
        return fallback


#: bidi embeddings, overrides and isolates, the Arabic letter mark, zero-width characters
#: (space, joiners, LRM/RLM, word joiner) and the BOM: invisible, yet they reorder or hide text
_CONTROLS = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def show_controls(text: str) -> str:
    """``text`` with every bidi or zero-width control written as a visible ``\\u202e``."""
    return _CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass
class SummaryData:
    """Everything a summary shows (markdown, e-mail text and HTML)."""

    title: str
    logdirs: list[str]
    version: str
    built_at: str
    comparison: Comparison  # key metrics only
    hparam_names: list[str]  # the ones that differ between runs
    hparam_texts: dict[str, dict[str, str]]  # run -> hparam -> value as text
    warnings: list[str]
    gates: list[GateResult] = field(default_factory=list)
    restarts: list[str] = field(default_factory=list)  # "run: 5 attempts ..." (not damage)
    run_count: int = 0
    report: str = ""  # where the full report is, if known
    built: float = 0.0  # the build time, seconds since the epoch (built_at formats it)

    @property
    def tripped(self) -> int:
        return sum(1 for g in self.gates if not g.passed)


def collect_summary(
    selection: Selection,
    *,
    title: str | None = None,
    gates: Sequence[GateResult] = (),
    limit: int | None = None,
    report: str = "",
) -> SummaryData:
    """The summary of the selection. Key metrics: the gated tags first, then the report
    panel's (:meth:`tbreport.select.Selection.key_metrics`, :data:`tbreport.metrics.KEY_RULE`),
    at most ``limit`` (default :data:`tbreport.metrics.KEY_LIMIT`)."""

    logdir = selection.logdir
    prefer = [g.gate.tag for g in gates]
    problems = [str(w) for w in logdir.warnings]
    none: list[str] = []  # what a part that fails leaves
    metrics = isolated(
        problems, "the key metrics", lambda: selection.key_metrics(prefer=prefer, limit=limit), none
    )
    comparison = isolated(
        problems,
        "the key-metrics table",
        lambda: build_comparison(selection, metrics),
        Comparison([], [], []),
    )
    no_values: dict[str, dict[str, str]] = {}
    names, values = isolated(
        problems,
        "the hyperparameters",
        lambda: logdir.hparam_texts(selection.names),
        (none, no_values),
    )
    restarts = isolated(
        problems,
        "the restart notes",
        lambda: [f"{n.run}: {n.text}" for n in restart_notes(selection)],
        none,
    )
    title = shown_name(
        title
        or "TensorBoard summary: "
        + ", ".join(os.path.basename(os.path.normpath(p)) or p for p in logdir.paths)
    )
    return SummaryData(
        title=title,
        logdirs=[shown_name(p) for p in logdir.paths],
        version=__version__,
        built_at=fmt_time(selection.built),
        comparison=comparison,
        hparam_names=isolated(
            problems, "the hyperparameters", lambda: differing_hparams(names, values), none
        ),
        hparam_texts=values,
        warnings=problems,
        gates=list(gates),
        restarts=restarts,
        run_count=len(selection.runs),
        report=shown_name(report),
        built=selection.built,
    )
