"""pytorch-ignite's TensorboardLogger with tbreport's writer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frameworks.compare import assert_same, both, written_by_tbreport

torch = pytest.importorskip("torch")
pytest.importorskip("ignite")
pytestmark = pytest.mark.filterwarnings("ignore")


def _train(logdir: Path) -> None:
    from ignite.engine import Events, create_supervised_trainer
    from ignite.handlers.tensorboard_logger import (
        GradsHistHandler,
        OutputHandler,
        TensorboardLogger,
        WeightsScalarHandler,
    )

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(model, optimizer, torch.nn.functional.mse_loss)
    data = torch.utils.data.TensorDataset(torch.randn(32, 3), torch.randn(32, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=8)
    tb = TensorboardLogger(log_dir=str(logdir))
    tb.attach(
        trainer,
        log_handler=OutputHandler(tag="training", output_transform=lambda loss: {"loss": loss}),
        event_name=Events.ITERATION_COMPLETED,
    )
    tb.attach(trainer, log_handler=WeightsScalarHandler(model), event_name=Events.EPOCH_COMPLETED)
    tb.attach(trainer, log_handler=GradsHistHandler(model), event_name=Events.EPOCH_COMPLETED)
    trainer.run(loader, max_epochs=2)
    tb.close()


def test_tensorboard_logger_matches_the_peers_writer(tmp_path: Path) -> None:
    theirs, ours = both(tmp_path, _train)
    assert written_by_tbreport(tmp_path / "tbreport")
    assert_same(theirs, ours)
    run = ours.runs["."]
    assert len(run.scalars["training/loss"].steps) == 8
    assert run.histograms
