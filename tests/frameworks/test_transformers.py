"""Hugging Face Trainer(report_to="tensorboard") with tbreport's writer (a tiny model
made from a config: nothing is downloaded)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.frameworks.compare import assert_same, both, written_by_tbreport

torch = pytest.importorskip("torch")
pytest.importorskip("torch.utils.tensorboard")
transformers = pytest.importorskip("transformers")
pytestmark = pytest.mark.filterwarnings("ignore")


def _train(logdir: Path) -> None:
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(logdir / "tb")
    transformers.set_seed(0)
    config = transformers.BertConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        num_labels=2,
    )
    model = transformers.BertForSequenceClassification(config)
    g = torch.Generator().manual_seed(0)
    data = [
        {"input_ids": torch.randint(0, 50, (8,), generator=g), "labels": torch.tensor(i % 2)}
        for i in range(16)
    ]
    args = transformers.TrainingArguments(
        output_dir=str(logdir / "out"),
        report_to=["tensorboard"],
        logging_steps=1,
        max_steps=4,
        per_device_train_batch_size=4,
        save_strategy="no",
        use_cpu=True,
        seed=0,
        disable_tqdm=True,
    )
    transformers.Trainer(model=model, args=args, train_dataset=data).train()


def test_trainer_matches_torchs_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TENSORBOARD_LOGGING_DIR", "")  # restored after; set by _train
    theirs, ours = both(tmp_path, _train)
    assert written_by_tbreport(tmp_path / "tbreport" / "tb")
    timing = (
        "train/train_runtime",
        "train/train_samples_per_second",
        "train/train_steps_per_second",
    )
    assert_same(theirs, ours, timing=timing)
    (run,) = ours.runs.values()
    assert "train/loss" in run.scalars and len(run.scalars["train/loss"].steps) == 4
    assert any(tag.startswith("args") or tag.startswith("model_config") for tag in run.texts)
