"""``one_value_tags``: tags with one or two points beside ordinary series.

Written with tbreport's ``SummaryWriter``. Two runs, ``baseline`` and ``wider``,
each with:

- ordinary series: ``train/loss`` (200 points, steps 0..995 every 5), ``val/acc``
  and ``val/loss`` (20 points);
- one point: ``hparam/val_acc`` and ``hparam/val_loss`` (the hparams metrics, step
  1000, via ``add_hparams``), ``test/acc`` and ``test/loss`` (step 1000: a final
  evaluation), ``model/num_params`` (step 0);
- two points: ``eval/acc_ema`` (steps 500 and 1000), ``time/epoch_seconds``
  (steps 0 and 1000, the same value: a constant).

``wider`` is better on every metric (``test/acc`` 0.934 vs 0.912).

What TensorBoard reads: all of it, one chart per tag (a one-point chart draws a
single dot on an x-axis around that step).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from tbreport import SummaryWriter
from tests.logdirs._write import START, finish, fresh, frozen

RUNS = (("baseline", 0.912, 1.2e6), ("wider", 0.934, 4.8e6))


def build_one_value_tags(root: Path | str, *, scale: int = 1) -> Path:
    """Write the ``one_value_tags`` logdir into ``root`` (replaced); ``scale`` is unused."""
    del scale
    out = fresh(root)
    with frozen() as clock:
        for k, (name, test_acc, params) in enumerate(RUNS):
            t0 = START + 7200 * k
            clock.now = t0
            rng = np.random.default_rng(k)
            with SummaryWriter(out / name, flush_secs=3600) as w:
                w.add_scalar("model/num_params", params, 0, walltime=t0)
                w.add_scalar("time/epoch_seconds", 41.5, 0, walltime=t0)
                for step in range(0, 1000, 5):
                    loss = 2.0 * math.exp(-step / (200 + 60 * k)) + 0.2 + 0.03 * rng.random()
                    w.add_scalar("train/loss", loss, step, walltime=t0 + step)
                    if step % 50 == 45:
                        acc = (test_acc - 0.01) * (1 - math.exp(-(step + 5) / 180))
                        w.add_scalar("val/acc", acc, step, walltime=t0 + step)
                        w.add_scalar("val/loss", 1.05 * loss, step, walltime=t0 + step)
                    if step == 500:
                        w.add_scalar("eval/acc_ema", test_acc - 0.05, 500, walltime=t0 + step)
                end = t0 + 1000
                clock.now = end
                w.add_scalar("eval/acc_ema", test_acc - 0.002, 1000, walltime=end)
                w.add_scalar("test/acc", test_acc, 1000, walltime=end)
                w.add_scalar("test/loss", 0.28 - 0.05 * k, 1000, walltime=end)
                w.add_scalar("time/epoch_seconds", 41.5, 1000, walltime=end)
                w.add_hparams(
                    {"width": 64 * (k + 1), "lr": 0.1, "epochs": 10},
                    {"hparam/val_acc": test_acc - 0.01, "hparam/val_loss": 0.3 - 0.05 * k},
                    run_name=".",
                    global_step=1000,
                )
    return finish(out)


def claims(*, scale: int = 1) -> dict[str, Any]:
    del scale
    scalars = {
        "train/loss": 200,
        "val/acc": 20,
        "val/loss": 20,
        "hparam/val_acc": 1,
        "hparam/val_loss": 1,
        "test/acc": 1,
        "test/loss": 1,
        "model/num_params": 1,
        "eval/acc_ema": 2,
        "time/epoch_seconds": 2,
    }
    return {name: {"scalars": scalars, "last": {"test/acc": acc}} for name, acc, _ in RUNS}
