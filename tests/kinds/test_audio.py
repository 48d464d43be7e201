"""The audio kind: golden (WAV bytes from the standard library), and decode(encode(x))."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from tbreport.kinds.audio import audio_value, decode_audio
from tbreport.proto import summary_pb2
from tests.golden import check_golden

SAMPLES = np.sin(np.linspace(0, 4 * np.pi, 32)) * 0.5


def test_golden(update_goldens: bool) -> None:
    check_golden("audio_mono", audio_value("a", SAMPLES, 8000), update=update_goldens)
    stereo = np.stack([SAMPLES, -SAMPLES], axis=1)
    check_golden("audio_stereo", audio_value("a", stereo, 16000), update=update_goldens)


def test_decode_of_encode() -> None:
    point = decode_audio(audio_value("a", SAMPLES, 8000), 1, 2.0)
    (clip,) = point.clips
    assert (clip.sample_rate, clip.num_channels, clip.length_frames) == (8000, 1, 32)
    assert clip.duration == pytest.approx(32 / 8000)
    with wave.open(io.BytesIO(clip.data)) as wav:
        pcm = np.frombuffer(wav.readframes(32), dtype="<i2")
    assert np.array_equal(pcm, (SAMPLES * 32767).astype("<i2"))


def test_tensor_form_decodes_like_the_legacy_form() -> None:
    legacy = decode_audio(audio_value("a", SAMPLES, 8000), 0, 0.0).clips[0]
    value = summary_pb2.Summary.Value(tag="a")
    value.metadata.plugin_data.plugin_name = "audio"
    value.tensor.dtype = 7
    value.tensor.tensor_shape.dim.add(size=1)
    value.tensor.tensor_shape.dim.add(size=2)
    value.tensor.string_val.extend([legacy.data, b"label"])
    (clip,) = decode_audio(value, 0, 0.0).clips
    assert (clip.data, clip.sample_rate, clip.num_channels, clip.length_frames) == (
        legacy.data,
        8000,
        1,
        32,
    )
    assert clip.label == "label"
