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
        ├── tensors:    dict[tag, Series[TensorPoint]]   any other tensor summary (raw fallback)
        ├── hparams:    HParams | None                   experiment / session start / session end
        ├── graph:      Graph | None; run_metadata_tags
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
"""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, Union

import numpy as np
import numpy.typing as npt

__all__ = [
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
    "HParamInfo",
    "HParams",
    "HParamsRow",
    "HistogramPoint",
    "ImagePoint",
    "LoadWarning",
    "Logdir",
    "MarginSeries",
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
Float64Array = npt.NDArray[np.float64]
HParamValue = Union[float, str, bool]

KIND_NAMES: tuple[str, ...] = (
    "scalars",
    "custom_scalars",
    "images",
    "audio",
    "graph",
    "histograms",
    "texts",
    "pr_curves",
    "hparams",
    "tensors",
    "projector",
)
"""Every kind a :class:`Run` can hold, in the order reports show them."""

WARNING_CATEGORIES: dict[str, str] = {
    "truncated": "a record cut short at the end of a file",
    "corrupt": "records failing their CRC check, damaged record headers",
    "not_records": "files without a single intact record: not event files, or wholly damaged",
    "undecodable": "intact records whose bytes are not an Event",
    "unreadable": "files or directories that could not be read",
    "empty": "empty event files",
    "skipped": "values or events that could not be decoded or are not supported",
}
"""The ``category`` of a :class:`LoadWarning`."""


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

    def __str__(self) -> str:
        suffix = f" (x{self.count})" if self.count > 1 else ""
        return f"{self.path}: {self.message}{suffix}"


@dataclass(frozen=True)
class Restart:
    """A restart at ``step``, seen after the first ``index`` points of a series.

    ``ordinal`` numbers the ``SessionLog.START`` events of the run (0 = the run's
    first START); it is -1 for the restarts TensorBoard infers in files older than
    ``brain.Event:2``, where a summary whose step goes back purges its tags.
    """

    index: int
    step: int
    ordinal: int = 0


def _keep_mask(
    steps: Int64Array, restarts: Sequence[Restart], skip_first: bool
) -> npt.NDArray[np.bool_]:
    keep = np.ones(len(steps), dtype=bool)
    for restart in restarts:
        if skip_first and restart.ordinal == 0:
            continue
        head = keep[: restart.index]
        head &= steps[: restart.index] < restart.step
    return keep


# --------------------------------------------------------------------- scalars


@dataclass
class ScalarSeries:
    """Scalar values of one tag, as numpy columns (one entry per record, file order).

    ``values`` are float64: legacy ``simple_value`` and float32 tensors are widened
    exactly, float64 tensors keep their full precision, integer tensors convert.
    ``records`` (when known) numbers the record that held each point, counting over
    the run's event files in order: it puts the points of all tags back in the
    order they were written (see :meth:`Run.scalar_rows`).
    """

    tag: str
    steps: Int64Array
    wall_times: Float64Array
    values: Float64Array
    display_name: str = ""
    description: str = ""
    restarts: tuple[Restart, ...] = ()
    records: npt.NDArray[np.integer[Any]] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    def last(self) -> tuple[int, float, float] | None:
        """``(step, wall_time, value)`` of the last point written, or ``None`` if empty."""
        if len(self) == 0:
            return None
        return int(self.steps[-1]), float(self.wall_times[-1]), float(self.values[-1])

    def step_range(self) -> tuple[int, int] | None:
        """``(min step, max step)``, or ``None`` if empty."""
        if len(self) == 0:
            return None
        return int(self.steps.min()), int(self.steps.max())

    def purged(self, *, skip_first_start: bool = False) -> ScalarSeries:
        """The purged view (see the module docstring); ``self`` if nothing is purged."""
        if not self.restarts:
            return self
        keep = _keep_mask(self.steps, self.restarts, skip_first_start)
        if keep.all():
            return dataclasses.replace(self, restarts=())
        return dataclasses.replace(
            self,
            steps=self.steps[keep],
            wall_times=self.wall_times[keep],
            values=self.values[keep],
            restarts=(),
            records=None if self.records is None else self.records[keep],
        )

    def __iter__(self) -> Iterator[tuple[int, float, float]]:
        """``(step, wall_time, value)`` per point; convenient, but slow for big series."""
        return zip(self.steps.tolist(), self.wall_times.tolist(), self.values.tolist())


# ---------------------------------------------------------------- other kinds


@dataclass(frozen=True)
class Point:
    """Base of every non-scalar point: where it sits in the run."""

    step: int
    wall_time: float


@dataclass(frozen=True)
class EncodedImage:
    """One encoded image (PNG, usually); ``width``/``height`` as the writer declared them."""

    data: bytes
    width: int = 0
    height: int = 0
    colorspace: int = 0

    @property
    def mime_type(self) -> str:
        if self.data.startswith(b"\x89PNG"):
            return "image/png"
        if self.data.startswith(b"\xff\xd8"):
            return "image/jpeg"
        if self.data.startswith(b"GIF8"):
            return "image/gif"
        return "application/octet-stream"

    def to_array(self) -> npt.NDArray[np.uint8]:
        """Decode to an ``[H, W, C]`` uint8 array (needs Pillow; imported here only)."""
        from PIL import Image

        with Image.open(io.BytesIO(self.data)) as img:
            return np.asarray(img)


@dataclass(frozen=True)
class ImagePoint(Point):
    """The images of one event: 1 for the legacy form, any number for TF2's tensor form."""

    images: tuple[EncodedImage, ...] = ()


