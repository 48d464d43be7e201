"""One selection step shared by every output: what to report, in which colours, when.

The HTML report, the markdown summary, the e-mail and the gates all start from the
same :class:`Selection` made by :func:`select`: the runs ``--runs`` keeps (in their
*purged* view: a resumed run drops the points it overwrote), the ``--tags`` filter,
the ``--group-by`` groups, the ``--baseline`` (checked here, before anything is drawn),
one colour per run with data (TensorBoard's colours in TensorBoard's order:
:func:`colour_order`, :mod:`tbreport.render.colors`), and the build time
(``SOURCE_DATE_EPOCH`` when set, so identical input gives identical bytes). So every
output shows the same runs, the same numbers and the same colours.

:func:`select` is also where ``--strict`` turns damage the reader met (CRC failures,
truncated records, unreadable files: :attr:`tbreport.model.LoadWarning.damage`) into a
:class:`~tbreport.errors.DamagedInputError` (of the class that names the first
problem); notes (an unknown plugin, a second graph, a symlinked run directory, an
empty file) never fail it. An empty selection becomes a
:class:`~tbreport.errors.NoRunsFoundError`.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from tbreport.errors import (
    CorruptRecordError,
    DamagedInputError,
    EventDecodeError,
    NoRunsFoundError,
    RecordError,
    TruncatedRecordError,
    UsageError,
)
from tbreport.fmt import shown_name
from tbreport.metrics import (
    RunGroup,
    group_runs,
    key_metrics,
    metric_direction,
)
from tbreport.model import LoadWarning, Logdir, MetricInfo, Run
from tbreport.progress import bar
from tbreport.render.colors import RunColors, group_colors, run_colors

__all__ = [
    "Selection",
    "build_time",
    "check_baseline",
    "colors_for",
    "colour_order",
    "load_logdirs",
    "require_records",
    "select",
    "strict_error",
]

logger = logging.getLogger(__name__)

PathArg = Union[str, "os.PathLike[str]"]


def build_time() -> float:
    """``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env:
        try:
            return float(int(env))
        except ValueError:
            logger.warning("SOURCE_DATE_EPOCH=%r is not an integer; using the current time", env)
    return time.time()


def load_logdirs(paths: PathArg | Sequence[PathArg], *, progress: bool | None = False) -> Logdir:
    """Load one logdir, or several (run names prefixed with each logdir's name);
    ``progress``: a reading bar (``None``: on a terminal, see :mod:`tbreport.progress`)."""
    from tbreport.reader.load import load  # the reader's workers: only when reading

    def reading(total: int) -> Any:
        return bar("tbreport: reading", total, "B", enabled=progress, scale=True)

    if isinstance(paths, (str, os.PathLike)):
        return load(paths, progress=reading)
    listed = [os.fspath(p) for p in paths]
    if not listed:
        raise UsageError("at least one logdir is needed")
    return load(listed[0] if len(listed) == 1 else listed, progress=reading)


def where(logdir: Logdir) -> str:
    return ", ".join(shown_name(p) for p in logdir.paths) or "logdir"


def require_records(logdir: Logdir) -> None:
    """:class:`NoRunsFoundError` unless some run holds data or a readable record."""
    if not logdir.runs:
        raise NoRunsFoundError(f"{where(logdir)}: no runs to report")
    readable = any(f.records for run in logdir.runs.values() for f in run.files)
    if not readable and not any(run.kinds() for run in logdir.runs.values()):
        problems = "; ".join(str(w) for w in logdir.warnings[:3])
        raise NoRunsFoundError(
            f"{where(logdir)}: event files found, but none holds a readable record"
            + (f" ({problems})" if problems else "")
        )


def strict_error(warnings: Sequence[LoadWarning]) -> DamagedInputError:
    """The ``--strict`` error for ``warnings`` (the damage: see
    :data:`tbreport.model.DAMAGE_CATEGORIES`): its class names the first problem (a
    truncated record, a corrupt one, a file without any intact record, an undecodable
    record, an unreadable file) and ``issues`` carries them all."""
    first = warnings[0]
    more = f" (and {len(warnings) - 1} more)" if len(warnings) > 1 else ""
    message = f"{first}{more}; --strict makes damaged input an error"
    offset, index = max(first.offset, 0), max(first.index, 0)
    if first.category == "truncated":
        return TruncatedRecordError(
            message, path=first.path, offset=offset, index=index, issues=warnings
        )
    if first.category == "corrupt":
        return CorruptRecordError(
            message, path=first.path, offset=offset, index=index, issues=warnings
        )
    if first.category == "not_records":
        return RecordError(message, path=first.path, offset=0, index=0, issues=warnings)
    if first.category == "undecodable":
        return EventDecodeError(message, path=first.path, index=index, issues=warnings)
    return DamagedInputError(message, issues=warnings)


