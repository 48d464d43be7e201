"""The report built from the real corpus: everything in it appears, escaped, offline,
reproducibly; plus the options, strict mode, and an install into a fresh venv."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sysconfig
import threading
import venv
from collections import Counter
from html import unescape as html_unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tbreport import build_report
from tbreport.errors import GateFailedError, NoRunsFoundError, TbreportError
from tests.conftest import CORPUS

EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))["runs"]
ROOT = Path(__file__).resolve().parents[2]
SUFFIX = "/text_summary"


class Page(HTMLParser):
    """Text per report section, tag headings per section, and media counts."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.section = ""
        self.text: list[str] = []
        self.headings: dict[str, list[str]] = {}
        self.media: Counter[tuple[str, str]] = Counter()
        self.attrs: list[tuple[str, str, str]] = []
        self.elements: Counter[str] = Counter()
        self._tag_heading = False
        self._buf: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements[tag] += 1
        for k, v in a.items():
            self.attrs.append((tag, k, v))
        if tag == "section" and "kind" in a.get("class", "").split():
            self.section = a.get("id", "")
        if tag == "h4" and "tag" in a.get("class", "").split():
            self._tag_heading, self._buf = True, []
        if tag == "img" and "chart-dark" in a.get("class", "").split():
            self.media[(self.section, "dark img")] += 1  # a chart's twin for a dark screen
        elif tag in ("img", "audio", "svg", "pre"):
            self.media[(self.section, tag)] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "h4" and self._tag_heading:
            self.headings.setdefault(self.section, []).append("".join(self._buf))
            self._tag_heading = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._tag_heading:
            self._buf.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Page]:
    out = tmp_path_factory.mktemp("report") / "report.html"
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    try:
        path = build_report(CORPUS, out, progress=False)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    html = path.read_text(encoding="utf-8")
    return path, html, Page(html)


def _ui(kind: str) -> dict[str, dict[str, object]]:
    return {run: v["ui"][kind] for run, v in EXPECTED.items() if kind in v["ui"]}


def test_every_run_appears(built: tuple[Path, str, Page]) -> None:
    _, _, page = built
    for run in EXPECTED:
        assert run in page.all_text


def test_every_scalar_tag_is_a_chart_or_its_numbers(built: tuple[Path, str, Page]) -> None:
    _, _, page = built
    counts: dict[str, list[int]] = {}
    for per_run in _ui("scalars").values():
        for tag, points in per_run.items():
            counts.setdefault(tag, []).append(len(points))  # type: ignore[arg-type]
    charts = sorted(t for t, c in counts.items() if max(c) > 2)
    numbers = sorted(t for t, c in counts.items() if max(c) <= 2)
    assert numbers  # the corpus has one- and two-point tags: no chart for them
    charted = page.headings.get("scalars", []) + page.headings.get("key-charts", [])
    assert sorted(charted) == charts
    assert page.media[("scalars", "img")] + page.media[("key-charts", "img")] == len(charts)
    dark = page.media[("scalars", "dark img")] + page.media[("key-charts", "dark img")]
    assert dark == len(charts)  # each with its dark twin
    # the numbers: in the key-metrics panel or the "Single values" section, once
    key = set(page.headings["key"])
    assert sorted(page.headings["single-values"] + [t for t in numbers if t in key]) == numbers


def test_every_image_is_embedded(built: tuple[Path, str, Page]) -> None:
    _, _, page = built
    images = _ui("images")
    tags = sorted(t for per_run in images.values() for t in per_run)
    assert sorted(page.headings["images"]) == tags
    blobs = sum(
        n - 2 for per_run in images.values() for v in per_run.values() for _, n in v["items"]
    )  # type: ignore[attr-defined]
    assert page.media[("images", "img")] == blobs


