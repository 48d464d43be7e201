from __future__ import annotations

from tbreport.model import Run, Series, TextPoint
from tbreport.options import BuildOptions
from tbreport.render import text as texts
from tbreport.render.base import Context


def test_text_tags_lose_the_torch_suffix_and_show_the_last_step_first() -> None:
    points = [
        TextPoint(step=0, wall_time=0.0, values=("first",), shape=()),
        TextPoint(step=5, wall_time=1.0, values=("<script>alert(1)</script>",), shape=()),
    ]
    run = Run(
        name="r",
        path="r",
        texts={"notes/text_summary": Series(tag="notes/text_summary", points=points)},
    )
    section = texts.build([run], Context(options=BuildOptions(), colors={"r": "#000000"}))
    assert section is not None
    item = section.groups[0].items[0]
    assert item.tag == "notes"
    assert [e.step for e in item.entries] == [5, 0]
    assert "&lt;script&gt;" in item.entries[0].html and "<script" not in item.entries[0].html
    assert texts.display_tag("/text_summary") == "/text_summary"
