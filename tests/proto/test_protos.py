"""The vendored .proto files agree with TensorBoard's: same field numbers, types and labels.

Field numbers are the wire format; a wrong one would write files TensorBoard
misreads. We compare every field we declare with TensorBoard's own descriptors.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from tbreport.proto import (
    event_pb2,
    graph_pb2,
    hparams_pb2,
    plugins_pb2,
    projector_pb2,
    summary_pb2,
    tensor_pb2,
    types_pb2,
)

pytest.importorskip("tensorboard")

# our message -> TensorBoard's module and message name
PAIRS = [
    (event_pb2.Event, "tensorboard.compat.proto.event_pb2", "Event"),
    (event_pb2.SessionLog, "tensorboard.compat.proto.event_pb2", "SessionLog"),
    (event_pb2.TaggedRunMetadata, "tensorboard.compat.proto.event_pb2", "TaggedRunMetadata"),
    (event_pb2.SourceMetadata, "tensorboard.compat.proto.event_pb2", "SourceMetadata"),
    (event_pb2.LogMessage, "tensorboard.compat.proto.event_pb2", "LogMessage"),
    (summary_pb2.Summary, "tensorboard.compat.proto.summary_pb2", "Summary"),
    (summary_pb2.Summary.Value, "tensorboard.compat.proto.summary_pb2", "Summary.Value"),
    (summary_pb2.Summary.Image, "tensorboard.compat.proto.summary_pb2", "Summary.Image"),
    (summary_pb2.Summary.Audio, "tensorboard.compat.proto.summary_pb2", "Summary.Audio"),
    (summary_pb2.SummaryMetadata, "tensorboard.compat.proto.summary_pb2", "SummaryMetadata"),
    (
        summary_pb2.SummaryMetadata.PluginData,
        "tensorboard.compat.proto.summary_pb2",
        "SummaryMetadata.PluginData",
    ),
    (summary_pb2.HistogramProto, "tensorboard.compat.proto.histogram_pb2", "HistogramProto"),
    (tensor_pb2.TensorProto, "tensorboard.compat.proto.tensor_pb2", "TensorProto"),
    (tensor_pb2.TensorShapeProto, "tensorboard.compat.proto.tensor_shape_pb2", "TensorShapeProto"),
    (
        tensor_pb2.TensorShapeProto.Dim,
        "tensorboard.compat.proto.tensor_shape_pb2",
        "TensorShapeProto.Dim",
    ),
    (graph_pb2.GraphDef, "tensorboard.compat.proto.graph_pb2", "GraphDef"),
    (graph_pb2.NodeDef, "tensorboard.compat.proto.node_def_pb2", "NodeDef"),
    (graph_pb2.AttrValue, "tensorboard.compat.proto.attr_value_pb2", "AttrValue"),
    (
        graph_pb2.AttrValue.ListValue,
        "tensorboard.compat.proto.attr_value_pb2",
        "AttrValue.ListValue",
    ),
    (graph_pb2.NameAttrList, "tensorboard.compat.proto.attr_value_pb2", "NameAttrList"),
    (graph_pb2.VersionDef, "tensorboard.compat.proto.versions_pb2", "VersionDef"),
    (graph_pb2.RunMetadata, "tensorboard.compat.proto.config_pb2", "RunMetadata"),
    (graph_pb2.StepStats, "tensorboard.compat.proto.step_stats_pb2", "StepStats"),
    (graph_pb2.DeviceStepStats, "tensorboard.compat.proto.step_stats_pb2", "DeviceStepStats"),
    (graph_pb2.NodeExecStats, "tensorboard.compat.proto.step_stats_pb2", "NodeExecStats"),
    (
        graph_pb2.AllocatorMemoryUsed,
        "tensorboard.compat.proto.step_stats_pb2",
        "AllocatorMemoryUsed",
    ),
    (
        plugins_pb2.ScalarPluginData,
        "tensorboard.plugins.scalar.plugin_data_pb2",
        "ScalarPluginData",
    ),
    (plugins_pb2.TextPluginData, "tensorboard.plugins.text.plugin_data_pb2", "TextPluginData"),
    (plugins_pb2.ImagePluginData, "tensorboard.plugins.image.plugin_data_pb2", "ImagePluginData"),
    (
        plugins_pb2.HistogramPluginData,
        "tensorboard.plugins.histogram.plugin_data_pb2",
        "HistogramPluginData",
    ),
    (plugins_pb2.AudioPluginData, "tensorboard.plugins.audio.plugin_data_pb2", "AudioPluginData"),
    (
        plugins_pb2.PrCurvePluginData,
        "tensorboard.plugins.pr_curve.plugin_data_pb2",
        "PrCurvePluginData",
    ),
    (plugins_pb2.Layout, "tensorboard.plugins.custom_scalar.layout_pb2", "Layout"),
    (plugins_pb2.Category, "tensorboard.plugins.custom_scalar.layout_pb2", "Category"),
    (plugins_pb2.Chart, "tensorboard.plugins.custom_scalar.layout_pb2", "Chart"),
    (
        plugins_pb2.MultilineChartContent,
        "tensorboard.plugins.custom_scalar.layout_pb2",
        "MultilineChartContent",
    ),
    (
        plugins_pb2.MarginChartContent.Series,
        "tensorboard.plugins.custom_scalar.layout_pb2",
        "MarginChartContent.Series",
    ),
    (
        hparams_pb2.HParamsPluginData,
        "tensorboard.plugins.hparams.plugin_data_pb2",
        "HParamsPluginData",
    ),
    (
        hparams_pb2.SessionStartInfo,
        "tensorboard.plugins.hparams.plugin_data_pb2",
        "SessionStartInfo",
    ),
    (hparams_pb2.SessionEndInfo, "tensorboard.plugins.hparams.plugin_data_pb2", "SessionEndInfo"),
    (hparams_pb2.Experiment, "tensorboard.plugins.hparams.api_pb2", "Experiment"),
    (hparams_pb2.HParamInfo, "tensorboard.plugins.hparams.api_pb2", "HParamInfo"),
    (hparams_pb2.MetricInfo, "tensorboard.plugins.hparams.api_pb2", "MetricInfo"),
    (hparams_pb2.MetricName, "tensorboard.plugins.hparams.api_pb2", "MetricName"),
    (hparams_pb2.Interval, "tensorboard.plugins.hparams.api_pb2", "Interval"),
    (
        projector_pb2.ProjectorConfig,
        "tensorboard.plugins.projector.projector_config_pb2",
        "ProjectorConfig",
    ),
    (
        projector_pb2.EmbeddingInfo,
        "tensorboard.plugins.projector.projector_config_pb2",
        "EmbeddingInfo",
    ),
    (
        projector_pb2.SpriteMetadata,
        "tensorboard.plugins.projector.projector_config_pb2",
        "SpriteMetadata",
    ),
]


def _theirs(module: str, path: str) -> Any:
    obj: Any = importlib.import_module(module)
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj.DESCRIPTOR


def _kind(field: Any) -> tuple[Any, ...]:
    sub = field.message_type or field.enum_type
    return (
        field.number,
        field.type,
        field.is_repeated if hasattr(field, "is_repeated") else field.label,
        sub.name if sub else None,
    )


@pytest.mark.parametrize(("ours", "module", "name"), PAIRS, ids=[p[2] for p in PAIRS])
def test_fields_match_tensorboard(ours: Any, module: str, name: str) -> None:
    theirs = _theirs(module, name)
    ours_d = ours.DESCRIPTOR
    for field in ours_d.fields:
        assert field.name in theirs.fields_by_name, f"{name}.{field.name} is not TensorBoard's"
        assert _kind(field) == _kind(theirs.fields_by_name[field.name]), f"{name}.{field.name}"
    # Every field TensorBoard has that we left out must be documented as such.
    missing = set(theirs.fields_by_name) - set(ours_d.fields_by_name)
    allowed = {
        "TensorProto": {"resource_handle_val", "variant_val", "float8_val"},
        "GraphDef": {"library", "debug_info"},
        "NodeDef": {"experimental_debug_info", "experimental_type"},
        "RunMetadata": {"cost_graph", "function_graphs", "session_metadata"},
        "NodeExecStats": {"output", "referenced_tensor", "memory_stats"},
        "AllocatorMemoryUsed": {"allocation_records"},
    }
    assert missing <= allowed.get(name, set()), f"{name} lacks {missing}"


def test_enums_match_tensorboard() -> None:
    from tensorboard.compat.proto import types_pb2 as tb_types
    from tensorboard.plugins.hparams import api_pb2 as tb_api

    for v in types_pb2.DataType.DESCRIPTOR.values:
        assert tb_types.DataType.Value(v.name) == v.number
    for enum in ("DataType", "DatasetType", "Status"):
        ours = getattr(hparams_pb2, enum).DESCRIPTOR
        for v in ours.values:
            assert getattr(tb_api, enum).Value(v.name) == v.number


def test_our_messages_are_readable_by_tensorboard() -> None:
    from tensorboard.compat.proto import event_pb2 as tb_event

    ours = event_pb2.Event(wall_time=1.5, step=7)
    v = ours.summary.value.add(tag="t", simple_value=2.5)
    v.metadata.plugin_data.plugin_name = "scalars"
    theirs = tb_event.Event.FromString(ours.SerializeToString())
    assert theirs.step == 7 and theirs.summary.value[0].simple_value == 2.5
    assert theirs.SerializeToString() == ours.SerializeToString()
