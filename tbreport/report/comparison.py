"""The run table: runs x hparams x the last and best value of scalar metrics, group rows
with mean ± std (``--group-by``), deltas against ``--baseline``, and its CSV.

The HTML report shows it in full; the markdown summary and the e-mail show it for their
key metrics. The numbers come from :mod:`tbreport.metrics`, the runs from the
:class:`~tbreport.select.Selection` every output shares.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from tbreport.fmt import csv_text, fmt_float
from tbreport.metrics import (
    Delta,
    MetricStats,
    RunGroup,
    delta,
    group_note,
    mean_std,
    metric_stats,
    nonfinite_members,
)
from tbreport.select import Selection, check_baseline

__all__ = [
    "Cell",
    "CompareRow",
    "Comparison",
    "MetricColumn",
    "build_comparison",
    "differing_hparams",
]

logger = logging.getLogger(__name__)

#: at most this many runs, with more metrics than runs, are shown as columns
TRANSPOSE_RUNS = 6


@dataclass(frozen=True)
class MetricColumn:
    tag: str
    direction: str | None
    #: the step of every run's last point, when it is the same for all (said once)
    shared_step: int | None = None


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
    spark: str = ""  # the run's sparkline (last cells of runs; none for value tags)
    count: int = 0  # the run's points of the tag (last cells of runs)

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
    hparam_texts: list[str]  # its value of each hparam of the table, as text
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
    #: positions in ``hparam_names`` of the hparams whose value differs between runs
    varying: list[int] = field(default_factory=list)
    #: (name, value) of the hparams every run with hparams has the same value of
    constants: list[tuple[str, str]] = field(default_factory=list)

    @property
    def transposed(self) -> bool:
        """Show the metrics as rows and the runs as columns: a few runs and more
        metrics than runs (3 runs x 8 metrics fits a screen that way, not the other)."""
        return len(self.rows) <= TRANSPOSE_RUNS and len(self.metrics) > len(self.rows)

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
        w.writerow([csv_text(h) for h in header])
        for row in [*self.rows, *self.groups]:
            line: list[str] = [
                "group" if row.is_group else "run",
                csv_text(row.name),
                csv_text(row.group),
                str(len(row.members)) if row.is_group else "",
                *[csv_text(h) for h in row.hparam_texts],
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


def _csv_num(v: float | None) -> str:
    if v is None:
        return ""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def differing_hparams(names: Sequence[str], values: dict[str, dict[str, str]]) -> list[str]:
    """The hparams whose value is not the same in every run that has hparams."""
    return [n for n in names if len({v.get(n, "") for v in values.values()}) > 1]


def _or_nan(v: float | None) -> float:
    return math.nan if v is None else v


def _run_rows(
    selection: Selection,
    tags: Sequence[str],
    hp_names: Sequence[str],
    hp_values: dict[str, dict[str, str]],
    stats: dict[tuple[str, str], MetricStats],
) -> list[CompareRow]:
    """One row per selected run; fills ``stats`` with each (run, tag)'s statistics."""
    owner = {m: g.label for g in selection.groups for m in g.members}
    rows = []
    ways = {tag: selection.direction(tag) for tag in tags}
    for run in selection.runs:
        last_cells, best_cells = [], []
        for tag in tags:
            s = run.scalars.get(tag)
            st = metric_stats(run.name, s, way=ways[tag]) if s is not None else None
            if st is None:
                last_cells.append(Cell())
                best_cells.append(Cell())
                continue
            stats[(run.name, tag)] = st
            last_cells.append(Cell(st.last, st.last_step, spark=st.spark, count=st.count))
            best_cells.append(Cell(st.best, st.best_step))
        rows.append(
            CompareRow(
                name=run.name,
                color=selection.colors.get(run.name, ""),
                hparam_texts=[hp_values.get(run.name, {}).get(n, "") for n in hp_names],
                last=last_cells,
                best=best_cells,
                group=owner.get(run.name, ""),
            )
        )
    return rows


