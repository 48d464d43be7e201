"""Projector (embedding) configurations: listed in the "Other data" section with their
tensor shape, metadata and sprite files (relative to the run directory)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

from tbreport.model import Run
from tbreport.render.base import Context, Part, Section, listing

logger = logging.getLogger(__name__)


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
    rows = []
    for run in runs:
        if run.projector is None:
            continue
        for e in run.projector.embeddings:
            rows.append(
                EmbeddingRow(
                    run.name,
                    ctx.colors[run.name],
                    e.tensor_name,
                    "×".join(str(d) for d in e.tensor_shape),
                    _rel(e.metadata_path, run.path),
                    _rel(e.sprite_path, run.path),
                )
            )
    if not rows:
        return None
    return listing(Part("kinds/embedding.html.j2", {"rows": rows}, len(rows)))
