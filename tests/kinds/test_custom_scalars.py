"""The custom-scalars kind: golden of the layout value, and decoding it back."""

from __future__ import annotations

import pytest

from tbreport.kinds.custom_scalars import CONFIG_TAG, decode_layout, layout_value
from tests.golden import check_golden

LAYOUT = {
    "Losses": {
        "train vs val": ["Multiline", ["loss/train", "loss/val"]],
        "val with bounds": ["Margin", ["loss/val", "loss/val_lo", "loss/val_hi"]],
    },
    "Other": {"all accuracies": ["Multiline", [r"acc.*"]]},
}


def test_golden(update_goldens: bool) -> None:
    check_golden("custom_scalars_layout", layout_value(LAYOUT), update=update_goldens)


def test_decode_of_encode() -> None:
    value = layout_value(LAYOUT)
    assert value.tag == CONFIG_TAG
    layout = decode_layout(value)
    assert [c.title for c in layout.categories] == ["Losses", "Other"]
    multi, margin = layout.categories[0].charts
    assert (multi.kind, multi.tags) == ("multiline", ("loss/train", "loss/val"))
    assert margin.kind == "margin" and margin.margin[0].upper == "loss/val_hi"


def test_bad_layouts() -> None:
    with pytest.raises(ValueError, match="3 tags"):
        layout_value({"c": {"m": ["Margin", ["a"]]}})
    with pytest.raises(ValueError, match="chart kind"):
        layout_value({"c": {"m": ["Pie", ["a"]]}})
