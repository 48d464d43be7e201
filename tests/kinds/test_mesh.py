"""The mesh kind: add_mesh writes what torch.utils.tensorboard writes, field for field,
and the reader reads meshes as TensorBoard's mesh plugin serves them to its viewer
(checked against the plugin's own routes, on files from tbreport, torch and TensorFlow's
layout)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tbreport import SummaryWriter, load
from tbreport.kinds import mesh
from tbreport.kinds._tensors import make_tensor_proto
from tbreport.model import Run
from tbreport.proto import mesh_pb2, summary_pb2, tensor_pb2
from tests.golden import check_golden

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


# --------------------------------------------------------------------- golden


def test_golden(update_goldens: bool) -> None:
    config = {"camera": {"cls": "PerspectiveCamera", "fov": 75}}
    mesh_summary = summary_pb2.Summary(
        value=mesh.mesh_values("my_mesh", VERTICES, COLORS, FACES, config)
    )
    check_golden("mesh_parts", mesh_summary, update=update_goldens)
    cloud = summary_pb2.Summary(value=mesh.mesh_values("cloud", VERTICES[:, :2]))
    check_golden("mesh_point_cloud", cloud, update=update_goldens)


# --------------------------------------------------------------------- decode


def _load_run(logdir: Path) -> Run:
    loaded = load(logdir)
    assert loaded.warnings == []
    return loaded.runs["."]


def test_decode_of_encode(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    batch = rng.normal(size=(2, 5, 3))
    with SummaryWriter(tmp_path) as w:
        w.add_mesh("m", VERTICES, colors=COLORS, faces=FACES, global_step=3, walltime=10.0)
        w.add_mesh("cloud", batch, config_dict={"material": {"size": 2}}, global_step=4)
    run = _load_run(tmp_path)
    assert run.kinds() == ("meshes",) and run.tensors == {}
    (point,) = run.meshes["m"].points
    assert (point.step, point.wall_time, point.samples) == (3, 10.0, 1)
    assert point.vertices.dtype == np.float32 and np.array_equal(point.vertices, VERTICES)
    assert point.faces is not None and point.faces.dtype == np.int32
    assert np.array_equal(point.faces, FACES)
    assert point.colors is not None and point.colors.dtype == np.uint8
    assert np.array_equal(point.colors, COLORS)
    assert point.components == 0b1110 and point.config == "{}"
    (cloud,) = run.meshes["cloud"].points
    assert cloud.faces is None and cloud.colors is None and cloud.samples == 2
    assert np.array_equal(cloud.vertices, batch.astype(np.float32))
    assert cloud.config_dict() == {"material": {"size": 2}}
    assert (cloud.vertex_count, cloud.face_count) == (5, 0)
    assert run.meshes["m"].plugin_name == "mesh"
    assert run.tag_count() == 2 and run.step_range() == (3, 4)


# ------------------------------------------------- what TensorBoard's mesh plugin serves


def tensorboard_meshes(logdir: Path) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every mesh as TensorBoard's mesh plugin serves it to its viewer: per run and tag,
    per step, the metadata of ``/meshes`` and the arrays of ``/data`` for each sample."""
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.mesh import mesh_plugin
    from werkzeug.test import Client

    mux = plugin_event_multiplexer.EventMultiplexer()
    mux.AddRunsFromDirectory(str(logdir))
    mux.Reload()
    provider = data_provider.MultiplexerDataProvider(mux, str(logdir))
    plugin = mesh_plugin.MeshPlugin(
        base_plugin.TBContext(logdir=str(logdir), multiplexer=mux, data_provider=provider)
    )
    routes = plugin.get_plugin_apps()

    def get(route: str, **query: Any) -> bytes:
        response = Client(routes[route]).get("/", query_string=query)
        assert response.status_code == 200, response.get_data()
        return bytes(response.get_data())

    dtypes = {"VERTEX": np.float32, "FACE": np.int32, "COLOR": np.uint8}
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for run, tags in json.loads(get("/tags")).items():
        for tag, info in tags.items():
            steps: dict[int, dict[str, Any]] = {}
            for entry in json.loads(get("/meshes", run=run, tag=tag, sample=0)):
                step = steps.setdefault(entry["step"], {"meta": entry, "samples": info["samples"]})
                name = mesh_pb2.MeshPluginData.ContentType.Name(entry["content_type"])
                step[name] = [
                    np.frombuffer(
                        get(
                            "/data",
                            run=run,
                            tag=tag,
                            sample=s,
                            content_type=name,
                            step=entry["step"],
                        ),
                        dtypes[name],
                    )
                    for s in range(info["samples"])
                ]
            out.setdefault(run, {})[tag] = [steps[s] for s in sorted(steps)]
    return out


