"""The text summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

from dataclasses import dataclass

from tbreport.kinds._tensors import tensor_to_array
from tbreport.kinds.base import Point, SectionSpec, SeriesKind
from tbreport.proto import plugins_pb2, summary_pb2, tensor_pb2, types_pb2

# --- the data (re-exported by tbreport.model) ---


@dataclass(frozen=True)
class TextPoint(Point):
    """A string tensor of any shape: ``values`` flattened in C order, ``shape`` as written."""

    values: tuple[str, ...] = ()
    shape: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        """The value of a scalar string tensor; rows joined with newlines otherwise."""
        return "\n".join(self.values)


PLUGIN_NAME = "text"

# --- encode (writer side) ---


TAG_SUFFIX = "/text_summary"


def text_value(tag: str, text_string: str) -> summary_pb2.Summary.Value:
    """A string tensor of shape [1] with plugin ``text``; the tag gets ``/text_summary`` as torch does."""
    if not isinstance(text_string, str):
        raise TypeError(f"text_string must be a str, got {type(text_string).__name__}")
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=PLUGIN_NAME,
            content=plugins_pb2.TextPluginData(version=0).SerializeToString(),
        )
    )
    tensor = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING,
        string_val=[text_string.encode("utf-8")],
        tensor_shape=tensor_pb2.TensorShapeProto(dim=[tensor_pb2.TensorShapeProto.Dim(size=1)]),
    )
    return summary_pb2.Summary.Value(tag=tag + TAG_SUFFIX, metadata=metadata, tensor=tensor)


# --- decode (reader side) ---


def decode_text(value: summary_pb2.Summary.Value, step: int, wall_time: float) -> TextPoint:
    """A string tensor of any shape (UTF-8; undecodable bytes are replaced)."""
    arr = tensor_to_array(value.tensor)
    if arr.dtype != object:
        raise ValueError(f"a text summary must be a string tensor, got {arr.dtype}")
    values = tuple(
        b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b) for b in arr.reshape(-1)
    )
    return TextPoint(step, wall_time, values, tuple(int(d) for d in arr.shape))


# --- the kind ---

KIND = SeriesKind(
    name="texts",
    module="text",
    attr="texts",
    plugin_names=(PLUGIN_NAME,),
    decode=decode_text,
    sections=(SectionSpec("tbreport.render.text:build", ("kinds/text.html.j2",)),),
    counts=(("text", lambda sel: sum(len(s) for r in sel.raw_runs for s in r.texts.values())),),
)
