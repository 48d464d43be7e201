"""The verdict first: the key-metrics panel, its charts right after it, one- and
two-point tags as numbers, restarts counted, on the test logdirs of issue #9.

Every number the panel shows must be what ``tbreport scalars`` exports (every logged
point; ``last`` is the last row of the tag), what the gates compute and what the run
table, the legends, the markdown summary and the e-mail show.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import tbreport
from tbreport.cli import main
from tbreport.metrics import KEY_RULE, Ranking
from tbreport.report.gates import evaluate, parse_gate
from tbreport.report.html import select_for
from tbreport.report.mail import chart_pngs, render_text
from tbreport.report.markdown import summary_markdown
from tbreport.report.summary import collect_summary
from tbreport.report.verdict import build_panel, key_charts, restart_notes
from tbreport.select import select
from tests import logdirs
from tests.report.test_html import Page

BUILDERS: dict[str, Callable[..., Path]] = {
    "realistic": lambda root: logdirs.build_realistic(root, steps=400, graph=False),
    "restarted": logdirs.build_restarted,
    "many_runs": logdirs.build_many_runs,
    "one_value_tags": logdirs.build_one_value_tags,
    "hf_trainer": logdirs.build_hf_trainer,
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    root = tmp_path_factory.mktemp("verdict")

    @cache
    def get(name: str) -> Path:
        return BUILDERS[name](root / name)

    return get


@pytest.fixture(scope="module")
def report(built: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("reports")

    @cache
    def get(name: str, *flags: str) -> tuple[str, Page]:
        path = out / f"{name}{len(flags)}.html"
        os.environ["SOURCE_DATE_EPOCH"] = "1767225600"
        try:
            assert main(["build", str(built(name)), "-o", str(path), "-q", *flags]) == 0
        finally:
            del os.environ["SOURCE_DATE_EPOCH"]
        html = path.read_text(encoding="utf-8")
        return html, Page(html)

    return get


def exported(root: Path) -> dict[tuple[str, str], list[tuple[int, float]]]:
    """What ``tbreport scalars`` exports: (run, tag) -> [(step, value), ...] as written."""
    buf = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(buf):
        assert main(["scalars", str(root), "-q"]) == 0
    rows: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for r in csv.DictReader(io.StringIO(buf.getvalue())):
        rows.setdefault((r["run"], r["tag"]), []).append((int(r["step"]), float(r["value"])))
    return rows


def panel_of(root: Path, **options: Any) -> dict[str, Ranking]:
    selection = select(tbreport.load(root), **options)
    return {r.tag: r for r in build_panel(selection).rankings}


def section(html: str, anchor: str) -> str:
    return html.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]


# --------------------------------------------------------------------------- the rule


def test_realistic_key_metrics_follow_the_rule(built: Callable[[str], Path]) -> None:
    panel = panel_of(built("realistic"))
    # validation first, then the hparams metrics, then training; lr and grad_norm say
    # no direction, so they stay out while there are enough others
    assert list(panel) == [
        "val/acc",
        "val/loss",
        "hparam/val_acc",
        "hparam/val_loss",
        "train/acc",
        "train/loss",
    ]
    acc = panel["val/acc"]
    assert acc.direction == "max" and panel["val/loss"].direction == "min"
    assert acc.best == ("resnet14_sgd_lr0.1_bs128_cosine",)  # the cosine run wins on val/acc
    assert acc.stats[0].run == "resnet14_sgd_lr0.1_bs128_cosine"
    assert "validation and test metrics" in KEY_RULE


def test_key_metrics_regex_chooses_and_unknown_directions_are_said(
    built: Callable[[str], Path],
) -> None:
    panel = panel_of(built("realistic"), key_metrics=r"^train/")
    assert set(panel) == {"train/acc", "train/loss", "train/lr", "train/grad_norm"}
    lr = panel["train/lr"]
    assert lr.direction is None and lr.best == ()  # unknown: no run is called best
    assert all(s.best is None for s in lr.stats)


def test_the_panel_numbers_are_what_tbreport_scalars_exports(built: Callable[[str], Path]) -> None:
    for name in ("realistic", "restarted", "one_value_tags"):
        root = built(name)
        rows = exported(root)
        for tag, ranking in panel_of(root).items():
            for st in ranking.stats:
                points = rows[(st.run, tag)]
                assert (st.last_step, st.last) == points[-1]  # the last point logged
                if ranking.direction is not None:
                    values = [v for _, v in points]
                    best = max(values) if ranking.direction == "max" else min(values)
                    assert st.best == best and (st.best_step, best) in points


# --------------------------------------------------------------------------- restarts


def test_restarted_keeps_every_attempt_in_the_panel_gates_and_health(
    built: Callable[[str], Path], report: Any
) -> None:
    root = built("restarted")
    selection = select(tbreport.load(root))
    cheetah = next(
        s for s in panel_of(root)["Eval_AverageReturn"].stats if s.run == "HalfCheetah-v4_ppo"
    )
    assert cheetah.best == pytest.approx(280.4) and cheetah.best_step == 350_000
    assert cheetah.last == pytest.approx(195.4) and cheetah.last_step == 250_000
    # six attempts were written; attempt 4's purge_step joins attempts 3 and 4, as
    # TensorBoard's EventAccumulator purges: five remain
    assert cheetah.attempts == 5
    (gate,) = evaluate([parse_gate("max(Eval_AverageReturn) < 200")], selection.runs)
    assert gate.passed, gate.messages()
    (last,) = evaluate([parse_gate("last(Eval_AverageReturn) < 200")], selection.runs)
    assert [c.run for c in last.tripped] == ["HalfCheetah-v4_ppo"]
    assert last.tripped[0].step == 250_000
    (note,) = restart_notes(selection)
    assert note.run == "HalfCheetah-v4_ppo" and note.attempts == 5 and note.tags == 5
    html, _ = report("restarted")
    health = html.split('id="health-title"', 1)[1].split("</section>", 1)[0]
    assert "HalfCheetah-v4_ppo" in health and "5 attempts" in health
    assert "5 attempts" in section(html, "key")
    # the legend under the chart counts every point too
    legend = section(html, "key-charts").split("Eval_AverageReturn", 1)[1]
    assert "280.4" in legend and "195.4" in legend


def test_the_build_gate_on_restarted_does_not_trip(
    built: Callable[[str], Path], tmp_path: Path
) -> None:
    args = ["build", str(built("restarted")), "-o", str(tmp_path / "r.html"), "-q"]
    assert main([*args, "--fail-if", "max(Eval_AverageReturn) < 200"]) == 0
    assert main([*args, "--fail-if", "max(Eval_AverageReturn) < 280"]) == 0
    assert main([*args, "--fail-if", "max(Eval_AverageReturn) < 281"]) == 3


# --------------------------------------------------------------------------- the page


def test_the_panel_comes_first_and_its_charts_follow(report: Any) -> None:
    html, page = report("realistic")
    main_part = html.split('<main id="main">', 1)[1]
    order = [m.group(1) for m in re.finditer(r'<section class="kind[^"]*" id="([^"]+)"', main_part)]
    assert order[:3] == ["key", "key-charts", "runs"]
    assert page.headings["key"][:2] == ["val/acc", "val/loss"]
    # the key metrics with a chart: their cards moved, not copied
    assert page.headings["key-charts"] == ["val/acc", "val/loss", "train/acc", "train/loss"]
    assert not set(page.headings["key-charts"]) & set(page.headings["scalars"])
    assert set(page.headings["scalars"]) == {"train/grad_norm", "train/lr"}
    # the best run in bold, with its value and step
    card = section(html, "key").split('data-tag="val/acc"', 1)[1].split("</figure>", 1)[0]
    best_row = card.split('<tr class="best">', 1)[1].split("</tr>", 1)[0].replace("<wbr>", "")
    assert "<strong>" in best_row and "resnet14_sgd_lr0.1_bs128_cosine" in best_row
    assert re.search(r"<strong>0\.9\d* <span class=\"step\">@\d", best_row)


def test_one_and_two_point_tags_are_numbers_not_charts(report: Any) -> None:
    html, page = report("one_value_tags")
    charted = page.headings.get("key-charts", []) + page.headings.get("scalars", [])
    assert sorted(charted) == ["train/loss", "val/acc", "val/loss"]
    numbers = page.headings.get("key", []) + page.headings.get("single-values", [])
    for tag in ("test/acc", "test/loss", "hparam/val_acc", "model/num_params", "eval/acc_ema"):
        assert tag in numbers, tag
    assert "time/epoch_seconds" in page.headings["single-values"]
    test_acc = section(html, "key").split('data-tag="test/acc"', 1)[1].split("</figure>", 1)[0]
    assert "Value" in test_acc and "<strong>" in test_acc.split("wider", 1)[1][:400]
    # no chart in the report holds a single point: every chart image is a real series
    assert page.media[("single-values", "img")] == 0 and page.media[("key", "img")] == 0


def test_one_and_two_point_tags_in_the_email_and_the_summary(built: Callable[[str], Path]) -> None:
    root = built("one_value_tags")
    selection = select(tbreport.load(root))
    data = collect_summary(selection)
    tags = [m.tag for m in data.comparison.metrics]
    assert tags[:2] == ["test/acc", "test/loss"]
    charts = chart_pngs(data, selection)
    assert {c.tag for c in charts} <= {"val/acc", "val/loss", "train/loss"} and charts
    md = summary_markdown(data)
    row = next(line for line in md.splitlines() if "test\\/acc" in line)
    assert "single value" in row and "▄" not in row
    text = render_text(data)
    assert "single value" in text


def test_many_runs_panel_is_compact_and_complete(report: Any, built: Callable[[str], Path]) -> None:
    html, page = report("many_runs")
    panel = panel_of(built("many_runs"))
    assert list(panel) == ["val/acc", "val/loss", "hparam/val_acc", "train/loss"]
    assert all(len(r.stats) == 40 for r in panel.values())  # the 40 runs with scalars
    key = section(html, "key")
    assert key.count('<details class="more">') == 4  # every run is there, folded
    assert key.count("<tr") == 4 * (1 + 5 + 1 + 40 - 5)  # heads, top 5, rest
    # hparam/val_acc is one point per run: numbers in the panel, no Single values twice
    assert "single-values" not in page.headings


def test_hf_trainer_panel(report: Any, built: Callable[[str], Path]) -> None:
    panel = panel_of(built("hf_trainer"))
    assert list(panel)[:3] == ["eval/accuracy", "eval/f1", "eval/loss"]
    assert "train/loss" in panel
    html, _ = report("hf_trainer")
    runs = section(html, "runs")
    # 105 hyperparameters of one run: folded, not a 105-column table
    assert "hyperparameters have the same value in every run" in runs
    assert 'class="sortable runs runhp"' not in runs


def test_key_charts_without_a_scalar_section() -> None:
    assert key_charts([], build_panel.__globals__["KeyPanel"]([])) is None


def test_run_table_is_split_and_turned_for_few_runs(report: Any) -> None:
    html, _ = report("realistic")
    runs = section(html, "runs")
    assert 'class="runs compare transposed"' in runs  # 3 runs x 8 metrics: metrics as rows
    assert "The same in every run:" in runs and "weight_decay" in runs
    html, _ = report("many_runs")
    runs = section(html, "runs")
    assert 'class="sortable runs compare"' in runs  # 40 runs: runs as rows


def test_every_output_shows_the_same_last_and_best(built: Callable[[str], Path]) -> None:
    root = built("restarted")
    selection = select_for(tbreport.load(root), tbreport.report.html.BuildOptions())
    data = collect_summary(selection)
    i = [m.tag for m in data.comparison.metrics].index("Eval_AverageReturn")
    row = next(r for r in data.comparison.rows if r.name == "HalfCheetah-v4_ppo")
    assert row.last[i].value == pytest.approx(195.4) and row.last[i].step == 250_000
    assert row.best[i].value == pytest.approx(280.4) and row.best[i].step == 350_000
    md = summary_markdown(data)
    line = next(x for x in md.splitlines() if "HalfCheetah" in x and "195.4" in x)
    assert "280.4 (350000)" in line
    assert "5 attempts" in md
    assert not math.isnan(row.last[i].value)
