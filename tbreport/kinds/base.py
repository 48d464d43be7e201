"""What every summary kind shares: points and series, and the :class:`Kind` each module declares.

A kind is declared once, in its own module ``tbreport/kinds/<module>.py``, as a
``KIND`` object: its public name, the ``Run`` attribute holding its data, the plugin
names and legacy ``Summary.Value`` field it claims, how it decodes a value (or an
event, or a file beside the event files), how it counts, and the section builders and
templates that draw it (named by string: the writer imports the kinds, never
matplotlib). :data:`tbreport.kinds.KINDS` lists them in the report's order; the
reader, the model, the report and its counts loop over that tuple, and nothing central
names a kind.

Only numpy here; the model's types are imported for typing only (the model imports the
kinds, not the other way round).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from tbreport.model import Run
    from tbreport.proto import summary_pb2
    from tbreport.render.base import Context, Section
    from tbreport.select import Selection

__all__ = [
    "Accumulator",
    "At",
    "ColumnSink",
    "Kind",
    "Meta",
    "Point",
    "PointsAccumulator",
    "Restart",
    "RunSink",
    "SectionSpec",
    "Series",
    "SeriesKind",
    "keep_mask",
]

Int64Array = npt.NDArray[np.int64]


# --------------------------------------------------------------------- points and series


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


def keep_mask(
    steps: Int64Array, restarts: Sequence[Restart], skip_first: bool
) -> npt.NDArray[np.bool_]:
    """Which points survive the restarts (see :meth:`tbreport.model.Run.purged`)."""
    keep = np.ones(len(steps), dtype=bool)
    for restart in restarts:
        if skip_first and restart.ordinal == 0:
            continue
        head = keep[: restart.index]
        head &= steps[: restart.index] < restart.step
    return keep


@dataclass(frozen=True)
class Point:
    """Base of every non-scalar point: where it sits in the run."""

    step: int
    wall_time: float


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

    def wall_range(self) -> tuple[float, float] | None:
        """``(first, last)`` wall time over the points, or ``None`` if empty."""
        if not self.points:
            return None
        walls = [p.wall_time for p in self.points]
        return min(walls), max(walls)

    def purged(self, *, skip_first_start: bool = False) -> Series[P]:
        """The purged view (see :meth:`tbreport.model.Run.purged`)."""
        if not self.restarts:
            return self
        keep = keep_mask(self.steps, self.restarts, skip_first_start)
        points = [p for p, k in zip(self.points, keep.tolist()) if k]
        return dataclasses.replace(self, points=points, restarts=())


class TagSeries(Protocol):
    """What the model asks of every per-tag series (points or scalar columns)."""

    def __len__(self) -> int: ...

    def step_range(self) -> tuple[int, int] | None: ...

    def wall_range(self) -> tuple[float, float] | None: ...

    def purged(self, *, skip_first_start: bool = False) -> Any: ...


# --------------------------------------------------------------------- reading


class At(NamedTuple):
    """Where a value sits: its tag and the tag's first metadata, its record (counted
    over the run's files), step and wall time."""

    tag: str
    meta: Meta | None
    record: int
    step: int
    wall_time: float


@dataclass(frozen=True)
class Meta:
    """The first ``SummaryMetadata`` seen for a tag."""

    plugin_name: str
    content: bytes
    display_name: str
    description: str


Restarts = Callable[[str, Int64Array], "tuple[Restart, ...]"]
"""``(tag, run-wide record indices of its points) -> the restarts that apply to it``."""


class Accumulator(Protocol):
    """Collects one kind's per-tag data of one run while the reader walks its records."""

    def add(self, tag: str, meta: Meta | None, index: int, item: Any) -> None:
        """One decoded value of ``tag`` (``index``: its record, counted over the run)."""

    def store(self, run: Run, restarts: Restarts, metas: Mapping[str, Meta]) -> None:
        """Put the series into ``run`` once every file is read (``metas``: the first
        metadata of each tag)."""


class ColumnSink(Protocol):
    """The accumulator of the kind the reader's vectorised fast path decodes (the
    kind claiming ``simple_value``): it takes whole column chunks."""

    def add_columns(
        self,
        tag: str,
        base: int,
        idx: npt.NDArray[np.uint32],
        steps: Int64Array,
        walls: npt.NDArray[np.float64],
        values: npt.NDArray[np.float64],
    ) -> None: ...


class RunSink(Protocol):
    """What a kind's ``read_*`` may do with the run being read (the reader implements it)."""

    run: Run

    def add(self, kind: Kind, at: At, item: Any) -> None:
        """Hand a decoded value to ``kind``'s accumulator for this run."""

    def problem(self, key: str, example: str) -> None:
        """Count a problem: one warning per (run, problem) with its first example."""

    def warn(self, path: str, message: str) -> None:
        """One warning about ``path`` (a file beside the event files)."""