def assert_reads_as_tensorboard(logdir: Path) -> None:
    ours = load(logdir)
    theirs = tensorboard_meshes(logdir)
    assert sorted(theirs) == sorted(r for r, run in ours.runs.items() if run.meshes)
    for run_name, tags in theirs.items():
        run = ours.runs[run_name]
        assert sorted(run.meshes) == sorted(tags)
        for tag, steps in tags.items():
            points = run.meshes[tag].points
            assert [p.step for p in points] == [s["meta"]["step"] for s in steps]
            for point, step in zip(points, steps):
                assert point.samples == step["samples"]
                assert point.components == step["meta"]["components"]
                assert point.config == step["meta"]["config"]
                assert point.wall_time == step["meta"]["wall_time"]
                for sample in range(point.samples):
                    parts = {
                        "VERTEX": point.vertices,
                        "FACE": point.faces,
                        "COLOR": point.colors,
                    }
                    for part, ours_part in parts.items():
                        if part not in step:
                            assert ours_part is None, (tag, part)
                            continue
                        assert ours_part is not None, (tag, part)
                        assert np.array_equal(ours_part[sample].reshape(-1), step[part][sample])


def _write_meshes(writer: Any) -> None:
    rng = np.random.default_rng(1)
    writer.add_mesh("tetra", VERTICES, colors=COLORS, faces=FACES, global_step=0)
    for step in (1, 5):
        cloud = rng.normal(size=(2, 7, 3))
        writer.add_mesh("points/cloud", cloud, global_step=step, config_dict={"a": step})
        shape = rng.normal(size=(1, 6, 3))
        faces = np.array([[[0, 1, 2], [3, 4, 5], [0, 2, 4]]])
        colors = rng.integers(0, 256, size=(1, 6, 3))
        writer.add_mesh("shape", shape, colors=colors, faces=faces, global_step=step)


@pytest.mark.parametrize("writer", ["tbreport", "torch"])
def test_reads_what_tensorboard_reads(writer: str, tmp_path: Path) -> None:
    if writer == "torch":
        tensorboard = pytest.importorskip("torch.utils.tensorboard")
        make: Any = tensorboard.SummaryWriter
    else:
        make = SummaryWriter
    w = make(str(tmp_path / "run"))
    _write_meshes(w)
    w.close()
    assert_reads_as_tensorboard(tmp_path)
    run = load(tmp_path).runs["run"]
    assert [p.step for p in run.meshes["points/cloud"]] == [1, 5]


def _tensorflow_style(tmp_path: Path) -> None:
    """Meshes as TensorFlow's ``mesh.summary.pb`` writes them (faces int32, colours
    uint8, a display name), built from TensorBoard's own metadata and tensor helpers."""
    from tensorboard.plugins.mesh import metadata as tb_metadata
    from tensorboard.util import tensor_util

    parts = [
        (VERTICES.astype(np.float32), mesh.VERTEX),
        (FACES.astype(np.int32), mesh.FACE),
        (COLORS.astype(np.uint8), mesh.COLOR),
    ]
    components = tb_metadata.get_components_bitmask([c for _, c in parts])
    with SummaryWriter(tmp_path / "tf") as w:
        for step in (0, 2):
            values = []
            for arr, content_type in parts:
                meta = tb_metadata.create_summary_metadata(
                    "tf_mesh",
                    "A mesh",
                    content_type,
                    components,
                    list(arr.shape),
                    description="from TensorFlow",
                    json_config='{"camera": {"fov": 60}}',
                )
                values.append(
                    summary_pb2.Summary.Value(
                        tag=tb_metadata.get_instance_name("tf_mesh", content_type),
                        metadata=summary_pb2.SummaryMetadata.FromString(meta.SerializeToString()),
                        tensor=tensor_pb2.TensorProto.FromString(
                            tensor_util.make_tensor_proto(arr).SerializeToString()
                        ),
                    )
                )
            w.add_summary(summary_pb2.Summary(value=values), step, 100.0 + step)