def _group_cell(members: Sequence[str], values: Sequence[float | None]) -> Cell:
    mean, std, n = mean_std(values)
    return Cell(
        mean if n else None,
        None,
        std if n else None,
        n,
        total=len(members),
        nonfinite=nonfinite_members(members, values),
    )


def _group_row(
    group: RunGroup,
    metrics: Sequence[MetricColumn],
    stats: dict[tuple[str, str], MetricStats],
    hp_names: Sequence[str],
    hp_values: dict[str, dict[str, str]],
    colors: dict[str, str],
) -> CompareRow:
    """A group's row: mean ± std of its members' last and best values."""
    last_cells, best_cells = [], []
    for column in metrics:
        tag = column.tag
        lasts = [stats[(m, tag)].last if (m, tag) in stats else None for m in group.members]
        # a member without any finite value has no best: NaN, so best and last
        # cover the same members (none when the tag's direction is unknown)
        known = column.direction is not None
        bests = [
            _or_nan(stats[(m, tag)].best) if known and (m, tag) in stats else None
            for m in group.members
        ]
        last_cells.append(_group_cell(group.members, lasts))
        best_cells.append(_group_cell(group.members, bests))
    member_hp = [hp_values.get(m, {}) for m in group.members]
    hps = []
    for n in hp_names:
        seen = sorted({v.get(n, "") for v in member_hp})
        hps.append(seen[0] if len(seen) == 1 else ", ".join(s or "—" for s in seen))
    return CompareRow(
        name=group.label,
        color=colors.get(group.label, colors.get(group.members[0], "#888888")),
        hparam_texts=hps,
        last=last_cells,
        best=best_cells,
        members=group.members,
        is_group=True,
    )


def _apply_baseline(
    baseline: str,
    metrics: Sequence[MetricColumn],
    rows: Sequence[CompareRow],
    groups: Sequence[CompareRow],
) -> None:
    """Every other row's values as deltas against the baseline's row."""
    check_baseline(baseline, [r.name for r in rows], [g.name for g in groups])
    base = next(r for r in [*rows, *groups] if r.name == baseline)
    base.is_baseline = True
    for row in [*rows, *groups]:
        if row is base:
            continue
        for i, m in enumerate(metrics):
            row.last[i].delta = delta(row.last[i].value, base.last[i].value, m.tag, m.direction)
            row.best[i].delta = delta(row.best[i].value, base.best[i].value, m.tag, m.direction)


def build_comparison(selection: Selection, tags: Sequence[str]) -> Comparison:
    """Runs x hparams x (last, best) of ``tags`` over the selection's runs; with its
    ``--group-by``, group rows with mean ± std of each member's value; with its
    ``--baseline`` (a run, or a group label), every other row's values as deltas."""
    hp_names, hp_values = selection.logdir.hparam_texts(selection.names)
    metrics = [MetricColumn(t, selection.direction(t)) for t in tags]
    stats: dict[tuple[str, str], MetricStats] = {}
    rows = _run_rows(selection, tags, hp_names, hp_values, stats)
    group_rows = [
        _group_row(g, metrics, stats, hp_names, hp_values, selection.colors)
        for g in selection.groups
    ]
    for i, column in enumerate(metrics):
        steps = {r.last[i].step for r in rows if r.last[i].value is not None}
        if len(steps) == 1:
            metrics[i] = dataclasses.replace(column, shared_step=steps.pop())
    if selection.baseline is not None:
        _apply_baseline(selection.baseline, metrics, rows, group_rows)
    varying = set(differing_hparams(hp_names, hp_values))
    constants = [
        (n, next((v[n] for v in hp_values.values() if n in v), ""))
        for n in hp_names
        if n not in varying
    ]
    return Comparison(
        hp_names,
        metrics,
        rows,
        group_rows,
        selection.baseline,
        selection.group_by,
        varying=[i for i, n in enumerate(hp_names) if n in varying],
        constants=constants,
    )