def test_every_text_histogram_audio_and_pr_curve(built: tuple[Path, str, Page]) -> None:
    _, _, page = built
    texts = {t.removesuffix(SUFFIX) for per_run in _ui("text").values() for t in per_run}
    # a set: we also recover the text record TensorBoard drops after edge_cases/crc_corrupt's bad CRC
    assert set(page.headings["text"]) == texts
    assert page.headings["text"].count("edge/text") == 2
    for per_run in _ui("text").values():
        for v in per_run.values():
            for value in v["values"]:  # type: ignore[attr-defined]
                for line in value if isinstance(value, list) else [value]:
                    plain = re.sub(r"[*#`|\-]", "", line).split()[0]
                    assert plain in page.all_text
    hist = sorted(t for per_run in _ui("histograms").values() for t in per_run)
    assert sorted(page.headings["histograms"]) == hist
    assert sorted(page.headings["distributions"]) == hist
    assert page.media[("histograms", "svg")] == len(hist)  # one SVG panel per (tag, run)
    audio = _ui("audio")
    clips = sum(n for per_run in audio.values() for v in per_run.values() for _, n in v["items"])  # type: ignore[attr-defined]
    assert page.media[("audio", "audio")] == clips
    pr = {t for per_run in _ui("pr_curves").values() for t in per_run}
    assert sorted(page.headings["pr-curves"]) == sorted(pr)


def test_hparams_table_and_graphs(built: tuple[Path, str, Page]) -> None:
    _, html, _ = built
    sessions = [run for run, v in EXPECTED.items() if "hparams" in v["ui"]]
    hp_section = html.split('id="hparams"', 1)[1].split("</section>", 1)[0]
    for run in sessions:
        assert run in hp_section
    for name in ("lr", "batch_size", "optimizer", "use_bn", "layers", "act", "dropout_on"):
        assert f">{name}</th>" in hp_section
    for metric in ("hparam/accuracy", "hparam/loss", "hparam/score"):
        assert metric in hp_section
    assert "rmsprop" in hp_section and "polyline" in hp_section
    graphs = [run for run, v in EXPECTED.items() if v["ui"].get("graph")]
    graph_section = html.split('id="graphs"', 1)[1].split("</section>", 1)[0]
    assert graph_section.count('<div class="graph-viewer">') == len(graphs)  # one overview each
    for run in graphs:
        assert run in graph_section


def test_data_health_lists_every_damaged_file(built: tuple[Path, str, Page]) -> None:
    _, html, _ = built
    health = html.split('class="health', 1)[1].split("</section>", 1)[0]
    for name in ("crc_corrupt", "truncated", "empty_file", "garbage_file"):
        assert name in health


def test_everything_from_logs_is_escaped(built: tuple[Path, str, Page]) -> None:
    _, html, page = built
    assert "<script>alert" not in html
    assert "<b>bold</b>" not in html
    # ours, at the end; every other script element is a live chart's data (JSON, never run)
    data = [v for tag, attr, v in page.attrs if tag == "script" and attr == "type"]
    assert page.elements["script"] == 1 + len(data)
    assert set(data) <= {"application/json"}
    body = html.rsplit("<script>\n", 1)[0]  # the page before our script
    assert body.count('<script type="application/json" class="tbc-data">') == len(data)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "x&amp;y &#34;q&#34; &lt;b&gt;bold&lt;/b&gt;" in html or "x&amp;y &quot;q&quot;" in html
    assert "<script>alert(1)</script>" in page.all_text  # shown as text
    for tag, attr, _ in page.attrs:
        assert not attr.startswith("on"), f"event handler on <{tag}>"


def test_offline_no_remote_resource(built: tuple[Path, str, Page]) -> None:
    _, html, page = built
    for tag, attr, value in page.attrs:
        if attr in ("src", "href", "xlink:href", "poster", "data", "srcset", "action"):
            assert value.startswith(("data:", "#")), f"<{tag} {attr}={value[:60]}>"
    assert re.search(r"https?://", html) is None
    # url() only to a fragment of the page itself (the graphs' arrowhead marker)
    assert "@import" not in html and re.search(r"url\((?!#[\w-]+\))", html) is None
    assert "default-src 'none'" in html  # the page's CSP forbids any fetch


