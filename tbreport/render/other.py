"""Everything else the reader kept, listed so nothing is silently dropped: raw tensor
summaries of unknown plugins and projector (embedding) configurations."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

from tbreport.model import Run
from tbreport.render.base import Context, Section

logger = logging.getLogger(__name__)


@dataclass
class TensorRow:
    run: str
    color: str
    tag: str
    plugin: str
    points: int
    dtype: str
    shape: str
    steps: str


@dataclass
class EmbeddingRow:
    run: str
    color: str
    name: str
    shape: str
    metadata: str
    sprite: str


def _rel(path: str, base: str) -> str:
    """A projector file relative to its run directory (the report must not depend on
    where the logdir sits)."""
    if not path:
        return ""
    try:
        rel = os.path.relpath(path, base)
    except ValueError:
        return os.path.basename(path)
    return rel.replace(os.sep, "/")


def build(runs: Sequence[Run], ctx: Context) -> Section | None:
    tensors = []
    embeddings = []
    for run in runs:
        for tag, series in sorted(run.tensors.items()):
            if not len(series) or not ctx.want_tag(tag):
                continue
            last = series.points[-1]
            rng = series.step_range()
            tensors.append(
                TensorRow(
                    run.name,
                    ctx.colors[run.name],
                    tag,
                    series.plugin_name or "(none)",
                    len(series),
                    last.dtype,
                    "×".join(str(d) for d in last.shape) or "scalar",
                    f"{rng[0]}–{rng[1]}"
                    if rng and rng[0] != rng[1]
                    else (str(rng[0]) if rng else ""),
                )
            )
        if run.projector is not None:
            for e in run.projector.embeddings:
                embeddings.append(
                    EmbeddingRow(
                        run.name,
                        ctx.colors[run.name],
                        e.tensor_name,
                        "×".join(str(d) for d in e.tensor_shape),
                        _rel(e.metadata_path, run.path),
                        _rel(e.sprite_path, run.path),
                    )
                )
    if not tensors and not embeddings:
        return None
    section = Section(
        kind="other", title="Other data", anchor="other", count=len(tensors) + len(embeddings)
    )
    section.data = {"tensors": tensors, "embeddings": embeddings}
    return section
