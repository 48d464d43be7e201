"""ChartPool: charts drawn on every core equal those drawn here; a crashed worker costs nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tbreport.render.charts import render_chart
from tbreport.render.pool import ChartPool, render_all
from tests.render.test_charts import _spec

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def test_render_all_in_a_pool_equals_in_process() -> None:
    specs = [(_spec(2, 200 + 10 * i), f"salt{i}") for i in range(9)]
    seen: list[int] = []
    pooled = render_all(specs, jobs=2, progress=seen.append)
    assert len(seen) == 9
    assert pooled == [render_chart(s, "png", salt) for s, salt in specs]


_PARENT = os.getpid()


@dataclass(frozen=True)
class _DiesInAWorker:
    """Kills the worker process that draws it; draws normally in the parent."""

    size: tuple[float, float] = (2.0, 1.0)

    def draw(self, fig: Figure) -> None:
        if os.getpid() != _PARENT:
            os._exit(3)
        fig.add_subplot(1, 1, 1).plot([0, 1], [0, 1])


def test_a_crashed_worker_falls_back_to_drawing_here() -> None:
    with ChartPool(jobs=2) as pool:
        for i in range(10):
            pool.submit(_DiesInAWorker(), f"s{i}")
        out = pool.results()
    assert len(out) == 10 and all(r.data_uri.startswith("data:image/png") for r in out)
