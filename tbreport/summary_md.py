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
or hide the text around them: :func:`show_controls` writes them as visible ``\\u202e``.

:func:`collect_summary` gathers the data once; :mod:`tbreport.mail` renders the same
data as the e-mail's plain text and HTML.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tbreport.compare import Comparison, build_comparison, differing_hparams, hparam_values
from tbreport.fmt import fmt_float, fmt_time
from tbreport.gates import GateResult
from tbreport.metrics import key_metrics
from tbreport.model import Logdir, Run

__all__ = [
    "SummaryData",
    "collect_summary",
    "md_escape",
    "render_markdown",
    "show_controls",
    "write_text",
]

logger = logging.getLogger(__name__)

#: at most this many runs get rows in the key-metrics table (the report has them all)
MAX_RUNS = 60

_PUNCT = re.compile(r"""([!"#$%'()*+,\-./:;=?@\[\\\]^_`{|}~])""")

#: bidi embeddings, overrides and isolates, the Arabic letter mark, zero-width characters
#: (space, joiners, LRM/RLM, word joiner) and the BOM: invisible, yet they reorder or hide text
_CONTROLS = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def show_controls(text: str) -> str:
    """``text`` with every bidi or zero-width control written as a visible ``\\u202e``."""
    return _CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def md_escape(text: object) -> str:
    """``text`` as inert markdown on one line (see the module docstring)."""
    s = show_controls(" ".join(str(text).split()))
    s = _PUNCT.sub(r"\\\1", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class SummaryData:
    """Everything a summary shows (markdown, e-mail text and HTML)."""

    title: str
    logdirs: list[str]
    version: str
    built_at: str
    comparison: Comparison  # key metrics only
    hparam_names: list[str]  # the ones that differ between runs
    hparams: dict[str, dict[str, str]]
    warnings: list[str]
    gates: list[GateResult] = field(default_factory=list)
    run_count: int = 0
    report: str = ""  # where the full report is, if known

    @property
    def tripped(self) -> int:
        return sum(1 for g in self.gates if not g.passed)


def collect_summary(
    logdir: Logdir,
    runs: Sequence[Run],
    colors: dict[str, str],
    *,
    title: str | None = None,
    tags: str | None = None,
    baseline: str | None = None,
    group_by: str | None = None,
    gates: Sequence[GateResult] = (),
    limit: int = 8,
    report: str = "",
) -> SummaryData:
    """The summary of ``runs`` (purged; see :func:`tbreport.compare.select_runs`).

    Key metrics: the gated tags first, then (see :func:`tbreport.compare.key_metrics`)
    up to ``limit`` tags. Raises ``ValueError`` for an unknown baseline.
    """
    from tbreport import __version__
    from tbreport.report import build_time

    tag_re = re.compile(tags) if tags else None
    prefer = [g.gate.tag for g in gates]
    metrics = key_metrics(runs, prefer=prefer, tag_filter=tag_re, limit=limit)
    comparison = build_comparison(
        logdir, runs, metrics, colors, baseline=baseline, group_by=group_by
    )
    names, values = hparam_values(logdir, runs)
    title = title or "TensorBoard summary: " + ", ".join(
        os.path.basename(os.path.normpath(p)) or p for p in logdir.paths
    )
    return SummaryData(
        title=title,
        logdirs=list(logdir.paths),
        version=__version__,
        built_at=fmt_time(build_time()),
        comparison=comparison,
        hparam_names=differing_hparams(names, values),
        hparams=values,
        warnings=[str(w) for w in logdir.warnings],
        gates=list(gates),
        run_count=len(runs),
        report=report,
    )


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
                last.spark,
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
    if not data.hparams:
        return []
    if not data.hparam_names:
        return ["### Hyperparameters", "", "Every run has the same hyperparameters.", ""]
    lines = ["### Hyperparameters that differ", ""]
    lines.append(_row(["Run", *[md_escape(n) for n in data.hparam_names]]))
    lines.append("|---|" + "---|" * len(data.hparam_names))
    for run, values in list(data.hparams.items())[:MAX_RUNS]:
        lines.append(
            _row([md_escape(run), *[md_escape(values.get(n, "")) for n in data.hparam_names]])
        )
    return [*lines, ""]


def _health_lines(data: SummaryData) -> list[str]:
    if not data.warnings:
        return ["### ✅ Data health", "", "Every event file was read completely.", ""]
    lines = [
        f"### ⚠️ Data health: {len(data.warnings)} problem{'s' if len(data.warnings) != 1 else ''}",
        "",
    ]
    lines += [f"- {md_escape(w)}" for w in data.warnings[:100]]
    if len(data.warnings) > 100:
        lines.append(f"- … and {len(data.warnings) - 100} more")
    return [*lines, ""]


def render_markdown(data: SummaryData) -> str:
    """The summary as GitHub-flavoured markdown (no HTML)."""
    logdirs = ", ".join(md_escape(p) for p in data.logdirs)
    lines = [
        f"## {md_escape(data.title)}",
        "",
        f"{data.run_count} run{'s' if data.run_count != 1 else ''} · logdir {logdirs} · "
        f"built {md_escape(data.built_at)} by tbreport {md_escape(data.version)}",
        "",
    ]
    lines += _gate_lines(data)
    lines += _metric_lines(data)
    lines += _hparam_lines(data)
    lines += _health_lines(data)
    if data.report:
        lines += [f"Full report: {md_escape(data.report)}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (``-``: standard output), replacing the file."""
    import sys

    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