def test_reproducible_except_build_time(
    built: tuple[Path, str, Page], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, html, _ = built
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    again = build_report(CORPUS, tmp_path / "again.html", progress=False, jobs=1)
    assert again.read_bytes() == first.read_bytes()
    assert "2023-11-14 22:13:20 UTC" in html
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    later = build_report(CORPUS, tmp_path / "later.html", progress=False).read_text(
        encoding="utf-8"
    )
    assert later != html
    assert later.replace("2027-01-15 08:00:00 UTC", "2023-11-14 22:13:20 UTC") == html


def test_filters_and_options(tmp_path: Path) -> None:
    out = build_report(
        CORPUS,
        tmp_path / "f.html",
        runs=r"^exp1/",
        tags="^acc$",
        title="My <title>",
        smoothing=0.0,
        x_axis="relative",
        format="svg",
        progress=False,
    )
    html = out.read_text(encoding="utf-8")
    page = Page(html)
    assert page.headings["key-charts"] == ["acc"]  # the one key metric: its chart follows
    assert "scalars" not in page.headings  # nothing else is left to chart
    assert "My &lt;title&gt;" in html
    assert "torch_media" not in page.all_text
    assert page.media[("key-charts", "svg")] == 1 and page.media[("key-charts", "img")] == 0
    assert "28 runs filtered out" in " ".join(page.all_text.split())


def test_image_steps_limit(tmp_path: Path) -> None:
    out = build_report(
        CORPUS, tmp_path / "i.html", runs="torch_media", image_steps=1, progress=False
    )
    page = Page(out.read_text(encoding="utf-8"))
    assert page.media[("images", "img")] == 11  # one step per tag


def test_bad_options_and_inputs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="smoothing"):
        build_report(CORPUS, tmp_path / "x.html", smoothing=1.0)
    with pytest.raises(ValueError, match="regular expression"):
        build_report(CORPUS, tmp_path / "x.html", runs="(")
    with pytest.raises(TypeError, match="unknown option"):
        build_report(CORPUS, tmp_path / "x.html", colour="red")
    with pytest.raises(NoRunsFoundError):
        build_report(tmp_path, tmp_path / "x.html")
    with pytest.raises(NoRunsFoundError, match="no run matches"):
        build_report(CORPUS, tmp_path / "x.html", runs="^nothing$")
    assert not (tmp_path / "x.html").exists()


def test_strict_turns_damage_into_an_error(tmp_path: Path) -> None:
    with pytest.raises(TbreportError, match="strict"):
        build_report(CORPUS / "edge_cases", tmp_path / "s.html", strict=True)
    ok = build_report(CORPUS / "exp1", tmp_path / "ok.html", strict=True, progress=False)
    assert ok.exists()


def test_missing_graphviz_shows_dot_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from tbreport.render import graphviz

    monkeypatch.setattr(graphviz, "dot_executable", lambda: None)
    out = build_report(CORPUS, tmp_path / "g.html", runs="graph", progress=False)
    html = out.read_text(encoding="utf-8")
    assert html.count('<pre class="dot">digraph G {') == 3
    warnings = [r for r in caplog.records if "dot" in r.getMessage()]
    assert len(warnings) == 1  # one warning, not one per graph
    assert "Graphviz" in html.split('class="health', 1)[1].split("</section>", 1)[0]
    from tbreport.errors import GraphvizNotFoundError

    with pytest.raises(GraphvizNotFoundError):
        build_report(CORPUS / "tbx_graph", tmp_path / "g2.html", strict=True, progress=False)


def test_every_anchor_link_has_a_target_and_ids_are_unique(built: tuple[Path, str, Page]) -> None:
    _, _, page = built
    ids = [v for _, attr, v in page.attrs if attr == "id"]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1][:5]
    links = {
        v[1:] for _, attr, v in page.attrs if attr == "href" and v.startswith("#") and len(v) > 1
    }
    assert links and links <= set(ids), sorted(links - set(ids))[:5]


