"""Metric gates for CI: ``--fail-if "AGG(TAG) OP NUMBER [@ RUN_REGEX]"``.

Syntax (spaces around the parts are optional)::

    last(val/loss) > 0.5
    max(train/accuracy) < 0.9 @ ^lr_0\\.1/

* ``AGG`` is one of ``last`` (the last point logged: after a restart appended into
  the same directory it may sit at a smaller step than an earlier one), ``first`` (the
  first point logged), ``min``, ``max``, ``mean``.
* ``TAG`` is everything between the parentheses, as written (it may contain spaces,
  ``/``, non-ASCII characters and parentheses).
* ``OP`` is one of ``<  <=  >  >=  ==  !=``; ``NUMBER`` is a float (``1e-3``, ``inf``).
* ``@ RUN_REGEX`` (optional) restricts the gate to the runs whose name the regular
  expression matches (searched, as ``--runs`` does).

Every run that has ``TAG`` is checked, over every point it logged (a step written
twice, after a restart, counts twice: what TensorBoard plots and ``tbreport scalars``
exports). As the flag's name says, a gate *trips* (CI fails) when the comparison holds for a run:
``--fail-if "last(val/loss) > 0.5"`` fails a run whose final loss is above 0.5. A NaN
trips every gate (a NaN anywhere makes ``min``, ``max`` and ``mean`` NaN). A gate whose
tag no checked run has cannot be checked: that is a failure too, never a silent pass.
"""

from __future__ import annotations

import difflib
import logging
import math
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable

import numpy as np
import numpy.typing as npt

from tbreport.errors import UsageError
from tbreport.fmt import fmt_float
from tbreport.metrics import AGGREGATES, aggregate
from tbreport.model import Run

__all__ = [
    "OPERATORS",
    "Gate",
    "GateCheck",
    "GateResult",
    "evaluate",
    "failures",
    "parse_gate",
    "parse_gates",
]

logger = logging.getLogger(__name__)

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}

SYNTAX = "AGG(TAG) OP NUMBER [@ RUN_REGEX]"

_GATE = re.compile(
    r"""^\s*(?P<agg>[A-Za-z_]\w*)\s*\((?P<tag>.+)\)\s*
        (?P<op><=|>=|==|!=|<|>)\s*
        (?P<num>[^\s@]+)\s*
        (?:@\s*(?P<runs>.*?)\s*)?$""",
    re.X | re.S,
)


@dataclass(frozen=True)
class Gate:
    """One parsed ``--fail-if`` expression."""

    agg: str
    tag: str
    op: str
    threshold: float
    runs: str | None = None
    text: str = ""

    def __str__(self) -> str:
        num = repr(self.threshold) if math.isfinite(self.threshold) else str(self.threshold)
        if num.endswith(".0"):
            num = num[:-2]
        where = f" @ {self.runs}" if self.runs else ""
        return f"{self.agg}({self.tag}) {self.op} {num}{where}"

    def trips(self, value: float, threshold: float | None = None) -> bool:
        """Whether ``value`` makes CI fail: the comparison holds, or the value is NaN.

        ``--fail-if "last(val/loss) > 0.5"`` trips for a loss of 0.7. A NaN trips
        every gate: a diverged run must never pass CI because NaN compares false.
        ``threshold`` overrides the gate's own (see :func:`evaluate` on float32).
        """
        limit = self.threshold if threshold is None else threshold
        return math.isnan(value) or OPERATORS[self.op](value, limit)


def parse_gates(expressions: str | Sequence[str] | None) -> list[Gate]:
    """Parse one expression or several (``None``: none); see :func:`parse_gate`."""
    if not expressions:
        return []
    return [parse_gate(e) for e in ([expressions] if isinstance(expressions, str) else expressions)]


def failures(results: Sequence[GateResult]) -> list[str]:
    """One line per tripped check or uncheckable gate, over every result."""
    return [line for r in results for line in r.messages()]


