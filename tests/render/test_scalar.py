from __future__ import annotations

import math

import numpy as np

from tbreport import load
from tbreport.fmt import fmt_float
from tbreport.model import Run, ScalarSeries
from tbreport.options import BuildOptions
from tbreport.render import scalar as scalars
from tbreport.render.base import Context
from tbreport.render.lines import LineChart
from tests.conftest import CORPUS


def test_a_resumed_run_is_drawn_from_its_purged_view_without_zig_zags() -> None:
    run = load(CORPUS / "torch_resume").runs["."]
    assert len(run.scalars["resumed/loss"]) == 33  # raw: steps 12-19 written twice
    ctx = Context(options=BuildOptions(), colors={".": "#123456"})
    section = scalars.build([run.purged()], ctx)
    assert section is not None
    chart = next(i for g in section.groups for i in g.items if i.tag == "resumed/loss")
    assert chart.legend[0].count == 25 and chart.legend[0].step == 24
    spec = chart.chart.spec
    assert isinstance(spec, LineChart)
    assert np.all(np.diff(spec.series[0].x) > 0)  # x strictly increasing: no zig-zag


def test_tags_group_by_their_first_component_and_filter() -> None:
    logdir = load(CORPUS / "torch_scalars")
    runs = [r.purged() for r in logdir.runs.values()]
    ctx = Context(
        options=BuildOptions(tags="^(edge|loss)"), colors={r.name: "#000000" for r in runs}
    )
    section = scalars.build(runs, ctx)
    assert section is not None
    groups = {g.title: [i.tag for i in g.items] for g in section.groups}
    assert groups["loss"] == ["loss"]
    # two of the five edge/ tags hold one or two points: numbers, not charts
    assert all(t.startswith("edge/") for t in groups["edge"]) and len(groups["edge"]) == 3
    values = scalars.build_values(runs, ctx)
    assert values is not None and values.anchor == "single-values"
    numbers = [r.tag for r in values.data["rankings"]]
    assert len(numbers) == 2 and all(t.startswith("edge/") for t in numbers)
    assert not set(numbers) & set(groups["edge"])
    special = Context(
        options=BuildOptions(tags="special"), colors={r.name: "#000000" for r in runs}
    )
    item = scalars.build(runs, special).groups[0].items[0]  # type: ignore[union-attr]
    assert "NaN" in item.legend[0].nonfinite and "+inf" in item.legend[0].nonfinite


def test_min_and_max_of_an_infinite_series_are_infinite() -> None:
    def series(values: list[float]) -> ScalarSeries:
        n = len(values)
        return ScalarSeries(
            "x", np.arange(n, dtype=np.int64), np.arange(n, dtype=np.float64), np.array(values)
        )

    cases = {
        "pos": [math.inf, math.inf],
        "neg": [-math.inf, math.nan],
        "both": [math.inf, -math.inf],
        "mixed": [1.0, math.inf, -2.0],
        "nan": [math.nan],
    }
    runs = [Run(name=k, path=k, scalars={"x": series(v)}) for k, v in cases.items()]
    ctx = Context(options=BuildOptions(), colors={k: "#000000" for k in cases})
    section = scalars.build(runs, ctx)
    assert section is not None
    rows = {
        r.run: (fmt_float(r.minimum), fmt_float(r.maximum))
        for r in section.groups[0].items[0].legend
    }
    assert rows == {
        "pos": ("+inf", "+inf"),
        "neg": ("-inf", "-inf"),
        "both": ("-inf", "+inf"),
        "mixed": ("-2", "1"),  # finite range; the infinities are counted in the note
        "nan": ("NaN", "NaN"),
    }
