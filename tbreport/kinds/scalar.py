"""The scalar summary kind: wire identity, encode (writer side), decode (reader side).

Two encodings exist. The legacy one stores ``Summary.Value.simple_value`` (a
float32). The tensor one (TF2 ``tf.summary.scalar``, torch ``new_style=True``)
stores a 0-d ``TensorProto`` and plugin name ``scalars``.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tbreport.kinds._tensors import tensor_to_array
from tbreport.kinds.base import At, Kind, Meta, Restart, Restarts, RunSink, SectionSpec, keep_mask
from tbreport.proto import summary_pb2, tensor_pb2, types_pb2

if TYPE_CHECKING:
    from tbreport.kinds.base import TagSeries
    from tbreport.model import Run

PLUGIN_NAME = "scalars"

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]


# --- the data (re-exported by tbreport.model) ---


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

    def wall_range(self) -> tuple[float, float] | None:
        """``(first, last)`` wall time, or ``None`` if empty."""
        if len(self) == 0:
            return None
        return float(self.wall_times.min()), float(self.wall_times.max())

    def purged(self, *, skip_first_start: bool = False) -> ScalarSeries:
        """The purged view (see the module docstring); ``self`` if nothing is purged."""
        if not self.restarts:
            return self
        keep = keep_mask(self.steps, self.restarts, skip_first_start)
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


# --- encode (writer side) ---

_pack_f = struct.Struct("<f").pack
_pack_d = struct.Struct("<d").pack


def float32_bytes(value: float) -> bytes:
    """``value`` as little-endian float32, overflowing to +-inf as a C cast does."""
    try:
        return _pack_f(value)
    except OverflowError:
        return _pack_f(value * float("inf"))


def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _len_delim(field_tag: int, payload: bytes) -> bytes:
    return bytes((field_tag,)) + _varint(len(payload)) + payload


def encode_scalar_event(tag: bytes, value: float, step: int, wall_time: float) -> bytes:
    """The serialized ``Event`` holding one legacy scalar, without building protobuf objects.

    This is the writer's hot path. It produces the same bytes as
    ``Event(wall_time=..., step=..., summary=Summary(value=[Value(tag=..., simple_value=...)]))``
    serialized by protobuf (zero wall_time/step omitted as proto3 does); a property
    test checks this.
    """
    # simple_value sits in a oneof, so it is always present, even when 0.0.
    v = (b"\n" + _varint(len(tag)) + tag if tag else b"") + b"\x15" + float32_bytes(value)
    summary = _len_delim(0x0A, v)
    head = b""
    wt = _pack_d(wall_time)
    if wt != b"\x00\x00\x00\x00\x00\x00\x00\x00":
        head = b"\x09" + wt
    if step:
        head += b"\x10" + _varint(step)
    return head + _len_delim(0x2A, summary)


def scalar_value(tag: str, value: float) -> summary_pb2.Summary.Value:
    """A legacy ``simple_value`` scalar."""
    return summary_pb2.Summary.Value(tag=tag, simple_value=value)


def scalar_tensor_value(
    tag: str, value: float, *, double_precision: bool = False
) -> summary_pb2.Summary.Value:
    """A tensor scalar with plugin ``scalars`` (torch's ``new_style=True``)."""
    if double_precision:
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, double_val=[value])
    else:
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[value])
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=PLUGIN_NAME)
    )
    return summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=metadata)


# --- decode (reader side) ---


def decode_scalar(value: summary_pb2.Summary.Value) -> float:
    """The number held by a legacy ``simple_value`` or a one-element numeric tensor.

    float32 values widen exactly; float64 keeps its precision; ints and bools
    convert. Raises ``ValueError`` for anything else (a string, several elements).
    """
    if value.WhichOneof("value") == "simple_value":
        return float(value.simple_value)
    arr = tensor_to_array(value.tensor)
    if arr.size != 1 or arr.dtype == object:
        raise ValueError(f"a scalar must be one number, got a {arr.dtype} tensor of {arr.shape}")
    return float(arr.reshape(-1)[0].real)


# --- the columns of one run (reader side) ---


def _compact(idx: npt.NDArray[np.int64]) -> npt.NDArray[np.integer[Any]]:
    """Record numbers as uint32 when they fit (4 bytes a point instead of 8)."""
    return idx.astype(np.uint32) if idx.shape[0] and int(idx[-1]) < 2**32 else idx