def parse_gate(text: str) -> Gate:
    """Parse one expression; :class:`~tbreport.errors.UsageError` (a ``ValueError``)
    with a one-line reason when malformed."""
    m = _GATE.match(text)
    if m is None:
        raise UsageError(
            f"--fail-if {text!r} is not of the form {SYNTAX}, e.g. 'last(val/loss) > 0.5'"
        )
    agg = m["agg"]
    if agg not in AGGREGATES:
        raise UsageError(
            f"--fail-if {text!r}: unknown aggregate {agg!r}; use one of {', '.join(AGGREGATES)}"
        )
    tag = m["tag"].strip()
    if not tag:
        raise UsageError(f"--fail-if {text!r}: the tag between the parentheses is empty")
    try:
        threshold = float(m["num"])
    except ValueError:
        raise UsageError(f"--fail-if {text!r}: {m['num']!r} is not a number") from None
    if math.isnan(threshold):
        raise UsageError(f"--fail-if {text!r}: NaN is not a usable threshold")
    runs = m["runs"]
    if runs is not None:
        if not runs:
            raise UsageError(f"--fail-if {text!r}: '@' must be followed by a run regex")
        try:
            re.compile(runs)
        except re.error as exc:
            raise UsageError(f"--fail-if {text!r}: invalid run regex {runs!r}: {exc}") from None
    return Gate(agg, tag, m["op"], threshold, runs, text.strip())


@dataclass(frozen=True)
class GateCheck:
    """The gate's aggregate in one run; ``step`` where the value sits (``None`` for mean)."""

    run: str
    value: float
    step: int | None
    passed: bool


@dataclass(frozen=True)
class GateResult:
    """A gate and its checks; ``problem`` says why it could not be checked at all."""

    gate: Gate
    checks: tuple[GateCheck, ...] = ()
    problem: str = ""

    @property
    def passed(self) -> bool:
        return not self.problem and all(c.passed for c in self.checks)

    @property
    def tripped(self) -> tuple[GateCheck, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def messages(self) -> list[str]:
        """One line per tripped check (or one for an uncheckable gate)."""
        if self.problem:
            return [f"gate cannot be checked: {self.gate}: {self.problem}"]
        out = []
        for c in self.tripped:
            at = f" at step {c.step}" if c.step is not None else ""
            out.append(
                f"gate tripped: {self.gate}: run {c.run!r} has {self.gate.agg}({self.gate.tag}) = "
                f"{fmt_float(c.value, 6)}{at}"
            )
        return out


def evaluate(gates: Sequence[Gate], runs: Sequence[Run]) -> list[GateResult]:
    """Check every gate against every (restricted) run that has its tag.

    ``runs`` should be the purged runs the report shows (:attr:`tbreport.select.Selection.runs`).
    """
    results = []
    for gate in gates:
        chosen = list(runs)
        if gate.runs:
            rx = re.compile(gate.runs)
            chosen = [r for r in chosen if rx.search(r.name)]
            if not chosen:
                names = ", ".join(r.name for r in runs) or "none"
                results.append(
                    GateResult(gate, problem=f"no run matches {gate.runs!r} (runs: {names})")
                )
                continue
        checks = []
        for run in chosen:
            series = run.scalars.get(gate.tag)
            if series is None or len(series) == 0:
                continue
            value, step = aggregate(series, gate.agg)
            threshold = _threshold_for(gate, series.values)
            checks.append(GateCheck(run.name, value, step, not gate.trips(value, threshold)))
        if not checks:
            results.append(GateResult(gate, problem=_missing(gate, chosen)))
            continue
        result = GateResult(gate, tuple(checks))
        for c in checks:
            logger.info(
                "gate %s: run %r: %s -> %s", gate, c.run, c.value, "ok" if c.passed else "TRIPPED"
            )
        results.append(result)
    return results


def _threshold_for(gate: Gate, values: npt.NDArray[np.float64]) -> float:
    """The threshold in the precision the series was logged in.

    Scalars are mostly float32 on the wire (``simple_value``), so a logged 0.9 reads
    back as 0.89999998; compared with the float64 0.9 it would trip ``< 0.9`` and
    never satisfy ``== 0.9``. When every value of the series is a float32, the
    value an aggregate other than ``mean`` picks is one of them, and the threshold
    is rounded to float32 too.
    """
    t = gate.threshold
    if gate.agg == "mean" or not math.isfinite(t) or abs(t) > _FLOAT32_MAX:
        return t
    finite = values[np.isfinite(values)]
    if finite.size and np.array_equal(finite, finite.astype(np.float32).astype(np.float64)):
        return float(np.float32(t))
    return t


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _missing(gate: Gate, runs: Sequence[Run]) -> str:
    tags = sorted({t for r in runs for t, s in r.scalars.items() if len(s)})
    where = f"runs matching {gate.runs!r}" if gate.runs else f"the {len(runs)} runs"
    close = difflib.get_close_matches(gate.tag, tags, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(t) for t in close)}?" if close else ""
    return f"no scalar tag {gate.tag!r} in any of {where}{hint}"
