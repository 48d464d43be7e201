"""The mesh kind: add_mesh writes what torch.utils.tensorboard writes, field for field."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tbreport.kinds import mesh
from tbreport.proto import mesh_pb2, summary_pb2

VERTICES = np.array([[[1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]]], dtype=float)
COLORS = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 0, 255]]], dtype=int)
FACES = np.array([[[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]]], dtype=int)


@pytest.mark.parametrize(
    ("colors", "faces", "config"),
    [
        (COLORS, FACES, None),
        (None, None, None),
        (COLORS, None, {"camera": {"cls": "PerspectiveCamera", "fov": 75}}),
    ],
)
def test_same_summary_as_torch(colors: object, faces: object, config: object) -> None:
    torch_summary = pytest.importorskip("torch.utils.tensorboard.summary")
    theirs = summary_pb2.Summary.FromString(
        torch_summary.mesh("my_mesh", VERTICES, colors, faces, config).SerializeToString()
    )
    ours = summary_pb2.Summary(value=mesh.mesh_values("my_mesh", VERTICES, colors, faces, config))
    assert ours == theirs


def test_parts_components_and_config() -> None:
    values = mesh.mesh_values("m", VERTICES, COLORS, FACES, {"b": 1, "a": [2]})
    assert [v.tag for v in values] == ["m_VERTEX", "m_FACE", "m_COLOR"]
    for v in values:
        assert v.metadata.plugin_data.plugin_name == "mesh"
        data = mesh_pb2.MeshPluginData.FromString(v.metadata.plugin_data.content)
        assert data.name == "m" and list(data.shape) == [1, 4, 3]
        assert data.components == (1 << 1) | (1 << 2) | (1 << 3)
        assert json.loads(data.json_config) == {"a": [2], "b": 1}
        assert [d.size for d in v.tensor.tensor_shape.dim] == [1, 4, 3]
    assert list(values[2].tensor.float_val[:3]) == [255.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"vertices": np.ones((4, 3))}, ValueError, r"vertices must have shape \[batch, N, 3\]"),
        ({"colors": np.ones((1, 3, 3))}, ValueError, "colors has 3 points but vertices has 4"),
        ({"faces": np.array([[[0, 1, 4]]])}, ValueError, "faces index vertices 0..3"),
        ({"config_dict": {"x": object()}}, TypeError, "JSON-serialisable"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs: dict[str, object], exc: type, message: str) -> None:
    args = {"vertices": VERTICES, "colors": None, "faces": None, "config_dict": None, **kwargs}
    with pytest.raises(exc, match=message):
        mesh.mesh_values("m", **args)  # type: ignore[arg-type]
