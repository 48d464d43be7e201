from __future__ import annotations

from tbreport.model import AudioClip, AudioPoint, Run, Series
from tbreport.options import BuildOptions
from tbreport.render import audio
from tbreport.render.base import Context


def test_every_clip_becomes_a_data_uri_player() -> None:
    clip = AudioClip(
        data=b"RIFF....WAVE",
        sample_rate=8000.0,
        num_channels=1,
        length_frames=1600,
        content_type="",
    )
    points = [AudioPoint(step=s, wall_time=0.0, clips=(clip, clip)) for s in (0, 1)]
    run = Run(name="r", path="r", audio={"a": Series(tag="a", points=points)})
    ctx = Context(options=BuildOptions(), colors={"r": "#000000"})
    section = audio.build([run], ctx)
    assert section is not None
    item = section.groups[0].items[0]
    assert [s.step for s in item.steps] == [1, 0]
    c = item.steps[0].clips[0]
    uri = ctx.media.page(c.uri).expand()  # the page holds a placeholder until it is written
    assert c.mime == "audio/wav" and uri.startswith("data:audio/wav;base64,") and c.duration == 0.2
