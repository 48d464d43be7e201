"""The e-mail message: MIME structure parsed back with the ``email`` package, the HTML's
mail-client constraints, its size budget, escaping, and a look in headless Chromium."""

from __future__ import annotations

import base64
import email
import logging
import re
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import tbreport
from tbreport.model import Logdir, Run, ScalarSeries
from tbreport.report.gates import evaluate, parse_gate
from tbreport.report.mail import MAX_HTML_BYTES, BuiltMail, build_message, chart_pngs, render_text
from tbreport.report.summary import SummaryData, collect_summary
from tbreport.select import Selection, select
from tests.browser.cdp import Browser, PageReport, find_chromium
from tests.sweep import MARKUP_RUN, make_sweep

BUILD = Path(__file__).resolve().parents[2] / "build"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sweep(tmp_path_factory.mktemp("sweep"))


def summary(
    logdir: Logdir,
    *,
    gates: tuple[str, ...] = (),
    group_by: str | None = None,
    baseline: str | None = None,
) -> tuple[SummaryData, Selection]:
    selection = select(logdir, group_by=group_by, baseline=baseline)
    results = evaluate([parse_gate(g) for g in gates], selection.runs)
    return collect_summary(selection, gates=results, limit=6), selection


@pytest.fixture(scope="module")
def built(sweep: Path) -> BuiltMail:
    logdir = tbreport.load(sweep)
    data, selection = summary(
        logdir, gates=("last(val/loss) >= 0.3",), group_by=r"seed_\d+", baseline="lr_0.1/*"
    )
    charts = chart_pngs(data, selection)
    return build_message(data, charts, to=["a@example.com"], sender="ci@example.com", date=1.7e9)


def reparse(msg: EmailMessage) -> EmailMessage:
    out = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert isinstance(out, EmailMessage)
    return out


