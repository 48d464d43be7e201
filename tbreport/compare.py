"""Comparing runs: the report's run table (runs x hparams x last and best metrics, group
rows with mean ± std, deltas against ``--baseline``) and its CSV, and what comparing adds
under each scalar chart. The numbers come from :mod:`tbreport.metrics`.
"""

from __future__ import annotations

import base64
import csv
import io
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tbreport.fmt import fmt_float
from tbreport.metrics import (
    Delta,
    MetricStats,
    aggregate,
    baseline_value,
    delta,
    direction,
    group_note,
    group_runs,
    mean_std,
    metric_stats,
    nonfinite_members,
)
from tbreport.model import HParamValue, Logdir, Run
from tbreport.render.colors import group_colors, run_colors

if TYPE_CHECKING:
    from tbreport.options import BuildOptions
    from tbreport.render.base import Context, Section

__all__ = [
    "Cell",
    "CompareRow",
    "Comparison",
    "MetricColumn",
    "build_comparison",
    "check_baseline",
    "colors_for",
    "decorate_report",
    "differing_hparams",
    "hparam_values",
    "select_runs",
]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- selection


def select_runs(logdir: Logdir, pattern: str | None) -> list[Run]:
    """The runs whose name matches ``pattern`` (searched; every run for ``None``), purged."""
    runs = list(logdir.runs.values())
    if pattern:
        rx = re.compile(pattern)
        runs = [r for r in runs if rx.search(r.name)]
    return [r.purged() for r in runs]


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class MetricColumn:
    tag: str
    direction: str | None


@dataclass
class Cell:
    """One value of the comparison table, ready for the template and the CSV."""

    value: float | None = None
    step: int | None = None
    std: float | None = None  # group rows: sample standard deviation
    n: int = 0  # group rows: how many member runs have a value
    total: int = 0  # group rows: how many member runs the group has
    nonfinite: tuple[str, ...] = ()  # group rows: members whose value is NaN/inf
    delta: Delta | None = None
    spark: str = ""  # the run's sparkline (last cells of runs)

    @property
    def text(self) -> str:
        if self.value is None:
            return ""
        if self.std is not None and self.n > 1 and math.isfinite(self.value):
            return f"{fmt_float(self.value)} ± {fmt_float(self.std)}"
        return fmt_float(self.value)

    @property
    def note(self) -> str:
        """Group cells: what the value covers (see :func:`group_note`), else ``""``."""
        if self.value is None or not self.total:
            return ""
        return group_note(self.n, self.total, self.nonfinite)

    @property
    def sort(self) -> str:
        v = self.value
        return repr(v) if v is not None and math.isfinite(v) else ""


@dataclass
class CompareRow:
    """A run (or, for a group, the mean ± std of its member runs)."""

    name: str
    color: str
    hparams: list[str]
    last: list[Cell]
    best: list[Cell]
    members: tuple[str, ...] = ()
    group: str = ""  # the group a run belongs to
    is_group: bool = False
    is_baseline: bool = False


@dataclass
class Comparison:
    """The report's comparison table (see :func:`build_comparison`)."""

    hparam_names: list[str]
    metrics: list[MetricColumn]
    rows: list[CompareRow]
    groups: list[CompareRow] = field(default_factory=list)
    baseline: str | None = None
    group_by: str | None = None

    def csv(self) -> str:
        """Every row as CSV: kind, name, group, hparams, then per tag last, step, best
        (and std for groups, delta with a baseline). Text cells that a spreadsheet would
        run as a formula (``=``, ``+``, ``-``, ``@`` first) are prefixed with ``'``."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        header = ["kind", "name", "group", "members", *self.hparam_names]
        for m in self.metrics:
            header += [f"{m.tag} last", f"{m.tag} step", f"{m.tag} best"]
            if self.group_by:
                header.append(f"{m.tag} last std")
            if self.baseline:
                header.append(f"{m.tag} last delta")
        w.writerow([_csv_text(h) for h in header])
        for row in [*self.rows, *self.groups]:
            line: list[str] = [
                "group" if row.is_group else "run",
                _csv_text(row.name),
                _csv_text(row.group),
                str(len(row.members)) if row.is_group else "",
                *[_csv_text(h) for h in row.hparams],
            ]
            for last, best in zip(row.last, row.best):
                line += [_csv_num(last.value), "" if last.step is None else str(last.step)]
                line.append(_csv_num(best.value))
                if self.group_by:
                    line.append(_csv_num(last.std))
                if self.baseline:
                    line.append(_csv_num(last.delta.absolute if last.delta else None))
            w.writerow(line)
        return out.getvalue()

    def csv_data_uri(self) -> str:
        """The CSV as a ``data:`` URI for a download link (works offline, without JS)."""
        payload = base64.b64encode(("\ufeff" + self.csv()).encode("utf-8")).decode("ascii")
        return "data:text/csv;charset=utf-8;base64," + payload


def _csv_text(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_num(v: float | None) -> str:
    if v is None:
        return ""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def _hp_text(v: HParamValue | None) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return fmt_float(float(v), 6)
    return str(v)


def hparam_values(
    logdir: Logdir, runs: Sequence[Run]
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Hparam names (in declaration order, then sorted) and each run's values as text."""
    names: list[str] = []
    for run in runs:
        if run.hparams is not None:
            for info in run.hparams.hparam_infos:
                if info.name not in names:
                    names.append(info.name)
    selected = {r.name for r in runs}
    values: dict[str, dict[str, str]] = {}
    for row in logdir.hparams_table():
        if row.run in selected:
            values[row.run] = {k: _hp_text(v) for k, v in row.hparams.items()}
    for name in sorted({k for v in values.values() for k in v}):
        if name not in names:
            names.append(name)
    names = [n for n in names if any(n in v for v in values.values())]
    return names, values


