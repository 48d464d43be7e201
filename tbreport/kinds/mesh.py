"""The mesh summary kind (TensorBoard's mesh plugin): wire identity, encode (writer side),
decode (reader side).

A mesh is logged as up to three tensors under one name, each ``[batch, points, 3]``
with its own tag ``<name>_VERTEX``, ``<name>_FACE``, ``<name>_COLOR`` and a
``MeshPluginData`` saying which part it is (``content_type``), the mesh's name, which
parts exist (``components``), the part's shape and the three.js scene configuration
(``json_config``). ``add_mesh`` writes them exactly as ``torch.utils.tensorboard``
does (every part a float tensor); TensorFlow's writer stores faces as int32 and
colours as uint8.

The reader does what TensorBoard's mesh plugin does: the user-facing tag is
``MeshPluginData.name`` from each part tag's first metadata; the parts of one name
logged at one step make one :class:`MeshPoint`; vertices are read as float32, faces as
int32 and colours as uint8 (0-255). A part without vertices, colours that do not
match the vertices, or faces indexing past them are dropped with a load warning.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tbreport.kinds._arrays import to_numpy
from tbreport.kinds._tensors import tensor_to_array
from tbreport.kinds.base import (
    At,
    Kind,
    Meta,
    Point,
    Restarts,
    RunSink,
    SectionSpec,
    Series,
    TagSeries,
)
from tbreport.proto import mesh_pb2, summary_pb2, tensor_pb2, types_pb2

if TYPE_CHECKING:
    from tbreport.model import Run

logger = logging.getLogger(__name__)

Float32Array = npt.NDArray[np.float32]
Int32Array = npt.NDArray[np.int32]
UInt8Array = npt.NDArray[np.uint8]

# --- the data (re-exported by tbreport.model) ---


@dataclass(frozen=True, eq=False)
class MeshPoint(Point):
    """The mesh (or point cloud) of one name at one step: every sample of its batch.

    ``vertices`` is ``[B, N, 3]`` float32 (x, y, z; y is up, as in TensorBoard's
    three.js viewer); ``faces`` ``[B, F, 3]`` int32 vertex indices, ``None`` for a
    point cloud; ``colors`` ``[B, N, 3]`` uint8 RGB per vertex, or ``None``.
    ``config`` is the three.js scene configuration as logged (JSON text, ``""`` if
    none); ``components`` the writer's bit mask of the parts it logged
    (``1 << content_type``).
    """

    vertices: Float32Array = field(default_factory=lambda: np.zeros((0, 0, 3), np.float32))
    faces: Int32Array | None = None
    colors: UInt8Array | None = None
    config: str = ""
    components: int = 0

    @property
    def samples(self) -> int:
        """The batch size: how many meshes this step holds."""
        return int(self.vertices.shape[0])

    @property
    def vertex_count(self) -> int:
        return int(self.vertices.shape[1])

    @property
    def face_count(self) -> int:
        return 0 if self.faces is None else int(self.faces.shape[1])

    def config_dict(self) -> dict[str, Any]:
        """``config`` parsed (``{}`` when empty or not a JSON object)."""
        try:
            parsed = json.loads(self.config) if self.config else {}
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


PLUGIN_NAME = "mesh"
#: MeshPluginData.version written
PROTO_VERSION = 0

VERTEX = mesh_pb2.MeshPluginData.VERTEX
FACE = mesh_pb2.MeshPluginData.FACE
COLOR = mesh_pb2.MeshPluginData.COLOR
_PART_NAMES = {VERTEX: "VERTEX", FACE: "FACE", COLOR: "COLOR"}

# --- encode (writer side) ---


def instance_tag(name: str, content_type: int) -> str:
    """The tag of one part: ``<name>_VERTEX``, ``<name>_FACE`` or ``<name>_COLOR``."""
    return f"{name}_{_PART_NAMES[content_type]}"


def _part(arg: str, value: Any, n_points: int | None) -> np.ndarray[Any, Any]:
    arr = to_numpy(value, arg)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"{arg} must have shape [batch, N, 3], got {tuple(arr.shape)}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{arg} must hold numbers, got dtype {arr.dtype}")
    if arg == "colors" and n_points is not None and arr.shape[1] != n_points:
        raise ValueError(f"colors has {arr.shape[1]} points but vertices has {n_points}")
    if arg == "faces" and n_points is not None and arr.size:
        low, high = int(arr.min()), int(arr.max())
        if low < 0 or high >= n_points:
            raise ValueError(
                f"faces index vertices 0..{n_points - 1}, got indices from {low} to {high}"
            )
    return arr


def mesh_values(
    tag: str,
    vertices: Any,
    colors: Any = None,
    faces: Any = None,
    config_dict: dict[str, Any] | None = None,
    *,
    display_name: str = "",
    description: str = "",
) -> list[summary_pb2.Summary.Value]:
    """The values ``add_mesh`` writes: vertices, then faces and colors when given."""
    verts = _part("vertices", vertices, None)
    parts = [(verts, VERTEX)]
    if faces is not None:
        parts.append((_part("faces", faces, verts.shape[1]), FACE))
    if colors is not None:
        parts.append((_part("colors", colors, verts.shape[1]), COLOR))
    try:
        json_config = "{}" if config_dict is None else json.dumps(config_dict, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"config_dict must be JSON-serialisable: {exc}") from None
    components = 0
    for _, content_type in parts:
        components |= 1 << content_type
    values = []
    for arr, content_type in parts:
        plugin = mesh_pb2.MeshPluginData(
            version=PROTO_VERSION,
            name=tag,
            content_type=content_type,
            components=components,
            shape=list(arr.shape),
            json_config=json_config,
        )
        metadata = summary_pb2.SummaryMetadata(
            display_name=display_name,
            summary_description=description,
            plugin_data=summary_pb2.SummaryMetadata.PluginData(
                plugin_name=PLUGIN_NAME, content=plugin.SerializeToString()
            ),
        )
        tensor = tensor_pb2.TensorProto(
            dtype=types_pb2.DT_FLOAT,
            float_val=arr.astype(np.float32).reshape(-1).tolist(),
            tensor_shape=tensor_pb2.TensorShapeProto(
                dim=[tensor_pb2.TensorShapeProto.Dim(size=int(d)) for d in arr.shape]
            ),
        )
        values.append(
            summary_pb2.Summary.Value(
                tag=instance_tag(tag, content_type), tensor=tensor, metadata=metadata
            )
        )
    return values


# --- decode (reader side) ---

ALL_COMPONENTS = (1 << VERTEX) | (1 << FACE) | (1 << COLOR)
_SUFFIXES = tuple(f"_{n}" for n in _PART_NAMES.values())


@dataclass(frozen=True, eq=False)
class MeshPart:
    """One part of a mesh as read (``data`` in the part's dtype), before the parts of
    one step are put together; ``report`` counts a problem for the run's warnings."""

    name: str
    content_type: int
    components: int
    config: str
    data: npt.NDArray[Any]
    step: int
    wall_time: float
    report: Callable[[str, str], None]


def plugin_data(content: bytes) -> mesh_pb2.MeshPluginData:
    """A part's ``MeshPluginData``; ``components`` 0 (older writers) means all three
    parts, as TensorBoard reads it. ``ValueError`` if it does not parse."""
    try:
        data = mesh_pb2.MeshPluginData.FromString(content)
    except Exception as exc:  # protobuf's DecodeError (its base class varies by version)
        raise ValueError(f"its MeshPluginData does not parse ({exc})") from None
    if data.components == 0:
        data.components = ALL_COMPONENTS
    return data


def mesh_name(data: mesh_pb2.MeshPluginData, tag: str) -> str:
    """The user-facing tag: the metadata's name, else the part's tag without its suffix."""
    if data.name:
        return str(data.name)
    for suffix in _SUFFIXES:
        if tag.endswith(suffix) and len(tag) > len(suffix):
            return tag[: -len(suffix)]
    return tag


def part_array(tensor: tensor_pb2.TensorProto, content_type: int) -> npt.NDArray[Any]:
    """A part's tensor in the dtype TensorBoard serves it in: vertices float32, faces
    int64 (checked against the vertices, then int32), colours uint8 (clipped to 0-255).
    ``ValueError`` if it is not ``[batch, N, 3]`` numbers."""
    arr = tensor_to_array(tensor)
    if arr.dtype == object or arr.dtype.kind == "c":
        raise ValueError(f"a mesh tensor must hold real numbers, got {arr.dtype}")
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"a mesh tensor must be [batch, N, 3], got shape {list(arr.shape)}")
    if content_type == VERTEX:
        return arr.astype(np.float32)
    if content_type == FACE:
        if arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)):
                raise ValueError("faces hold NaN or infinite vertex indices")
            arr = np.trunc(arr)
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        arr = np.nan_to_num(arr, nan=0.0, posinf=255.0, neginf=0.0)
    colors: UInt8Array = np.clip(arr, 0, 255).astype(np.uint8)
    return colors


