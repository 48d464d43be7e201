"""``huge_claims``: tiny records that claim enormous sizes, one case per run.

Raw protos (tbreport's, framed with ``encode_record``): no writer produces these
on purpose, but a bit flip in a length or a shape field does, and a reader that
trusts the claim allocates it. Every run holds one record of its case after the
header (plus, for contrast, one ordinary scalar ``ok/loss``), so each failure can
be observed alone. ``HUGE`` = 10**10 elements, ``LARGE`` = 10**7.

============================  ============================================================
run                           the record
============================  ============================================================
``text_shape_huge``           a text summary (plugin ``text``): one ``string_val``
                              ``"hello"``, shape ``[100000, 100000]`` (~170 bytes)
``text_shape_large``          the same with shape ``[10000, 1000]`` (10**7 elements)
``text_shape_under_cap``      one 90-byte ``string_val``, shape ``[2000, 2000]``
                              (4*10**6 elements, 360 MB once padded; ~170 bytes)
``image_claimed_size``        legacy ``Summary.Image`` declaring 2**31-1 x 2**31-1,
                              colorspace 4, around a real 1x1 PNG
``image_png_header``          legacy ``Summary.Image`` whose PNG's IHDR claims
                              30000x30000 RGB with a 2-byte IDAT (a decompression bomb
                              header: 2.7 GB decoded)
``image_tensor_batch``        TF2 image tensor (plugin ``images``): one PNG string
                              and shape ``[10**10]`` (a batch of 10**10 - 2 images)
``image_tensor_under_cap``    TF2 image tensor ``["1", "1", png]`` (a 1x1 PNG) with
                              shape ``[4*10**6]``: TF's rule repeats the last value,
                              so it claims ~4*10**6 images (~180 bytes)
``audio_claimed_frames``      legacy ``Summary.Audio``: 44.1 kHz, 2**31-1 channels,
                              ``length_frames`` 2**62, around a real 10-sample WAV
``audio_wav_header``          legacy audio whose WAV header claims a 4 GB data chunk
``audio_tensor``              TF2 audio tensor (plugin ``audio``): one WAV string,
                              shape ``[10**9, 10]``
``histogram_tensor``          TF2 histogram tensor (plugin ``histograms``): one
                              ``double_val``, shape ``[10**9, 3]``
``histogram_empty_tensor``    TF2 histogram tensor with no values at all and shape
                              ``[10**9, 3]`` (readers often ``zeros(shape)`` it)
``pr_curve_thresholds``       PR-curve tensor (plugin ``pr_curves``, content
                              ``num_thresholds=10**9``): one ``float_val``, shape
                              ``[6, 10**9]``
``scalar_tensor_shape``       a ``scalars`` tensor with one ``float_val`` and shape
                              ``[10**10]`` (a "scalar" that is not one)
``graph_claims``              a 3-node ``GraphDef`` whose ``Const`` value claims
                              ``[10**6, 10**6]`` and whose ``_output_shapes`` claim
                              ``2**62`` per dimension
``hparams_counts``            hparams: an experiment of 20,000 hparams, one with a
                              50,000-value discrete domain, and a session start
                              with 20,000 values (~1 MB)
============================  ============================================================

What TensorBoard 2.21 does with them (its readers in a child process capped at
2 GB of address space; ``tests/test_logdirs.py`` pins this down): loading is safe
for every run, because the accumulators keep the protos as they are: ``ok/loss``
is read everywhere, and the legacy image claims are reported as claimed
(2147483647 x 2147483647, 30000 x 30000). The allocation happens when a plugin
turns a tensor into an array with ``tensor_util.make_ndarray``, as the text,
image, audio, histogram, PR-curve and scalar plugins do to serve the dashboard:
a single value is ``np.repeat``-ed to the claimed element count. That raises
``MemoryError`` ("Unable to allocate 74.5 GiB ...") for ``text_shape_huge``,
``image_tensor_batch``, ``audio_tensor``, ``histogram_tensor``,
``pr_curve_thresholds`` and ``scalar_tensor_shape``; ``text_shape_large`` gives a
10**7-element array and ``text_shape_under_cap`` a 4*10**6-element one;
``image_tensor_under_cap`` and ``histogram_empty_tensor`` raise ``ValueError``
(cannot reshape: ``make_ndarray`` repeats only a lone value).

tbreport at ``e0cfbc3``: ``tbreport.load`` of the whole logdir takes ~10 s and
~2 GB (it repeats the last value, as TF does, and counts elements against a
4,194,304 cap, so the two ``under_cap`` cases are expanded); ``tbreport build``
of one run at a time: every run builds in ~2 s except ``text_shape_under_cap``
and ``image_tensor_under_cap`` (still running after 60 s at 3.7 GB) and
``hparams_counts`` (18 s, a 9.8 MB report).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from tbreport.proto import event_pb2, graph_pb2, hparams_pb2, summary_pb2, tensor_pb2, types_pb2
from tests.logdirs._graphs import GraphBuilder
from tests.logdirs._write import START, RawEventFile, fresh, metadata, png, simple_value

HUGE = 10**10
LARGE = 10**7
UNDER_CAP = 4_000_000
"""Just under the 4,194,304-element cap of tbreport's reader today (it counts elements, not bytes)."""