@dataclass(frozen=True)
class AudioClip:
    """One encoded audio clip (WAV, usually)."""

    data: bytes
    sample_rate: float = 0.0
    num_channels: int = 0
    length_frames: int = 0
    content_type: str = "audio/wav"
    label: str = ""

    @property
    def duration(self) -> float:
        """Seconds, when the writer recorded frames and rate (else 0.0)."""
        return self.length_frames / self.sample_rate if self.sample_rate else 0.0


@dataclass(frozen=True)
class AudioPoint(Point):
    clips: tuple[AudioClip, ...] = ()


@dataclass(frozen=True, eq=False)
class HistogramPoint(Point):
    """A histogram as buckets ``[left[i], right[i])`` holding ``counts[i]``, whatever the source.

    Legacy ``HistogramProto`` buckets are turned into edges (the first left edge is
    ``min``); TF2's ``[k, 3]`` tensors are ``(left, right, count)`` already. ``minimum``,
    ``maximum``, ``total``, ``value_sum``, ``value_sum_squares`` come from the proto when present,
    else they are derived from the buckets (the sums then are NaN).
    """

    left: Float64Array = field(default_factory=lambda: np.zeros(0))
    right: Float64Array = field(default_factory=lambda: np.zeros(0))
    counts: Float64Array = field(default_factory=lambda: np.zeros(0))
    minimum: float = math.nan
    maximum: float = math.nan
    total: float = 0.0
    value_sum: float = math.nan
    value_sum_squares: float = math.nan

    @property
    def num_buckets(self) -> int:
        return int(self.counts.shape[0])

    @property
    def mean(self) -> float:
        return self.value_sum / self.total if self.total else math.nan


@dataclass(frozen=True)
class TextPoint(Point):
    """A string tensor of any shape: ``values`` flattened in C order, ``shape`` as written."""

    values: tuple[str, ...] = ()
    shape: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        """The value of a scalar string tensor; rows joined with newlines otherwise."""
        return "\n".join(self.values)


@dataclass(frozen=True, eq=False)
class PrCurvePoint(Point):
    """One precision-recall curve; thresholds are ``i / (N - 1)`` as TensorBoard assumes."""

    true_positives: Float64Array = field(default_factory=lambda: np.zeros(0))
    false_positives: Float64Array = field(default_factory=lambda: np.zeros(0))
    true_negatives: Float64Array = field(default_factory=lambda: np.zeros(0))
    false_negatives: Float64Array = field(default_factory=lambda: np.zeros(0))
    precision: Float64Array = field(default_factory=lambda: np.zeros(0))
    recall: Float64Array = field(default_factory=lambda: np.zeros(0))

    @property
    def num_thresholds(self) -> int:
        return int(self.precision.shape[0])

    @property
    def thresholds(self) -> Float64Array:
        n = self.num_thresholds
        return np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(n)