def decode_part(value: summary_pb2.Summary.Value, at: At) -> tuple[str, int, int, str, Any]:
    """``(name, content_type, components, json_config, data)`` of one part, read with
    its tag's first metadata (``at.meta``) as TensorBoard does."""
    if at.meta is None:
        raise ValueError("no MeshPluginData for this tag")
    data = plugin_data(at.meta.content)
    if data.version > PROTO_VERSION:
        raise ValueError(
            f"written by a newer mesh plugin (version {data.version}); "
            f"tbreport reads version {PROTO_VERSION}"
        )
    if data.content_type not in _PART_NAMES:
        raise ValueError(f"content type {data.content_type} is not VERTEX, FACE or COLOR")
    arr = part_array(value.tensor, data.content_type)
    return mesh_name(data, at.tag), data.content_type, data.components, data.json_config, arr


def assemble(name: str, parts: Mapping[int, MeshPart]) -> MeshPoint | None:
    """The :class:`MeshPoint` of the parts logged for ``name`` at one step; parts that
    do not fit the vertices are dropped (and reported), ``None`` without vertices."""
    vertex = parts.get(VERTEX)
    if vertex is None:
        first = next(iter(parts.values()))
        first.report(
            "mesh parts logged without their vertices; skipped them",
            f"mesh {name!r} step {first.step}: " + ", ".join(_PART_NAMES[c] for c in sorted(parts)),
        )
        return None
    verts = vertex.data
    colors = parts[COLOR].data if COLOR in parts else None
    if colors is not None and colors.shape != verts.shape:
        vertex.report(
            "mesh colours that do not match their vertices; dropped the colours",
            f"mesh {name!r} step {vertex.step}: colours {list(colors.shape)}, "
            f"vertices {list(verts.shape)}",
        )
        colors = None
    faces = parts[FACE].data if FACE in parts else None
    if faces is not None:
        problem = _faces_problem(faces, verts)
        if problem:
            vertex.report(
                "mesh faces that do not fit their vertices; drew the vertices as points",
                f"mesh {name!r} step {vertex.step}: {problem}",
            )
            faces = None
    return MeshPoint(
        vertex.step,
        vertex.wall_time,
        verts,
        None if faces is None else faces.astype(np.int32),
        colors,
        vertex.config,
        vertex.components,
    )


