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


def test_a_failure_is_an_escaped_card_a_health_line_and_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctx = Context(options=BuildOptions(), colors={})
    with caplog.at_level("DEBUG", logger="tbreport"):
        try:
            raise ValueError("<script>x</script>")
        except ValueError as exc:
            failure = ctx.failed("<b>tag</b>", exc, "scalars")
    assert failure.text == "could not draw <b>tag</b>: ValueError: <script>x</script>"
    html = str(failure.html)
    assert "<script>" not in html and "&lt;b&gt;tag&lt;/b&gt;" in html
    assert ctx.notes == ["could not draw <b>tag</b> (scalars): ValueError: <script>x</script>"]
    assert ctx.failures == [failure]
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert [r.getMessage() for r in warnings] == ctx.notes
    debug = [r.getMessage() for r in caplog.records if r.levelname == "DEBUG"]
    assert len(debug) == 1 and "Traceback (most recent call last)" in debug[0]
    slot = ChartSlot(spec=LineChart(series=(), ylim=(0.0, 1.0)), salt="s", failed=failure)
    assert str(slot.html) == html


def test_mark_and_undo_forget_a_failed_attempt() -> None:
    ctx = Context(options=BuildOptions(), colors={})
    ctx.chart(LineChart(series=(), ylim=(0.0, 1.0)))
    anchor = ctx.anchors.make("x")
    mark = ctx.mark()
    ctx.chart(LineChart(series=(), ylim=(0.0, 1.0)))
    ctx.note("half-way")
    y = ctx.anchors.make("y")
    ctx.undo(mark)
    assert len(ctx.charts) == 1 and ctx.notes == []
    assert ctx.anchors.make("x") == anchor + "-2"  # kept from before the mark
    assert ctx.anchors.make("y") == y  # made after it: free again
    with ctx.tags_limited(only={"a"}):
        assert ctx.want_tag("a") and not ctx.want_tag("b")
    with ctx.tags_limited(skip={"a"}):
        assert not ctx.want_tag("a") and ctx.want_tag("b")
    assert ctx.want_tag("a") and ctx.want_tag("b")