class PointsAccumulator:
    """The :class:`Accumulator` of a :class:`SeriesKind`: a :class:`Series` per tag."""

    def __init__(self, attr: str) -> None:
        self.attr = attr
        self.series: dict[str, tuple[Series[Any], list[int]]] = {}

    def add(self, tag: str, meta: Meta | None, index: int, item: Any) -> None:
        entry = self.series.get(tag)
        if entry is None:
            series: Series[Any] = Series(tag)
            if meta is not None:
                series.display_name = meta.display_name
                series.description = meta.description
                series.plugin_name = meta.plugin_name
                series.plugin_content = meta.content
            entry = self.series[tag] = (series, [])
        entry[0].points.append(item)
        entry[1].append(index)

    def store(self, run: Run, restarts: Restarts, metas: Mapping[str, Meta]) -> None:
        target: dict[str, Series[Any]] = getattr(run, self.attr)
        for tag, (series, idx) in self.series.items():
            series.restarts = restarts(tag, np.asarray(idx, dtype=np.int64))
            target[tag] = series


# --------------------------------------------------------------------- the kind


@dataclass(frozen=True)
class SectionSpec:
    """A section builder, named ``"module:function"`` so the writer never imports it, and
    the templates its sections use (``templates/<template>``)."""

    builder: str
    templates: tuple[str, ...]

    def load(self) -> Callable[[Sequence[Run], Context], Section | Sequence[Section] | None]:
        module, _, name = self.builder.partition(":")
        build: Callable[[Sequence[Run], Context], Section | Sequence[Section] | None]
        build = getattr(importlib.import_module(module), name)
        return build


@dataclass(frozen=True)
class Kind:
    """One summary kind (see the module docstring). Subclasses override the ``read_*``
    hooks they need; the defaults read nothing."""

    name: str  # the public name: Run.kinds(), KIND_NAMES, `tbreport ls`
    module: str  # kinds/<module>.py, render/<module>.py, templates/kinds/<module>*.html.j2
    attr: str  # the Run attribute holding its data
    plugin_names: tuple[str, ...] = ()  # the plugins whose tensor values it decodes
    legacy_field: str | None = None  # the Summary.Value field of its legacy form
    any_value: bool = False  # claims its plugin's values whatever field they hold
    fallback: bool = False  # the kind of tensor values no other kind claims
    event_fields: tuple[str, ...] = ()  # Event fields it reads (graph_def, ...)
    sections: tuple[SectionSpec, ...] = ()
    # the report header's counts: (singular label, n of the selection); "s" makes the plural
    counts: tuple[tuple[str, Callable[[Selection], int]], ...] = ()
    # a media kind: per step of a tag's series, the (bytes, MIME type) of each medium it
    # embeds in the report, which the report's size budget counts (render/media.py)
    media: Callable[[Any], list[list[tuple[int, str]]]] | None = None
    # the BuildOptions field that caps its steps per tag (``--image-steps``), if any
    steps_option: str | None = None

    # -- reading

    def accumulator(self) -> Accumulator | None:
        """A fresh collector of this kind's per-tag series for one run (``None``: none)."""
        return None

    def read_value(self, sink: RunSink, value: summary_pb2.Summary.Value, at: At) -> None:
        """Decode one ``Summary.Value`` this kind claimed, seen ``at`` (``ValueError``
        if it cannot)."""

    def read_event(self, sink: RunSink, event: Any, step: int) -> None:
        """Read one ``Event`` whose ``what`` is one of :attr:`event_fields`."""

    def finish(self, sink: RunSink) -> None:
        """After every event file of the run (e.g. read a file beside them)."""

    # -- the model

    def data(self, run: Run) -> Any:
        return getattr(run, self.attr)

    def present(self, run: Run) -> bool:
        """Whether ``run`` holds data of this kind."""
        value = self.data(run)
        return value is not None and (not isinstance(value, (Mapping, list)) or bool(value))

    def series(self, run: Run) -> Mapping[str, TagSeries] | None:
        """The per-tag series of ``run`` (``None`` for a run-level kind)."""
        return None


@dataclass(frozen=True)
class SeriesKind(Kind):
    """A kind stored as a :class:`Series` of points per tag, decoded by ``decode``."""

    decode: Callable[[summary_pb2.Summary.Value, int, float], Point] | None = None

    def accumulator(self) -> Accumulator | None:
        return PointsAccumulator(self.attr)

    def read_value(self, sink: RunSink, value: summary_pb2.Summary.Value, at: At) -> None:
        if self.decode is None:
            raise TypeError(f"kind {self.name!r} has no decode function")
        sink.add(self, at, self.decode(value, at.step, at.wall_time))

    def series(self, run: Run) -> Mapping[str, TagSeries] | None:
        series: Mapping[str, TagSeries] = getattr(run, self.attr)
        return series
