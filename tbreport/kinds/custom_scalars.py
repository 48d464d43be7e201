"""The custom_scalars summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tbreport.kinds._tensors import tensor_to_array
from tbreport.kinds.base import At, Kind, RunSink, SectionSpec
from tbreport.proto import plugins_pb2, summary_pb2, tensor_pb2, types_pb2

# --- the data (re-exported by tbreport.model) ---


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


PLUGIN_NAME = "custom_scalars"

# --- encode (writer side) ---


CONFIG_TAG = "custom_scalars__config__"


def layout_value(layout: Mapping[str, Mapping[str, Sequence[Any]]]) -> summary_pb2.Summary.Value:
    """A custom-scalars layout: ``{category: {chart title: ["Multiline", [tags]] | ["Margin", [v, lo, hi]]}}``."""
    if not isinstance(layout, Mapping):
        raise TypeError(f"layout must be a dict, got {type(layout).__name__}")
    categories = []
    for category, charts in layout.items():
        if not isinstance(charts, Mapping):
            raise TypeError(f"layout[{category!r}] must be a dict of charts")
        chart_protos = []
        for title, spec in charts.items():
            if not isinstance(spec, (list, tuple)) or len(spec) != 2:
                raise ValueError(
                    f"layout[{category!r}][{title!r}] must be ['Multiline', [tags]] or "
                    f"['Margin', [value, lower, upper]], got {spec!r}"
                )
            kind, tags = spec
            tags = [str(t) for t in tags]
            if kind == "Margin":
                if len(tags) != 3:
                    raise ValueError(
                        f"layout[{category!r}][{title!r}]: a Margin chart needs 3 tags "
                        f"(value, lower, upper), got {len(tags)}"
                    )
                series = plugins_pb2.MarginChartContent.Series(
                    value=tags[0], lower=tags[1], upper=tags[2]
                )
                chart = plugins_pb2.Chart(
                    title=title, margin=plugins_pb2.MarginChartContent(series=[series])
                )
            elif kind == "Multiline":
                chart = plugins_pb2.Chart(
                    title=title, multiline=plugins_pb2.MultilineChartContent(tag=tags)
                )
            else:
                raise ValueError(
                    f"layout[{category!r}][{title!r}]: chart kind must be 'Multiline' or "
                    f"'Margin', got {kind!r}"
                )
            chart_protos.append(chart)
        categories.append(plugins_pb2.Category(title=category, chart=chart_protos))
    layout_proto = plugins_pb2.Layout(category=categories)
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=PLUGIN_NAME)
    )
    tensor = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING,
        string_val=[layout_proto.SerializeToString()],
        tensor_shape=tensor_pb2.TensorShapeProto(),
    )
    return summary_pb2.Summary.Value(tag=CONFIG_TAG, tensor=tensor, metadata=metadata)


# --- decode (reader side) ---

LAYOUT_TAG = "custom_scalars__config__"
"""The tag under which writers store the layout."""


def decode_layout(value: summary_pb2.Summary.Value) -> CustomScalarLayout:
    """The ``Layout`` proto held in a string tensor (raises ``ValueError``)."""
    arr = tensor_to_array(value.tensor)
    if arr.dtype != object or arr.size != 1:
        raise ValueError(f"a custom-scalar layout must be one string, got {arr.dtype} {arr.shape}")
    try:
        layout = plugins_pb2.Layout.FromString(bytes(arr.reshape(-1)[0]))
    except Exception as exc:  # protobuf's DecodeError
        raise ValueError(f"custom-scalar layout does not parse: {exc}") from exc
    categories = []
    for cat in layout.category:
        charts = []
        for chart in cat.chart:
            if chart.WhichOneof("content") == "margin":
                margin = tuple(MarginSeries(s.value, s.lower, s.upper) for s in chart.margin.series)
                charts.append(Chart(chart.title, "margin", (), margin))
            else:
                charts.append(Chart(chart.title, "multiline", tuple(chart.multiline.tag)))
        categories.append(ChartCategory(cat.title, tuple(charts), cat.closed))
    return CustomScalarLayout(tuple(categories))


# --- the kind ---


@dataclass(frozen=True)
class CustomScalarsKind(Kind):
    """A run's custom-scalar layout (the last one written wins)."""

    def read_value(self, sink: RunSink, value: summary_pb2.Summary.Value, at: At) -> None:
        sink.run.custom_scalar_layout = decode_layout(value)


KIND = CustomScalarsKind(
    name="custom_scalars",
    module="custom_scalars",
    attr="custom_scalar_layout",
    plugin_names=(PLUGIN_NAME,),
    sections=(
        SectionSpec("tbreport.render.custom_scalars:build", ("kinds/custom_scalars.html.j2",)),
    ),
)
