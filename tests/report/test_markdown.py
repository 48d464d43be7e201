"""The markdown summary: its content, and that no string from the logs can become markup
(checked by rendering it with markdown-it, a CommonMark parser, with raw HTML allowed)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

import tbreport
from tbreport.report.gates import evaluate, parse_gate
from tbreport.report.markdown import UNPING, md_escape, summary_markdown
from tbreport.report.summary import collect_summary
from tbreport.select import select
from tests.conftest import CORPUS
from tests.sweep import MARKUP_RUN, make_sweep

MD = MarkdownIt("commonmark", {"html": True}).enable("table")


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sweep(tmp_path_factory.mktemp("sweep"))


def summarize(path: Path, **kwargs: object) -> str:
    logdir = tbreport.load(path)
    gate_texts = kwargs.pop("gates", ())
    picked = {k: kwargs.pop(k) for k in ("tags", "baseline", "group_by") if k in kwargs}
    selection = select(logdir, **picked)  # type: ignore[arg-type]
    gates = evaluate([parse_gate(g) for g in gate_texts], selection.runs)  # type: ignore[attr-defined]
    return summary_markdown(collect_summary(selection, gates=gates, **kwargs))  # type: ignore[arg-type]


def text_of(rendered: str) -> str:
    """What a reader sees (the invisible joiners that keep GitHub from linking aside)."""
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace(UNPING, "")


# --------------------------------------------------------------------------- escaping

printable = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=40)


@given(printable)
def test_escaped_text_renders_as_exactly_that_text(text: str) -> None:
    out = MD.render(md_escape(text))
    expected = " ".join(text.split())
    if not expected:
        assert out == ""
        return
    assert out.startswith("<p>") and out.endswith("</p>\n")
    inner = out[3:-5]
    assert "<" not in inner  # no element: emphasis, links, code, raw HTML
    assert html.unescape(inner).replace(UNPING, "") == expected


@given(printable, printable)
def test_escaped_text_stays_in_its_table_cell(a: str, b: str) -> None:
    out = MD.render(f"| x | y |\n|---|---|\n| {md_escape(a)} | {md_escape(b)} |\n")
    cells = re.findall(r"<td>(.*?)</td>", out, re.S)
    assert [html.unescape(c).replace(UNPING, "") for c in cells] == [
        " ".join(a.split()),
        " ".join(b.split()),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        'x&y "q" <b>bold</b>',
        "https://evil.example/x",
        "www.evil.example",
        "mail@evil.example",
        "[link](javascript:alert(1))",
        "![img](http://x/y.png)",
        "`code` *em* _u_ ~~s~~ | pipe",
        "&amp; &#60;",
        "# heading\n- item",
    ],
)
def test_hostile_strings(text: str) -> None:
    escaped = md_escape(text)
    assert "<" not in escaped and ">" not in escaped and "\n" not in escaped
    # no autolink can start: the characters GitHub's autolinker keys on are escaped
    assert (
        "://" not in escaped and "www." not in escaped and re.search(r"(?<!\\)@", escaped) is None
    )
    rendered = MD.render(escaped)
    assert re.sub(r"</?p>", "", rendered).count("<") == 0
    assert text_of(rendered).strip().replace(UNPING, "") == " ".join(text.split())


# --------------------------------------------------------------------------- content


def test_summary_of_a_sweep(sweep: Path) -> None:
    md = summarize(
        sweep,
        gates=("last(val/loss) >= 0.3", "max(val/accuracy) <= 0.5 @ lr_0\\.1"),
        baseline="lr_0.1/*",
        group_by=r"seed_\d+",
        title="Nightly <sweep>",
        report="report.html",
    )
    assert md.startswith("## Nightly &lt;sweep&gt;\n")
    assert "<" not in md and "![" not in md  # markdown only: no HTML, no images
    rendered = MD.render(md)
    text = text_of(rendered)
    assert "❌ Gates: 1 of 2 failed" in text
    assert "last(val/loss) >= 0.3" in text and MARKUP_RUN in text
    assert "max(val/accuracy) <= 0.5 @ lr_0\\.1" in text  # the regex, shown as written
    assert "Δ: difference to the baseline lr_0.1/*." in text
    assert "Groups (mean ± std over runs; --group-by seed_\\d+)" in text
    assert "lr_0.1/* (baseline)" in text
    assert "Hyperparameters that differ" in text and "optimizer" not in text  # same everywhere
    assert "✅ Data health" in text
    assert "Full report: report.html" in text
    # one table row per (metric, run that has it): 3 metrics x 5 runs + val/loss of the markup run
    body = rendered.split("Key metrics", 1)[1].split("</table>", 1)[0]
    assert body.count("<tr>") == 1 + 3 * 5 + 1
    assert re.search(r"<td>[▁▂▃▄▅▆▇█·]{16}</td>", body)


def test_key_metric_rows_hold_last_step_best_and_delta(sweep: Path) -> None:
    md = summarize(sweep, baseline="lr_0.1/seed_1")
    logdir = tbreport.load(sweep)
    series = logdir.runs["lr_0.01/seed_1"].scalars["val/loss"]
    last = float(series.values[-1])
    best_i = int(series.values.argmin())
    base = float(logdir.runs["lr_0.1/seed_1"].scalars["val/loss"].values[-1])
    metric, rows = "", {}
    for line in md.split("### Key metrics", 1)[1].split("###", 1)[0].splitlines():
        if line.startswith("| ") and not line.startswith("| Metric"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            metric = cells[0] or metric
            rows[(metric, cells[1])] = cells
    cells = rows[("**val\\/loss**", "lr\\_0\\.01\\/seed\\_1")]
    from tbreport.fmt import fmt_float

    assert cells[2] == fmt_float(last)
    assert cells[3] == "200"
    assert cells[4] == f"{fmt_float(float(series.values[best_i]))} ({int(series.steps[best_i])})"
    assert cells[6].startswith("+" + fmt_float(last - base))
    assert cells[6].endswith("worse")


def test_summary_of_the_corpus_lists_every_warning_escaped() -> None:
    md = summarize(CORPUS)
    assert "<" not in md
    text = text_of(MD.render(md))
    logdir = tbreport.load(CORPUS)
    assert f"⚠️ Data health: {len(logdir.warnings)} problems" in text
    for w in logdir.warnings:
        assert " ".join(str(w).split()) in text
    rendered = MD.render(md)
    assert "<script" not in rendered and "<b>" not in rendered


def test_gate_that_cannot_be_checked(sweep: Path) -> None:
    text = text_of(MD.render(summarize(sweep, gates=("last(nope) >= 1",))))
    assert "❌ Gates: 1 of 1 failed" in text
    assert "cannot be checked" in text and "no scalar tag 'nope'" in text


def test_every_gate_passed(sweep: Path) -> None:
    text = text_of(
        MD.render(summarize(sweep, gates=("last(val/loss) >= 1", "max(val/accuracy) > 1")))
    )
    assert "✅ Gates: all 2 passed" in text


def _diverged_group(root: Path) -> Path:
    for i, v in enumerate([0.4, 0.6, float("nan")]):
        with tbreport.SummaryWriter(root / "exp" / f"seed_{i}") as w:
            w.add_scalar("val/loss", 1.0, 0)
            w.add_scalar("val/loss", v, 1)
    return root


def test_a_diverged_member_makes_the_group_row_nan_and_names_it(tmp_path: Path) -> None:
    md = summarize(_diverged_group(tmp_path), group_by=r"seed_\d+")
    row = next(line for line in md.splitlines() if line.startswith("| exp\\/\\* |"))
    assert row == "| exp\\/\\* | 3 | NaN (not finite\\: exp\\/seed\\_2) |"
    assert "0.5 ± " not in md


CONTROLS = [
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
    *(chr(c) for c in range(0x200B, 0x2010)),
    "\u2060",
    "\ufeff",
]


@pytest.mark.parametrize("ch", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_bidi_and_zero_width_controls_are_shown_escaped(ch: str) -> None:
    out = md_escape(f"r_{ch}RTL (1 run)")
    assert ch not in out
    assert out == f"r\\_\\\\u{ord(ch):04x}RTL \\(1 run\\)"
    # rendered, the reader sees the escape itself
    assert f"\\u{ord(ch):04x}" in text_of(MD.render(out))


def test_a_right_to_left_override_in_a_run_name_is_visible_in_the_summary(
    tmp_path: Path,
) -> None:
    with tbreport.SummaryWriter(tmp_path / "r_\u202eRTL") as w:
        w.add_scalar("val/lo\u200bss", 1.0, 0)
    md = summarize(tmp_path, group_by="RTL")
    assert not re.search("[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]", md)
    assert "r\\_\\\\u202eRTL" in md and "val\\/lo\\\\u200bss" in md


# --------------------------------------------------------------------------- no pings
# GitHub links mentions and issue references in the *rendered* HTML, outside pre, code,
# a, style and script (its html-pipeline's MentionFilter, TeamMentionFilter and
# IssueMentionFilter; the patterns below follow them). markdown-it (CommonMark + GFM
# tables, raw HTML on) stands in for GitHub's cmark-gfm parser, which makes none itself.

_USER = re.compile(
    r"(?:^|\W)@([a-z0-9][a-z0-9-]*)(?!/)(?=\.+[ \t\W]|\.+$|[^0-9a-zA-Z_.]|$)", re.I | re.M
)
_TEAM = re.compile(r"(?:^|\W)@([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9\-_]*)", re.I | re.M)
_ISSUE = re.compile(r"(?:^|close[sd]? |fixe[sd] | |\W)(?:gh-|#)(\d+)\b", re.I | re.M)
_REPO_ISSUE = re.compile(r"(?:^|\s|[(\[{])([\w-]+/?[.\w-]*)#(\d+)\b", re.M)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


class _GitHubText(HTMLParser):
    """The text GitHub's reference filters look at, and every link the markup made."""

    IGNORE = frozenset({"pre", "code", "a", "style", "script"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.linkable: list[str] = []
        self.links = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += tag in ("a", "img")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if not self.IGNORE & set(self.open):
            self.linkable.append(data)


def github_references(markdown: str) -> list[str]:
    """Every mention, team mention, issue reference, e-mail autolink or link GitHub
    would make of ``markdown``."""
    parser = _GitHubText()
    parser.feed(GFM.render(markdown))
    found = ["<a>"] * parser.links
    for text in parser.linkable:
        for rx in (_USER, _TEAM, _ISSUE, _REPO_ISSUE, _EMAIL):
            found += [m.group(0) for m in rx.finditer(text)]
    return found


GFM = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
PINGS = [
    "@org/team",
    "@octocat",
    "cc @octocat, please",
    "#123",
    "fixes #7",
    "GH-42",
    "gh-42",
    "octo/repo#9",
    "octo#9",
    "mail@example.com",
    "done @a.",
    "(@x)",
    "[#5]",
    "@@double ##12",
]


def test_the_reference_checker_finds_what_github_links() -> None:
    for text in PINGS:
        assert github_references(text), text  # raw, each would ping or link
    assert github_references(md_escape("`#1`")) == []


@pytest.mark.parametrize("text", PINGS)
def test_no_mention_or_issue_link_survives_escaping(text: str) -> None:
    escaped = md_escape(text)
    assert github_references(escaped) == []
    assert github_references(f"| a | b |\n|---|---|\n| {escaped} | x |\n") == []
    # a person reads the same text: only invisible joiners were added
    assert text_of(GFM.render(escaped)).strip().replace(UNPING, "") == text


@given(st.text(alphabet="@#/-_.( )abcGHgh0123456789xyz", max_size=30))
def test_no_reference_in_any_mix_of_at_hash_and_digits(text: str) -> None:
    escaped = md_escape(text)
    assert github_references(escaped) == []
    assert text_of(GFM.render(escaped)).strip().replace(UNPING, "") == " ".join(text.split())


def test_a_summary_of_pinging_run_names_tags_and_hparams_pings_nobody(tmp_path: Path) -> None:
    for i, run in enumerate(("@org/team", "#123", "GH-7")):
        with tbreport.SummaryWriter(tmp_path / run) as w:
            hp = {"owner": f"@octocat{i}", "ticket": f"octo/repo#{i + 9}"}
            w.add_hparams(hp, {"hparam/acc": 0.5})
            for step in range(5):
                w.add_scalar("val/acc@team", 0.5 + step / 10, step)
                w.add_scalar("loss#1", 1.0 / (step + 1), step)
    md = summarize(tmp_path, gates=["max(val/acc@team) < 2"], group_by="[0-9]+")
    assert "\\@\u200dorg" in md
    assert github_references(md) == []
    visible = text_of(GFM.render(md)).replace(UNPING, "")
    for text in ("@org/team", "#123", "GH-7", "val/acc@team", "loss#1", "@octocat1", "repo#10"):
        assert text in visible, text
