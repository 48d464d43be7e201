"""The tensor summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tbreport.kinds._arrays import to_numpy
from tbreport.kinds._tensors import (  # re-exported: tbreport.kinds.tensor was their home
    DECODE_ALLOWANCE,
    DECODE_FACTOR,
    decode_budget,
    dtype_name,
    make_tensor_proto,
    tensor_shape,
    tensor_to_array,
)
from tbreport.kinds.base import At, Point, RunSink, SectionSpec, SeriesKind
from tbreport.proto import summary_pb2, tensor_pb2

__all__ = [
    "DECODE_ALLOWANCE",
    "DECODE_FACTOR",
    "KIND",
    "PLUGIN_NAME",
    "RAW_TENSOR_PLUGIN",
    "TensorKind",
    "TensorPoint",
    "decode_budget",
    "decode_tensor",
    "dtype_name",
    "make_tensor_proto",
    "tensor_shape",
    "tensor_to_array",
    "tensor_value",
]

# --- the data (re-exported by tbreport.model) ---


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


PLUGIN_NAME = ""
RAW_TENSOR_PLUGIN = "tensor"  # the plugin name torch's and tbreport's add_tensor write

# --- encode (writer side) ---


def tensor_value(tag: str, tensor: Any) -> summary_pb2.Summary.Value:
    """A raw tensor summary with plugin ``tensor`` (torch's ``add_tensor``)."""
    arr = to_numpy(tensor, "tensor")
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=RAW_TENSOR_PLUGIN)
    )
    return summary_pb2.Summary.Value(tag=tag, metadata=metadata, tensor=make_tensor_proto(arr))


# --- decode (reader side) ---


def decode_tensor(tensor: tensor_pb2.TensorProto, step: int, wall_time: float) -> TensorPoint:
    """Any tensor summary as a raw :class:`~tbreport.model.TensorPoint`."""
    return TensorPoint(step, wall_time, tensor_to_array(tensor), dtype_name(tensor.dtype))


# --- the kind ---


@dataclass(frozen=True)
class TensorKind(SeriesKind):
    """Tensor summaries no other kind claims, kept as written so nothing is dropped."""

    def read_value(self, sink: RunSink, value: summary_pb2.Summary.Value, at: At) -> None:
        sink.add(self, at, decode_tensor(value.tensor, at.step, at.wall_time))
        plugin = at.meta.plugin_name if at.meta else ""
        # "tensor" is what torch's and our add_tensor write: a raw tensor by design.
        if plugin and plugin != RAW_TENSOR_PLUGIN:
            sink.problem(
                f"values of plugin {plugin!r}, which tbreport does not know; kept them as "
                "raw tensors",
                f"tag {at.tag!r}",
            )


KIND = TensorKind(
    name="tensors",
    module="tensor",
    attr="tensors",
    plugin_names=(RAW_TENSOR_PLUGIN,),
    fallback=True,
    sections=(SectionSpec("tbreport.render.tensor:build", ("kinds/tensor.html.j2",)),),
)