def test_report_size_is_reasonable(built: tuple[Path, str, Page]) -> None:
    path, _, _ = built
    assert path.stat().st_size < 2_000_000


def test_pip_install_into_a_fresh_venv_builds_a_report(tmp_path: Path) -> None:
    """The wheel carries the templates: a venv outside the source tree can build."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=True, symlinks=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # the dependencies come from this interpreter's environment (which may itself be a
    # venv, whose packages system_site_packages would not see); tbreport itself is not
    # taken from there: an editable install's .pth is not processed in an added directory
    new_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(new_site) / "_parent_env.pth").write_text("\n".join(sorted(here)) + "\n")
    src = tmp_path / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git",
            "build",
            "dist",
            ".venv*",
            "__pycache__",
            "*.egg-info",
            "benchmarks",
            "tests",
            ".mypy_cache",
            ".ruff_cache",
            ".pytest_cache",
            ".hypothesis",
        ),
    )
    # offline when the build backend is here (the dev extra has it); else pip fetches it
    offline = (
        ["--no-build-isolation", "--no-index"] if importlib.util.find_spec("hatchling") else []
    )
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", *offline, str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = elsewhere / "report.html"
    run = subprocess.run(
        [str(python), "-m", "tbreport", "build", str(CORPUS / "exp1"), "-o", str(out), "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=elsewhere,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert run.returncode == 0, run.stderr
    html = out.read_text(encoding="utf-8")
    assert "exp1/lr_0.1" in html or "lr_0.1" in html
    where = subprocess.run(
        [str(python), "-c", "import tbreport.render.assets as a; print(a.templates_dir())"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert str(env_dir) in where.stdout  # templates from the installed package


def test_a_diverged_group_member_is_named_in_the_table_and_legend(tmp_path: Path) -> None:
    from tbreport import SummaryWriter

    for i, v in enumerate([0.4, 0.6, float("nan")]):
        with SummaryWriter(tmp_path / "logs" / "exp" / f"seed_{i}") as w:
            w.add_scalar("val/loss", 1.0, 0)
            w.add_scalar("val/loss", 0.9, 1)  # three points: a chart, with its legend
            w.add_scalar("val/loss", v, 2)
    out = build_report(tmp_path / "logs", tmp_path / "r.html", group_by=r"seed_\d+", progress=False)
    text = " ".join(re.sub(r"<[^>]+>", "", out.read_text(encoding="utf-8")).split())
    assert "exp/* (3 runs; not finite: exp/seed_2) NaN" in text  # the chart's legend
    assert "3 NaNnot finite: exp/seed_2best 0.6333 ± 0.2517" in text  # the run-table group row
    assert "0.5 ± 0.1414" not in text and "(2 runs)" not in text


#: bidi and zero-width controls: invisible, yet they reorder or hide the text around them
BIDI_CONTROLS = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_VOID = {"br", "img", "meta", "link", "input", "hr", "wbr", "col", "source", "area", "base"}


#: elements that isolate their content: inline isolates, and blocks / table cells / SVG
#: text, which start a bidi paragraph of their own (enough when the text is all they hold)
_ISOLATES = {"bdi", "code"}
_BLOCKS = {"td", "th", "li", "p", "div", "dt", "dd", "h1", "h2", "h3", "h4", "text", "option"}


class _Isolation(HTMLParser):
    """Text nodes holding a bidi control that is not isolated from other text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        # tag, classes, text pieces, child element count
        self.stack: list[tuple[str, list[str], list[str], list[int]]] = []
        self.bad: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stack:
            self.stack[-1][3][0] += 1
        if tag not in _VOID:
            self.stack.append((tag, (dict(attrs).get("class") or "").split(), [], [0]))

    def handle_endtag(self, tag: str) -> None:
        while tag not in _VOID and self.stack:
            top = self.stack.pop()
            self._check(*top)
            if top[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.stack and data.strip():
            self.stack[-1][2].append(data)

    def _check(self, tag: str, classes: list[str], texts: list[str], children: list[int]) -> None:
        if not any(BIDI_CONTROLS.search(t) for t in texts):
            return
        if tag in ("title", "script", "style") or tag in _ISOLATES:
            return
        if {"rn", "path"} & set(classes):
            return
        if tag in _BLOCKS and len(texts) == 1 and children[0] == 0:
            return
        self.bad.append(f"<{tag} class={classes}>: {texts!r}")


def unisolated_controls(html: str) -> list[str]:
    """Every piece of text with a bidi/zero-width control that is not alone in an
    isolating element (``<bdi>``, ``.rn``, ``<code>``: ``unicode-bidi: isolate``)."""
    return _Isolation(html).bad


def test_bidi_controls_in_run_names_and_tags_are_isolated(tmp_path: Path) -> None:
    from tbreport import SummaryWriter

    for name in ("r_\u202eRTL", "other\u2066x"):
        with SummaryWriter(tmp_path / "logs" / name) as w:
            w.add_hparams({"opt": "a\u202eb"}, {"val/lo\u200bss": 0.5})
            w.add_scalar("val/lo\u200bss", 1.0, 0)
            w.add_scalar("val/lo\u200bss", 0.7, 1)  # three points: a chart, with its legend
            w.add_scalar("val/lo\u200bss", 0.5, 2)
    out = build_report(
        tmp_path / "logs", tmp_path / "r.html", group_by="RTL", baseline="r_\u202e*", progress=False
    )
    html = out.read_text(encoding="utf-8")
    assert "\u202e" in html and "\u200b" in html  # kept as they are, but isolated
    assert unisolated_controls(html) == []
    # "(1 run)" after the group's name (the chart legend) is outside the name's isolate
    assert 'rn">r_\u202e*</span></span> <span class="muted">(1 run)' in html
    assert "unicode-bidi: isolate" in html


def test_fail_if_and_summary_md_work_as_on_the_command_line(tmp_path: Path) -> None:
    from tbreport import SummaryWriter

    for i, v in enumerate([0.4, 0.6]):
        with SummaryWriter(tmp_path / "logs" / f"seed_{i}") as w:
            w.add_scalar("val/loss", 1.0, 0)
            w.add_scalar("val/loss", v, 1)
    logs, md = tmp_path / "logs", tmp_path / "summary.md"
    out = build_report(logs, tmp_path / "ok.html", fail_if="last(val/loss) > 0.7", summary_md=md)
    assert out.is_file() and "Gates: 1 passed" in md.read_text(encoding="utf-8")
    with pytest.raises(
        GateFailedError, match=r"gate tripped: .*'seed_1' has last\(val/loss\) = 0.6"
    ):
        build_report(
            logs,
            tmp_path / "bad.html",
            fail_if=["last(val/loss) > 0.5", "max(val/loss) > 9"],
            summary_md=md,
        )
    # the report and the summary are written first, as the CLI does before exit 3
    assert (tmp_path / "bad.html").is_file()
    assert "Gates: 1 of 2 failed" in md.read_text(encoding="utf-8")
    # and the report says so first, with the run that tripped and its value
    ok, bad = (Page((tmp_path / n).read_text(encoding="utf-8")) for n in ("ok.html", "bad.html"))
    assert "CI gates: 1 of 1 passed" in ok.all_text
    text = bad.all_text
    assert "CI gates: 1 of 2 failed" in text
    assert "gate tripped: last(val/loss) > 0.5: run 'seed_1' has last(val/loss) = 0.6" in text
    raw = (tmp_path / "bad.html").read_text(encoding="utf-8")
    assert raw.index('id="gates"') < raw.index('id="key"')
    assert '<a href="#gates">CI gates</a>' in raw
    assert "CI gates" not in Page(build_report(logs, tmp_path / "plain.html").read_text()).all_text
    with pytest.raises(ValueError):  # a malformed gate: before anything is read
        build_report(tmp_path / "missing", tmp_path / "x.html", fail_if="last(val/loss) >")


# --------------------------------------------------------------- per-part isolation


def _parts_logdir(root: Path) -> Path:
    """Two runs: eight ordinary scalar tags (enough for the chart pool to start), the
    tags the tests below make fail, and two image tags."""
    import numpy as np

    from tbreport import SummaryWriter

    for run in ("a", "b"):
        with SummaryWriter(str(root / run)) as w:
            for step in range(12):
                for i in range(8):
                    w.add_scalar(f"good/c{i}", 1.0 / (step + 1 + i), step)
                w.add_scalar("bad/loss", 0.5 + step, step)
                w.add_scalar("bad/draw", 5000.0 + step, step)  # its y-range marks it
            for step in (0, 5):
                pixels = np.full((3, 8, 8), 0.2 * (step + 1), dtype=np.float32)
                w.add_image("imgs/ok", pixels, step)
                w.add_image("imgs/bad", pixels, step)
    return root


@pytest.fixture(scope="module")
def parts_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _parts_logdir(tmp_path_factory.mktemp("parts"))


def _cards(html: str) -> list[str]:
    """The text of every "could not draw" card."""
    found = re.findall(r'<div class="failed" role="note">(.*?)</div>', html, re.S)
    return [html_unescape(re.sub(r"<[^>]+>", "", c)) for c in found]


def _health(page: Page) -> str:
    text = page.all_text
    return text[text.index("Data health") : text.index("Contents")]


def _build_cli(logdir: Path, out: Path, *extra: str) -> int:
    from tbreport.cli import main

    return main(["build", str(logdir), "-o", str(out), "-q", "-j", "2", *extra])


def test_a_builder_failing_on_one_tag_costs_only_that_tag(
    parts_logdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tbreport.render import scalar

    real = scalar.prepare_lines

    def prepare(entries: Any, *args: Any) -> Any:
        if entries[0][1].tag == "bad/loss":
            raise ZeroDivisionError("the bad tag")
        return real(entries, *args)

    monkeypatch.setattr(scalar, "prepare_lines", prepare)
    out = tmp_path / "r.html"
    assert _build_cli(parts_logdir, out) == 0
    html = out.read_text(encoding="utf-8")
    page = Page(html)
    assert _cards(html) == ["could not draw bad/loss: ZeroDivisionError: the bad tag"]
    assert "could not draw bad/loss (scalars): ZeroDivisionError: the bad tag" in _health(page)
    # every other tag is drawn, in its section, with its chart
    heads = page.headings["scalars"] + page.headings.get("key-charts", [])
    assert sorted(set(heads)) == sorted([f"good/c{i}" for i in range(8)] + ["bad/draw"])
    assert page.media[("scalars", "img")] + page.media[("key-charts", "img")] == 9
    assert page.media[("images", "img")] == 8
    # the card sits in the scalar section (its group "bad" went to the key charts)
    scalars = html[html.index('id="scalars"') : html.index('id="images"')]
    assert 'class="failed"' in scalars

    # --strict: the same report is written, then exit 2
    strict = tmp_path / "s.html"
    assert _build_cli(parts_logdir, strict, "--strict") == 2
    assert _cards(strict.read_text(encoding="utf-8")) == _cards(html)


def test_a_builder_failing_on_every_tag_is_one_card_for_its_section(
    parts_logdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tbreport.render import image

    def broken(*args: Any) -> Any:
        raise KeyError("nope")

    monkeypatch.setattr(image, "_gallery", broken)
    out = tmp_path / "r.html"
    assert _build_cli(parts_logdir, out) == 0
    html = out.read_text(encoding="utf-8")
    page = Page(html)
    assert _cards(html) == ["could not draw the images section: KeyError: 'nope'"]
    assert page.media[("images", "img")] == 0
    assert len(page.headings["scalars"]) + len(page.headings.get("key-charts", [])) == 10


def test_a_chart_whose_drawing_raises_in_a_worker_is_a_card(
    parts_logdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tbreport.render.lines import LineChart

    parent = os.getpid()
    real = LineChart.draw

    def draw(self: LineChart, fig: Any) -> None:
        if self.ylim[1] > 1000:  # the chart of bad/draw
            where = "worker" if os.getpid() != parent else "parent"
            raise RuntimeError(f"cannot draw in the {where}")
        real(self, fig)

    if threading.active_count() > 1:  # the workers come from a forkserver: no monkeypatch there
        pytest.skip("other threads alive (earlier tests): chart workers are not forked")
    monkeypatch.setattr(LineChart, "draw", draw)
    out = tmp_path / "r.html"
    assert _build_cli(parts_logdir, out) == 0
    html = out.read_text(encoding="utf-8")
    cards = _cards(html)
    assert cards == ["could not draw chart of bad/draw: RuntimeError: cannot draw in the worker"]
    page = Page(html)
    assert "could not draw chart of bad/draw" in _health(page)
    # the card takes the chart's place in its card; the other nine charts are drawn
    card = re.search(
        r'<figure class="card" id="[^"]+" data-tag="bad/draw">.*?</figure>', html, re.S
    )
    assert card is not None and 'class="failed"' in card.group()
    charts = page.media[("scalars", "img")] + page.media[("key-charts", "img")]
    assert charts == 9


def test_a_template_that_raises_on_one_item_costs_only_that_item(
    parts_logdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tbreport.render import assets

    real = assets.wrap_path

    def wrap(text: str) -> Any:
        if text == "imgs/bad":
            raise ValueError("a template error")
        return real(text)

    monkeypatch.setattr(assets, "wrap_path", wrap)
    assets.environment.cache_clear()  # the jinja environment takes the filter anew
    try:
        out = tmp_path / "r.html"
        assert _build_cli(parts_logdir, out) == 0
    finally:
        monkeypatch.undo()
        assets.environment.cache_clear()
    html = out.read_text(encoding="utf-8")
    page = Page(html)
    # a card in place of each run's gallery of the tag; one line in the health box
    assert _cards(html) == ["could not draw imgs/bad: ValueError: a template error"] * 2
    assert "could not draw imgs/bad (Images): ValueError: a template error" in _health(page)
    assert page.headings["images"] == ["imgs/ok", "imgs/ok"]  # both runs' galleries
    assert page.media[("images", "img")] == 4


def test_a_failure_is_one_log_line_and_its_traceback_only_at_debug(
    parts_logdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from tbreport.cli import main
    from tbreport.render import image

    def broken(*args: Any) -> Any:
        raise KeyError("nope")

    monkeypatch.setattr(image, "_gallery", broken)
    args = ["build", str(parts_logdir), "-o", str(tmp_path / "r.html"), "-j", "1"]
    assert main(args) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "could not draw" in line]
    assert lines == ["tbreport: warning: could not draw the images section: KeyError: 'nope'"]
    assert "Traceback" not in err
    assert main([*args, "-vv"]) == 0
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_summary_md_names_a_part_that_fails_and_writes_the_rest(
    parts_logdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tbreport.report import markdown

    def broken(data: Any) -> list[str]:
        raise MemoryError("no room for the table")

    monkeypatch.setattr(markdown, "_metric_lines", broken)
    md = tmp_path / "s.md"
    assert _build_cli(parts_logdir, tmp_path / "r.html", "--summary-md", str(md)) == 0
    text = re.sub(r"\\(.)", r"\1", md.read_text(encoding="utf-8"))  # markdown escapes off
    assert "could not draw the key metrics: MemoryError: no room for the table" in text
    assert text.startswith("## ") and "Data health: 1 problem" in text
    assert (tmp_path / "r.html").exists()
