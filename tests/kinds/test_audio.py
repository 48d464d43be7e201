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


def test_a_wav_says_what_it_holds_whatever_the_claims() -> None:
    from tests.logdirs.huge_claims import wav

    legacy = summary_pb2.Summary.Audio(
        sample_rate=44100, num_channels=2**31 - 1, length_frames=2**62, encoded_audio_string=wav()
    )
    (clip,) = decode_audio(summary_pb2.Summary.Value(tag="a", audio=legacy), 0, 0.0).clips
    assert (clip.sample_rate, clip.num_channels, clip.length_frames) == (8000.0, 1, 10)
    assert clip.duration == 10 / 8000
    # a header claiming a 4 GB data chunk: the frames are those the bytes hold
    legacy.encoded_audio_string = wav(claimed_data=0xFFFFFFF0)
    (clip,) = decode_audio(summary_pb2.Summary.Value(tag="a", audio=legacy), 0, 0.0).clips
    assert clip.length_frames == 10
    # not a WAV: the declared values stand
    legacy.encoded_audio_string = b"OggS" + bytes(40)
    (clip,) = decode_audio(summary_pb2.Summary.Value(tag="a", audio=legacy), 0, 0.0).clips
    assert (clip.sample_rate, clip.length_frames) == (44100.0, 2**62)
