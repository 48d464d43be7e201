"""The audio summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

import io
import logging
import struct
import wave
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tbreport.kinds._arrays import to_float, to_numpy
from tbreport.kinds._tensors import tensor_to_array
from tbreport.kinds.base import Point, SectionSpec, SeriesKind
from tbreport.proto import summary_pb2

# --- the data (re-exported by tbreport.model) ---


@dataclass(frozen=True)
class AudioClip:
    """One encoded audio clip (WAV, usually)."""

    data: bytes
    sample_rate: float = 0.0
    num_channels: int = 0
    length_frames: int = 0
    content_type: str = "audio/wav"
    label: str = ""

    @property
    def duration(self) -> float:
        """Seconds, when the writer recorded frames and rate (else 0.0)."""
        return self.length_frames / self.sample_rate if self.sample_rate else 0.0


@dataclass(frozen=True)
class AudioPoint(Point):
    clips: tuple[AudioClip, ...] = ()


logger = logging.getLogger(__name__)

PLUGIN_NAME = "audio"

# --- encode (writer side) ---


def encode_wav(samples: npt.NDArray[Any], sample_rate: int) -> tuple[bytes, int, int]:
    """16-bit PCM WAV bytes (standard library ``wave``), with the channel and frame counts."""
    frames = samples if samples.ndim == 2 else samples[:, None]
    pcm = (frames * 32767.0).astype("<i2")  # truncation, as torch and tensorboardX do
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(pcm.shape[1])
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())
    return out.getvalue(), pcm.shape[1], pcm.shape[0]


def audio_value(tag: str, snd_tensor: Any, sample_rate: Any = 44100) -> summary_pb2.Summary.Value:
    """A legacy ``Summary.Audio`` WAV value. Samples are floats in [-1, 1]; louder ones are clipped.

    Accepts mono ``[L]`` (or any shape that squeezes to it) and multi-channel ``[L, C]``.
    """
    arr = to_numpy(snd_tensor, "snd_tensor")
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"snd_tensor must be numeric, got dtype {arr.dtype}")
    arr = arr.astype(np.float64).squeeze()
    if arr.ndim == 0 or arr.ndim > 2 or arr.size == 0:
        raise ValueError(
            f"snd_tensor must be 1-D [samples] or 2-D [samples, channels], got shape "
            f"{tuple(to_numpy(snd_tensor).shape)}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("snd_tensor holds NaN or infinite samples")
    rate = to_float(sample_rate, "sample_rate")
    if not rate > 0 or rate != int(rate):
        raise ValueError(f"sample_rate must be a positive integer, got {sample_rate!r}")
    peak = float(np.abs(arr).max())
    if peak > 1:
        logger.warning("audio %r: amplitude %.3g is outside [-1, 1]; clipped", tag, peak)
        arr = arr.clip(-1, 1)
    data, channels, frames = encode_wav(arr, int(rate))
    audio = summary_pb2.Summary.Audio(
        sample_rate=rate,
        num_channels=channels,
        length_frames=frames,
        encoded_audio_string=data,
        content_type="audio/wav",
    )
    return summary_pb2.Summary.Value(tag=tag, audio=audio)


# --- decode (reader side) ---


def _wav_info(data: bytes) -> tuple[float, int, int]:
    """(sample rate, channels, frames) from a RIFF/WAVE header; zeros if not one.

    Frames are those the bytes hold: a header claiming a 4 GB data chunk in 60 bytes
    counts the 60 bytes."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return 0.0, 0, 0
    pos, rate, channels, block = 12, 0, 0, 0
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if chunk == b"fmt " and size >= 16 and pos + 24 <= len(data):
            channels, rate = struct.unpack_from("<HI", data, pos + 10)
            block = struct.unpack_from("<H", data, pos + 20)[0]
        elif chunk == b"data":
            size = min(size, len(data) - pos - 8)
            return float(rate), channels, size // block if block else 0
        pos += 8 + size + (size & 1)
    return float(rate), channels, 0


def decode_audio(value: summary_pb2.Summary.Value, step: int, wall_time: float) -> AudioPoint:
    """Audio clips of one value: legacy ``Summary.Audio``, or TF2's string tensor
    ``[k, 2]`` of (encoded audio, label). Bytes stay encoded; rate and length of a
    tensor clip are read from its WAV header.
    """
    if value.WhichOneof("value") == "audio":
        a = value.audio
        data = bytes(a.encoded_audio_string)
        rate, channels, frames = float(a.sample_rate), int(a.num_channels), int(a.length_frames)
        wav_rate, wav_channels, wav_frames = _wav_info(data)
        if wav_rate > 0 and wav_channels > 0:
            # A WAV says what it holds (frames counted in its bytes, never its claim);
            # the browser plays that, whatever Summary.Audio declares.
            rate, channels, frames = wav_rate, wav_channels, wav_frames
        clip = AudioClip(data, rate, channels, frames, a.content_type or "audio/wav")
        return AudioPoint(step, wall_time, (clip,))
    arr = tensor_to_array(value.tensor)
    if arr.dtype != object or arr.ndim not in (1, 2):
        raise ValueError(f"an audio tensor must be [k, 2] strings, got {arr.dtype} {arr.shape}")
    rows = arr.reshape(arr.shape[0], -1) if arr.ndim == 2 else arr.reshape(-1, 1)
    clips = []
    for row in rows:
        data = bytes(row[0])
        label = bytes(row[1]).decode("utf-8", "replace") if row.shape[0] > 1 else ""
        rate, channels, frames = _wav_info(data)
        clips.append(AudioClip(data, rate, channels, frames, "audio/wav", label))
    return AudioPoint(step, wall_time, tuple(clips))


# --- the kind ---

KIND = SeriesKind(
    name="audio",
    module="audio",
    attr="audio",
    plugin_names=(PLUGIN_NAME,),
    legacy_field="audio",
    decode=decode_audio,
    sections=(SectionSpec("tbreport.render.audio:build", ("kinds/audio.html.j2",)),),
    media=lambda s: [
        [(len(c.data), c.content_type or "audio/wav") for c in p.clips] for p in s.points
    ],
    counts=(
        (
            "audio clip",
            lambda sel: sum(
                len(p.clips) for r in sel.raw_runs for s in r.audio.values() for p in s.points
            ),
        ),
    ),
)
