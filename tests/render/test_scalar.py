from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

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


def _live_series(item: scalars.ScalarChart) -> list[Any]:
    from tbreport.render.chartdata import decode_payload

    text = str(item.live)
    start = '<script type="application/json" class="tbc-data">'
    assert text.startswith(start) and text.endswith("</script>")
    return decode_payload(text[len(start) : -len("</script>")])


def test_every_chart_carries_its_lines_for_the_live_layer() -> None:
    restarted = np.array([0, 1, 2, 3, 1, 2, 3, 4], dtype=np.int64)  # a restart after step 3
    values = np.array([5.0, 4.0, 3.5, 3.0, 4.5, 3.25, 2.5, 2.0])
    runs = [
        Run(
            name=name,
            path=name,
            scalars={
                "train/loss": ScalarSeries(
                    "train/loss", restarted, 1000.0 + np.arange(8.0) * (i + 1), values * (i + 1)
                )
            },
        )
        for i, name in enumerate(["a", "b"])
    ]
    colors = {"a": "#112233", "b": "#445566"}
    ctx = Context(options=BuildOptions(smoothing=0.3, x_axis="relative"), colors=colors)
    section = scalars.build(runs, ctx)
    assert section is not None and ctx.live_charts == 1
    item = section.groups[0].items[0]
    decoded = _live_series(item)
    # every logged point, in the order logged: each attempt its own line, as the static
    # chart draws it (colour, label, drawn raw: 4 points are sparse)
    assert [(d.run, d.label) for d in decoded] == [
        ("a", "attempt 1"),
        ("a", "attempt 2"),
        ("b", "attempt 1"),
        ("b", "attempt 2"),
    ]
    spec = item.chart.spec
    assert isinstance(spec, LineChart)
    assert [d.color for d in decoded] == [s.color for s in spec.series]
    assert decoded[0].color == "#112233" and decoded[2].color == "#445566"
    for i, name in enumerate(["a", "b"]):
        mine = [d for d in decoded if d.run == name]
        assert np.concatenate([d.steps for d in mine]).tolist() == restarted.tolist()
        assert np.concatenate([d.values for d in mine]).tolist() == (values * (i + 1)).tolist()
        assert all(d.start_time == 1000.0 and not d.smooth for d in mine)
    payload = json.loads(str(item.live).split(">", 1)[1].rsplit("<", 1)[0])
    assert payload["smoothing"] == 0.3 and payload["x"] == "relative" and payload["log"] is False
    assert payload["tag"] == "train/loss"


def _loss_runs(names: list[str]) -> list[Run]:
    """Runs with a 5-point ``loss`` each, the i-th offset by i."""
    return [
        Run(
            name=n,
            path=n,
            scalars={
                "loss": ScalarSeries("loss", np.arange(5), np.arange(5.0), np.arange(5.0) + i)
            },
        )
        for i, n in enumerate(names)
    ]


def test_a_chart_with_group_bands_stays_static() -> None:
    runs = _loss_runs(["g1_a", "g1_b"])
    ctx = Context(
        options=BuildOptions(group_by=r"_[ab]$"),
        colors={"g1_a": "#111111", "g1_b": "#222222", "g1*": "#333333"},
    )
    section = scalars.build(runs, ctx)
    assert section is not None
    item = section.groups[0].items[0]
    assert isinstance(item.chart.spec, LineChart) and item.chart.spec.bands
    assert item.live == "" and ctx.live_charts == 0


def test_a_baseline_line_goes_with_the_live_chart() -> None:

    runs = _loss_runs(["base", "other"])
    ctx = Context(
        options=BuildOptions(baseline="base"), colors={"base": "#111111", "other": "#222222"}
    )
    section = scalars.build(runs, ctx)
    assert section is not None
    item = section.groups[0].items[0]
    assert '"refs":[["#111111",4.0]]' in str(item.live)