def _tensor(dtype: int, shape: list[int], **values: Any) -> tensor_pb2.TensorProto:
    t = tensor_pb2.TensorProto(dtype=dtype, **values)
    for d in shape:
        t.tensor_shape.dim.add(size=d)
    return t


def _value(tag: str, tensor: tensor_pb2.TensorProto, plugin: str, content: bytes = b"") -> Any:
    return summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=metadata(plugin, content))


def png_bomb_header(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG whose IHDR claims ``width x height`` RGB, with a 2-byte (empty) IDAT stream."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"\x78\x9c")
        + chunk(b"IEND", b"")
    )


def wav(samples: int = 10, *, claimed_data: int | None = None) -> bytes:
    """A 16-bit mono 8 kHz WAV of ``samples`` zeros; ``claimed_data`` overrides the data size."""
    data = b"\x00\x00" * samples
    size = len(data) if claimed_data is None else claimed_data
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    riff = min(36 + size, 0xFFFFFFFF)
    return (
        b"RIFF"
        + struct.pack("<I", riff)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", size)
        + data
    )


def _graph() -> graph_pb2.GraphDef:
    g = GraphBuilder()
    big = [2**62, 2**62]
    t = _tensor(types_pb2.DT_FLOAT, [10**6, 10**6], float_val=[1.0])
    g.node("huge/const", "Const", shapes=(big,), dtype_attr="dtype", attrs={"value": t})
    g.node("huge/identity", "Identity", ["huge/const"], shapes=(big,))
    g.node("huge/output", "Relu", ["huge/identity"], shapes=(big,))
    return g.graph


def _hparams() -> list[Any]:
    exp = hparams_pb2.Experiment()
    for i in range(20_000):
        exp.hparam_infos.add(name=f"h{i}", type=hparams_pb2.DATA_TYPE_FLOAT64)
    domain = exp.hparam_infos.add(name="choice", type=hparams_pb2.DATA_TYPE_STRING)
    for i in range(50_000):
        domain.domain_discrete.values.add(string_value=f"v{i}")
    exp.metric_infos.add().name.tag = "loss"
    ssi = hparams_pb2.SessionStartInfo()
    for i in range(20_000):
        ssi.hparams[f"h{i}"].number_value = float(i)
    values = []
    for tag, field in (
        ("_hparams_/experiment", "experiment"),
        ("_hparams_/session_start_info", "session_start_info"),
    ):
        data = hparams_pb2.HParamsPluginData(version=0)
        getattr(data, field).CopyFrom(exp if field == "experiment" else ssi)
        meta = metadata("hparams", data.SerializeToString(deterministic=True))
        values.append(summary_pb2.Summary.Value(tag=tag, metadata=meta))
    return values