@dataclass(frozen=True, eq=False)
class TensorPoint(Point):
    """Any other tensor summary, kept as written so nothing is dropped.

    ``value`` is the decoded numpy array (object dtype of ``bytes`` for strings);
    ``dtype`` is the TensorFlow dtype name (``"float32"``, ``"string"``, ...).
    """

    value: npt.NDArray[np.generic] = field(default_factory=lambda: np.zeros(0))
    dtype: str = ""

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.value.shape)


P = TypeVar("P", bound=Point)


@dataclass
class Series(Generic[P]):
    """The points of one tag (raw view, file order) and the tag's first metadata.

    ``plugin_name`` / ``plugin_content`` are from the first ``SummaryMetadata``
    written for the tag (writers usually strip it from later values).
    """

    tag: str
    points: list[P] = field(default_factory=list)
    display_name: str = ""
    description: str = ""
    plugin_name: str = ""
    plugin_content: bytes = b""
    restarts: tuple[Restart, ...] = ()

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[P]:
        return iter(self.points)

    @property
    def steps(self) -> Int64Array:
        return np.fromiter((p.step for p in self.points), dtype=np.int64, count=len(self.points))

    def last(self) -> P | None:
        return self.points[-1] if self.points else None

    def step_range(self) -> tuple[int, int] | None:
        if not self.points:
            return None
        steps = [p.step for p in self.points]
        return min(steps), max(steps)

    def purged(self, *, skip_first_start: bool = False) -> Series[P]:
        """The purged view (see the module docstring)."""
        if not self.restarts:
            return self
        keep = _keep_mask(self.steps, self.restarts, skip_first_start)
        points = [p for p, k in zip(self.points, keep.tolist()) if k]
        return dataclasses.replace(self, points=points, restarts=())


# ------------------------------------------------------------------- hparams


@dataclass(frozen=True)
class HParamInfo:
    """One hyperparameter declared by the experiment.

    ``type`` is ``"float"``, ``"string"``, ``"bool"`` or ``""`` (unset). ``domain`` is
    the discrete values, or ``interval`` = ``(min, max)``, or neither.
    """

    name: str
    type: str = ""
    display_name: str = ""
    description: str = ""
    domain: tuple[HParamValue, ...] = ()
    interval: tuple[float, float] | None = None


@dataclass(frozen=True)
class MetricInfo:
    """A metric of the experiment: scalar ``tag`` in run ``group`` (relative; ``""``: same run)."""

    tag: str
    group: str = ""
    display_name: str = ""
    description: str = ""


@dataclass
class HParams:
    """What the hparams plugin recorded in one run.

    ``hparam_infos``/``metric_infos`` come from the experiment summary (often only
    in a parent run); ``values``, ``group_name``, ``start_time`` from the session
    start; ``status``/``end_time`` from the session end. Use
    :meth:`Logdir.hparams_table` for the joined view of a sweep.
    """

    hparam_infos: list[HParamInfo] = field(default_factory=list)
    metric_infos: list[MetricInfo] = field(default_factory=list)
    has_experiment: bool = False
    values: dict[str, HParamValue] = field(default_factory=dict)
    group_name: str = ""
    model_uri: str = ""
    start_time: float = 0.0
    has_session: bool = False
    status: str = ""
    end_time: float = 0.0


@dataclass(frozen=True)
class HParamsRow:
    """One session of a sweep: run name, its hparams, its final metric values and status."""

    run: str
    hparams: dict[str, HParamValue]
    metrics: dict[str, float]
    status: str = ""


# --------------------------------------------------------------------- graph


@dataclass(frozen=True)
class GraphNode:
    """One node of a graph.

    ``attrs`` are the node's attributes rendered to short strings (a shape as
    ``[2,1,14,14]``, a dtype as ``float32``, a list as ``[a, b]``);
    ``output_shapes`` come from ``_output_shapes`` (``-1`` = unknown dimension).
    """

    name: str
    op: str
    inputs: tuple[str, ...] = ()
    device: str = ""
    attrs: Mapping[str, str] = field(default_factory=dict)
    output_shapes: tuple[tuple[int, ...], ...] = ()


