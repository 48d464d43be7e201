"""``tbreport build`` with the CI flags: --fail-if, --summary-md, --baseline, --group-by.

Every exit status (0, 2 before any work, 3 after writing), the comparison table in the
report (hparams, last/best, deltas, groups, CSV download) and its sorting in Chromium."""

from __future__ import annotations

import base64
import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tbreport.cli import main
from tests.browser.cdp import Browser, find_chromium
from tests.conftest import CORPUS
from tests.sweep import MARKUP_RUN, make_sweep


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sweep(tmp_path_factory.mktemp("sweep"))


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def build(sweep: Path, tmp: Path, *extra: str) -> tuple[int, Path, Path]:
    out, md = tmp / "report.html", tmp / "summary.md"
    code = main(
        ["build", str(sweep), "-o", str(out), "-q", "-j", "1", "--summary-md", str(md), *extra]
    )
    return code, out, md


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("tbreport: ")]


def test_gates_pass_exit_0(sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, md = build(
        sweep,
        tmp_path,
        "--fail-if",
        "last(val/loss) >= 1",
        "--fail-if",
        "max(val/accuracy) < 0.9 @ ^lr_0\\.1/",
    )
    assert code == 0
    assert out.is_file() and md.is_file()
    assert error_lines(capsys.readouterr().err) == []
    assert "✅ Gates: all 2 passed" in md.read_text(encoding="utf-8")


def test_tripped_gates_exit_3_after_writing_everything(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, md = build(
        sweep, tmp_path, "--fail-if", "last(val/loss) >= 0.2", "--fail-if", "mean(train/loss) >= 10"
    )
    assert code == 3
    assert out.is_file() and md.is_file()
    lines = error_lines(capsys.readouterr().err)
    # one line per tripped (gate, run): the markup run and the two lr_0.01 runs; mean(train/loss)
    # trips for lr_0.01/seed_2, whose NaN makes its mean NaN
    assert len(lines) == 4, lines
    assert all(line.startswith("tbreport: error: gate tripped: ") for line in lines)
    assert any(f"run {MARKUP_RUN!r} has last(val/loss) = 0.86 at step 40" in line for line in lines)
    assert any(
        "mean(train/loss) >= 10: run 'lr_0.01/seed_2' has mean(train/loss) = NaN" in line
        for line in lines
    )
    text = md.read_text(encoding="utf-8")
    assert "❌ Gates: 2 of 2 failed" in text


def test_a_tag_no_run_has_is_exit_3(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, md = build(sweep, tmp_path, "--fail-if", "last(val/los) >= 1")
    assert code == 3 and out.is_file() and md.is_file()
    (line,) = error_lines(capsys.readouterr().err)
    assert line == (
        "tbreport: error: gate cannot be checked: last(val/los) >= 1: no scalar tag 'val/los' in any of "
        "the 6 runs; did you mean 'val/loss'?"
    )


def test_gates_follow_the_runs_filter(sweep: Path, tmp_path: Path) -> None:
    code, _, _ = build(sweep, tmp_path, "--runs", "^lr_", "--fail-if", "last(val/loss) >= 0.5")
    assert code == 0  # the markup run (0.86) is filtered out of the report, so of the gates


@pytest.mark.parametrize(
    "gate",
    ["last(val/loss) <", "avg(val/loss) >= 1", "last(val/loss) >= one", "last(val/loss) >= 1 @ ("],
)
def test_a_malformed_gate_is_exit_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], gate: str
) -> None:
    out = tmp_path / "report.html"
    # the logdir does not even exist: the gate is checked first
    code = main(
        [
            "build",
            str(tmp_path / "missing"),
            "-o",
            str(out),
            "--fail-if",
            "last(a) >= 1",
            "--fail-if",
            gate,
        ]
    )
    assert code == 2
    (line,) = error_lines(capsys.readouterr().err)
    assert line.startswith("tbreport: error: --fail-if ")
    assert not out.exists()


def test_summary_to_stdout(sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["build", str(sweep), "-o", str(tmp_path / "r.html"), "-q", "--summary-md", "-"])
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("## TensorBoard summary") and "### Key metrics" in out


def test_unknown_baseline_is_exit_2_and_writes_nothing(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, md = build(sweep, tmp_path, "--baseline", "lr_0.1")
    assert code == 2
    (line,) = error_lines(capsys.readouterr().err)
    assert "--baseline 'lr_0.1' is not a run of the report" in line
    assert not out.exists() and not md.exists()


def test_bad_group_regex_is_exit_2(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["build", str(sweep), "-o", str(tmp_path / "r.html"), "--group-by", "(seed"])
    assert info.value.code == 2
    assert "--group-by" in capsys.readouterr().err


def test_help_documents_the_gate_syntax_and_exit_statuses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    text = capsys.readouterr().out
    for needle in (
        "AGG(TAG) OP NUMBER [@ RUN_REGEX]",
        "last (value at the greatest step), first, min, max, mean",
        "<  <=  >  >=  ==  !=",
        "--summary-md FILE",
        "--baseline RUN",
        "--group-by REGEX",
        "3  a gate tripped",
    ):
        assert needle in text, needle


# --------------------------------------------------------------------------- the report


class Tables(HTMLParser):
    """Cells of every <table> with its class, plus link attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.links: list[dict[str, str]] = []
        self._cell: list[str] | None = None
        self._depth = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.tables.append((a.get("class", ""), []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []
        elif tag == "a":
            self.links.append(a)
        elif tag in ("br", "div") and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def table(self, cls: str) -> list[list[str]]:
        return next(rows for c, rows in self.tables if cls in c.split())


def test_the_run_table_compares_runs(sweep: Path, tmp_path: Path) -> None:
    code, out, _ = build(sweep, tmp_path, "--baseline", "lr_0.1/seed_1")
    assert code == 0
    html = out.read_text(encoding="utf-8")
    page = Tables(html)
    # the run table in parts: the runs, the hyperparameters that differ, the metrics
    assert page.table("runs")[0] == ["Run", "Data", "Steps", "Points", "Duration", "Started"]
    assert page.table("runhp")[0] == ["Run", "lr", "seed"]
    assert "The same in every run:" in html and "<b><bdi>adam</bdi></b>" in html
    rows = page.table("compare")
    # each metric one column: the last value (its step said once when shared), the best
    # below it when that is not the last, the delta to the baseline
    assert rows[0] == ["Run", "train/loss ▼ @200", "val/accuracy ▲ @200", "val/loss ▼"]
    body = {r[0].split(" ")[0]: r for r in rows[1:]}
    assert body["lr_0.1/seed_1"][0] == "lr_0.1/seed_1 baseline"
    hp = {r[0]: r for r in page.table("runhp")[1:]}
    assert hp["lr_0.01/seed_2"][1:] == ["0.01", "2"]
    seed2 = body["lr_0.01/seed_2"]
    pattern = r"[\d.]+ @200 (best [\d.]+ @\d+ )?[+-][\d.e-]+ \([+-][\d.]+ %\)"
    assert re.fullmatch(pattern, seed2[3]), seed2[3]
    assert body["lr_0.1/seed_1"][3].endswith("baseline")
    # the CSV download: a data: URI with the same numbers, no network, no JS needed
    (link,) = [a for a in page.links if a.get("download") == "runs.csv"]
    csv_text = base64.b64decode(link["href"].split(",", 1)[1]).decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(csv_text)))
    assert [r["name"] for r in table] == [
        MARKUP_RUN,
        *sorted(n for n in body if n.startswith("lr_")),
    ]
    by_name = {r["name"]: r for r in table}
    assert seed2[3].startswith(f"{float(by_name['lr_0.01/seed_2']['val/loss last']):.4g}")
    assert by_name["lr_0.01/seed_2"]["val/loss last delta"] != ""
    # the charts' legends have the deltas too
    legends = [rows for c, rows in page.tables if "compare-legend" in c.split()]
    assert len(legends) == 3
    assert legends[0][0] == ["Run", "Last", "Δ to lr_0.1/seed_1"]
    assert (
        out.read_text(encoding="utf-8").count(
            "Dashed line: the last value of the baseline <bdi>lr_0.1/seed_1</bdi>"
        )
        == 3
    )


def test_groups_in_the_report(sweep: Path, tmp_path: Path) -> None:
    code, out, md = build(sweep, tmp_path, "--group-by", r"seed_\d+", "--baseline", "lr_0.1/*")
    assert code == 0
    page = Tables(out.read_text(encoding="utf-8"))
    groups = page.table("rungroups")
    assert [r[0].split(" ")[0] for r in groups[1:]] == ["lr_0.01/*", "lr_0.1/*"]
    assert groups[2][0].startswith("lr_0.1/* baseline")
    assert groups[0][:3] == ["Group", "Runs", "lr"]
    assert " ± " in groups[1][5]
    legends = [rows for c, rows in page.tables if "compare-legend" in c.split()]
    assert legends and legends[0][0] == ["Group", "Last, mean ± std", "Δ to lr_0.1/*"]
    assert legends[0][1][0] == "lr_0.01/* (2 runs)"
    assert "Groups (mean ± std over runs" in md.read_text(encoding="utf-8")


def test_report_of_the_corpus_with_every_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "build", str(CORPUS), "-o", str(tmp_path / "r.html"), "-q",
            "--summary-md", str(tmp_path / "s.md"), "--baseline", "exp1/lr_0.1",
            "--group-by", r"lr_[\d.]+", "--fail-if", "last(loss) >= 1 @ ^exp1/",
            "--fail-if", "min(special/values) <= -1",
        ]
    )  # fmt: skip
    assert code == 3
    lines = error_lines(capsys.readouterr().err)
    assert lines == [
        f"tbreport: error: gate tripped: min(special/values) <= -1: run {run!r} has min(special/values) = NaN"
        for run in ("tbx_basic", "torch_scalars")  # both have a NaN in special/values
    ]
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html.split("<script>", 1)[0]


@pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed")
def test_sorting_the_comparison_table_in_chromium(sweep: Path, tmp_path: Path) -> None:
    code, out, _ = build(sweep, tmp_path, "--group-by", r"seed_\d+", "--baseline", "lr_0.1/seed_1")
    assert code == 0
    with Browser() as b:
        b.open(out)
        r = b.report
        assert (
            r.non_local == [] and r.console_errors == [] and r.exceptions == [] and r.dialogs == []
        )
        order = b.evaluate(
            "(() => { const t = document.querySelector('table.compare');"
            " const th = Array.from(t.tHead.rows[0].cells).find(c => c.textContent.trim().startsWith('val/loss'));"
            " th.click(); return Array.from(t.tBodies[0].rows).map(r => r.cells[0].querySelector('.rn').textContent); })()"
        )
        assert order[0].startswith("lr_0.1/") and order[-1] == MARKUP_RUN  # lowest val/loss first
        assert b.evaluate(
            "document.querySelector('a[download=\"runs.csv\"]').href.startsWith('data:text/csv')"
        )
        b.open(out, javascript=False)  # readable without JS: every row is there
        assert b.evaluate("document.querySelectorAll('table.compare tbody tr').length") == 6


def test_same_input_same_bytes_with_every_flag(sweep: Path, tmp_path: Path) -> None:
    flags = [
        "--group-by",
        r"seed_\d+",
        "--baseline",
        "lr_0.1/*",
        "--fail-if",
        "last(val/loss) >= 1",
    ]
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    assert build(sweep, a, *flags)[0] == 0
    assert build(sweep, b, *flags)[0] == 0
    assert (a / "report.html").read_bytes() == (b / "report.html").read_bytes()
    md_a = (a / "summary.md").read_text(encoding="utf-8")
    md_b = (b / "summary.md").read_text(encoding="utf-8")
    assert md_a.replace("\\/a\\/report", "\\/b\\/report") == md_b  # only the report path differs
    html = (a / "report.html").read_text(encoding="utf-8")
    assert MARKUP_RUN not in html and "&lt;b&gt;x&lt;/b&gt;" in html  # escaped in every table
