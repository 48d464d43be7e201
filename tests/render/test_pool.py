"""ChartPool: charts drawn on every core equal those drawn here; a crashed worker costs nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tbreport.render.charts import Rendered, render_chart
from tbreport.render.pool import REASON_CHARS, ChartPool, Failed, reason_of, render_all
from tests.render.test_charts import _spec

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def test_render_all_in_a_pool_equals_in_process() -> None:
    specs = [(_spec(2, 200 + 10 * i), f"salt{i}") for i in range(9)]
    seen: list[int] = []
    pooled = render_all(specs, jobs=2, progress=seen.append)
    assert len(seen) == 9
    assert pooled == [render_chart(s, "png", salt, dark=True) for s, salt in specs]


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


@dataclass(frozen=True)
class _RaisesInAWorker:
    """Raises while a worker draws it (a bug in one chart's drawing)."""

    size: tuple[float, float] = (2.0, 1.0)

    def draw(self, fig: Figure) -> None:
        raise ValueError(f"no axes for you {'in a worker' if os.getpid() != _PARENT else 'here'}")


def test_a_chart_that_raises_is_a_failure_and_the_others_are_drawn() -> None:
    specs = [(_spec(2, 50), f"s{i}") for i in range(9)]
    specs[4] = (_RaisesInAWorker(), "s4")  # type: ignore[assignment]
    out = render_all(specs, jobs=2)
    failed = out[4]
    assert isinstance(failed, Failed)
    # in a worker, or here when a forkserver's worker could not take the spec (a test
    # module's class): a failure either way, never a lost chart
    assert failed.reason in (
        "ValueError: no axes for you in a worker",
        "ValueError: no axes for you here",
    )
    assert "Traceback (most recent call last)" in failed.detail
    assert all(isinstance(r, Rendered) for i, r in enumerate(out) if i != 4)
    # in this process (one job) just the same
    here = render_all(specs, jobs=1)
    assert isinstance(here[4], Failed) and here[4].reason.endswith("here")


def test_a_failure_reason_is_one_bounded_line() -> None:
    assert reason_of(KeyError("x")) == "KeyError: 'x'"
    assert reason_of(RuntimeError()) == "RuntimeError"
    long = reason_of(ValueError("a\nb " + "x" * 5000))
    assert "\n" not in long and len(long) == REASON_CHARS and long.endswith("…")
