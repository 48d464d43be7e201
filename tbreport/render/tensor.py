"""Tensor summaries of plugins the report does not draw: listed (run, tag, plugin, dtype,
shape, steps) in the "Other data" section, so nothing is silently dropped."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from tbreport.model import Run
from tbreport.render.base import Context, Part, Section, listing

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


def build(runs: Sequence[Run], ctx: Context) -> Section | None:
    rows = []
    for run in runs:
        for tag, series in sorted(run.tensors.items()):
            if not len(series) or not ctx.want_tag(tag):
                continue
            last = series.points[-1]
            rng = series.step_range()
            rows.append(
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
    if not rows:
        return None
    return listing(Part("kinds/tensor.html.j2", {"rows": rows}, len(rows)))