@dataclass
class Graph:
    """A graph of a run; ``source`` is ``"graph_def"`` or ``"meta_graph_def"``."""

    nodes: list[GraphNode] = field(default_factory=list)
    source: str = "graph_def"
    step: int = 0

    def __len__(self) -> int:
        return len(self.nodes)


# ------------------------------------------------------------ custom scalars


@dataclass(frozen=True)
class MarginSeries:
    value: str
    lower: str
    upper: str


@dataclass(frozen=True)
class Chart:
    """A custom-scalar chart: ``tags`` are regular expressions (multiline) or margin series."""

    title: str
    kind: str = "multiline"
    tags: tuple[str, ...] = ()
    margin: tuple[MarginSeries, ...] = ()


@dataclass(frozen=True)
class ChartCategory:
    title: str
    charts: tuple[Chart, ...] = ()
    closed: bool = False


@dataclass(frozen=True)
class CustomScalarLayout:
    categories: tuple[ChartCategory, ...] = ()


# ------------------------------------------------------------------ projector


@dataclass(frozen=True)
class ProjectorEmbedding:
    """One embedding of a ``projector_config.pbtxt``; paths resolved against the run dir."""

    tensor_name: str
    tensor_path: str = ""
    metadata_path: str = ""
    sprite_path: str = ""
    sprite_single_image_dim: tuple[int, ...] = ()
    tensor_shape: tuple[int, ...] = ()


@dataclass(frozen=True)
class ProjectorConfig:
    path: str
    embeddings: tuple[ProjectorEmbedding, ...] = ()
    model_checkpoint_path: str = ""


# ------------------------------------------------------------------------ run


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
    """One event file of a run: ``records`` intact records read, ``damaged`` records skipped."""

    path: str
    size: int
    records: int = 0
    damaged: int = 0
    file_version: str = ""
    writer: str = ""


@dataclass
class Run:
    """Everything one run directory holds (raw view; see the module docstring)."""

    name: str
    path: str
    files: list[EventFileInfo] = field(default_factory=list)
    scalars: dict[str, ScalarSeries] = field(default_factory=dict)
    images: dict[str, Series[ImagePoint]] = field(default_factory=dict)
    histograms: dict[str, Series[HistogramPoint]] = field(default_factory=dict)
    texts: dict[str, Series[TextPoint]] = field(default_factory=dict)
    audio: dict[str, Series[AudioPoint]] = field(default_factory=dict)
    pr_curves: dict[str, Series[PrCurvePoint]] = field(default_factory=dict)
    tensors: dict[str, Series[TensorPoint]] = field(default_factory=dict)
    hparams: HParams | None = None
    graph: Graph | None = None
    run_metadata_tags: list[str] = field(default_factory=list)
    custom_scalar_layout: CustomScalarLayout | None = None
    projector: ProjectorConfig | None = None
    session_logs: list[SessionLogEntry] = field(default_factory=list)

    def kinds(self) -> tuple[str, ...]:
        """The kinds holding data in this run, in :data:`KIND_NAMES` order."""
        present = {
            "scalars": bool(self.scalars),
            "images": bool(self.images),
            "histograms": bool(self.histograms),
            "texts": bool(self.texts),
            "audio": bool(self.audio),
            "pr_curves": bool(self.pr_curves),
            "hparams": self.hparams is not None,
            "graph": self.graph is not None or bool(self.run_metadata_tags),
            "custom_scalars": self.custom_scalar_layout is not None,
            "projector": self.projector is not None,
            "tensors": bool(self.tensors),
        }
        return tuple(k for k in KIND_NAMES if present[k])

    def _series_maps(self) -> list[Mapping[str, ScalarSeries | Series[Any]]]:
        return [
            self.scalars,
            self.images,
            self.histograms,
            self.texts,
            self.audio,
            self.pr_curves,
            self.tensors,
        ]

    def tag_count(self) -> int:
        return sum(len(m) for m in self._series_maps())

    def point_count(self) -> int:
        return sum(len(s) for m in self._series_maps() for s in m.values())

    def step_range(self) -> tuple[int, int] | None:
        """``(min, max)`` step over every series of the run, or ``None``."""
        ranges = [r for m in self._series_maps() for s in m.values() if (r := s.step_range())]
        if not ranges:
            return None
        return min(r[0] for r in ranges), max(r[1] for r in ranges)

    def scalar_rows(self) -> tuple[list[str], Int64Array, Int64Array]:
        """Every scalar point of the run in the order written: ``(tags, tag_index,
        position)``, where point ``k`` is ``scalars[tags[tag_index[k]]]`` at
        ``position[k]``. Falls back to tag by tag if a series lacks ``records``."""
        tags = list(self.scalars)
        series = list(self.scalars.values())
        lengths = np.asarray([len(s) for s in series], dtype=np.int64)
        tag_index = np.repeat(np.arange(len(series), dtype=np.int64), lengths)
        position = np.concatenate(
            [np.arange(n, dtype=np.int64) for n in lengths.tolist()] or [np.zeros(0, np.int64)]
        )
        if series and all(s.records is not None for s in series):
            records = np.concatenate([s.records for s in series if s.records is not None])
            order = np.argsort(records, kind="stable")
            tag_index, position = tag_index[order], position[order]
        return tags, tag_index, position

    def purged(self, *, skip_first_start: bool = False) -> Run:
        """A copy with every series in the purged view (see the module docstring)."""

        def purge(m: dict[str, Series[P]]) -> dict[str, Series[P]]:
            return {t: s.purged(skip_first_start=skip_first_start) for t, s in m.items()}

        return dataclasses.replace(
            self,
            scalars={
                t: s.purged(skip_first_start=skip_first_start) for t, s in self.scalars.items()
            },
            images=purge(self.images),
            histograms=purge(self.histograms),
            texts=purge(self.texts),
            audio=purge(self.audio),
            pr_curves=purge(self.pr_curves),
            tensors=purge(self.tensors),
        )


