"""``hf_trainer``: what Hugging Face ``Trainer``'s ``TensorBoardCallback`` writes.

Written with torch's ``SummaryWriter`` when torch is importable (the callback's
first choice), otherwise tbreport's. The callback
(``transformers/integrations/integration_utils.py``) logs into ``logging_dir``,
by default ``runs/<Mon DD_HH-MM-SS>_<hostname>``; here
``runs/Jan01_00-00-00_tbhost``:

- ``on_train_begin``: ``add_text("args", args.to_json_string())`` (the whole
  ``TrainingArguments``, 103 keys as indented JSON, ~3 KB) and
  ``add_text("model_config", model.config.to_json_string())`` (a BERT config with
  ``id2label``); torch appends ``/text_summary`` to both tags; then
  ``add_hparams(args.to_sanitized_dict(), metric_dict={})``, which torch writes
  into a **sub-run named by ``time.time()``** (``runs/Jan01_00-00-00_tbhost/
  1767225600.0``) holding only the hparams (105 of them, non-scalars as strings);
- ``on_log`` through ``rewrite_logs``: every 50 steps ``train/loss``,
  ``train/grad_norm``, ``train/learning_rate`` (linear warmup 0 -> 5e-5 over 100
  steps, then linear decay to 0), ``train/epoch``; every 500 steps ``eval/loss``,
  ``eval/accuracy``, ``eval/f1``, ``eval/runtime``, ``eval/samples_per_second``,
  ``eval/steps_per_second`` and ``train/epoch`` again (the eval log has its own
  ``epoch``: two points at each eval step); at the end (step 3000)
  ``train/train_runtime``, ``train/train_samples_per_second``,
  ``train/train_steps_per_second``, ``train/total_flos``, ``train/train_loss``.

What TensorBoard reads: two runs (the logging dir and its hparams sub-run); the
text tags hold one JSON document each; ``train/epoch`` has 66 points (60, and 6 more at
the eval steps).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from tests.logdirs import _models
from tests.logdirs._write import START, finish, fresh, frozen

LOGGING_DIR = "runs/Jan01_00-00-00_tbhost"
STEPS = 3000
LOG_EVERY = 50
EVAL_EVERY = 500
STEPS_PER_EPOCH = 1000


TRAINING_ARGS: dict[str, Any] = {
    "output_dir": "bert-base-uncased-finetuned-mrpc",
    "overwrite_output_dir": False,
    "do_train": True,
    "do_eval": True,
    "do_predict": False,
    "eval_strategy": "steps",
    "prediction_loss_only": False,
    "per_device_train_batch_size": 32,
    "per_device_eval_batch_size": 64,
    "per_gpu_train_batch_size": None,
    "per_gpu_eval_batch_size": None,
    "gradient_accumulation_steps": 1,
    "eval_accumulation_steps": None,
    "eval_delay": 0,
    "torch_empty_cache_steps": None,
    "learning_rate": 5e-05,
    "weight_decay": 0.01,
    "adam_beta1": 0.9,
    "adam_beta2": 0.999,
    "adam_epsilon": 1e-08,
    "max_grad_norm": 1.0,
    "num_train_epochs": 3.0,
    "max_steps": -1,
    "lr_scheduler_type": "linear",
    "lr_scheduler_kwargs": {},
    "warmup_ratio": 0.0,
    "warmup_steps": 100,
    "log_level": "passive",
    "log_level_replica": "warning",
    "log_on_each_node": True,
    "logging_dir": LOGGING_DIR,
    "logging_strategy": "steps",
    "logging_first_step": False,
    "logging_steps": LOG_EVERY,
    "logging_nan_inf_filter": True,
    "save_strategy": "steps",
    "save_steps": 500,
    "save_total_limit": 2,
    "save_safetensors": True,
    "save_on_each_node": False,
    "save_only_model": False,
    "restore_callback_states_from_checkpoint": False,
    "no_cuda": False,
    "use_cpu": False,
    "use_mps_device": False,
    "seed": 42,
    "data_seed": None,
    "jit_mode_eval": False,
    "use_ipex": False,
    "bf16": False,
    "fp16": True,
    "fp16_opt_level": "O1",
    "half_precision_backend": "auto",
    "bf16_full_eval": False,
    "fp16_full_eval": False,
    "tf32": None,
    "local_rank": 0,
    "ddp_backend": None,
    "tpu_num_cores": None,
    "debug": [],
    "dataloader_drop_last": False,
    "eval_steps": EVAL_EVERY,
    "dataloader_num_workers": 4,
    "dataloader_prefetch_factor": None,
    "past_index": -1,
    "run_name": "bert-base-uncased-finetuned-mrpc",
    "disable_tqdm": False,
    "remove_unused_columns": True,
    "label_names": None,
    "load_best_model_at_end": True,
    "metric_for_best_model": "accuracy",
    "greater_is_better": True,
    "ignore_data_skip": False,
    "fsdp": [],
    "fsdp_min_num_params": 0,
    "fsdp_config": {"min_num_params": 0, "xla": False, "xla_fsdp_v2": False},
    "deepspeed": None,
    "label_smoothing_factor": 0.0,
    "optim": "adamw_torch",
    "optim_args": None,
    "adafactor": False,
    "group_by_length": False,
    "length_column_name": "length",
    "report_to": ["tensorboard"],
    "ddp_find_unused_parameters": None,
    "ddp_bucket_cap_mb": None,
    "dataloader_pin_memory": True,
    "skip_memory_metrics": True,
    "use_legacy_prediction_loop": False,
    "push_to_hub": False,
    "resume_from_checkpoint": None,
    "hub_model_id": None,
    "hub_strategy": "every_save",
    "hub_token": "<HUB_TOKEN>",
    "hub_private_repo": False,
    "gradient_checkpointing": False,
    "include_inputs_for_metrics": False,
    "auto_find_batch_size": False,
    "full_determinism": False,
    "torchdynamo": None,
    "ray_scope": "last",
    "ddp_timeout": 1800,
    "torch_compile": False,
}
"""A ``TrainingArguments.to_dict()`` of transformers 4.4x (103 keys)."""


def training_args() -> dict[str, Any]:
    """A copy of :data:`TRAINING_ARGS`."""
    return dict(TRAINING_ARGS)


def sanitized(args: dict[str, Any]) -> dict[str, Any]:
    """``TrainingArguments.to_sanitized_dict()``: non-scalars as ``str``, plus the batch sizes."""
    out = {**args, "train_batch_size": 32, "eval_batch_size": 64}
    return {k: v if isinstance(v, (bool, int, float, str)) else str(v) for k, v in out.items()}


def model_config() -> str:
    """``BertConfig.to_json_string()`` (``sort_keys=True``, indented, trailing newline)."""
    cfg = {
        "_name_or_path": "bert-base-uncased",
        "architectures": ["BertForSequenceClassification"],
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "gradient_checkpointing": False,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 768,
        "id2label": {"0": "not_equivalent", "1": "equivalent"},
        "initializer_range": 0.02,
        "intermediate_size": 3072,
        "label2id": {"equivalent": 1, "not_equivalent": 0},
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "model_type": "bert",
        "num_attention_heads": 12,
        "num_hidden_layers": 12,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "problem_type": "single_label_classification",
        "torch_dtype": "float32",
        "transformers_version": "4.44.2",
        "type_vocab_size": 2,
        "use_cache": True,
        "vocab_size": 30522,
    }
    return json.dumps(cfg, indent=2, sort_keys=True) + "\n"


def _writer(path: Path) -> Any:
    if _models.torch_available():
        from torch.utils.tensorboard import SummaryWriter as TorchWriter

        return TorchWriter(str(path), flush_secs=3600, max_queue=1000)
    from tbreport import SummaryWriter

    return SummaryWriter(path, flush_secs=3600, max_queue=1000)


def _lr(step: int) -> float:
    if step < 100:
        return 5e-5 * step / 100
    return 5e-5 * max(0.0, (STEPS - step) / (STEPS - 100))


def build_hf_trainer(root: Path | str, *, scale: int = 1) -> Path:
    """Write the ``hf_trainer`` logdir into ``root`` (replaced); ``scale`` is unused."""
    del scale
    out = fresh(root)
    rng = np.random.default_rng(44)
    with frozen() as clock:
        w = _writer(out / LOGGING_DIR)
        w.add_text("args", json.dumps(training_args(), indent=2), walltime=START)
        w.add_text("model_config", model_config(), walltime=START)
        if hasattr(w, "add_hparams"):
            hp = sanitized(training_args())
            if _models.torch_available():
                w.add_hparams(hp, metric_dict={})  # torch: a sub-run named str(time.time())
            else:
                w.add_hparams(hp, {}, run_name=str(clock.now))
        for step in range(LOG_EVERY, STEPS + 1, LOG_EVERY):
            wall = START + 0.25 * step
            epoch = round(step / STEPS_PER_EPOCH, 4)
            loss = 0.3 + 0.4 * math.exp(-step / 600) + 0.05 * rng.random()
            for tag, value in (
                ("train/loss", loss),
                ("train/grad_norm", 4 + 3 * rng.random()),
                ("train/learning_rate", _lr(step)),
                ("train/epoch", epoch),
            ):
                w.add_scalar(tag, value, step, walltime=wall)
            if step % EVAL_EVERY == 0:
                acc = 0.86 - 0.12 * math.exp(-step / 700)
                for tag, value in (
                    ("eval/loss", loss + 0.08),
                    ("eval/accuracy", acc),
                    ("eval/f1", acc + 0.03),
                    ("eval/runtime", 2.41),
                    ("eval/samples_per_second", 169.3),
                    ("eval/steps_per_second", 2.7),
                    ("train/epoch", epoch),
                ):
                    w.add_scalar(tag, value, step, walltime=wall + 3)
        end = START + 0.25 * STEPS + 10
        for tag, value in (
            ("train/train_runtime", 760.1),
            ("train/train_samples_per_second", 126.3),
            ("train/train_steps_per_second", 3.95),
            ("train/total_flos", 1.9e15),
            ("train/train_loss", 0.41),
        ):
            w.add_scalar(tag, value, STEPS, walltime=end)
        w.close()
    return finish(out)


def claims(*, scale: int = 1) -> dict[str, Any]:
    del scale
    logs, evals = STEPS // LOG_EVERY, STEPS // EVAL_EVERY
    scalars = {t: logs for t in ("train/loss", "train/grad_norm", "train/learning_rate")}
    scalars["train/epoch"] = logs + evals
    scalars.update(
        {
            f"eval/{t}": evals
            for t in ("loss", "accuracy", "f1", "runtime", "samples_per_second", "steps_per_second")
        }
    )
    scalars.update(
        {
            f"train/{t}": 1
            for t in (
                "train_runtime",
                "train_samples_per_second",
                "train_steps_per_second",
                "total_flos",
                "train_loss",
            )
        }
    )
    return {
        LOGGING_DIR: {
            "scalars": scalars,
            "text": {"args/text_summary": 1, "model_config/text_summary": 1},
        },
        f"{LOGGING_DIR}/{START}": {
            "hparams": {
                "_hparams_/experiment": 1,
                "_hparams_/session_start_info": 1,
                "_hparams_/session_end_info": 1,
            },
            "only": ["hparams"],
        },
    }
