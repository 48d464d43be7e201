"""Test logdirs: realistic, real-world-shaped, hostile and huge, built deterministically.

One builder per logdir, ``build_<name>(root, **params) -> Path``: it replaces
``root`` with the logdir and returns it. Same parameters, same bytes (file names
included), in any process: seeds, wall times (from 2026-01-01T00:00:00Z), the host
name ``tbhost`` and the pid ``4242`` in file names are fixed. Every builder takes
``scale`` (an integer size multiplier for benchmarks; some logdirs have a fixed
size and ignore it). Each module's docstring says what its logdir holds, which
writer wrote it, and what TensorBoard reads from it; its ``claims()`` gives the
counts that ``tests/test_logdirs.py`` checks against TensorBoard's own readers
(``tests.logdirs._oracle``).

From the command line: ``python -m tests.logdirs NAME OUT [--scale N]`` (``NAME``
``all`` writes every logdir under ``OUT/<name>``; ``--list`` lists them).

For issue #9 (the report as people read it): :func:`build_realistic`,
:func:`build_keras`, :func:`build_tf1_graph`, :func:`build_restarted`,
:func:`build_many_runs`, :func:`build_small_images`, :func:`build_one_value_tags`,
:func:`build_hf_trainer`, :func:`build_symlinked`.

For issue #12 (hostile and huge input): :func:`build_huge_claims`,
:func:`build_extreme_values`, :func:`build_bad_names`, :func:`build_graph_stress`,
:func:`build_big_images`, :func:`build_mutations` (and :func:`mutate` for any
seed logdir).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.logdirs import (
    bad_names,
    big_images,
    extreme_values,
    graph_stress,
    hf_trainer,
    huge_claims,
    keras,
    many_runs,
    mutations,
    one_value_tags,
    realistic,
    restarted,
    small_images,
    symlinked,
    tf1_graph,
)
from tests.logdirs.bad_names import build_bad_names
from tests.logdirs.big_images import build_big_images
from tests.logdirs.extreme_values import build_extreme_values
from tests.logdirs.graph_stress import build_graph_stress
from tests.logdirs.hf_trainer import build_hf_trainer
from tests.logdirs.huge_claims import build_huge_claims
from tests.logdirs.keras import build_keras
from tests.logdirs.many_runs import build_many_runs
from tests.logdirs.mutations import build_mutations, mutate
from tests.logdirs.one_value_tags import build_one_value_tags
from tests.logdirs.realistic import build_realistic
from tests.logdirs.restarted import build_restarted
from tests.logdirs.small_images import build_small_images
from tests.logdirs.symlinked import build_symlinked
from tests.logdirs.tf1_graph import build_tf1_graph

__all__ = [
    "BUILDERS",
    "FOR_ISSUE",
    "build",
    "build_bad_names",
    "build_big_images",
    "build_extreme_values",
    "build_graph_stress",
    "build_hf_trainer",
    "build_huge_claims",
    "build_keras",
    "build_many_runs",
    "build_mutations",
    "build_one_value_tags",
    "build_realistic",
    "build_restarted",
    "build_small_images",
    "build_symlinked",
    "build_tf1_graph",
    "claims",
    "mutate",
]

Builder = Callable[..., Path]

_MODULES = {
    "realistic": realistic,
    "keras": keras,
    "tf1_graph": tf1_graph,
    "restarted": restarted,
    "many_runs": many_runs,
    "small_images": small_images,
    "one_value_tags": one_value_tags,
    "hf_trainer": hf_trainer,
    "symlinked": symlinked,
    "huge_claims": huge_claims,
    "extreme_values": extreme_values,
    "bad_names": bad_names,
    "graph_stress": graph_stress,
    "big_images": big_images,
    "mutations": mutations,
}

BUILDERS: dict[str, Builder] = {name: getattr(m, f"build_{name}") for name, m in _MODULES.items()}
"""Every builder by logdir name, in the order of the issues."""

FOR_ISSUE: dict[str, int] = {name: 9 if k < 9 else 12 for k, name in enumerate(_MODULES)}
"""The issue each logdir was made for (9: the report as people read it; 12: hostile input)."""


def build(name: str, root: Path | str, **params: Any) -> Path:
    """``BUILDERS[name](root, **params)``."""
    return BUILDERS[name](root, **params)


def claims(name: str, **params: Any) -> dict[str, Any]:
    """What the logdir ``name`` holds as TensorBoard reads it (per run; see each module)."""
    result: dict[str, Any] = _MODULES[name].claims(**params)
    return result
