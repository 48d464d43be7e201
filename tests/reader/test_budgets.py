"""Budgets by bytes: a small record claiming a huge shape, count or header never decodes
to its claim (``tests/logdirs/huge_claims.py``, one case per run).

Each case is built alone with the real command line in a child capped at 1.5 GB of
address space (``tests/bounded.py``): it finishes, exits 0, writes a small report, keeps
the run's ordinary scalar and says in the data-health box what was skipped, naming the
file, record and tag. TensorBoard's plugins raise ``MemoryError`` on six of these.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest

import tbreport
from tests import bounded
from tests.logdirs.huge_claims import build_huge_claims, cases

REFUSED = {
    # run -> what the warning says about its record
    "text_shape_huge": "string tensor of shape [100000, 100000] stores 1 value",
    "text_shape_large": "string tensor of shape [10000, 1000] stores 1 value",
    "text_shape_under_cap": "string tensor of shape [2000, 2000] stores 1 value",
    "image_png_header": "PNG header claims 30000x30000 px",
    "image_tensor_batch": "string tensor of shape [10000000000] stores 1 value",
    "image_tensor_under_cap": "string tensor of shape [4000000] stores 3 values",
    "audio_tensor": "string tensor of shape [1000000000, 10] stores 1 value",
    "histogram_tensor": "float64 tensor of shape [1000000000, 3] stores 1 value",
    "histogram_empty_tensor": "float64 tensor of shape [1000000000, 3] stores 0 values",
    "pr_curve_thresholds": "float32 tensor of shape [6, 1000000000] stores 1 value",
    "scalar_tensor_shape": "float32 tensor of shape [10000000000] stores 1 value",
}
KEPT = ("image_claimed_size", "audio_claimed_frames", "audio_wav_header", "graph_claims")
REPORT_LIMIT = 1 << 20
"""A one-run report of these is ~50 KB; the claims made 378 MB and 856 MB ones."""


@pytest.fixture(scope="module")
def huge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_huge_claims(tmp_path_factory.mktemp("huge") / "huge_claims")


def _alone(huge: Path, run: str, tmp_path: Path) -> Path:
    logdir = tmp_path / "logdir"
    shutil.copytree(huge / run, logdir / run)
    return logdir


def test_every_case_is_covered() -> None:
    assert set(REFUSED) | set(KEPT) | {"hparams_counts"} == set(cases()) | {"graph_claims"}


@pytest.mark.parametrize("run", sorted(REFUSED))
def test_a_claim_beyond_the_budget_is_skipped_with_a_warning(
    run: str, huge: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = bounded.build(_alone(huge, run, tmp_path), out)
    assert result.returncode == 0, result.text[-2000:]
    assert out.stat().st_size < REPORT_LIMIT
    page = html.unescape(out.read_text("utf-8"))
    # header, ok/loss, then the claim: record 2
    assert "values that could not be decoded; skipped them (first: record 2 (byte 83) tag " in page
    assert REFUSED[run] in page
    assert "events.out.tfevents" in page  # the file is named
    assert "ok/loss" in page  # the rest of the file was read


@pytest.mark.parametrize("run", KEPT)
def test_claims_within_reach_are_read_as_the_bytes_say(
    run: str, huge: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = bounded.build(_alone(huge, run, tmp_path), out)
    assert result.returncode == 0, result.text[-2000:]
    assert out.stat().st_size < REPORT_LIMIT
    assert "could not be decoded" not in out.read_text("utf-8")


def test_hparams_of_twenty_thousand_build(huge: Path, tmp_path: Path) -> None:
    """20,000 hparams and a 50,000-value domain (a ~1 MB record) build: they are data."""
    out = tmp_path / "report.html"
    result = bounded.build(_alone(huge, "hparams_counts", tmp_path), out)
    assert result.returncode == 0, result.text[-2000:]
    assert out.stat().st_size < 16 * (1 << 20)


def test_the_whole_logdir_builds_in_one_report(huge: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = bounded.build(huge, out)
    assert result.returncode == 0, result.text[-2000:]
    assert out.stat().st_size < 16 * (1 << 20)
    page = html.unescape(out.read_text("utf-8"))
    assert all(why in page for why in REFUSED.values())


def test_what_the_reader_keeps_of_each_claim(huge: Path) -> None:
    logdir = tbreport.load(huge)
    runs = logdir.runs
    assert all(run.scalars["ok/loss"].values.tolist() == [1.0] for run in runs.values())
    (image,) = runs["image_claimed_size"].images["image"].points[0].images
    assert image.size == (1, 1) and (image.width, image.height) == (2**31 - 1, 2**31 - 1)
    (clip,) = runs["audio_claimed_frames"].audio["audio"].points[0].clips
    assert (clip.sample_rate, clip.num_channels, clip.length_frames) == (8000.0, 1, 10)
    (clip,) = runs["audio_wav_header"].audio["audio"].points[0].clips
    assert clip.length_frames == 10  # the bytes hold 10 frames, not the 4 GB claimed
    graph = runs["graph_claims"].graph
    assert graph is not None and len(graph) == 3
    problems = [w for w in logdir.warnings if "could not be decoded" in w.message]
    assert {Path(w.path).parent.name for w in problems} == set(REFUSED)
    assert all(Path(w.path).name.startswith("events.out.tfevents") for w in problems)
    assert all((w.offset, w.index) == (83, 2) for w in problems)
