"""What a summary shows: key metrics (gated tags first), hparams that differ, warnings,
the build time; and log strings' invisible controls made visible."""

from __future__ import annotations

from pathlib import Path

import pytest

import tbreport
from tbreport.report.gates import evaluate, parse_gate
from tbreport.report.summary import collect_summary, show_controls
from tbreport.select import select
from tests.conftest import CORPUS
from tests.sweep import make_sweep


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sweep(tmp_path_factory.mktemp("sweep"))


def test_collect_summary(sweep: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    selection = select(tbreport.load(sweep), group_by=r"seed_\d+")
    gates = evaluate([parse_gate("last(val/accuracy) < 0.1")], selection.runs)
    data = collect_summary(selection, gates=gates, limit=2, report="r.html")
    assert [m.tag for m in data.comparison.metrics] == ["val/accuracy", "val/loss"]
    assert data.hparam_names == ["lr", "seed"]  # optimizer is the same everywhere
    assert data.run_count == len(selection.runs) and data.report == "r.html"
    assert data.built == 1700000000.0 and data.built_at == "2023-11-14 22:13:20 UTC"
    assert data.title.startswith("TensorBoard summary: ") and data.tripped == 0
    assert [g.name for g in data.comparison.groups] == ["lr_0.01/*", "lr_0.1/*"]


def test_warnings_are_listed() -> None:
    data = collect_summary(select(tbreport.load(CORPUS / "edge_cases")), title="T")
    assert data.title == "T" and len(data.warnings) == 4
    assert any("fails its CRC check" in w for w in data.warnings)


def test_show_controls() -> None:
    assert show_controls("a\u202eb\u200bc") == "a\\u202eb\\u200bc"
    assert show_controls("plain ü") == "plain ü"