@dataclass
class Logdir:
    """A loaded logdir: ``runs`` by name (sorted), and every problem met in ``warnings``.

    With one root, run names are paths relative to it (``"."`` for the root itself).
    """

    paths: tuple[str, ...]
    runs: dict[str, Run] = field(default_factory=dict)
    warnings: list[LoadWarning] = field(default_factory=list)

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
        """One row per run with a session start: its hparams joined with its metrics.

        The metrics declared by the nearest experiment (the run itself or an
        ancestor run) are looked up as the last scalar value of the tag in the run
        ``<session run>/<group>`` (or the session run itself when ``group`` is empty
        or not a run); runs without an experiment report every scalar whose tag
        starts with ``hparam/``.
        """
        rows: list[HParamsRow] = []
        for name, run in self.runs.items():
            hp = run.hparams
            if hp is None or not hp.has_session:
                continue
            infos = self._experiment_metrics(name)
            metrics: dict[str, float] = {}
            if infos is not None:
                for info in infos:
                    value = self._metric_value(name, info)
                    if value is not None:
                        metrics[info.display_name or info.tag] = value
            else:
                for tag, series in run.scalars.items():
                    last = series.last()
                    if tag.startswith("hparam/") and last is not None:
                        metrics[tag] = last[2]
            rows.append(HParamsRow(name, dict(hp.values), metrics, hp.status))
        return rows

    def _experiment_metrics(self, name: str) -> list[MetricInfo] | None:
        candidate = name
        while True:
            run = self.runs.get(candidate)
            if run is not None and run.hparams is not None and run.hparams.has_experiment:
                return run.hparams.metric_infos
            if candidate == ".":
                return None
            candidate = candidate.rpartition("/")[0] or "."

    def _metric_value(self, name: str, info: MetricInfo) -> float | None:
        for candidate in (f"{name}/{info.group}" if info.group else name, name):
            key = candidate[2:] if candidate.startswith("./") else candidate
            run = self.runs.get(key)
            series = run.scalars.get(info.tag) if run else None
            last = series.last() if series is not None else None
            if last is not None:
                return last[2]
        return None
