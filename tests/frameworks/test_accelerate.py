"""accelerate's TensorBoard tracker with tbreport's writer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frameworks.compare import assert_same, both, written_by_tbreport

pytest.importorskip("torch.utils.tensorboard")
accelerate = pytest.importorskip("accelerate")
pytestmark = pytest.mark.filterwarnings("ignore")


def _train(logdir: Path) -> None:
    accelerator = accelerate.Accelerator(log_with="tensorboard", project_dir=str(logdir), cpu=True)
    accelerator.init_trackers("proj", config={"lr": 0.1, "optimizer": "sgd", "epochs": 2})
    for step in range(5):
        accelerator.log({"loss": 1.0 / (step + 1), "acc": step / 5}, step=step)
    accelerator.end_training()


def test_tracker_matches_torchs_writer(tmp_path: Path) -> None:
    theirs, ours = both(tmp_path, _train)
    assert written_by_tbreport(tmp_path / "tbreport")
    assert_same(theirs, ours)
    assert [r for r in ours.runs if ours.runs[r].scalars]
    hparams = [r.hparams for r in ours.runs.values() if r.hparams is not None]
    assert hparams and hparams[0].values["optimizer"] == "sgd"
