"""``restarted``: an RL run restarted into the same directory six times (five restarts).

Written with tbreport's ``SummaryWriter`` (one writer per attempt, each a new
event file with a later time in its name; attempt 4 passes ``purge_step``). Run
``HalfCheetah-v4_ppo`` (steps are environment timesteps):

=======  =============================  ===================  ===========================
attempt  steps                          how it started       Eval_AverageReturn
=======  =============================  ===================  ===========================
1        0 .. 200k                      fresh                20 -> ~150 (then crashed)
2        0 .. 400k                      re-run from scratch  up to **280.4** at 350k
3        300k .. 450k                   resumed, no purge    ~160-190
4        400k .. 600k                   ``purge_step=400k``  ~170-190
5        0 .. 300k                      re-run, new seed     up to ~180
6        0 .. 250k                      re-run               up to **195.4** (last)
=======  =============================  ===================  ===========================

Every step from 0 to 450k is written two to four times. Keeping only the later
value per step, as a naive reader does, the maximum of ``Eval_AverageReturn`` is
195.4 and ``max(Eval_AverageReturn) < 200`` trips; over every logged point (what
TensorBoard plots) it is 280.4, so that gate must not trip. Tags:
``Eval_AverageReturn`` and ``Eval_StdReturn`` every 10k steps (CS285/rllab
style), ``rollout/ep_rew_mean``, ``time/fps``, ``train/value_loss`` every 5k
(stable-baselines3 style). A second run, ``Hopper-v4_ppo``, is one clean attempt
(0 .. 300k) for contrast.

What TensorBoard reads: the legacy ``EventAccumulator`` keeps every point except
the ones attempt 4's ``SessionLog.START`` at 400k purges (points with step >= 400k
written before it: attempt 2's 400k and attempt 3's 400k..450k); the plugin
accumulator behind the UI ignores a run's first START, so it keeps all of them.
``claims()`` gives both counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tbreport import SummaryWriter
from tests.logdirs._write import START, finish, fresh, frozen

EVAL_EVERY = 10_000
ROLLOUT_EVERY = 5_000
K = 1000


@dataclass(frozen=True)
class Attempt:
    first: int
    last: int
    purge: bool
    peak: float  # the best Eval_AverageReturn of the attempt
    peak_step: int
    seed: int


ATTEMPTS = (
    Attempt(0, 200 * K, False, 151.7, 200 * K, 11),
    Attempt(0, 400 * K, False, 280.4, 350 * K, 12),
    Attempt(300 * K, 450 * K, False, 189.9, 420 * K, 13),
    Attempt(400 * K, 600 * K, True, 190.6, 560 * K, 14),
    Attempt(0, 300 * K, False, 180.2, 290 * K, 15),
    Attempt(0, 250 * K, False, 195.4, 250 * K, 16),
)
RUN = "HalfCheetah-v4_ppo"
CLEAN_RUN = "Hopper-v4_ppo"


def eval_return(a: Attempt, step: int, rng: np.random.Generator) -> float:
    """A learning curve that reaches ``a.peak`` exactly at ``a.peak_step`` and stays below it."""
    if step == a.peak_step:
        return a.peak
    shape = (
        a.peak
        * (1 - math.exp(-(step + 20 * K) / (120 * K)))
        / (1 - math.exp(-(a.peak_step + 20 * K) / (120 * K)))
    )
    if step > a.peak_step:
        shape = a.peak * (0.88 + 0.04 * math.cos((step - a.peak_step) / (30 * K)))
    return float(min(shape * (0.93 + 0.05 * rng.random()), a.peak - 0.5))


def _attempt(w: SummaryWriter, a: Attempt, t0: float) -> None:
    rng = np.random.default_rng(a.seed)
    for step in range(a.first, a.last + 1, ROLLOUT_EVERY):
        wall = t0 + (step - a.first) / 1500.0
        if step % EVAL_EVERY == 0:
            ret = eval_return(a, step, rng)
            w.add_scalar("Eval_AverageReturn", ret, step, walltime=wall)
            w.add_scalar("Eval_StdReturn", 15 + 10 * rng.random(), step, walltime=wall)
        w.add_scalar("rollout/ep_rew_mean", 0.8 * eval_return(a, step, rng), step, walltime=wall)
        w.add_scalar("time/fps", 1500 + 80 * rng.normal(), step, walltime=wall)
        w.add_scalar(
            "train/value_loss", 40 * math.exp(-step / 200_000) + rng.random(), step, walltime=wall
        )


def build_restarted(root: Path | str, *, scale: int = 1) -> Path:
    """Write the ``restarted`` logdir into ``root`` (replaced); ``scale`` is unused (fixed size)."""
    del scale
    out = fresh(root)
    with frozen() as clock:
        for k, a in enumerate(ATTEMPTS):
            t0 = START + k * 86_400 + 3600  # one attempt a day
            clock.now = t0
            purge = a.first if a.purge else None
            with SummaryWriter(out / RUN, purge_step=purge, flush_secs=3600, max_queue=1000) as w:
                _attempt(w, a, t0)
        clock.now = START
        with SummaryWriter(out / CLEAN_RUN, flush_secs=3600, max_queue=1000) as w:
            _attempt(w, Attempt(0, 300 * K, False, 2450.0, 300 * K, 21), START)
    return finish(out)


def _points(every: int, attempts: tuple[Attempt, ...], purged: bool) -> int:
    total = 0
    for k, a in enumerate(attempts):
        for step in range(a.first, a.last + 1, ROLLOUT_EVERY):
            if step % every:
                continue
            if purged and any(b.purge and step >= b.first for b in attempts[k + 1 :]):
                continue
            total += 1
    return total


def claims(*, scale: int = 1) -> dict[str, Any]:
    """Counts as TensorBoard's UI reads them (``scalars``) and as ``EventAccumulator`` does
    (``legacy_scalars``, after attempt 4's purge); ``max`` of ``Eval_AverageReturn``."""
    del scale
    tags = {
        "Eval_AverageReturn": EVAL_EVERY,
        "Eval_StdReturn": EVAL_EVERY,
        "rollout/ep_rew_mean": ROLLOUT_EVERY,
        "time/fps": ROLLOUT_EVERY,
        "train/value_loss": ROLLOUT_EVERY,
    }
    clean = (Attempt(0, 300 * K, False, 0, 0, 0),)
    return {
        RUN: {
            "scalars": {t: _points(e, ATTEMPTS, False) for t, e in tags.items()},
            "legacy_scalars": {t: _points(e, ATTEMPTS, True) for t, e in tags.items()},
            "max": {"Eval_AverageReturn": 280.4},
            "last": {"Eval_AverageReturn": 195.4},
        },
        CLEAN_RUN: {"scalars": {t: _points(e, clean, False) for t, e in tags.items()}},
    }
