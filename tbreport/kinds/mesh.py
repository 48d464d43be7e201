"""The mesh summary kind (TensorBoard's mesh plugin): wire identity and encode (writer side).

``add_mesh`` logs up to three tensors under one name, each a ``[batch, points, 3]``
float tensor with its own tag ``<name>_VERTEX``, ``<name>_FACE``, ``<name>_COLOR``
and a ``MeshPluginData`` saying which part it is, which parts exist (``components``)
and the three.js scene configuration (``json_config``), exactly as
``torch.utils.tensorboard`` writes them.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from tbreport.kinds._arrays import to_numpy
from tbreport.proto import mesh_pb2, summary_pb2, tensor_pb2, types_pb2

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
