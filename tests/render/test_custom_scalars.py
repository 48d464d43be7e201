from __future__ import annotations

import time

import numpy as np
import pytest

from tbreport.model import Chart, ChartCategory, CustomScalarLayout, MarginSeries, Run, ScalarSeries
from tbreport.options import BuildOptions
from tbreport.render import custom_scalars
from tbreport.render.base import Context
from tbreport.render.lines import LineChart


def scalar(tag: str, values: list[float]) -> ScalarSeries:
    n = len(values)
    return ScalarSeries(
        tag, np.arange(n, dtype=np.int64), np.arange(n, dtype=np.float64), np.asarray(values)
    )


def run(name: str, layout: CustomScalarLayout | None = None) -> Run:
    tags = ("train/loss", "val/loss", "loss/mid", "loss/lo", "loss/hi")
    return Run(
        name=name,
        path=name,
        scalars={t: scalar(t, [3.0, 2.0, 1.0]) for t in tags},
        custom_scalar_layout=layout,
    )


LAYOUT = CustomScalarLayout(
    categories=(
        ChartCategory(
            "Training",
            charts=(
                Chart("losses", tags=(r"^(train|val)/loss$",)),
                Chart(
                    "band", kind="margin", margin=(MarginSeries("loss/mid", "loss/lo", "loss/hi"),)
                ),
                Chart("nothing", tags=("^nope$", "(")),  # a bad regex is skipped
            ),
        ),
    )
)


def test_layout_charts_over_every_run_with_a_style_per_tag() -> None:
    runs = [run("a", LAYOUT), run("b")]
    ctx = Context(options=BuildOptions(), colors={"a": "#111111", "b": "#222222"})
    section = custom_scalars.build(runs, ctx)
    assert section is not None and section.count == 3
    losses, band, nothing = section.groups[0].items
    assert [(lg.run, lg.tag) for lg in losses.legend] == [
        ("a", "train/loss"),
        ("a", "val/loss"),
        ("b", "train/loss"),
        ("b", "val/loss"),
    ]
    assert {lg.dash for lg in losses.legend if lg.tag == "train/loss"} == {""}
    assert {lg.dash for lg in losses.legend if lg.tag == "val/loss"} == {"5 2"}
    spec = losses.chart.spec
    assert isinstance(spec, LineChart) and len(spec.series) == 4
    assert isinstance(band.chart.spec, LineChart) and len(band.chart.spec.bands) == 2
    assert nothing.chart is None


def test_tags_filter_applies_and_no_layout_no_section() -> None:
    ctx = Context(options=BuildOptions(tags="^train/"), colors={"a": "#111111"})
    section = custom_scalars.build([run("a", LAYOUT)], ctx)
    assert section is not None
    assert [lg.tag for lg in section.groups[0].items[0].legend] == ["train/loss"]
    assert custom_scalars.build([run("a")], ctx) is None


EVIL = "^(a+)+$"  # backtracks catastrophically on "aaa...a!"


def evil_run() -> Run:
    layout = CustomScalarLayout(
        categories=(
            ChartCategory(
                "Hostile",
                charts=(
                    Chart("evil", tags=(EVIL, "train/l.ss")),
                    Chart("again", tags=(EVIL,)),
                ),
            ),
            ChartCategory("Fine", charts=(Chart("plain", tags=("loss", r"^val/")),)),
        )
    )
    r = run("a", layout)
    r.scalars["a" * 40 + "!"] = scalar("a" * 40 + "!", [1.0])
    return r


def test_a_catastrophic_regex_is_cut_off_and_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(custom_scalars, "MATCH_TIME_LIMIT", 0.3)
    ctx = Context(options=BuildOptions(), colors={"a": "#111111"})
    started = time.monotonic()
    section = custom_scalars.build([evil_run()], ctx)
    assert time.monotonic() - started < 2.0  # would take hours unbounded
    assert section is not None
    evil, again = section.groups[0].items
    assert [lg.tag for lg in evil.legend] == ["train/loss"]  # the normal regex still works
    assert again.chart is None  # the evil one, as literal text, matches nothing
    plain = section.groups[1].items[0]
    assert [lg.tag for lg in plain.legend] == [
        "loss/hi",
        "loss/lo",
        "loss/mid",
        "train/loss",
        "val/loss",
    ]
    assert len(ctx.notes) == 2
    assert all(EVIL in n and "longer than 0.3 s" in n and "literal text" in n for n in ctx.notes)
    assert "'evil'" in ctx.notes[0] and "'again'" in ctx.notes[1]