def _faces_problem(faces: npt.NDArray[np.int64], verts: Float32Array) -> str:
    if faces.shape[0] != verts.shape[0]:
        return f"{faces.shape[0]} face sets for a batch of {verts.shape[0]}"
    if faces.size and (int(faces.min()) < 0 or int(faces.max()) >= verts.shape[1]):
        return f"indices {int(faces.min())}..{int(faces.max())} for {verts.shape[1]} vertices"
    return ""


@dataclass
class _Pending:
    """The parts of one mesh point seen so far, and the record of the first."""

    parts: dict[int, MeshPart]
    index: int


@dataclass
class _MeshEntry:
    tag: str  # the part tag whose restarts apply (the vertices', else the first seen)
    meta: Meta | None
    points: list[_Pending] = field(default_factory=list)
    by_step: dict[int, list[_Pending]] = field(default_factory=dict)


class MeshAccumulator:
    """Puts the parts of each mesh name together, step by step, in record order: a part
    joins the first point of its name and step still lacking that part (so a step
    logged twice, as a restarted run does, makes two points)."""

    def __init__(self, attr: str) -> None:
        self.attr = attr
        self.meshes: dict[str, _MeshEntry] = {}

    def add(self, tag: str, meta: Meta | None, index: int, item: Any) -> None:
        part: MeshPart = item
        entry = self.meshes.get(part.name)
        if entry is None:
            entry = self.meshes[part.name] = _MeshEntry(tag, meta)
        elif part.content_type == VERTEX and not entry.tag.endswith("_VERTEX"):
            entry.tag, entry.meta = tag, meta
        for pending in entry.by_step.get(part.step, ()):
            if part.content_type not in pending.parts:
                pending.parts[part.content_type] = part
                return
        new = _Pending({part.content_type: part}, index)
        entry.points.append(new)
        entry.by_step.setdefault(part.step, []).append(new)

    def store(self, run: Run, restarts: Restarts, metas: Mapping[str, Meta]) -> None:
        target: dict[str, Series[MeshPoint]] = getattr(run, self.attr)
        for name, entry in self.meshes.items():
            meta = entry.meta
            series: Series[MeshPoint] = Series(
                name,
                display_name=meta.display_name if meta else "",
                description=meta.description if meta else "",
                plugin_name=PLUGIN_NAME,
                plugin_content=meta.content if meta else b"",
            )
            idx = []
            for pending in entry.points:
                point = assemble(name, pending.parts)
                if point is not None:
                    series.points.append(point)
                    idx.append(pending.index)
            if series.points:
                series.restarts = restarts(entry.tag, np.asarray(idx, dtype=np.int64))
                target[name] = series


# --- the kind ---


@dataclass(frozen=True)
class MeshKind(Kind):
    """Meshes and point clouds: the parts of one name and step make one point."""

    def accumulator(self) -> MeshAccumulator:
        return MeshAccumulator(self.attr)

    def read_value(self, sink: RunSink, value: summary_pb2.Summary.Value, at: At) -> None:
        name, content_type, components, config, data = decode_part(value, at)
        part = MeshPart(
            name, content_type, components, config, data, at.step, at.wall_time, sink.problem
        )
        sink.add(self, at, part)

    def series(self, run: Run) -> Mapping[str, TagSeries]:
        series: Mapping[str, TagSeries] = getattr(run, self.attr)
        return series


KIND = MeshKind(
    name="meshes",
    module="mesh",
    attr="meshes",
    plugin_names=(PLUGIN_NAME,),
    sections=(SectionSpec("tbreport.render.mesh:build", ("kinds/mesh.html.j2",)),),
    counts=(
        (
            "mesh",
            lambda sel: sum(
                p.samples for r in sel.raw_runs for s in r.meshes.values() for p in s.points
            ),
        ),
    ),
)
