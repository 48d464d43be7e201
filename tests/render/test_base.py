from __future__ import annotations

import pytest

from tbreport.options import BuildOptions
from tbreport.render.base import ChartSlot, Context, group_by_prefix
from tbreport.render.charts import Rendered
from tbreport.render.lines import LineChart


def test_group_by_prefix_like_tensorboard() -> None:
    groups = group_by_prefix(["train/loss", "loss", "train/acc", "a/b/c", "<x>/y"])
    assert groups == {
        "<x>": ["<x>/y"],
        "a": ["a/b/c"],
        "loss": ["loss"],
        "train": ["train/acc", "train/loss"],
    }


def test_chart_markup_escapes_alt_text() -> None:
    slot = ChartSlot(
        spec=LineChart(series=(), ylim=(0.0, 1.0)), salt="s", alt='chart of <b>"x"</b>'
    )
    assert slot.html == ""
    slot.rendered = Rendered(width=10, height=5, data_uri="data:image/png;base64,AA==")
    assert 'alt="chart of &lt;b&gt;&#34;x&#34;&lt;/b&gt;"' in str(slot.html)
    slot.rendered = Rendered(width=10, height=5, svg="<svg></svg>")
    assert 'aria-label="chart of &lt;b&gt;' in str(slot.html) and "<svg></svg>" in str(slot.html)


def test_context_notes_once_and_filters_tags(caplog: pytest.LogCaptureFixture) -> None:
    ctx = Context(options=BuildOptions(tags="^train/"), colors={})
    ctx.note("dot is missing")
    ctx.note("dot is missing")
    assert ctx.notes == ["dot is missing"] and len(caplog.records) == 1
    assert ctx.want_tag("train/loss") and not ctx.want_tag("val/loss")
    first = ctx.chart(LineChart(series=(), ylim=(0.0, 1.0)), "a")
    second = ctx.chart(LineChart(series=(), ylim=(0.0, 1.0)), "b")
    assert first.salt != second.salt  # inline SVG ids never collide
