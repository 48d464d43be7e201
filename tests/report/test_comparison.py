"""Run comparison: values per step, aggregates, directions, sparklines, deltas, groups,
bands, the comparison table and its CSV."""

from __future__ import annotations

import base64
import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest

import tbreport
from tbreport.report.comparison import build_comparison
from tbreport.select import check_baseline, select
from tests.sweep import MARKUP_RUN, make_sweep


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sweep(tmp_path_factory.mktemp("sweep"))


def test_check_baseline_names_the_choices() -> None:
    check_baseline("a", ["a", "b"])
    check_baseline("g/*", ["a"], ["g/*"])
    with pytest.raises(
        ValueError, match=r"--baseline 'c' is not a run of the report \(runs: a, b; groups: g/\*\)"
    ):
        check_baseline("c", ["a", "b"], ["g/*"])


def test_comparison_table_and_csv(sweep: Path) -> None:
    logdir = tbreport.load(sweep)
    selection = select(logdir, baseline="lr_0.1/seed_1", group_by=r"seed_\d+")
    runs = selection.runs
    tags = ["val/loss", "lr_free"]
    cmp = build_comparison(selection, tags)
    assert [r.name for r in cmp.rows] == [r.name for r in runs]
    assert cmp.hparam_names == ["lr", "seed", "optimizer"]
    row = {r.name: r for r in cmp.rows}
    base = row["lr_0.1/seed_1"]
    assert base.is_baseline and base.last[0].delta is None
    other = row["lr_0.01/seed_2"]
    s = logdir.runs["lr_0.01/seed_2"].scalars["val/loss"]
    assert other.last[0].value == float(s.values[-1]) and other.last[0].step == 200
    assert other.best[0].value == float(s.values.min())
    assert other.last[0].delta is not None
    assert other.last[0].delta.absolute == pytest.approx(float(s.values[-1]) - base.last[0].value)  # type: ignore[operator]
    assert other.hparam_texts == ["0.01", "2", "adam"]
    assert other.group == "lr_0.01/*"
    assert row[MARKUP_RUN].hparam_texts == ["", "", ""] and row[MARKUP_RUN].group == ""
    (g1, g2) = cmp.groups
    assert (g1.name, g1.members) == ("lr_0.01/*", ("lr_0.01/seed_1", "lr_0.01/seed_2"))
    lasts = [float(logdir.runs[m].scalars["val/loss"].values[-1]) for m in g1.members]
    assert g1.last[0].value == pytest.approx(np.mean(lasts))
    assert g1.last[0].std == pytest.approx(np.std(lasts, ddof=1))
    assert " ± " in g1.last[0].text
    assert g1.hparam_texts == ["0.01", "1, 2", "adam"]
    assert g2.name == "lr_0.1/*" and len(g2.members) == 3

    rows = list(csv.reader(io.StringIO(cmp.csv())))
    header = rows[0]
    assert header[:7] == ["kind", "name", "group", "members", "lr", "seed", "optimizer"]
    assert header[7:12] == [
        "val/loss last",
        "val/loss step",
        "val/loss best",
        "val/loss last std",
        "val/loss last delta",
    ]
    by_name = {r[1]: dict(zip(header, r)) for r in rows[1:]}
    assert float(by_name["lr_0.01/seed_2"]["val/loss last"]) == float(s.values[-1])
    assert by_name["lr_0.01/*"]["kind"] == "group" and by_name["lr_0.01/*"]["members"] == "2"
    assert by_name[MARKUP_RUN]["val/loss step"] == "40"
    assert by_name["lr_0.1/seed_1"]["val/loss last delta"] == ""
    assert by_name[MARKUP_RUN]["lr_free last"] == ""
    uri = cmp.csv_data_uri()
    assert uri.startswith("data:text/csv;charset=utf-8;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).decode("utf-8") == "\ufeff" + cmp.csv()


def test_csv_neutralises_formulas(tmp_path: Path) -> None:
    from tbreport import SummaryWriter

    with SummaryWriter(tmp_path / "=HYPERLINK(1)") as w:
        w.add_scalar("-loss", 1.0, 0)
    logdir = tbreport.load(tmp_path)
    cmp = build_comparison(select(logdir), ["-loss"])
    rows = list(csv.reader(io.StringIO(cmp.csv())))
    assert rows[0][4] == "'-loss last"
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_unknown_baseline() -> None:
    logdir = tbreport.load(Path(__file__).parents[1] / "data" / "corpus" / "exp1")
    with pytest.raises(ValueError, match="--baseline 'x' is not a run"):
        select(logdir, baseline="x")


def _group_of_three(tmp_path: Path, third: list[float]) -> tbreport.Logdir:
    for i, values in enumerate([[1.0, 0.4], [1.0, 0.6], third]):
        with tbreport.SummaryWriter(tmp_path / "exp" / f"seed_{i}") as w:
            for step, v in enumerate(values):
                w.add_scalar("val/loss", v, step)
    return tbreport.load(tmp_path)


def test_a_diverged_member_makes_the_group_nan_and_is_named(tmp_path: Path) -> None:
    logdir = _group_of_three(tmp_path, [1.0, math.nan])
    cmp = build_comparison(select(logdir, group_by=r"seed_\d+"), ["val/loss"])
    (g,) = cmp.groups
    last, best = g.last[0], g.best[0]
    assert last.value is not None and math.isnan(last.value)
    assert (last.n, last.total, last.nonfinite) == (3, 3, ("exp/seed_2",))
    assert last.text == "NaN" and last.note == "not finite: exp/seed_2"
    # best covers the same three members (seed_2's best is its finite 1.0)
    assert best.n == 3 and best.value == pytest.approx((0.4 + 0.6 + 1.0) / 3)
    assert best.note == ""


def test_a_member_without_any_finite_value_has_a_nan_best(tmp_path: Path) -> None:
    logdir = _group_of_three(tmp_path, [math.nan, math.nan])
    cmp = build_comparison(select(logdir, group_by="seed_\\d+"), ["val/loss"])
    last, best = cmp.groups[0].last[0], cmp.groups[0].best[0]
    assert last.value is not None and math.isnan(last.value)
    assert best.value is not None and math.isnan(best.value)
    assert best.n == last.n == 3 and best.nonfinite == last.nonfinite == ("exp/seed_2",)