def test_tensorflow_dtypes_read_as_tensorboard_reads_them(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    _tensorflow_style(tmp_path)
    assert_reads_as_tensorboard(tmp_path)
    series = load(tmp_path).runs["tf"].meshes["tf_mesh"]
    assert (series.display_name, series.description) == ("A mesh", "from TensorFlow")
    assert [p.config for p in series] == ['{"camera": {"fov": 60}}'] * 2


def test_older_writers_components_and_names(tmp_path: Path) -> None:
    """``components`` 0 means all three parts (TensorBoard's reading of older
    files); a part without a name is named by its tag."""
    from tests.logdirs._write import field_bytes, tensor_value

    verts = VERTICES.astype(np.float32)
    named = field_bytes(2, b"cloud") + b"\x18\x01" + field_bytes(6, b"\x01\x04\x03")
    unnamed = b"\x18\x01" + field_bytes(6, b"\x01\x04\x03")
    with SummaryWriter(tmp_path) as w:
        w.add_summary(
            summary_pb2.Summary(
                value=[
                    tensor_value("cloud_VERTEX", verts, plugin="mesh", content=named),
                    tensor_value("anon_VERTEX", verts, plugin="mesh", content=unnamed),
                ]
            ),
            7,
            1.0,
        )
    run = _load_run(tmp_path)
    assert sorted(run.meshes) == ["anon", "cloud"]
    (point,) = run.meshes["cloud"].points
    assert point.components == mesh.ALL_COMPONENTS and point.faces is None
    assert_reads_as_tensorboard_named(tmp_path, "cloud")


def assert_reads_as_tensorboard_named(logdir: Path, tag: str) -> None:
    theirs = tensorboard_meshes(logdir)["."][tag]
    ours = load(logdir).runs["."].meshes[tag].points
    assert [s["meta"]["components"] for s in theirs] == [p.components for p in ours]
    assert np.array_equal(theirs[0]["VERTEX"][0], ours[0].vertices[0].reshape(-1))


def _values(**parts: Any) -> list[summary_pb2.Summary.Value]:
    """Mesh parts written by hand: ``VERTEX=array`` etc., each with its own metadata."""
    values = []
    for name, arr in parts.items():
        content_type = mesh_pb2.MeshPluginData.ContentType.Value(name)
        data = mesh_pb2.MeshPluginData(
            name="m", content_type=content_type, components=0b1110, shape=list(arr.shape)
        )
        values.append(
            summary_pb2.Summary.Value(
                tag=f"m_{name}",
                tensor=make_tensor_proto(np.asarray(arr)),
                metadata=summary_pb2.SummaryMetadata(
                    plugin_data=summary_pb2.SummaryMetadata.PluginData(
                        plugin_name="mesh", content=data.SerializeToString()
                    )
                ),
            )
        )
    return values


@pytest.mark.parametrize(
    ("parts", "warning", "check"),
    [
        (
            {"FACE": FACES, "COLOR": COLORS},
            "mesh parts logged without their vertices; skipped them (first: mesh 'm' step 1: "
            "FACE, COLOR)",
            lambda run: "m" not in run.meshes,
        ),
        (
            {"VERTEX": VERTICES, "COLOR": COLORS[:, :3]},
            "mesh colours that do not match their vertices; dropped the colours (first: mesh "
            "'m' step 1: colours [1, 3, 3], vertices [1, 4, 3])",
            lambda run: run.meshes["m"].points[0].colors is None,
        ),
        (
            {"VERTEX": VERTICES, "FACE": FACES + 1},
            "mesh faces that do not fit their vertices; drew the vertices as points (first: "
            "mesh 'm' step 1: indices 1..4 for 4 vertices)",
            lambda run: run.meshes["m"].points[0].faces is None,
        ),
        (
            {"VERTEX": VERTICES, "FACE": np.concatenate([FACES, FACES])},
            "mesh faces that do not fit their vertices; drew the vertices as points (first: "
            "mesh 'm' step 1: 2 face sets for a batch of 1)",
            lambda run: run.meshes["m"].points[0].faces is None,
        ),
        (
            {"VERTEX": VERTICES, "FACE": np.where(FACES == 3, np.nan, FACES)},
            "mesh values that could not be decoded; skipped them (first: record 1 (byte 52) tag 'm_FACE' step 1: "
            "faces hold NaN or infinite vertex indices)",
            lambda run: run.meshes["m"].points[0].faces is None,
        ),
        (
            {"VERTEX": VERTICES[0]},
            "mesh values that could not be decoded; skipped them (first: record 1 (byte 52) tag 'm_VERTEX' step 1: "
            "a mesh tensor must be [batch, N, 3], got shape [4, 3])",
            lambda run: run.meshes == {},
        ),
    ],
)
def test_parts_that_do_not_fit_are_dropped_with_a_warning(
    parts: dict[str, Any], warning: str, check: Any, tmp_path: Path
) -> None:
    with SummaryWriter(tmp_path) as w:
        w.add_summary(summary_pb2.Summary(value=_values(**parts)), 1, 1.0)
    loaded = load(tmp_path)
    assert [w.message for w in loaded.warnings] == [warning]
    assert check(loaded.runs["."])


def test_colours_are_clipped_and_faces_truncated_as_tensorboard_serves_them(
    tmp_path: Path,
) -> None:
    colors = np.array([[[300.0, -5.0, 254.7], [0, 0, 0], [1, 2, 3], [4, 5, 6]]])
    with SummaryWriter(tmp_path) as w:
        w.add_summary(
            summary_pb2.Summary(value=_values(VERTEX=VERTICES, FACE=FACES + 0.25, COLOR=colors)),
            1,
            1.0,
        )
    (point,) = _load_run(tmp_path).meshes["m"].points
    assert point.colors is not None and point.colors[0, 0].tolist() == [255, 0, 254]
    assert point.faces is not None and np.array_equal(point.faces, FACES)


def test_a_newer_plugin_version_is_skipped_as_tensorboard_does(tmp_path: Path) -> None:
    (value,) = _values(VERTEX=VERTICES)
    data = mesh_pb2.MeshPluginData.FromString(value.metadata.plugin_data.content)
    data.version = 1
    value.metadata.plugin_data.content = data.SerializeToString()
    with SummaryWriter(tmp_path) as w:
        w.add_summary(summary_pb2.Summary(value=[value]), 1, 1.0)
    loaded = load(tmp_path)
    assert loaded.runs["."].meshes == {}
    assert [w.message for w in loaded.warnings] == [
        "mesh values that could not be decoded; skipped them (first: record 1 (byte 52) tag 'm_VERTEX' step 1: "
        "written by a newer mesh plugin (version 1); tbreport reads version 0)"
    ]


def test_a_step_logged_twice_and_a_restart(tmp_path: Path) -> None:
    """Each logging of a step is its own point (raw view); a resumed run's purge_step
    hides the old points at and after it (purged view), part by part as TensorBoard."""
    with SummaryWriter(tmp_path, flush_secs=3600) as w:
        for step in (0, 1, 2, 2):
            w.add_mesh("m", VERTICES * (step + 1), faces=FACES, global_step=step)
    with SummaryWriter(tmp_path, purge_step=1) as w:
        w.add_mesh("m", VERTICES * 10, faces=FACES, global_step=1)
    run = load(tmp_path).runs["."]
    series = run.meshes["m"]
    assert [p.step for p in series] == [0, 1, 2, 2, 1]
    assert all(p.faces is not None for p in series)
    assert [float(p.vertices.max()) for p in series] == [1.0, 2.0, 3.0, 3.0, 10.0]
    purged = run.purged().meshes["m"]
    assert [(p.step, float(p.vertices.max())) for p in purged] == [(0, 1.0), (1, 10.0)]
