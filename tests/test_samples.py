"""sample_runs/ is what the current writer produces, byte for byte (regenerate: make sample-runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tbreport._samples import write_samples

pytest.importorskip("torch")  # the sample's model graph is traced with torch

COMMITTED = Path(__file__).parents[1] / "sample_runs"


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