# (index base of the file, record indices in the file, steps, wall_times, values)
_Columns = tuple[
    int,
    npt.NDArray[np.uint32],
    npt.NDArray[np.int64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]


@dataclass
class _ScalarAccum:
    """Scalars of one tag: column chunks from the fast path, lists from the protobuf path."""

    chunks: list[_Columns] = field(default_factory=list)
    idx: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


class ColumnsAccumulator:
    """Scalars of one run as numpy columns: the reader's vectorised fast path hands over
    whole column chunks (:meth:`add_columns`), the protobuf path one value at a time."""

    def __init__(self) -> None:
        self.tags: dict[str, _ScalarAccum] = {}

    def _acc(self, tag: str) -> _ScalarAccum:
        acc = self.tags.get(tag)
        if acc is None:
            acc = self.tags[tag] = _ScalarAccum()
        return acc

    def add(self, tag: str, meta: Meta | None, index: int, item: Any) -> None:
        acc = self._acc(tag)
        acc.idx.append(index)
        acc.steps.append(item[0])
        acc.walls.append(item[1])
        acc.values.append(item[2])

    def add_columns(
        self,
        tag: str,
        base: int,
        idx: npt.NDArray[np.uint32],
        steps: Int64Array,
        walls: Float64Array,
        values: Float64Array,
    ) -> None:
        """A chunk of the fast path: record indices ``idx`` (in the file) + ``base``."""
        self._acc(tag).chunks.append((base, idx, steps, walls, values))

    def record_indices(self, tag: str) -> Iterator[tuple[Int64Array, Int64Array]]:
        """(run-wide record indices, steps) of the chunks of ``tag`` (old-format purges)."""
        for base, idx, steps, _, _ in self._acc(tag).chunks:
            yield idx.astype(np.int64) + base, steps

    def store(self, run: Run, restarts: Restarts, metas: Mapping[str, Meta]) -> None:
        # Tags in order of first appearance in the run.
        firsts: dict[str, int] = {}
        built: dict[str, ScalarSeries] = {}
        for tag, acc in self.tags.items():
            built[tag], firsts[tag] = _series(tag, acc, restarts, metas.get(tag))
        run.scalars = {tag: built[tag] for tag in sorted(built, key=firsts.__getitem__)}


def _series(
    tag: str, acc: _ScalarAccum, restarts: Restarts, meta: Meta | None
) -> tuple[ScalarSeries, int]:
    """The series of ``tag`` and the run-wide index of its first record."""
    parts = list(acc.chunks)
    if acc.idx:
        parts.append(
            (
                0,
                np.asarray(acc.idx, dtype=np.int64),  # run-wide already
                np.asarray(acc.steps, dtype=np.int64),
                np.asarray(acc.walls, dtype=np.float64),
                np.asarray(acc.values, dtype=np.float64),
            )
        )
    if len(parts) == 1:
        base, local, steps, walls, values = parts[0]
        idx = local.astype(np.int64) + base
    else:
        idx = np.concatenate([p[1].astype(np.int64) + p[0] for p in parts])
        steps, walls, values = (np.concatenate([p[k] for p in parts]) for k in (2, 3, 4))
        if not bool(np.all(idx[1:] > idx[:-1])):
            order = np.argsort(idx, kind="stable")
            idx, steps, walls, values = idx[order], steps[order], walls[order], values[order]
    series = ScalarSeries(
        tag,
        np.ascontiguousarray(steps, dtype=np.int64),
        np.ascontiguousarray(walls, dtype=np.float64),
        np.ascontiguousarray(values, dtype=np.float64),
        display_name=meta.display_name if meta else "",
        description=meta.description if meta else "",
        restarts=restarts(tag, idx),
        records=_compact(idx),
    )
    return series, int(idx[0])


# --- the kind ---


@dataclass(frozen=True)
class ScalarKind(Kind):
    """Scalars: numpy columns per tag (:class:`ScalarSeries`), not a point object each."""

    def accumulator(self) -> ColumnsAccumulator:
        return ColumnsAccumulator()

    def read_value(self, sink: RunSink, value: summary_pb2.Summary.Value, at: At) -> None:
        # Decode before handing it over: a value that fails must not leave its step
        # behind, or every later value would sit on the wrong step.
        sink.add(self, at, (at.step, at.wall_time, decode_scalar(value)))

    def series(self, run: Run) -> Mapping[str, TagSeries] | None:
        return run.scalars


KIND = ScalarKind(
    name="scalars",
    module="scalar",
    attr="scalars",
    plugin_names=(PLUGIN_NAME,),
    legacy_field="simple_value",
    sections=(
        SectionSpec(
            "tbreport.render.scalar:build",
            ("kinds/scalar.html.j2", "kinds/scalar_compare_legend.html.j2"),
        ),
        # tags of one or two points per run: numbers, not charts
        SectionSpec("tbreport.render.scalar:build_values", ("kinds/scalar_values.html.j2",)),
    ),
    counts=(
        ("scalar tag", lambda sel: len(sel.scalar_tags())),
        ("scalar point", lambda sel: sum(len(s) for r in sel.raw_runs for s in r.scalars.values())),
    ),
)


def scalar_rows(
    scalars: Mapping[str, ScalarSeries],
) -> tuple[list[str], Int64Array, Int64Array]:
    """Every scalar point of a run in the order written: ``(tags, tag_index, position)``,
    where point ``k`` is ``scalars[tags[tag_index[k]]]`` at ``position[k]``. Falls back
    to tag by tag if a series lacks ``records``."""
    tags = list(scalars)
    series = list(scalars.values())
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
