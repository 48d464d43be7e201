"""stable-baselines3 (PPO) with tbreport's writer, logging an HParam as its docs show."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frameworks.compare import assert_same, both, written_by_tbreport

pytest.importorskip("torch.utils.tensorboard")
sb3 = pytest.importorskip("stable_baselines3")
pytest.importorskip("gymnasium")
pytestmark = pytest.mark.filterwarnings("ignore")


def _train(logdir: Path) -> None:
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.logger import HParam

    class HParamCallback(BaseCallback):  # type: ignore[misc]
        def _on_training_start(self) -> None:
            hparams = {"algorithm": "PPO", "learning rate": self.model.learning_rate}
            metrics = {"rollout/ep_len_mean": 0, "train/value_loss": 0.0}
            self.logger.record(
                "hparams", HParam(hparams, metrics), exclude=("stdout", "log", "json", "csv")
            )

        def _on_step(self) -> bool:
            return True

    model = sb3.PPO(
        "MlpPolicy",
        "CartPole-v1",
        n_steps=64,
        batch_size=32,
        n_epochs=1,
        seed=0,
        device="cpu",
        tensorboard_log=str(logdir),
    )
    model.learn(total_timesteps=192, callback=HParamCallback())


def test_ppo_with_hparam_matches_torchs_writer(tmp_path: Path) -> None:
    theirs, ours = both(tmp_path, _train)
    assert written_by_tbreport(tmp_path / "tbreport")
    assert_same(theirs, ours, timing=("time/fps",))
    run = ours.runs["PPO_1"]
    assert {"train/value_loss", "time/fps", "rollout/ep_len_mean"} <= set(run.scalars)
    assert run.hparams is not None and run.hparams.values["algorithm"] == "PPO"