class Html(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_mime_structure(built: BuiltMail) -> None:
    msg = reparse(built.message)
    assert msg.get_content_type() == "multipart/alternative"
    plain, related = msg.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, *images = related.iter_parts()
    assert html.get_content_type() == "text/html"
    assert len(images) == 3 == len(built.charts)
    content = html.get_content()
    cids = set(re.findall(r'src="cid:([^"]+)"', content))
    assert cids == {img["Content-ID"][1:-1] for img in images}
    for img in images:
        assert img.get_content_type() == "image/png"
        assert img.get_content_disposition() == "inline"
        assert img.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    assert msg["To"] == "a@example.com" and msg["From"] == "ci@example.com"
    assert msg["Date"].datetime.timestamp() == 1.7e9
    assert re.fullmatch(r"TensorBoard summary: sweep\d+: 6 runs · 1 gate FAILED", msg["Subject"])
    assert plain.get_content() == built.text
    assert content == built.html


def test_html_is_fit_for_mail_clients(built: BuiltMail) -> None:
    html = built.html
    assert len(html.encode("utf-8")) == built.size.html < MAX_HTML_BYTES
    lowered = html.lower()
    for banned in (
        "<script",
        "<svg",
        "<style",
        "<link",
        "<iframe",
        "<form",
        "javascript:",
        "data:",
        "http:",
        "https:",
    ):
        assert banned not in lowered, banned
    page = Html(html)
    imgs = [a for t, a in page.tags if t == "img"]
    assert len(imgs) == 3
    for a in imgs:
        assert a["src"].startswith("cid:")
        assert len(a["alt"]) > 20 and "Line chart of" in a["alt"]
        assert int(a["width"]) <= 800
    widths = [
        int(a["width"]) for t, a in page.tags if t == "table" and a.get("width", "").isdigit()
    ]
    assert widths and max(widths) <= 800
    assert "max-width:800px" in html
    # every table is a layout/presentation table with inline styles, no classes
    assert all("class" not in a for _, a in page.tags)


def test_strings_from_logs_are_escaped(built: BuiltMail) -> None:
    assert MARKUP_RUN not in built.html
    assert "<b>x</b>" not in built.html
    assert MARKUP_RUN in "".join(Html(built.html).text)
    assert MARKUP_RUN in built.text


def test_text_part_has_tables_sparklines_and_gates(built: BuiltMail) -> None:
    text = built.text
    assert "GATES: 1 of 1 FAILED" in text
    assert re.search(r"val/loss\s+<b>x</b>&\"y\"\s+0\.86\s+40", text)
    assert any(ch in text for ch in "▁▂▃▄▅▆▇█")
    assert "Groups (mean ± std, --group-by seed_\\d+)" in text
    assert "Hyperparameters that differ" in text


def test_size_is_reported(built: BuiltMail) -> None:
    s = built.size
    assert s.total == len(built.message.as_bytes())
    assert s.chart_bytes == sum(len(c.png) for c in built.charts) > 0
    assert s.image_count == 3 and s.attachment == 0
    assert s.describe().startswith(f"{s.total / 1024:.1f} KB (HTML ")


def test_attachment_and_the_10_mb_warning(
    sweep: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = summary(tbreport.load(sweep))
    report = tmp_path / "report.html"
    report.write_text("<!DOCTYPE html><p>report</p>", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="tbreport"):
        mail = build_message(data, attach=report)
    assert not [r for r in caplog.records if "10 MB" in r.getMessage()]
    msg = reparse(mail.message)
    assert msg.get_content_type() == "multipart/mixed"
    body, attachment = msg.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "report.html"
    assert attachment.get_content() == "<!DOCTYPE html><p>report</p>"
    assert mail.size.attachment == report.stat().st_size
    monkeypatch.setattr("tbreport.report.mail.ATTACH_WARN_BYTES", 10)
    with caplog.at_level(logging.WARNING, logger="tbreport"):
        build_message(data, attach=report)
    assert [r for r in caplog.records if "above 10 MB" in r.getMessage()]


def many_runs(n: int) -> Logdir:
    steps = np.arange(50, dtype=np.int64)
    runs = {}
    for i in range(n):
        name = f"sweep/very_long_experiment_name_{i:04d}/lr_{i % 7}/seed_{i % 3}"
        scalars = {
            tag: ScalarSeries(tag, steps, steps.astype(np.float64), np.linspace(1, 0.1 + i / n, 50))
            for tag in ("train/loss", "val/loss", "val/accuracy", "lr", "grad/norm", "val/f1")
        }
        runs[name] = Run(name=name, path=name, scalars=scalars)
    return Logdir(paths=("many",), runs=runs)


def test_html_shrinks_below_the_gmail_limit(caplog: pytest.LogCaptureFixture) -> None:
    data, _ = summary(many_runs(400))
    with caplog.at_level(logging.WARNING, logger="tbreport"):
        mail = build_message(data)
    assert mail.size.html < MAX_HTML_BYTES
    assert 1 <= mail.rows_shown < 400
    assert f"… and {400 - mail.rows_shown} more runs" in mail.html
    assert [r for r in caplog.records if "Gmail clips" in r.getMessage()]
    assert mail.text.count("very_long_experiment_name_") >= 400  # the text part has every run


def test_render_text_without_optional_parts(sweep: Path) -> None:
    data, _ = summary(tbreport.load(sweep))
    text = render_text(data)
    assert "GATES" not in text and "Groups" not in text
    assert "Data health: every event file was read completely." in text


@pytest.fixture(scope="module")
def wide() -> BuiltMail:
    """Six key metrics, long run names, a baseline and groups: the layout must stay <= 800 px."""
    logdir = many_runs(12)
    base = next(iter(logdir.runs))
    data, selection = summary(logdir, baseline=base, group_by=r"seed_\d+")
    return build_message(data, chart_pngs(data, selection))


@pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed")
@pytest.mark.parametrize("case", ["built", "wide"])
def test_html_in_headless_chromium_loads_nothing_from_the_network(
    case: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    built: BuiltMail = request.getfixturevalue(case)
    # a mail client resolves cid: to the related parts: do the same with data: URIs
    html = built.html
    for chart in built.charts:
        uri = "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")
        html = html.replace(f"cid:{chart.cid}", uri)
    page = tmp_path / "mail.html"
    page.write_text(html, encoding="utf-8")
    raw = tmp_path / "raw.html"
    raw.write_text(built.html, encoding="utf-8")
    with Browser(width=1024, height=900) as b:
        b.open(page, javascript=False)
        r = b.report
        assert r.non_local == []
        assert r.console_errors == [] and r.exceptions == [] and r.dialogs == []
        broken = b.evaluate(
            "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length"
        )
        assert broken == 0
        assert b.evaluate("document.images.length") == len(built.charts)
        widest = b.evaluate(
            "Math.max(...Array.from(document.querySelectorAll('table table, table table table'))"
            ".map(t => t.getBoundingClientRect().width))"
        )
        assert widest <= 800
        assert b.evaluate("document.documentElement.scrollWidth") <= 1024  # no overflow
        if case == "built":
            assert MARKUP_RUN in b.evaluate("document.body.innerText")
        b.screenshot(BUILD / f"email-browser-{case}.png")
        # as sent: the only references outside the page are its own cid: parts
        b.report = PageReport()
        b.open(raw, javascript=False)
        assert set(b.report.non_local) <= {f"cid:{c.cid}" for c in built.charts}
    assert (BUILD / f"email-browser-{case}.png").stat().st_size > 10_000


def test_html_stays_under_the_limit_with_many_long_run_names(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # the chart legends list runs too: they must shrink with the tables
    tags = [f"metrics/validation/long_tag_name_{k}/loss" for k in range(8)]
    for i in range(300):
        name = f"experiment_{i:03d}_{'x' * 60}/lr_{i % 7}_wd_{i % 5}_batchsize_{i % 4}/seed_{i % 3}"
        with tbreport.SummaryWriter(tmp_path / name) as w:
            for tag in tags:
                w.add_scalar(tag, 1.0, 0)
                w.add_scalar(tag, 0.7, 1)
                w.add_scalar(tag, 0.5 + i / 1000, 2)  # three points: a chart
    data, selection = summary(tbreport.load(tmp_path))
    charts = chart_pngs(data, selection)
    assert charts and all(len(c.runs) == 300 for c in charts)
    with caplog.at_level(logging.WARNING, logger="tbreport"):
        mail = build_message(data, charts)
    assert mail.size.html < MAX_HTML_BYTES
    assert 1 <= mail.rows_shown < 300
    assert f"· … and {300 - mail.rows_shown} more</p>" in mail.html
    assert [r for r in caplog.records if "Gmail clips" in r.getMessage()]


def test_a_diverged_group_member_is_named_in_text_and_html(tmp_path: Path) -> None:
    for i, v in enumerate([0.4, 0.6, float("nan")]):
        with tbreport.SummaryWriter(tmp_path / "exp" / f"seed_{i}") as w:
            w.add_scalar("val/loss", 1.0, 0)
            w.add_scalar("val/loss", v, 1)
    data, _ = summary(tbreport.load(tmp_path), group_by=r"seed_\d+")
    mail = build_message(data)
    row = next(line for line in mail.text.splitlines() if line.startswith("exp/*"))
    assert row.split() == ["exp/*", "3", "NaN", "(not", "finite:", "exp/seed_2)"]
    assert "(3 runs; not finite: <bdi>exp/seed_2</bdi>)" in mail.html


def test_bidi_controls_are_visible_in_the_text_and_isolated_in_the_html(tmp_path: Path) -> None:
    from tests.report.test_html import BIDI_CONTROLS, unisolated_controls

    for name in ("r_\u202eRTL", "other"):
        with tbreport.SummaryWriter(tmp_path / name) as w:
            w.add_scalar("val/lo\u200bss", 1.0, 0)
            w.add_scalar("val/lo\u200bss", 0.5, 1)
    data, selection = summary(tbreport.load(tmp_path), group_by="RTL", baseline="other")
    mail = build_message(data, chart_pngs(data, selection))
    assert not BIDI_CONTROLS.search(mail.text)
    assert "r_\\u202eRTL" in mail.text and "val/lo\\u200bss" in mail.text
    assert "<bdi>r_\u202eRTL</bdi>" in mail.html and "<bdi>r_\u202e*</bdi>" in mail.html
    assert unisolated_controls(mail.html) == []


def test_a_part_that_fails_is_named_and_the_rest_is_sent(
    sweep: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tbreport.report import mail

    data, selection = summary(tbreport.load(sweep))
    first = data.comparison.metrics[0].tag
    real = mail._metric_chart

    def chart(index: int, tag: str, *args: object) -> mail.MailChart:
        if tag == first:
            raise OverflowError("one bad chart")
        return real(index, tag, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(mail, "_metric_chart", chart)
    monkeypatch.setattr(mail, "_group_text", lambda data: [][0])  # an IndexError
    charts = chart_pngs(data, selection)
    assert first not in [c.tag for c in charts] and len(charts) >= 1
    built = build_message(data, charts, to=["a@example.com"], sender="ci@example.com", date=1.7e9)
    text = built.text
    assert f"could not draw the chart of {first}: OverflowError: one bad chart" in text
    assert "could not draw the groups: IndexError: list index out of range" in text
    assert text.count("could not draw the groups") == 1  # drawn again to fit: one line
    assert "Key metrics" in text or first in text  # the table is still there
    assert len(reparse(built.message).get_payload()) >= 1
