"""The typed data model that :func:`tbreport.load` returns and the report consumes.

Plain dataclasses and numpy arrays; no protocol buffers ever appear here.

Shape of the model::

    Logdir
    ├── paths, runs: dict[run name, Run], warnings: list[LoadWarning]
    └── Run
        ├── scalars:    dict[tag, ScalarSeries]          columns: steps / wall_times / values
        ├── images:     dict[tag, Series[ImagePoint]]    encoded bytes, decoded lazily
        ├── histograms: dict[tag, Series[HistogramPoint]] (left edges, right edges, counts)
        ├── texts:      dict[tag, Series[TextPoint]]
        ├── audio:      dict[tag, Series[AudioPoint]]    encoded bytes
        ├── pr_curves:  dict[tag, Series[PrCurvePoint]]
        ├── meshes:     dict[name, Series[MeshPoint]]      vertices / faces / colours per step
        ├── tensors:    dict[tag, Series[TensorPoint]]   any other tensor summary (raw fallback)
        ├── hparams:    HParams | None                   experiment / session start / session end
        ├── graph:      Graph | None; run_metadata_tags; conceptual_graphs: dict[tag, Graph] (Keras)
        ├── custom_scalar_layout, projector, session_logs, files

**Raw and purged views.** Every series is *raw*: one point per record, in file order
(files of a run in sorted name order, concatenated), exactly as written, including
duplicate and out-of-order steps. A resumed run (``SummaryWriter(purge_step=N)``,
or TF's ``SessionLog.START``) also leaves old points with ``step >= N`` in the raw
view. :meth:`Run.purged` (or :meth:`ScalarSeries.purged` / :meth:`Series.purged`)
returns the *purged* view: at each ``SessionLog.START`` at step ``N``, every point
of the series recorded *before* that START with ``step >= N`` is dropped. This is
what TensorBoard's ``EventAccumulator`` does (for ``brain.Event:2`` files; in older
files it treats a summary whose step goes back as the restart of its tags, and so
does tbreport). TensorBoard's web UI (the ``plugin_event_accumulator``) ignores the
first START of a run; pass ``skip_first_start=True`` to get that view instead. The
restarts that apply to a series are stored on it as :class:`Restart` marks.

**Kinds.** Each kind's types are defined with its wire format in
``tbreport/kinds/<module>.py`` and re-exported here; :class:`Run` has one typed
attribute per kind, and everything that goes over all kinds (:meth:`Run.kinds`,
:meth:`Run.purged`, the counts) loops over the registry :data:`tbreport.kinds.KINDS`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tbreport.fmt import shown_name
from tbreport.kinds import KIND_NAMES, KINDS
from tbreport.kinds.audio import AudioClip, AudioPoint
from tbreport.kinds.base import Point, Restart, Series, TagSeries
from tbreport.kinds.custom_scalars import Chart, ChartCategory, CustomScalarLayout, MarginSeries
from tbreport.kinds.embedding import ProjectorConfig, ProjectorEmbedding
from tbreport.kinds.graph import Graph, GraphNode, GraphRecord
from tbreport.kinds.histogram import HistogramPoint
from tbreport.kinds.hparams import (
    HParamInfo,
    HParams,
    HParamsRow,
    HParamValue,
    MetricInfo,
    declared_metrics,
    hparam_texts,
    hparams_table,
)
from tbreport.kinds.image import EncodedImage, ImagePoint
from tbreport.kinds.mesh import MeshPoint
from tbreport.kinds.pr_curve import PrCurvePoint
from tbreport.kinds.scalar import ScalarSeries, scalar_rows
from tbreport.kinds.tensor import TensorPoint
from tbreport.kinds.text import TextPoint

__all__ = [
    "DAMAGE_CATEGORIES",
    "KIND_NAMES",
    "WARNING_CATEGORIES",
    "AudioClip",
    "AudioPoint",
    "Chart",
    "ChartCategory",
    "CustomScalarLayout",
    "EncodedImage",
    "EventFileInfo",
    "Graph",
    "GraphNode",
    "GraphRecord",
    "HParamInfo",
    "HParamValue",
    "HParams",
    "HParamsRow",
    "HistogramPoint",
    "ImagePoint",
    "LoadWarning",
    "Logdir",
    "MarginSeries",
    "MeshPoint",
    "MetricInfo",
    "Point",
    "PrCurvePoint",
    "ProjectorConfig",
    "ProjectorEmbedding",
    "Restart",
    "Run",
    "ScalarSeries",
    "Series",
    "SessionLogEntry",
    "TensorPoint",
    "TextPoint",
]

Int64Array = npt.NDArray[np.int64]


WARNING_CATEGORIES: dict[str, str] = {
    "truncated": "a record cut short at the end of a file",
    "corrupt": "records failing their CRC check, damaged record headers",
    "not_records": "files without a single intact record: not event files, or wholly damaged",
    "undecodable": "intact records whose bytes are not an Event",
    "unreadable": "files or directories that could not be read",
    "empty": "empty event files",
    "skipped": "values or events that could not be decoded or are not supported",
    "symlink": "run directories reached through a symlink, symlink loops, broken links",
    "converted": "values read in another unit and converted (wall times in ms, µs or ns): a note, "
    "not damage (``--strict`` ignores it)",
    "shortened": "tags too long to show (over 1,000 characters), shown shortened: a note, not "
    "damage",
}
"""The ``category`` of a :class:`LoadWarning`."""

DAMAGE_CATEGORIES = frozenset({"truncated", "corrupt", "not_records", "undecodable", "unreadable"})
"""The categories that are damage: bytes that could not be read, or that fail their
framing or CRC check (``--strict`` fails on these only). The others are notes that
healthy logdirs have (an unknown plugin, a second graph, an empty file a writer just
opened, a ``runs/latest`` symlink): listed, never an error."""


@dataclass(frozen=True)
class LoadWarning:
    """Something damaged or skipped while loading: ``path`` and a one-line ``message``.

    ``count`` > 1 when the same problem was seen several times and aggregated.
    ``category`` says what happened (see :data:`WARNING_CATEGORIES`); ``offset`` and
    ``index`` locate the (first) damaged record of a file when known (else -1).
    """

    path: str
    message: str
    count: int = 1
    category: str = "skipped"
    offset: int = -1
    index: int = -1

    @property
    def damage(self) -> bool:
        """Whether this is damage (:data:`DAMAGE_CATEGORIES`) rather than a note."""
        return self.category in DAMAGE_CATEGORIES

    def __str__(self) -> str:
        suffix = f" (x{self.count})" if self.count > 1 else ""
        return shown_name(f"{self.path}: {self.message}{suffix}")


@dataclass(frozen=True)
class SessionLogEntry:
    """A ``SessionLog`` event; ``status``: START, STOP, CHECKPOINT or UNSPECIFIED."""

    step: int
    wall_time: float
    status: str
    msg: str = ""
    checkpoint_path: str = ""


@dataclass(frozen=True)
class EventFileInfo:
    """One event file of a run: ``records`` intact records read, ``damaged`` records skipped.

    ``first_wall_time``: the wall time of the file's first intact event (its
    ``file_version`` header, as a rule), ``None`` when it has none. TensorBoard orders
    its runs, and so their colours, by the first event of each run's first file.
    """

    path: str
    size: int
    records: int = 0
    damaged: int = 0
    file_version: str = ""
    writer: str = ""
    first_wall_time: float | None = None


@dataclass
class Run:
    """Everything one run directory holds (raw view; see the module docstring).

    One attribute per kind (its name is the kind's ``attr`` in :data:`tbreport.kinds.KINDS`).
    """

    name: str
    path: str
    files: list[EventFileInfo] = field(default_factory=list)
    scalars: dict[str, ScalarSeries] = field(default_factory=dict)
    images: dict[str, Series[ImagePoint]] = field(default_factory=dict)
    histograms: dict[str, Series[HistogramPoint]] = field(default_factory=dict)
    texts: dict[str, Series[TextPoint]] = field(default_factory=dict)
    audio: dict[str, Series[AudioPoint]] = field(default_factory=dict)
    pr_curves: dict[str, Series[PrCurvePoint]] = field(default_factory=dict)
    meshes: dict[str, Series[MeshPoint]] = field(default_factory=dict)
    tensors: dict[str, Series[TensorPoint]] = field(default_factory=dict)
    hparams: HParams | None = None
    graph: Graph | None = None
    run_metadata_tags: list[str] = field(default_factory=list)
    conceptual_graphs: dict[str, Graph] = field(default_factory=dict)  # Keras models by tag
    custom_scalar_layout: CustomScalarLayout | None = None
    projector: ProjectorConfig | None = None
    session_logs: list[SessionLogEntry] = field(default_factory=list)

    def kinds(self) -> tuple[str, ...]:
        """The kinds holding data in this run, in :data:`KIND_NAMES` order."""
        return tuple(k.name for k in KINDS if k.present(self))

    def all_series(self) -> Iterator[TagSeries]:
        """Every per-tag series of the run, kind by kind."""
        for kind in KINDS:
            series = kind.series(self)
            if series is not None:
                yield from series.values()

    def tag_count(self) -> int:
        return sum(len(m) for k in KINDS if (m := k.series(self)) is not None)

    def point_count(self) -> int:
        return sum(len(s) for s in self.all_series())

    def start_time(self) -> float | None:
        """The wall time of the run's first event (its first file's first event), as
        TensorBoard's run list sorts by it; else the first wall time of any series."""
        for f in self.files:
            if f.first_wall_time is not None:
                return f.first_wall_time
        walls = [r[0] for s in self.all_series() if (r := s.wall_range())]
        return min(walls) if walls else None

    def step_range(self) -> tuple[int, int] | None:
        """``(min, max)`` step over every series of the run, or ``None``."""
        ranges = [r for s in self.all_series() if (r := s.step_range())]
        if not ranges:
            return None
        return min(r[0] for r in ranges), max(r[1] for r in ranges)

    def scalar_rows(self) -> tuple[list[str], Int64Array, Int64Array]:
        """Every scalar point of the run in the order written (see
        :func:`tbreport.kinds.scalar.scalar_rows`)."""
        return scalar_rows(self.scalars)

    def purged(self, *, skip_first_start: bool = False) -> Run:
        """A copy with every series in the purged view (see the module docstring)."""
        changes: dict[str, Any] = {}
        for kind in KINDS:
            series = kind.series(self)
            if series is not None:
                changes[kind.attr] = {
                    t: s.purged(skip_first_start=skip_first_start) for t, s in series.items()
                }
        return dataclasses.replace(self, **changes)


