"""Write ``sample_runs/``: a small, deterministic logdir made with tbreport's own writer.

``python -m tbreport._samples sample_runs`` (``make sample-runs``). Three runs of
a learning-rate sweep of the tutorial's MNIST CNN, with scalars (including a
unicode tag), images, histograms, text, hparams, a PR curve, audio, a custom
scalar layout and the model graph (the graph needs torch). Seeds, wall times,
host name and file names are fixed, so the output is byte-identical each time.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import math
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from tbreport.writer import env
from tbreport.writer.summary_writer import SummaryWriter

logger = logging.getLogger(__name__)

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
LEARNING_RATES = (0.1, 0.01, 0.001)
STEPS = 300


@contextmanager
def _deterministic_files() -> Iterator[None]:
    """Fixed event-file names and header times (host ``sample``, pid 0), through the
    writer's own seam (:func:`tbreport.writer.env.override`)."""
    clock = itertools.count()

    def fixed_time() -> float:
        return START + next(clock) * 1e-3

    with env.override(clock=fixed_time, hostname="sample", pid=0, counter=itertools.count()):
        yield


def _digit_images(rng: np.random.Generator, step: int, n: int = 8) -> np.ndarray[Any, Any]:
    """Blurry synthetic 'digits' that get sharper as training goes on: [N, 1, 28, 28] floats."""
    yy, xx = np.mgrid[0:28, 0:28]
    imgs = np.zeros((n, 1, 28, 28), dtype=np.float32)
    sharp = 1.0 + step / 60.0
    for i in range(n):
        cx, cy = 14 + 6 * math.cos(i), 14 + 6 * math.sin(i * 1.7)
        ring = np.exp(-(((np.hypot(xx - cx, yy - cy) - 6.0) * sharp / 2.5) ** 2))
        imgs[i, 0] = np.clip(ring + rng.normal(0, 0.15 / sharp, (28, 28)), 0, 1)
    return imgs


def tutorial_cnn() -> tuple[Any, Any]:
    """The seed tutorial's MNIST CNN (conv, batchnorm, dropout, linear) and its example input.

    ``Net`` with ``conv1 -> bn -> relu -> conv2 -> relu -> max_pool2d(2) -> dropout1 ->
    flatten -> fc1 -> relu -> dropout2 -> fc2 -> log_softmax``, input
    ``torch.rand(32, 1, 28, 28)``. Raises ``ImportError`` without torch.
    """
    import torch
    from torch import nn

    functional = torch.nn.functional

    class Net(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.bn = nn.BatchNorm2d(32)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x: Any) -> Any:
            x = functional.relu(self.bn(self.conv1(x)))
            x = functional.relu(self.conv2(x))
            x = functional.max_pool2d(x, 2)
            x = torch.flatten(self.dropout1(x), 1)
            x = self.dropout2(functional.relu(self.fc1(x)))
            return functional.log_softmax(self.fc2(x), dim=1)

    torch.manual_seed(0)
    return Net(), torch.rand(32, 1, 28, 28)


def _write_run(out: Path, lr: float, index: int, cnn: Any) -> None:
    rng = np.random.default_rng(index)
    name = f"mnist_cnn/lr_{lr:g}"
    speed = {0.1: 0.045, 0.01: 0.02, 0.001: 0.006}[lr]
    noise = {0.1: 0.09, 0.01: 0.04, 0.001: 0.02}[lr]
    with SummaryWriter(out / name, flush_secs=3600) as w:
        if cnn is not None and index == 0:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w.add_graph(*cnn)
        for step in range(STEPS):
            t = START + index * 3600 + step * 2.5
            loss = 2.3 * math.exp(-speed * step) + 0.05 + abs(rng.normal(0, noise))
            if lr == 0.1 and 120 <= step < 126:
                loss += 1.5 * math.exp(-(step - 120) / 2)  # a spike the charts should show
            acc = 1.0 - loss / 2.6 + rng.normal(0, noise / 4)
            w.add_scalar("train/loss", loss, step, walltime=t)
            w.add_scalar("train/accuracy", min(acc, 1.0), step, walltime=t)
            w.add_scalar("训练损失值", loss * 1.01, step, walltime=t)
            w.add_scalar("lr", lr * (0.5 ** (step // 100)), step, walltime=t)
            if step % 25 == 24:
                val = loss * 1.1 + 0.02
                w.add_scalar("val/loss", val, step, walltime=t)
                w.add_scalar("val/accuracy", 1.0 - val / 2.6, step, walltime=t)
            if step % 60 == 0 or step == STEPS - 1:
                spread = 0.2 + step / STEPS
                w.add_histogram("weights/conv1", rng.normal(0, 0.1 * spread, 288), step, walltime=t)
                w.add_histogram(
                    "weights/fc1", rng.normal(0.02 * spread, 0.05, 4000), step, walltime=t
                )
                w.add_histogram(
                    "grads/fc1", rng.standard_t(3, 2000) * 0.01 / spread, step, walltime=t
                )
            if step % 100 == 0 or step == STEPS - 1:
                w.add_images("samples/inputs", _digit_images(rng, step), step, walltime=t)
        w.add_text(
            "notes",
            f"## Run `{name}`\n\nSGD with momentum 0.9, learning rate **{lr:g}**, halved every "
            "100 steps.\n\n| setting | value |\n|---|---|\n| batch size | 64 |\n| epochs | 3 |\n\n"
            "<script>alert('this must show as text')</script>",
            STEPS - 1,
            walltime=START + index * 3600 + STEPS * 2.5,
        )
        labels = rng.random(500) > 0.5
        scores = np.clip(labels * (0.35 + lr) + rng.random(500) * 0.65, 0, 1)
        w.add_pr_curve("pr/class_7", labels, scores, STEPS - 1, walltime=START + index * 3600)
        if index == 0:
            tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(4000) / 8000)
            w.add_audio("audio/tone_440hz", tone, 0, sample_rate=8000, walltime=START)
            w.add_custom_scalars(
                {
                    "Training": {
                        "losses": ["Multiline", ["train/loss", "val/loss"]],
                        "accuracy": ["Multiline", ["train/accuracy", "val/accuracy"]],
                    }
                }
            )
        final_loss = 2.3 * math.exp(-speed * STEPS) + 0.05
        w.add_hparams(
            {"lr": lr, "optimizer": "sgd", "batch_size": 64, "batch_norm": True},
            {"hparam/val_loss": final_loss * 1.1, "hparam/val_accuracy": 1 - final_loss / 2.4},
            hparam_domain_discrete={"optimizer": ["sgd", "adam"]},
            global_step=STEPS - 1,
            same_run=True,
        )


def write_samples(out: str | Path) -> Path:
    """(Re)write the sample logdir at ``out``."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    try:
        cnn: Any = tutorial_cnn()
    except ImportError:
        logger.warning("torch is not installed: sample runs get no model graph")
        cnn = None
    with _deterministic_files():
        for index, lr in enumerate(LEARNING_RATES):
            _write_run(out, lr, index, cnn)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tbreport._samples", description=__doc__)
    parser.add_argument("out", nargs="?", default="sample_runs", help="where to write (replaced)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = write_samples(args.out)
    logger.info("wrote %s (host %s)", path, socket.gethostname())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
