"""``many_runs``: a 78-run sweep in which about half of the runs hold no scalars.

Written with tbreport's ``SummaryWriter``. Run names are 6 configurations x 13
seeds, long and alike: ``resnet20_adam_lr1e-3_bs128_seed0`` ...
``resnet56_sgd_lr1e-1_bs128_seed12``; seeds 0..12 make name order and natural order
differ (``seed10`` sorts before ``seed2``). Each run is one of (assigned by a seeded
shuffle, so the kinds interleave in name order):

- 40 **scalar** runs: hparams (``lr``, ``optimizer``, ``batch_size``, ``seed``,
  ``depth``; metric ``hparam/val_acc``, the last ``val/acc``) and ``train/loss``
  (100 points), ``val/loss`` and ``val/acc`` (10 points each);
- 20 **empty** runs: a writer opened and closed, the file holds only its
  ``file_version`` record (a job that died before its first step);
- 18 **hparams-only** runs: the hparams records and nothing else (a job that
  logged its configuration and died).

What TensorBoard reads: 78 runs; the 20 empty ones have no tags at all, the 18
hparams-only ones only the ``hparams`` plugin's three tags. ``colour_order()``
gives the runs in the order TensorBoard's run list sorts them, for comparing
colour assignment.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from tbreport import SummaryWriter
from tests.logdirs._write import START, finish, fresh, frozen

CONFIGS = (
    ("resnet20", "adam", 1e-3, "1e-3", 128),
    ("resnet20", "adam", 3e-4, "3e-4", 128),
    ("resnet20", "sgd", 0.1, "1e-1", 128),
    ("resnet20", "sgd", 0.1, "1e-1", 256),
    ("resnet56", "adam", 1e-3, "1e-3", 128),
    ("resnet56", "sgd", 0.1, "1e-1", 128),
)
SEEDS = 13
KINDS = ("scalars",) * 40 + ("empty",) * 20 + ("hparams",) * 18


def runs() -> list[tuple[str, str, tuple[Any, ...], int]]:
    """``(name, kind, config, seed)`` of every run, in writing order."""
    kinds = [KINDS[k] for k in np.random.default_rng(0).permutation(len(KINDS))]
    out = []
    for c, config in enumerate(CONFIGS):
        model, opt, _lr, lr_text, bs = config
        for seed in range(SEEDS):
            name = f"{model}_{opt}_lr{lr_text}_bs{bs}_seed{seed}"
            out.append((name, kinds[c * SEEDS + seed], config, seed))
    return out


def _write(w: SummaryWriter, config: tuple[Any, ...], seed: int, t0: float, scalars: bool) -> None:
    model, opt, lr, _lr_text, bs = config
    rng = np.random.default_rng(seed * 100 + CONFIGS.index(config))
    hp = {"lr": lr, "optimizer": opt, "batch_size": bs, "seed": seed, "depth": int(model[6:])}
    quality = (0.93 if model == "resnet56" else 0.91) - (0.02 if opt == "adam" else 0.0)
    final = quality + 0.004 * rng.normal()
    metrics = {"hparam/val_acc": final} if scalars else {}
    w.add_hparams(hp, metrics, {"optimizer": ["adam", "sgd"]}, run_name=".", global_step=999)
    if not scalars:
        return
    for step in range(0, 1000, 10):
        loss = 2.3 * math.exp(-step / 250) + 0.1 + 0.05 * rng.random()
        w.add_scalar("train/loss", loss, step, walltime=t0 + step)
        if step % 100 == 90:
            acc = final * (1 - math.exp(-(step + 10) / 250)) / (1 - math.exp(-1000 / 250))
            w.add_scalar("val/loss", loss * 1.1, step, walltime=t0 + step + 1)
            w.add_scalar("val/acc", acc if step != 990 else final, step, walltime=t0 + step + 1)


def build_many_runs(root: Path | str, *, scale: int = 1) -> Path:
    """Write the ``many_runs`` logdir into ``root`` (replaced); ``scale`` is unused (fixed size)."""
    del scale
    out = fresh(root)
    with frozen() as clock:
        for k, (name, kind, config, seed) in enumerate(runs()):
            t0 = START + 600 * k
            clock.now = t0
            with SummaryWriter(out / name, flush_secs=3600, max_queue=1000) as w:
                if kind != "empty":
                    _write(w, config, seed, t0, kind == "scalars")
    return finish(out)


def colour_order() -> list[str]:
    """Run names in the order TensorBoard lists (and colours) them: its core plugin's
    ``/runs`` sorts by the wall time of each run's first event, then by name, so here
    the writing order (seed 0, 1, ..., 12: not the name order, where seed10 < seed2)."""
    return [name for name, *_ in runs()]


def claims(*, scale: int = 1) -> dict[str, Any]:
    del scale
    hparams = {
        "_hparams_/experiment": 1,
        "_hparams_/session_start_info": 1,
        "_hparams_/session_end_info": 1,
    }
    out: dict[str, Any] = {}
    for name, kind, *_ in runs():
        if kind == "empty":
            out[name] = {"empty": True}
        elif kind == "hparams":
            out[name] = {"hparams": hparams, "only": ["hparams"]}
        else:
            out[name] = {
                "hparams": hparams,
                "scalars": {"train/loss": 100, "val/loss": 10, "val/acc": 10, "hparam/val_acc": 1},
            }
    return out
