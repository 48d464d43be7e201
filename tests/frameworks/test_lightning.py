"""PyTorch Lightning's TensorBoardLogger with tbreport's writer: fit (with
save_hyperparameters() and log_graph=True), then test on the same trainer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frameworks.compare import assert_same, both, written_by_tbreport

torch = pytest.importorskip("torch")
pytest.importorskip("torch.utils.tensorboard")
pl = pytest.importorskip("pytorch_lightning")
pytestmark = pytest.mark.filterwarnings("ignore")  # the framework's own deprecations


class Tiny(pl.LightningModule):  # type: ignore[misc]
    def __init__(self, lr: float = 0.1, hidden: int = 4) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(3, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )
        self.example_input_array = torch.zeros(2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: list[torch.Tensor], _: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss)
        self.logger.experiment.add_histogram("w", self.net[0].weight, self.global_step)
        return loss

    def validation_step(self, batch: list[torch.Tensor], _: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self(x), y))

    def test_step(self, batch: list[torch.Tensor], _: int) -> None:
        x, y = batch
        self.log("test_loss", torch.nn.functional.mse_loss(self(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def _train(logdir: Path) -> None:
    from pytorch_lightning.loggers import TensorBoardLogger

    pl.seed_everything(0, verbose=False)
    data = torch.utils.data.TensorDataset(torch.randn(64, 3), torch.randn(64, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=8)
    trainer = pl.Trainer(
        max_epochs=2,
        logger=TensorBoardLogger(str(logdir), name="tiny", log_graph=True),
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=2,
        accelerator="cpu",
        devices=1,
    )
    model = Tiny()
    trainer.fit(model, loader, loader)
    trainer.test(model, loader, verbose=False)  # logs through the logger fit() closed


def test_lightning_fit_and_test_match_torchs_writer(tmp_path: Path) -> None:
    theirs, ours = both(tmp_path, _train)
    assert written_by_tbreport(tmp_path / "tbreport")
    assert not written_by_tbreport(tmp_path / "torch")
    assert_same(theirs, ours)
    run = ours.runs["tiny/version_0"]
    assert {"train_loss", "val_loss", "test_loss", "hp_metric", "epoch"} <= set(run.scalars)
    assert run.hparams is not None and run.hparams.values == {"lr": 0.1, "hidden": 4.0}
    assert run.graph is not None and len(run.graph) > 5
