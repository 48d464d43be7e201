"""sample_runs/ is what the current writer produces, byte for byte (regenerate: make sample-runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tbreport._samples import write_samples
from tests.cpu_variants import blas_kernels, environ

pytest.importorskip("torch")  # the sample's model graph is traced with torch

ROOT = Path(__file__).parents[1]
COMMITTED = ROOT / "sample_runs"


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_sample_runs_are_up_to_date(tmp_path: Path) -> None:
    fresh = _files(write_samples(tmp_path / "s"))
    committed = _files(COMMITTED)
    assert sorted(fresh) == sorted(committed)
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"sample_runs/ is stale ({stale}); run `make sample-runs`"


@pytest.mark.skipif(not blas_kernels(), reason="OPENBLAS_CORETYPE names x86-64 kernels")
def test_sample_runs_are_the_same_bytes_under_two_blas_kernels(tmp_path: Path) -> None:
    """Two CPUs write the same sample runs: the oldest and the newest kernel this CPU runs."""
    kernels = blas_kernels()
    written = {}
    for kernel in (kernels[0], kernels[-1]):
        out = tmp_path / kernel
        subprocess.run(
            [sys.executable, "-m", "tbreport._samples", str(out)],
            capture_output=True,
            check=True,
            timeout=300,
            cwd=ROOT,
            env=environ(PYTHONPATH=str(ROOT), OPENBLAS_CORETYPE=kernel),
        )
        written[kernel] = _files(out)
    first, last = written.values()
    assert sorted(first) == sorted(last)
    assert [n for n in first if first[n] != last[n]] == []
    assert first == _files(COMMITTED)