@dataclass
class Logdir:
    """A loaded logdir: ``runs`` by name (sorted), and every problem met in ``warnings``.

    With one root, run names are paths relative to it (``"."`` for the root itself).
    """

    paths: tuple[str, ...]
    runs: dict[str, Run] = field(default_factory=dict)
    warnings: list[LoadWarning] = field(default_factory=list)

    @property
    def damage(self) -> list[LoadWarning]:
        """The warnings that are damage (what ``--strict`` fails on), in order."""
        return [w for w in self.warnings if w.damage]

    @property
    def notes(self) -> list[LoadWarning]:
        """The warnings that are notes, not damage, in order."""
        return [w for w in self.warnings if not w.damage]

    @property
    def path(self) -> str:
        return self.paths[0] if self.paths else ""

    def __len__(self) -> int:
        return len(self.runs)

    def purged(self, *, skip_first_start: bool = False) -> Logdir:
        return dataclasses.replace(
            self,
            runs={n: r.purged(skip_first_start=skip_first_start) for n, r in self.runs.items()},
        )

    def hparams_table(self) -> list[HParamsRow]:
        """One row per run with a session start: its hparams joined with its metrics
        (see :func:`tbreport.kinds.hparams.hparams_table`)."""
        return hparams_table(self.runs)

    def declared_metrics(self) -> dict[str, MetricInfo]:
        """The metrics hparams experiments of the logdir declare, by scalar tag (see
        :func:`tbreport.kinds.hparams.declared_metrics`)."""
        return declared_metrics(self.runs)

    def hparam_texts(self, names: Sequence[str]) -> tuple[list[str], dict[str, dict[str, str]]]:
        """The hparams of the runs called ``names`` (declaration order, then the rest
        sorted) and each run's values as the tables show them (see
        :func:`tbreport.kinds.hparams.hparam_texts`)."""
        return hparam_texts(self.runs, names)