def _text_and_image_cases() -> dict[str, list[Any]]:
    tiny_png = png(np.zeros((1, 1, 3), dtype=np.uint8))
    text = types_pb2.DT_STRING
    return {
        "text_shape_huge": [
            _value("text", _tensor(text, [10**5, 10**5], string_val=[b"hello"]), "text")
        ],
        "text_shape_large": [
            _value("text", _tensor(text, [10**4, 10**3], string_val=[b"hello"]), "text")
        ],
        "text_shape_under_cap": [
            _value("text", _tensor(text, [2000, 2000], string_val=[b"x" * 90]), "text")
        ],
        "image_claimed_size": [_legacy_image(tiny_png, 2**31 - 1, 2**31 - 1, 4)],
        "image_png_header": [_legacy_image(png_bomb_header(), 30000, 30000, 3)],
        "image_tensor_batch": [
            _value("image", _tensor(text, [HUGE], string_val=[tiny_png]), "images")
        ],
        "image_tensor_under_cap": [
            _value("image", _tensor(text, [UNDER_CAP], string_val=[b"1", b"1", tiny_png]), "images")
        ],
    }


def _legacy_image(data: bytes, height: int, width: int, colorspace: int) -> Any:
    image = summary_pb2.Summary.Image(
        height=height, width=width, colorspace=colorspace, encoded_image_string=data
    )
    return summary_pb2.Summary.Value(tag="image", image=image)


def _legacy_audio(data: bytes, rate: float, channels: int, frames: int) -> Any:
    audio = summary_pb2.Summary.Audio(
        sample_rate=rate,
        num_channels=channels,
        length_frames=frames,
        encoded_audio_string=data,
        content_type="audio/wav",
    )
    return summary_pb2.Summary.Value(tag="audio", audio=audio)


def _audio_and_tensor_cases() -> dict[str, list[Any]]:
    dbl, flt = types_pb2.DT_DOUBLE, types_pb2.DT_FLOAT
    return {
        "audio_claimed_frames": [_legacy_audio(wav(), 44100, 2**31 - 1, 2**62)],
        "audio_wav_header": [_legacy_audio(wav(claimed_data=0xFFFFFFF0), 8000, 1, 10)],
        "audio_tensor": [
            _value(
                "audio",
                _tensor(types_pb2.DT_STRING, [10**9, 10], string_val=[wav()]),
                "audio",
                b"\x10\x01",
            )
        ],
        "histogram_tensor": [
            _value("histogram", _tensor(dbl, [10**9, 3], double_val=[1.0]), "histograms")
        ],
        "histogram_empty_tensor": [_value("histogram", _tensor(dbl, [10**9, 3]), "histograms")],
        # PrCurvePluginData{version: 0, num_thresholds: 10**9}
        "pr_curve_thresholds": [
            _value(
                "pr",
                _tensor(flt, [6, 10**9], float_val=[0.5]),
                "pr_curves",
                b"\x10\x80\x94\xeb\xdc\x03",
            )
        ],
        "scalar_tensor_shape": [_value("loss", _tensor(flt, [HUGE], float_val=[0.5]), "scalars")],
    }


def cases() -> dict[str, list[Any]]:
    """Run name -> the ``Summary.Value``\\ s of its one hostile record (``graph_claims`` apart)."""
    return {**_text_and_image_cases(), **_audio_and_tensor_cases(), "hparams_counts": _hparams()}


def build_huge_claims(root: Path | str, *, scale: int = 1) -> Path:
    """Write the ``huge_claims`` logdir into ``root`` (replaced); ``scale`` is unused."""
    del scale
    out = fresh(root)
    for k, (run, values) in enumerate(sorted(cases().items())):
        with RawEventFile(out / run, START + k) as f:
            f.summary(0, START + k + 0.5, simple_value("ok/loss", 1.0))
            f.summary(1, START + k + 1.0, *values)
    with RawEventFile(out / "graph_claims", START + 99) as f:
        f.summary(0, START + 99.5, simple_value("ok/loss", 1.0))
        f.add(
            event_pb2.Event(
                wall_time=START + 100, graph_def=_graph().SerializeToString(deterministic=True)
            )
        )
    return out


def claims(*, scale: int = 1) -> dict[str, Any]:
    """Every run holds ``ok/loss`` (one point) beside its hostile record."""
    del scale
    runs = {run: {"scalars": {"ok/loss": 1}} for run in cases()}
    runs["graph_claims"] = {"scalars": {"ok/loss": 1}, "graph_nodes": 3}
    return runs
