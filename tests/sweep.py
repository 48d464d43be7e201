"""A small deterministic sweep logdir for the comparison, gate, summary and e-mail tests.

``lr_0.1/seed_{1,2,3}`` and ``lr_0.01/seed_{1,2}`` (hparams lr, seed, optimizer) with
``train/loss``, ``val/loss`` and ``val/accuracy`` every 10 steps up to 200, plus a run
named with markup (``<b>x</b>&"y"``) holding ``val/loss`` only, and in ``lr_0.01/seed_2``
a NaN in ``train/loss`` at step 100.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from tbreport import SummaryWriter

STEPS = list(range(0, 201, 10))
MARKUP_RUN = '<b>x</b>&"y"'


def curve(lr: float, seed: int, step: int, kind: str) -> float:
    rng = np.random.default_rng(seed * 1000 + step + (7 if kind == "val" else 0))
    base = (1.0 if lr == 0.1 else 1.6) * math.exp(-step / (60.0 if lr == 0.1 else 90.0))
    return float(base + 0.05 + 0.02 * rng.standard_normal())


def make_sweep(root: Path) -> Path:
    t0 = 1_700_000_000.0
    for lr, seeds in ((0.1, (1, 2, 3)), (0.01, (1, 2))):
        for seed in seeds:
            run = root / f"lr_{lr}" / f"seed_{seed}"
            with SummaryWriter(run) as w:
                w.add_hparams(
                    {"lr": lr, "seed": seed, "optimizer": "adam"},
                    {},
                    same_run=True,
                )
                for i, step in enumerate(STEPS):
                    wall = t0 + seed * 100 + i
                    train = curve(lr, seed, step, "train")
                    if lr == 0.01 and seed == 2 and step == 100:
                        train = math.nan
                    w.add_scalar("train/loss", train, step, walltime=wall)
                    val = curve(lr, seed, step, "val")
                    w.add_scalar("val/loss", val, step, walltime=wall)
                    w.add_scalar("val/accuracy", 1.0 - val / 2.0, step, walltime=wall)
    with SummaryWriter(root / MARKUP_RUN) as w:
        for i, step in enumerate(STEPS[:5]):
            w.add_scalar("val/loss", 0.9 - 0.01 * i, step, walltime=t0 + i)
    return root