def differing_hparams(names: Sequence[str], values: dict[str, dict[str, str]]) -> list[str]:
    """The hparams whose value is not the same in every run that has hparams."""
    return [n for n in names if len({v.get(n, "") for v in values.values()}) > 1]


def _or_nan(v: float | None) -> float:
    return math.nan if v is None else v


def check_baseline(baseline: str, runs: Sequence[str], groups: Sequence[str] = ()) -> None:
    """``ValueError`` naming the choices unless ``baseline`` is one of ``runs`` or ``groups``."""
    if baseline in runs or baseline in groups:
        return
    names = ", ".join(runs)
    more = f"; groups: {', '.join(groups)}" if groups else ""
    raise ValueError(f"--baseline {baseline!r} is not a run of the report (runs: {names}{more})")


def _find_baseline(
    baseline: str, rows: Sequence[CompareRow], groups: Sequence[CompareRow]
) -> CompareRow:
    check_baseline(baseline, [r.name for r in rows], [g.name for g in groups])
    return next(r for r in [*rows, *groups] if r.name == baseline)


def build_comparison(
    logdir: Logdir,
    runs: Sequence[Run],
    tags: Sequence[str],
    colors: dict[str, str],
    *,
    baseline: str | None = None,
    group_by: str | None = None,
) -> Comparison:
    """Runs x hparams x (last, best) of ``tags``; with ``group_by``, group rows with mean ±
    std of each member's value; with ``baseline`` (a run, or a group label), every other
    row's values as deltas against it. ``runs`` should be purged. Raises ``ValueError``
    for an unknown baseline or a bad group regex."""
    hp_names, hp_values = hparam_values(logdir, runs)
    metrics = [MetricColumn(t, direction(t)) for t in tags]
    groups = group_runs([r.name for r in runs], group_by) if group_by else []
    owner = {m: g.label for g in groups for m in g.members}
    stats: dict[tuple[str, str], MetricStats] = {}
    rows: list[CompareRow] = []
    for run in runs:
        last_cells, best_cells = [], []
        for tag in tags:
            s = run.scalars.get(tag)
            st = metric_stats(run.name, s) if s is not None else None
            if st is None:
                last_cells.append(Cell())
                best_cells.append(Cell())
                continue
            stats[(run.name, tag)] = st
            last_cells.append(Cell(st.last, st.last_step, spark=st.spark))
            best_cells.append(Cell(st.best, st.best_step))
        rows.append(
            CompareRow(
                name=run.name,
                color=colors.get(run.name, "#888888"),
                hparams=[hp_values.get(run.name, {}).get(n, "") for n in hp_names],
                last=last_cells,
                best=best_cells,
                group=owner.get(run.name, ""),
            )
        )
    group_rows: list[CompareRow] = []
    for g in groups:
        last_cells, best_cells = [], []
        for tag in tags:
            lasts = [stats[(m, tag)].last if (m, tag) in stats else None for m in g.members]
            # a member without any finite value has no best: NaN, so best and last
            # cover the same members (none when the tag's direction is unknown)
            known = direction(tag) is not None
            bests = [
                _or_nan(stats[(m, tag)].best) if known and (m, tag) in stats else None
                for m in g.members
            ]
            lm, ls, ln = mean_std(lasts)
            bm, bs, bn = mean_std(bests)
            total = len(g.members)
            last_cells.append(
                Cell(
                    lm if ln else None,
                    None,
                    ls if ln else None,
                    ln,
                    total=total,
                    nonfinite=nonfinite_members(g.members, lasts),
                )
            )
            best_cells.append(
                Cell(
                    bm if bn else None,
                    None,
                    bs if bn else None,
                    bn,
                    total=total,
                    nonfinite=nonfinite_members(g.members, bests),
                )
            )
        member_hp = [hp_values.get(m, {}) for m in g.members]
        hps = []
        for n in hp_names:
            seen = sorted({v.get(n, "") for v in member_hp})
            hps.append(seen[0] if len(seen) == 1 else ", ".join(s or "—" for s in seen))
        group_rows.append(
            CompareRow(
                name=g.label,
                color=colors.get(g.label, colors.get(g.members[0], "#888888")),
                hparams=hps,
                last=last_cells,
                best=best_cells,
                members=g.members,
                is_group=True,
            )
        )
    if baseline is not None:
        base = _find_baseline(baseline, rows, group_rows)
        base.is_baseline = True
        for row in [*rows, *group_rows]:
            if row is base:
                continue
            for i, m in enumerate(metrics):
                row.last[i].delta = delta(row.last[i].value, base.last[i].value, m.tag)
                row.best[i].delta = delta(row.best[i].value, base.best[i].value, m.tag)
    return Comparison(hp_names, metrics, rows, group_rows, baseline, group_by)


