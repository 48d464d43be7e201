"""A tag too long to show is read shortened (its start, a hash, its length): a 5 MB tag
repeated in a report's headings, anchors and alt texts made a 55 MB report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tbreport
from tbreport.reader.load import MAX_TAG_CHARS, SHORT_TAG_CHARS
from tests import bounded


def _logdir(root: Path) -> Path:
    a, b = "a" * 2_000_000, "a" * 2_000_000 + "b"  # the same start: told apart by the hash
    with tbreport.SummaryWriter(root / "run") as w:
        for step in range(3):
            w.add_scalar(a, 0.1 * step, step)
            w.add_scalar(b, 0.2 * step, step)
            w.add_scalar("ok/loss", 1.0, step)
            w.add_image("i" * 1_000_000, np.zeros((3, 8, 8), dtype=np.uint8), step)
    return root


def test_long_tags_are_shortened_apart_and_noted(tmp_path: Path) -> None:
    logdir = tbreport.load(_logdir(tmp_path / "logdir"))
    run = logdir.runs["run"]
    long_tags = sorted(t for t in run.scalars if t != "ok/loss")
    assert len(long_tags) == 2 and long_tags[0] != long_tags[1]
    for tag in long_tags + list(run.images):
        assert len(tag) < MAX_TAG_CHARS and tag.startswith(tag[0] * SHORT_TAG_CHARS + "…")
    assert {t[-17:] for t in long_tags} == {"(2,000,000 chars)", "(2,000,001 chars)"}
    assert [len(run.scalars[t]) for t in long_tags] == [3, 3] and len(run.images) == 1
    (note,) = [w for w in logdir.warnings if w.category == "shortened"]
    assert not note.damage and "tags over 1,000 characters" in note.message


def test_a_report_of_long_tags_stays_small(tmp_path: Path) -> None:
    for module in ("matplotlib", "markdown_it", "nh3"):  # the report's stack
        pytest.importorskip(module)  # (absent from the oldest-protobuf venv)
    out = tmp_path / "report.html"
    result = bounded.build(_logdir(tmp_path / "logdir"), out, "--strict")
    assert result.returncode == 0, result.text[-2000:]  # a note: --strict passes
    assert out.stat().st_size < 400_000  # was ~8 copies of each tag: 40 MB