def test_a_restarted_run_is_drawn_per_attempt_and_its_legend_agrees_with_scalars(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tbreport.cli import main
    from tbreport.metrics import attempt_starts
    from tbreport.select import select
    from tests import logdirs

    root = logdirs.build_restarted(tmp_path / "restarted")
    selection = select(load(root))
    ctx = Context(options=BuildOptions(), colors=selection.colors)
    section = scalars.build(selection.runs, ctx)
    assert section is not None
    item = next(i for g in section.groups for i in g.items if i.tag == "Eval_AverageReturn")
    spec = item.chart.spec
    assert isinstance(spec, LineChart)
    run = next(r for r in selection.runs if r.name == "HalfCheetah-v4_ppo")
    attempts = attempt_starts(run.scalars["Eval_AverageReturn"].steps).size
    assert attempts == 5  # six attempts, one of them purged into its predecessor
    mine = [s for s in spec.series if s.label.startswith("attempt")]
    assert [s.label for s in mine] == [f"attempt {k}" for k in range(1, attempts + 1)]
    for s in spec.series:  # no line goes back: no zig-zag
        assert np.all(np.diff(s.x) >= 0), s.label
    assert len({s.color for s in mine}) == attempts  # shades of one colour
    assert mine[0].color == selection.colors["HalfCheetah-v4_ppo"]
    # the legend is over every logged point, as `tbreport scalars` exports them
    assert main(["scalars", str(root), "--format", "csv"]) == 0
    rows = [
        r
        for r in csv.DictReader(io.StringIO(capsys.readouterr().out))
        if r["run"] == "HalfCheetah-v4_ppo" and r["tag"] == "Eval_AverageReturn"
    ]
    row = next(r for r in item.legend if r.run == "HalfCheetah-v4_ppo")
    values = [float(r["value"]) for r in rows]
    # `tbreport scalars` exports every record as written; the charts draw the purged view
    # (attempt 4's purge_step drops what it overwrote, as TensorBoard does): no other
    # point is left out
    raw = next(r for r in selection.raw_runs if r.name == run.name)
    purged = len(raw.scalars["Eval_AverageReturn"]) - len(run.scalars["Eval_AverageReturn"])
    assert len(raw.scalars["Eval_AverageReturn"]) == len(rows) and 0 < purged < 10
    assert row.count == len(rows) - purged == sum(p.count for p in row.parts)
    assert row.maximum == pytest.approx(max(values)) == pytest.approx(280.4, abs=0.05)
    assert row.last == pytest.approx(values[-1]) and row.step == int(rows[-1]["step"])
    assert row.attempts == attempts and len(row.parts) == attempts
    assert [p.color for p in row.parts] == [s.color for s in mine]
    assert max(p.maximum for p in row.parts) == row.maximum
    clean = next(r for r in item.legend if r.run == "Hopper-v4_ppo")
    assert clean.attempts == 1 and clean.parts == []


def test_the_realistic_charts_follow_the_drawing_rules(tmp_path: Path) -> None:
    from tbreport.select import select
    from tests import logdirs

    root = logdirs.build_realistic(tmp_path / "realistic", graph=False)
    selection = select(load(root))

    def specs(options: BuildOptions) -> dict[str, LineChart]:
        ctx = Context(options=options, colors=selection.colors)
        section = scalars.build(selection.runs, ctx)
        assert section is not None
        out = {i.tag: i.chart.spec for g in section.groups for i in g.items}
        assert all(isinstance(s, LineChart) for s in out.values())
        return out  # type: ignore[return-value]

    charts = specs(BuildOptions())
    # the live layer starts as the static chart: log toggle, raw or smoothed, banded
    ctx = Context(options=BuildOptions(), colors=selection.colors)
    built = scalars.build(selection.runs, ctx)
    assert built is not None
    items = {i.tag: i for g in built.groups for i in g.items}
    payload = json.loads(str(items["train/lr"].live).split(">", 1)[1].rsplit("<", 1)[0])
    assert payload["log"] is True and all(m.get("ns") == 1 for m in payload["series"])
    assert all(not d.smooth and not d.band for d in _live_series(items["train/lr"]))
    assert all(d.smooth and d.band for d in _live_series(items["train/grad_norm"]))
    assert all(not d.smooth for d in _live_series(items["val/acc"]))
    lr, grad, loss, val = (
        charts[t] for t in ("train/lr", "train/grad_norm", "train/loss", "val/acc")
    )
    # the lr schedules: raw, and on a log axis (cosine decays over 4 decades)
    assert lr.log_y and all(s.smoothed is None and s.band is None for s in lr.series)
    # 2,001 noisy points per run: a smoothed line over a min-max band
    assert not grad.log_y and all(s.smoothed is not None and s.band for s in grad.series)
    assert all(s.smoothed is not None for s in loss.series)
    # 21 validation points: raw, nothing lags
    assert all(s.smoothed is None for s in val.series) and not val.log_y
    asked = specs(BuildOptions(log_y="loss$", always_smooth="^val/"))
    assert asked["train/loss"].log_y and not asked["train/grad_norm"].log_y
    assert all(s.smoothed is not None for s in asked["val/acc"].series)