# --------------------------------------------------------------------------- report hooks


def colors_for(names: Sequence[str], group_by: str | None) -> dict[str, str]:
    """Run colours for the report: members of a ``--group-by`` group share one colour."""
    if not group_by:
        return run_colors(names)
    return group_colors(names, group_runs(names, group_by))


@dataclass
class GroupLegend:
    """One group's line under a scalar chart: mean ± std of its members' last values."""

    label: str
    color: str
    n: int
    mean: float
    std: float
    delta: Delta | None = None
    total: int = 0  # members in the group (``n`` of them have the tag)
    nonfinite: tuple[str, ...] = ()  # members whose last value is NaN/inf: mean is NaN

    @property
    def note(self) -> str:
        """What the mean covers when that is not simply every member (see :func:`group_note`)."""
        return group_note(self.n, self.total or self.n, self.nonfinite)


@dataclass
class ChartCompare:
    """What a scalar chart's legend adds: group rows and each run's delta to the baseline."""

    groups: list[GroupLegend] = field(default_factory=list)
    deltas: dict[str, Delta] = field(default_factory=dict)
    baseline: str | None = None
    reference: float | None = None  # the baseline's last value (the chart's dashed line)


def check_report_options(runs: Sequence[Run], options: BuildOptions) -> None:
    """``ValueError`` for a ``--baseline`` that is neither a run nor a ``--group-by`` group
    (called by :func:`tbreport.report.render_html` before anything is drawn)."""
    if options.baseline is None:
        return
    names = [r.name for r in runs]
    groups = group_runs(names, options.group_by) if options.group_by else []
    check_baseline(options.baseline, names, [g.label for g in groups])


def decorate_report(sections: Sequence[Section], runs: Sequence[Run], ctx: Context) -> None:
    """Add ``--group-by`` group rows and ``--baseline`` deltas under each scalar chart.

    Called by :func:`tbreport.report.render_html` once the sections are built: each
    scalar section's ``data["compare"][tag]`` gets a :class:`ChartCompare` that
    ``templates/compare_legend.html.j2`` shows under the chart's legend.
    """
    baseline, group_by = ctx.options.baseline, ctx.options.group_by
    if not baseline and not group_by:
        return
    groups = group_runs([r.name for r in runs], group_by) if group_by else []
    for section in sections:
        if section.kind != "scalars":
            continue
        per_tag: dict[str, ChartCompare] = {}
        for group in section.groups:
            for item in group.items:
                tag: str = item.tag
                info = ChartCompare(baseline=baseline)
                lasts: dict[str, float] = {}
                for run in runs:
                    s = run.scalars.get(tag)
                    if s is not None and len(s):
                        lasts[run.name] = aggregate(s, "last")[0]
                for g in groups:
                    members = [m for m in g.members if m in lasts]
                    if members:
                        values = [lasts[m] for m in members]
                        mean, std, n = mean_std(values)
                        color = ctx.colors.get(g.label, ctx.colors.get(members[0], "#888888"))
                        info.groups.append(
                            GroupLegend(
                                g.label,
                                color,
                                n,
                                mean,
                                std,
                                total=len(g.members),
                                nonfinite=nonfinite_members(members, values),
                            )
                        )
                if baseline is not None:
                    base = baseline_value(baseline, lasts, groups)
                    info.reference = base if base is not None and math.isfinite(base) else None
                    for name, value in lasts.items():
                        d = delta(value, base, tag) if name != baseline else None
                        if d is not None:
                            info.deltas[name] = d
                    for gl in info.groups:
                        if gl.label != baseline:
                            gl.delta = delta(gl.mean, base, tag)
                per_tag[tag] = info
        section.data["compare"] = per_tag
