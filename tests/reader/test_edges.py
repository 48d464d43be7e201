"""Numbers at the edges (``tests/logdirs/extreme_values.py``): wall times in ms/µs/ns are
converted and said so; ±1e308, ±DBL_MAX, subnormals and int64 steps never crash an output
(every command runs in a 1.5 GB-capped child, ``tests/bounded.py``)."""

from __future__ import annotations

import email
import html
from pathlib import Path

import pytest

import tbreport
from tbreport.fmt import fmt_time
from tbreport.reader.load import wall_seconds
from tbreport.select import select
from tests import bounded
from tests.logdirs._write import START
from tests.logdirs.extreme_values import build_extreme_values


@pytest.fixture(scope="module")
def extreme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_extreme_values(tmp_path_factory.mktemp("edges") / "extreme_values")


@pytest.mark.parametrize(
    ("wall", "seconds", "unit"),
    [
        (START, START, ""),
        (START * 1e3, START, "milliseconds"),
        (START * 1e6, START, "microseconds"),
        (START * 1e9, START, "nanoseconds"),
        (-1e9, -1e9, ""),
        (0.0, 0.0, ""),
        (float("inf"), float("inf"), ""),
    ],
)
def test_wall_time_units(wall: float, seconds: float, unit: str) -> None:
    got, got_unit = wall_seconds(wall)
    assert got == pytest.approx(seconds) and got_unit == unit


def test_ms_us_ns_wall_times_are_read_as_seconds(extreme: Path) -> None:
    logdir = tbreport.load(extreme)
    for run in ("walltime_ms", "walltime_us", "walltime_ns"):
        walls = logdir.runs[run].scalars["loss"].wall_times
        assert walls[0] == pytest.approx(START) and walls[-1] == pytest.approx(START + 490)
    notes = sorted(w.message for w in logdir.warnings if w.category == "converted")
    assert notes == [
        f"50 wall times written in {unit}, not seconds (beyond the year 2286 as seconds); "
        "converted to seconds and shown as times"
        for unit in ("microseconds", "milliseconds", "nanoseconds")
    ]
    # a note, not damage: --strict still builds
    select(logdir, strict=True)


def test_every_output_of_the_extreme_values(extreme: Path, tmp_path: Path) -> None:
    for module in ("matplotlib", "tqdm", "markdown_it", "nh3"):  # the report's stack
        pytest.importorskip(module)  # (absent from the oldest-protobuf venv)
    out = tmp_path
    for args in (
        ("build", extreme, "-o", out / "r.html", "--summary-md", out / "s.md"),
        ("build", extreme, "-o", out / "svg.html", "--format", "svg"),
        ("email", extreme, "-o", out / "m.eml"),
        ("scalars", extreme, "--format", "csv", "-o", out / "s.csv"),
        ("scalars", extreme, "--format", "json", "-o", out / "s.json"),
        ("ls", extreme),
    ):
        result = bounded.run_cli(*args)  # type: ignore[arg-type]
        assert result.returncode == 0, (args[0], result.text[-2000:])
        assert "Traceback" not in result.text
    page = html.unescape((out / "r.html").read_text("utf-8"))
    assert "written in milliseconds" in page and fmt_time(START) in page
    assert "points beyond the y-range" in page  # ±1e308 clipped, and said so
    text = email.message_from_bytes((out / "m.eml").read_bytes())
    plain = next(p for p in text.walk() if p.get_content_type() == "text/plain")
    assert "written in nanoseconds" in plain.get_payload(decode=True).decode("utf-8")
    csv = (out / "s.csv").read_text("utf-8")
    assert "9223372036854775807" in csv and "-9223372036854775808" in csv