def check_baseline(baseline: str, runs: Sequence[str], groups: Sequence[str] = ()) -> None:
    """:class:`UsageError` naming the choices unless ``baseline`` is one of ``runs`` or ``groups``."""
    if baseline in runs or baseline in groups:
        return
    names = ", ".join(runs)
    more = f"; groups: {', '.join(groups)}" if groups else ""
    raise UsageError(f"--baseline {baseline!r} is not a run of the report (runs: {names}{more})")


def _tb_order(run: Run) -> tuple[int, float, str]:
    start = run.start_time()
    return (0, start, run.name) if start is not None else (1, 0.0, run.name)


def colour_order(runs: Sequence[Run]) -> list[str]:
    """The runs that get a colour, in the order TensorBoard colours them: its run list
    sorts runs by the wall time of their first event (runs without one last), then by
    name. Runs without data (an event file with only its header) get none."""
    return [r.name for r in sorted((r for r in runs if r.kinds()), key=_tb_order)]


def colors_for(names: Sequence[str], group_by: str | None) -> RunColors:
    """Colours of runs ``names``, in that order (pass :func:`colour_order` for
    TensorBoard's); members of a ``--group-by`` group share one (the group takes its
    first member's place)."""
    if not group_by:
        return run_colors(names)
    return group_colors(names, group_runs(names, group_by))


@dataclass
class Selection:
    """What every output reports (see the module docstring)."""

    logdir: Logdir
    runs: list[Run]  # selected by --runs, purged, in name order
    raw_runs: list[Run]  # the same runs as read (the header counts what was read)
    colors: RunColors  # runs with data only (see colour_order)
    groups: list[RunGroup] = field(default_factory=list)
    tags: re.Pattern[str] | None = None
    key: re.Pattern[str] | None = None  # --key-metrics
    baseline: str | None = None
    group_by: str | None = None
    built: float = 0.0  # build time, seconds since the epoch
    declared: dict[str, MetricInfo] = field(default_factory=dict)  # hparams metrics by tag

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.runs]

    @property
    def filtered_out(self) -> int:
        return len(self.logdir.runs) - len(self.runs)

    def want_tag(self, tag: str) -> bool:
        return self.tags is None or self.tags.search(tag) is not None

    def direction(self, tag: str) -> str | None:
        """Whether lower (``"min"``) or higher (``"max"``) is better for ``tag``, from its
        name or the hparams metadata declared for it (:func:`tbreport.metrics.metric_direction`);
        ``None`` when neither says. Every output asks here, so they agree."""
        return metric_direction(tag, self.declared.get(tag))

    def key_metrics(self, prefer: Sequence[str] = (), limit: int | None = None) -> list[str]:
        """The key metrics every output shows first (:data:`tbreport.metrics.KEY_RULE`;
        ``prefer``: the gated tags; ``--key-metrics`` picks them when given)."""
        return key_metrics(
            self.runs,
            prefer=prefer,
            tag_filter=self.tags,
            choose=self.key,
            limit=limit,
            declared=self.declared,
        )

    def scalar_tags(self) -> list[str]:
        """Every scalar tag with points in a selected run that ``--tags`` keeps, sorted."""
        return sorted(
            {t for r in self.runs for t, s in r.scalars.items() if len(s) and self.want_tag(t)}
        )


def _compile(option: str, pattern: str | None) -> re.Pattern[str] | None:
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UsageError(
            f"--{option} {pattern!r} is not a valid regular expression: {exc}"
        ) from None


def _colors(runs: Sequence[Run], groups: Sequence[RunGroup]) -> RunColors:
    names = colour_order(runs)
    if not groups:
        return run_colors(names)
    return group_colors(names, [g for g in groups if any(m in names for m in g.members)])


def select(
    logdir: Logdir,
    *,
    runs: str | None = None,
    tags: str | None = None,
    baseline: str | None = None,
    group_by: str | None = None,
    strict: bool = False,
    key_metrics: str | None = None,
) -> Selection:
    """The selection of ``logdir`` every output shares (see the module docstring).

    Raises :class:`NoRunsFoundError` when nothing is left to report,
    :class:`UsageError` for a bad regular expression or an unknown ``baseline``, and
    with ``strict`` and damaged input the :class:`DamagedInputError` of :func:`strict_error`.
    """
    require_records(logdir)
    if strict and logdir.damage:
        raise strict_error(logdir.damage)
    run_re = _compile("runs", runs)
    raw = [r for r in logdir.runs.values() if run_re is None or run_re.search(r.name)]
    if not raw:
        raise NoRunsFoundError(f"no run matches --runs {runs!r} (runs: {', '.join(logdir.runs)})")
    names = [r.name for r in raw]
    groups = group_runs(names, group_by) if group_by else []
    if baseline is not None:
        check_baseline(baseline, names, [g.label for g in groups])
    return Selection(
        logdir=logdir,
        runs=[r.purged() for r in raw],
        raw_runs=raw,
        colors=_colors(raw, groups),
        groups=groups,
        tags=_compile("tags", tags),
        key=_compile("key-metrics", key_metrics),
        baseline=baseline,
        group_by=group_by,
        built=build_time(),
        declared=logdir.declared_metrics(),
    )
