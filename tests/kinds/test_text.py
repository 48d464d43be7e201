"""The text kind: golden, and decode(encode(x)) == x for any string."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tbreport.kinds.text import decode_text, text_value
from tests.golden import check_golden


def test_golden(update_goldens: bool) -> None:
    check_golden("text", text_value("notes", "**bold** ünïcode\nline 2"), update=update_goldens)


@given(st.text())
def test_decode_of_encode(text: str) -> None:
    value = text_value("t", text)
    assert value.tag == "t/text_summary"
    point = decode_text(value, 4, 2.0)
    assert (point.step, point.wall_time, point.shape) == (4, 2.0, (1,))
    assert point.text == text


def test_not_a_string() -> None:
    with pytest.raises(TypeError):
        text_value("t", 3)  # type: ignore[arg-type]
