from __future__ import annotations

import numpy as np

from tbreport.model import Chart, ChartCategory, CustomScalarLayout, MarginSeries, Run, ScalarSeries
from tbreport.render import custom_scalars
from tbreport.render.base import BuildOptions, Context
from tbreport.render.charts import LineChart


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
