"""``--summary-md FILE``: a GitHub-flavoured markdown summary for CI.

Made for ``$GITHUB_STEP_SUMMARY`` or a pull-request comment: the metric gates, a table
of runs x key metrics (last value and its step, best value and its step, a unicode
sparkline, the delta against ``--baseline``), group means ± std (``--group-by``), the
hyperparameters that differ between runs, and the data-health warnings.

Markdown only: no HTML element and no image, so it renders the same wherever markdown
does. Every string that comes from the logs (run names, tags, hparams, paths, warnings)
goes through :func:`md_escape`: ASCII punctuation is backslash-escaped (no emphasis,
link, autolink or table cell can be forged) and ``& < >`` become entities (no HTML).
Invisible bidi and zero-width controls (U+202E RIGHT-TO-LEFT OVERRIDE, ...) would reorder
or hide the text around them: they are written as visible ``\\u202e``
(:func:`tbreport.report.summary.show_controls`).

**No pings.** GitHub turns ``@name``, ``@org/team``, ``#123``, ``GH-123`` and
``owner/repo#123`` in the *rendered* text into mentions and issue links (a backslash
escape does not stop it: ``\\@org`` renders as ``@org``, then links). A run called
``@org/team`` would ping that team on every pull-request comment the summary is posted
to. :func:`md_escape` puts an invisible U+200D ZERO WIDTH JOINER (:data:`UNPING`) right
after every ``@`` and ``#`` and after ``GH-`` before a digit: a person reads the same
text, GitHub's mention and reference patterns no longer match. (Log text that already
holds a U+200D shows it as a visible ``\\u200d``, so every invisible one is ours.)

The data comes from :func:`tbreport.report.summary.collect_summary`, which the e-mail
(:mod:`tbreport.report.mail`) renders too.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable, Sequence

from tbreport.fmt import fmt_float, plural
from tbreport.report.gates import GateResult
from tbreport.report.output import Output
from tbreport.report.summary import SummaryData, collect_summary, isolated, show_controls
from tbreport.select import Selection

__all__ = ["UNPING", "md_escape", "summary_markdown", "unping", "write_summary"]

logger = logging.getLogger(__name__)

#: at most this many runs get rows in the key-metrics table (the report has them all)
MAX_RUNS = 60

_PUNCT = re.compile(r"""([!"#$%'()*+,\-./:;=?@\[\\\]^_`{|}~])""")

#: what :func:`md_escape` puts after ``@``, ``#`` and ``GH-`` so GitHub links nothing
UNPING = "\u200d"
_PING = re.compile(r"[@#]|(?i:\bgh-)(?=[0-9])")


def unping(text: str) -> str:
    """``text`` with :data:`UNPING` after every ``@`` and ``#`` and after ``GH-``
    before a digit: no GitHub mention or issue reference can match it."""
    return _PING.sub(lambda m: m.group() + UNPING, text)


def md_escape(text: object) -> str:
    """``text`` as inert markdown on one line (see the module docstring)."""
    s = unping(show_controls(" ".join(str(text).split())))
    s = _PUNCT.sub(r"\\\1", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c if c else " " for c in cells) + " |"


def _gate_lines(data: SummaryData) -> list[str]:
    if not data.gates:
        return []
    n = len(data.gates)
    head = (
        f"### ❌ Gates: {data.tripped} of {n} failed"
        if data.tripped
        else f"### ✅ Gates: {'all ' if n > 1 else ''}{n} passed"
    )
    lines = [head, "", _row(["", "Gate", "Run", "Value", "Step"]), "|---|---|---|--:|--:|"]
    for result in data.gates:
        gate = md_escape(str(result.gate))
        if result.problem:
            lines.append(_row(["❌", gate, "—", "cannot be checked", ""]))
            lines.append(_row(["", md_escape(result.problem), "", "", ""]))
            continue
        for c in result.tripped:
            step = "" if c.step is None else str(c.step)
            lines.append(_row(["❌", gate, md_escape(c.run), fmt_float(c.value, 6), step]))
        passed = [c for c in result.checks if c.passed]
        if passed:
            values = sorted(c.value for c in passed)
            span = fmt_float(values[0], 6)
            if len(values) > 1 and values[-1] != values[0]:
                span += f" … {fmt_float(values[-1], 6)}"
            who = md_escape(passed[0].run) if len(passed) == 1 else f"{len(passed)} runs"
            lines.append(_row(["✅", gate, who, span, ""]))
    return [*lines, ""]


def _metric_lines(data: SummaryData) -> list[str]:
    cmp = data.comparison
    if not cmp.metrics:
        return ["_No scalar metrics._", ""]
    lines = ["### Key metrics", ""]
    if cmp.baseline:
        lines += [f"Δ: difference to the baseline **{md_escape(cmp.baseline)}**.", ""]
    header = ["Metric", "Run", "Last", "Step", "Best (step)", "Trend"]
    align = "|---|---|--:|--:|--:|---|"
    if cmp.baseline:
        header.append("Δ last")
        align += "--:|"
    lines += [_row(header), align]
    shown = cmp.rows[:MAX_RUNS]
    for i, m in enumerate(cmp.metrics):
        first = True
        for row in shown:
            last, best = row.last[i], row.best[i]
            if last.value is None:
                continue
            best_text = ""
            if best.value is not None:
                best_text = f"{fmt_float(best.value)} ({best.step})"
            name = md_escape(row.name)
            if row.is_baseline:
                name = f"**{name}** (baseline)"
            cells = [
                f"**{md_escape(m.tag)}**" if first else "",
                name,
                fmt_float(last.value),
                "" if last.step is None else str(last.step),
                best_text,
                last.spark or ("single value" if last.count == 1 else "two values"),
            ]
            if cmp.baseline:
                d = last.delta
                cells.append("" if d is None else d.text() + (f" {d.mark}" if d.mark else ""))
            lines.append(_row(cells))
            first = False
    if len(cmp.rows) > MAX_RUNS:
        lines += ["", f"_… and {len(cmp.rows) - MAX_RUNS} more runs in the full report._"]
    lines.append("")
    if cmp.groups:
        lines += [
            f"### Groups (mean ± std over runs; `--group-by {_code(cmp.group_by or '')}`)",
            "",
        ]
        lines.append(_row(["Group", "Runs", *[md_escape(m.tag) for m in cmp.metrics]]))
        lines.append("|---|--:|" + "--:|" * len(cmp.metrics))
        for g in cmp.groups:
            cells = [
                md_escape(g.name) + (" (baseline)" if g.is_baseline else ""),
                str(len(g.members)),
            ]
            for c in g.last:
                text = c.text
                if c.note:
                    text += f" ({md_escape(c.note)})"
                if c.delta is not None:
                    text += f" (Δ {c.delta.text()})"
                cells.append(text)
            lines.append(_row(cells))
        lines.append("")
    return lines


def _code(text: str) -> str:
    # a code span cannot hold an escape: drop backticks and pipes instead
    return show_controls(" ".join(text.replace("`", "'").replace("|", "¦").split()))


def _hparam_lines(data: SummaryData) -> list[str]:
    if not data.hparam_texts:
        return []
    if not data.hparam_names:
        return ["### Hyperparameters", "", "Every run has the same hyperparameters.", ""]
    lines = ["### Hyperparameters that differ", ""]
    lines.append(_row(["Run", *[md_escape(n) for n in data.hparam_names]]))
    lines.append("|---|" + "---|" * len(data.hparam_names))
    for run, values in list(data.hparam_texts.items())[:MAX_RUNS]:
        lines.append(
            _row([md_escape(run), *[md_escape(values.get(n, "")) for n in data.hparam_names]])
        )
    return [*lines, ""]


def _health_lines(data: SummaryData) -> list[str]:
    restarts = [f"- ↺ {md_escape(r)}" for r in data.restarts[:MAX_RUNS]]
    if restarts:
        restarts.append("")
    if not data.warnings:
        return ["### ✅ Data health", "", "Every event file was read completely.", "", *restarts]
    lines = [
        f"### ⚠️ Data health: {plural(len(data.warnings), 'problem')}",
        "",
    ]
    lines += [f"- {md_escape(w)}" for w in data.warnings[:100]]
    if len(data.warnings) > 100:
        lines.append(f"- … and {len(data.warnings) - 100} more")
    return [*lines, "", *restarts]


def summary_markdown(data: SummaryData) -> str:
    """The summary as GitHub-flavoured markdown (no HTML)."""
    logdirs = ", ".join(md_escape(p) for p in data.logdirs)
    lines = [
        f"## {md_escape(data.title)}",
        "",
        f"{plural(data.run_count, 'run')} · logdir {logdirs} · "
        f"built {md_escape(data.built_at)} by tbreport {md_escape(data.version)}",
        "",
    ]
    parts: list[tuple[str, Callable[[SummaryData], list[str]]]] = [
        ("the gates", _gate_lines),
        ("the key metrics", _metric_lines),
        ("the hyperparameters", _hparam_lines),
    ]
    for what, part in parts:  # one that fails is named in the data-health lines
        lines += isolated(data.warnings, what, functools.partial(part, data), [])
    lines += _health_lines(data)  # last: it lists the parts that could not be drawn
    if data.report:
        lines += [f"Full report: {md_escape(data.report)}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_summary(
    selection: Selection,
    output: str | os.PathLike[str],
    gates: Sequence[GateResult] = (),
    *,
    report: str = "",
    title: str | None = None,
) -> None:
    """Write the markdown summary of ``selection`` to ``output`` (``-``: stdout)."""
    data = collect_summary(selection, title=title, gates=gates, report=report)
    Output(output).write_text(summary_markdown(data))
    logger.info("summary written to %s", os.fspath(output))