def test_literal_patterns_need_no_worker_and_no_fork_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    def no_worker(*args: object) -> None:
        raise AssertionError("no regex to match: no worker")

    ctx = Context(options=BuildOptions(), colors={"a": "#111111"})
    literal = CustomScalarLayout(
        categories=(ChartCategory("c", charts=(Chart("x", tags=("loss",)),)),)
    )
    with monkeypatch.context() as m:
        m.setattr(os, "fork", no_worker)
        section = custom_scalars.build([run("a", literal)], ctx)
    assert section is not None and len(section.groups[0].items[0].legend) == 5
    monkeypatch.delattr(os, "fork")
    section = custom_scalars.build([run("a", LAYOUT)], ctx)
    assert section is not None and section.groups[0].items[0].chart is None
    assert any("no fork" in n and "^(train|val)/loss$" in n for n in ctx.notes)


def test_line_charts_go_live_with_the_tag_and_dash_of_each_line() -> None:
    from tbreport.render.chartdata import decode_payload

    runs = [run("a", LAYOUT), run("b")]
    ctx = Context(options=BuildOptions(), colors={"a": "#111111", "b": "#222222"})
    section = custom_scalars.build(runs, ctx)
    assert section is not None
    losses, band, nothing = section.groups[0].items
    text = str(losses.live)
    decoded = decode_payload(text.split(">", 1)[1].rsplit("</script>", 1)[0])
    assert [(d.run, d.label, d.dash, d.color) for d in decoded] == [
        ("a", "train/loss", "", "#111111"),
        ("a", "val/loss", "5 2", "#111111"),
        ("b", "train/loss", "", "#222222"),
        ("b", "val/loss", "5 2", "#222222"),
    ]
    assert all(d.values.tolist() == [3.0, 2.0, 1.0] for d in decoded)
    assert band.live == "" and nothing.live == ""  # a margin chart's bands stay static
    assert ctx.live_charts == 1


def test_steps_near_2p63_are_counted_from_the_first() -> None:
    """A custom chart of steps 2**63-3 .. 2**63-1 (one float64) counts them from the first,
    its margin band too, and stays static (lines.step_origin)."""
    first = 2**63 - 3
    steps = np.arange(3, dtype=np.int64) + np.int64(first)
    near = {
        t: ScalarSeries(t, steps, np.arange(3.0), np.asarray([3.0, 2.0, 1.0]))
        for t in ("train/loss", "val/loss", "loss/mid", "loss/lo", "loss/hi")
    }
    runs = [Run(name="a", path="a", scalars=near, custom_scalar_layout=LAYOUT)]
    ctx = Context(options=BuildOptions(), colors={"a": "#111111"})
    section = custom_scalars.build(runs, ctx)
    assert section is not None
    losses, band, _ = section.groups[0].items
    for item in (losses, band):
        spec = item.chart.spec
        assert isinstance(spec, LineChart) and spec.step_origin == first
        assert spec.series[0].x.tolist() == [0.0, 1.0, 2.0]
    assert band.chart.spec.bands[0][1].tolist() == [0.0, 1.0, 2.0]
    assert losses.live == ""


@pytest.mark.parametrize(
    ("log_y", "want"), [(None, False), (r"^val/", True), ("^losses$", True), ("^nope$", False)]
)
def test_log_y_forces_a_log_axis_by_tag_or_title(log_y: str | None, want: bool) -> None:
    """--log-y matches a custom chart's title or one of its tags, as it matches a scalar
    chart's tag; unmatched, the chart chooses (3.0 .. 1.0: linear)."""
    runs = [run("a", LAYOUT)]
    ctx = Context(options=BuildOptions(log_y=log_y), colors={"a": "#111111"})
    section = custom_scalars.build(runs, ctx)
    assert section is not None
    losses, band, _ = section.groups[0].items
    assert isinstance(losses.chart.spec, LineChart) and losses.chart.spec.log_y is want
    assert band.chart.spec.log_y is False  # a margin chart's bands are linear
