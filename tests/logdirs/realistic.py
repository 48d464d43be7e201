"""``realistic``: three CIFAR-10 ResNet runs of 2,000 steps, as a practitioner logs them.

Written with torch's ``torch.utils.tensorboard.SummaryWriter`` when torch is
importable, otherwise with tbreport's own ``SummaryWriter`` (same API, same
record shapes; no graph then). Runs (``--scale`` multiplies ``steps``):

========================================  ======================================  ===========
run                                       learning rate                           best val/acc
========================================  ======================================  ===========
``resnet14_adam_lr1e-3_bs128``            Adam, constant 1e-3                     ~0.87
``resnet14_sgd_lr0.1_bs128_step``         SGD, 0.1, x0.1 at 50 % and 75 %         ~0.91
``resnet14_sgd_lr0.1_bs128_cosine``       SGD, linear warmup 1e-5 -> 0.1 over     ~0.93
                                          5 %, cosine down to 1e-5 (4 decades)
========================================  ======================================  ===========

Every run holds, at ``steps = 2000``:

- ``train/loss``, ``train/acc``, ``train/lr``, ``train/grad_norm``: every step
  (2,001 points: steps 0..2000); ``grad_norm`` is log-normal noise around a
  decaying trend with ~1 % spikes of 5-20x;
- ``val/loss``, ``val/acc``: every 100 steps (21 points);
- ``inputs/batch``: 16 32x32 RGB tiles as one 256x64 grid (``add_images``), every
  500 steps (5 points);
- weight histograms ``weights/conv1.weight``, ``weights/layer2.0.conv1.weight``,
  ``weights/fc.weight`` and ``grads/fc.weight``, every 200 steps (11 points);
- PR curves ``pr/val_cat``, ``pr/val_ship`` (127 thresholds) every 500 steps;
- text ``config`` (a markdown table, step 0) and ``notes`` (last step); torch
  appends ``/text_summary`` to both tags;
- hparams (``add_hparams(..., run_name=".")``: a second event file in the run's
  directory) whose metrics ``hparam/val_acc`` and ``hparam/val_loss`` are the
  run's last val values, so the verdict is the same on the hparams and the scalars;
- with torch: the traced graph of ResNet-14 (``add_graph``; 228 nodes in
  TensorBoard, run metadata tag ``step1``).

What TensorBoard reads: exactly the above (``tests/test_logdirs.py`` checks it);
the scalars are legacy ``simple_value`` records, so TB's legacy accumulator lists
them as scalars and the plugin view as ``scalars`` tensors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.logdirs import _models
from tests.logdirs._write import START, finish, fresh, frozen


@dataclass(frozen=True)
class _Spec:
    name: str
    optimizer: str
    schedule: str
    lr: float
    final_acc: float
    tau: float
    seed: int


RUNS = (
    _Spec("resnet14_adam_lr1e-3_bs128", "adam", "constant", 1e-3, 0.872, 420.0, 0),
    _Spec("resnet14_sgd_lr0.1_bs128_step", "sgd", "step", 0.1, 0.912, 520.0, 1),
    _Spec("resnet14_sgd_lr0.1_bs128_cosine", "sgd", "cosine", 0.1, 0.931, 560.0, 2),
)
SECONDS_PER_STEP = 0.35
VAL_EVERY = 100
IMAGE_EVERY = 500
HIST_EVERY = 200
PR_EVERY = 500
HIST_TAGS = ("weights/conv1.weight", "weights/layer2.0.conv1.weight", "weights/fc.weight")


def learning_rate(spec: _Spec, step: int, steps: int) -> float:
    """The run's schedule at ``step``."""
    if spec.schedule == "constant":
        return spec.lr
    if spec.schedule == "step":
        return spec.lr * (0.1 ** (int(step >= steps // 2) + int(step >= steps * 3 // 4)))
    floor, warmup = 1e-5, max(1, steps // 20)
    if step < warmup:
        return floor + (spec.lr - floor) * step / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return floor + 0.5 * (spec.lr - floor) * (1 + math.cos(math.pi * progress))


def _trend(spec: _Spec, step: int, steps: int) -> float:
    """0 at the start, 1 at the end: how far the run has learned."""
    shape = (1.0 - math.exp(-step / spec.tau)) / (1.0 - math.exp(-steps / spec.tau))
    if spec.schedule == "step":  # the jumps right after each decay
        return 0.9 * shape + 0.07 * (step >= steps // 2) + 0.03 * (step >= steps * 3 // 4)
    return shape


def _curves(spec: _Spec, steps: int) -> dict[str, np.ndarray[Any, Any]]:
    rng = np.random.default_rng(1000 + spec.seed)
    t = np.arange(steps + 1)
    trend = np.array([_trend(spec, int(s), steps) for s in t])
    train_acc_clean = 0.1 + (min(spec.final_acc + 0.06, 0.99) - 0.1) * trend
    train_loss = -np.log(np.clip(train_acc_clean, 1e-3, 0.999)) * 1.35 + 0.03
    train_loss = train_loss * np.exp(rng.normal(0, 0.08, t.size))
    train_acc = np.clip(train_acc_clean + rng.normal(0, 0.02, t.size), 0, 1)
    grad = (0.4 + 3.5 * np.exp(-t / 250.0)) * np.exp(rng.normal(0, 0.35, t.size))
    spikes = rng.random(t.size) < 0.01
    grad[spikes] *= rng.uniform(5, 20, int(spikes.sum()))
    lr = np.array([learning_rate(spec, int(s), steps) for s in t])
    vt = t[::VAL_EVERY]
    val_acc = 0.1 + (spec.final_acc - 0.1) * trend[::VAL_EVERY] + rng.normal(0, 0.004, vt.size)
    val_acc[-1] = spec.final_acc
    val_loss = -np.log(np.clip(val_acc, 1e-3, 0.999)) * 1.4 + 0.05
    return {
        "train/loss": train_loss,
        "train/acc": train_acc,
        "train/lr": lr,
        "train/grad_norm": grad,
        "val/loss": val_loss,
        "val/acc": val_acc,
    }


def _tiles(rng: np.random.Generator, step: int, steps: int) -> np.ndarray[Any, Any]:
    """16 CIFAR-sized RGB tiles (NCHW floats in [0, 1]): blobs that sharpen with training."""
    yy, xx = np.mgrid[0:32, 0:32] / 31.0
    sharp = 1.0 + 6.0 * step / max(1, steps)
    out = np.empty((16, 3, 32, 32), dtype=np.float32)
    for i in range(16):
        cx, cy = rng.uniform(0.25, 0.75, 2)
        blob = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) * 18.0 * sharp))
        colour = rng.uniform(0.2, 1.0, 3)
        noise = rng.normal(0, 0.25 / sharp, (3, 32, 32))
        out[i] = np.clip(colour[:, None, None] * blob + 0.15 + noise, 0, 1)
    return out


def _make_writer(path: Path, use_torch: bool) -> Any:
    if use_torch:
        from torch.utils.tensorboard import SummaryWriter as TorchWriter

        return TorchWriter(str(path), flush_secs=3600, max_queue=1000)
    from tbreport import SummaryWriter

    return SummaryWriter(path, flush_secs=3600, max_queue=1000)


def _log_extras(w: Any, spec: _Spec, step: int, steps: int, wall: float, rng: Any) -> None:
    if step % IMAGE_EVERY == 0:
        w.add_images("inputs/batch", _tiles(rng, step, steps), step, walltime=wall)
    if step % HIST_EVERY == 0:
        spread = 1.0 + step / steps
        for k, tag in enumerate(HIST_TAGS):
            n = (432, 4608, 640)[k]
            w.add_histogram(tag, rng.normal(0, 0.05 * spread, n), step, walltime=wall)
        grads = rng.standard_t(3, 640) * 0.01 / spread
        w.add_histogram("grads/fc.weight", grads, step, walltime=wall)
    if step % PR_EVERY == 0:
        quality = 0.2 + 0.8 * _trend(spec, step, steps) * spec.final_acc
        for tag in ("pr/val_cat", "pr/val_ship"):
            labels = rng.random(400) < 0.3
            scores = np.clip(labels * quality + rng.random(400) * (1.1 - quality), 0, 1)
            w.add_pr_curve(tag, labels.astype(np.int64), scores, step, walltime=wall)


def _write_run(out: Path, spec: _Spec, index: int, steps: int, clock: Any, graph: Any) -> None:
    t0 = START + index * 4 * 3600
    clock.now = t0
    rng = np.random.default_rng(spec.seed)
    curves = _curves(spec, steps)
    use_torch = _models.torch_available()
    w = _make_writer(out / spec.name, use_torch)
    hp = {
        "model": "resnet14",
        "optimizer": spec.optimizer,
        "lr": spec.lr,
        "schedule": spec.schedule,
        "batch_size": 128,
        "weight_decay": 5e-4,
        "seed": spec.seed,
    }
    table = "\n".join(f"| `{k}` | {v} |" for k, v in hp.items())
    w.add_text("config", f"### {spec.name}\n\n| hparam | value |\n|---|---|\n{table}", 0, t0)
    if graph is not None:
        w._get_file_writer().add_graph(graph)  # what torch's add_graph writes
    for step in range(steps + 1):
        wall = t0 + step * SECONDS_PER_STEP
        for tag in ("train/loss", "train/acc", "train/lr", "train/grad_norm"):
            w.add_scalar(tag, float(curves[tag][step]), step, walltime=wall)
        if step % VAL_EVERY == 0:
            k = step // VAL_EVERY
            w.add_scalar("val/loss", float(curves["val/loss"][k]), step, walltime=wall + 5)
            w.add_scalar("val/acc", float(curves["val/acc"][k]), step, walltime=wall + 5)
        _log_extras(w, spec, step, steps, wall, rng)
    end = t0 + steps * SECONDS_PER_STEP + 10
    clock.now = end
    w.add_text(
        "notes", f"Finished **{spec.name}**: val/acc {curves['val/acc'][-1]:.3f}.", steps, end
    )
    metrics = {
        "hparam/val_acc": float(curves["val/acc"][-1]),
        "hparam/val_loss": float(curves["val/loss"][-1]),
    }
    domains = {"optimizer": ["adam", "sgd"], "schedule": ["constant", "step", "cosine"]}
    w.add_hparams(hp, metrics, domains, run_name=".", global_step=steps)
    w.close()


def build_realistic(
    root: Path | str, *, steps: int = 2000, scale: int = 1, graph: bool = True
) -> Path:
    """Write the ``realistic`` logdir into ``root`` (replaced); see the module docstring."""
    out = fresh(root)
    steps *= scale
    model = None
    if graph and _models.torch_available():
        model = _models.traced_resnet(2)
    with frozen() as clock:
        for index, spec in enumerate(RUNS):
            _write_run(out, spec, index, steps, clock, model)
    return finish(out)


def claims(*, steps: int = 2000, scale: int = 1, graph: bool = True) -> dict[str, Any]:
    """What TensorBoard must read: ``{run: {plugin: {tag: points}}}`` plus ``graph_nodes``."""
    steps *= scale
    n_val = steps // VAL_EVERY + 1
    per_run: dict[str, Any] = {
        "scalars": {
            **{t: steps + 1 for t in ("train/loss", "train/acc", "train/lr", "train/grad_norm")},
            "val/loss": n_val,
            "val/acc": n_val,
            "hparam/val_acc": 1,
            "hparam/val_loss": 1,
        },
        "images": {"inputs/batch": steps // IMAGE_EVERY + 1},
        "histograms": {t: steps // HIST_EVERY + 1 for t in (*HIST_TAGS, "grads/fc.weight")},
        "pr_curves": {t: steps // PR_EVERY + 1 for t in ("pr/val_cat", "pr/val_ship")},
        "text": {"config/text_summary": 1, "notes/text_summary": 1},
        "hparams": {
            "_hparams_/experiment": 1,
            "_hparams_/session_start_info": 1,
            "_hparams_/session_end_info": 1,
        },
    }
    if graph and _models.torch_available():
        per_run["graphs"] = {"__run_graph__": 1}
        per_run["graph_tagged_run_metadata"] = {"step1": 1}
        per_run["graph_nodes"] = 228
    return {spec.name: per_run for spec in RUNS}
