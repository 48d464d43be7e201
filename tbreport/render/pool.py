"""Drawing charts on every core: :class:`ChartPool`.

Preparing a chart (numpy, in the report's process) overlaps drawing it (matplotlib, in
worker processes): :meth:`ChartPool.submit` hands each spec to the workers as soon as
it is ready, :meth:`ChartPool.results` collects them in order. A handful of charts, or
one job, are drawn in this process (a pool only pays off beyond a few hundred
milliseconds of drawing).

A spec whose drawing raises costs only that chart: its result is a :class:`Failed`
(the reason, and the traceback for ``-v``), every other chart is drawn.
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

from tbreport._workers import end_processes, ignore_interrupts, interrupts_held
from tbreport.options import FORMATS
from tbreport.render.charts import ChartSpec, Rendered, render_chart, use_worker_settings

__all__ = [
    "POOL_MIN",
    "ChartPool",
    "Failed",
    "Outcome",
    "default_jobs",
    "reason_of",
    "render_all",
]

logger = logging.getLogger(__name__)

#: a pool starts once this many charts are queued
POOL_MIN = 8


def _init_worker() -> None:
    """Chart worker start-up: this process is ours, so set matplotlib's settings once;
    Ctrl-C is the parent's to handle (:mod:`tbreport._workers`)."""
    ignore_interrupts()
    use_worker_settings()


#: the longest reason a failure card shows (an exception's text may be anything)
REASON_CHARS = 300


@dataclass(frozen=True)
class Failed:
    """A chart that could not be drawn: ``reason`` (one line, for the card and the
    data-health box) and ``detail`` (the traceback, logged at debug level)."""

    reason: str
    detail: str = ""


#: what drawing one spec gives
Outcome = Union[Rendered, Failed]


def reason_of(exc: BaseException) -> str:
    """One short line saying what went wrong: ``ValueError: x must be finite``."""
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    line = f"{name}: {text}" if text else name
    if len(line) > REASON_CHARS:
        line = line[: REASON_CHARS - 1] + "…"
    return line


def draw_one(spec: ChartSpec, fmt: str, salt: str) -> Outcome:
    """:func:`~tbreport.render.charts.render_chart` for the report (with its dark-mode
    variant), or a :class:`Failed` if it raises."""
    try:
        return render_chart(spec, fmt, salt, dark=True)
    except Exception as exc:  # one chart's problem never costs the others
        return Failed(reason_of(exc), traceback.format_exc())


def _render_job(job: tuple[ChartSpec, str, str]) -> Outcome:
    return draw_one(*job)


def default_jobs() -> int:
    """All cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class ChartPool:
    """Draws charts while the caller is still preparing the next ones.

    :meth:`submit` queues a spec. Once :data:`POOL_MIN` charts are queued (and ``jobs``
    > 1) worker processes start and every further spec goes to them at once, so
    preparing (numpy, in this process) overlaps drawing (matplotlib, in the workers).
    :meth:`results` returns every chart in submission order; fewer charts, or one job,
    are drawn in this process (a pool only pays off beyond a few hundred milliseconds).
    """

    def __init__(self, *, fmt: str = "png", jobs: int | None = None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"chart format must be png or svg, got {fmt!r}")
        self.fmt = fmt
        self.jobs = default_jobs() if not jobs or jobs < 1 else jobs
        self._work: list[tuple[ChartSpec, str, str]] = []
        self._futures: list[Any] = []
        self._pool: Any = None
        self._broken = False

    def __len__(self) -> int:
        return len(self._work)

    def specs(self) -> list[ChartSpec]:
        """The specs submitted so far, in order."""
        return [spec for spec, _, _ in self._work]

    def submit(self, spec: ChartSpec, salt: str) -> int:
        """Queue one chart; returns its index in :meth:`results`."""
        self._work.append((spec, self.fmt, salt))
        if self.jobs > 1 and not self._broken:
            if self._pool is None and len(self._work) >= POOL_MIN:
                self._start()
            if self._pool is not None:
                try:
                    # workers start in submit(): with SIGINT held (tbreport._workers)
                    with interrupts_held():
                        while len(self._futures) < len(self._work):
                            self._futures.append(
                                self._pool.submit(_render_job, self._work[len(self._futures)])
                            )
                except (RuntimeError, OSError) as exc:  # a broken pool: draw here instead
                    self._give_up(exc)
                except BaseException:  # Ctrl-C: the workers go at once
                    self.close(abort=True)
                    raise
        return len(self._work) - 1

    def _start(self) -> None:

        # fork when this process has one thread (the usual case): workers start at once
        # and never re-import the caller's __main__ (a script without a main guard,
        # `python -`). With other threads alive, fork could copy a held lock: use a
        # forkserver that has imported matplotlib once instead.
        methods = multiprocessing.get_all_start_methods()
        ctx: Any
        if "fork" in methods and threading.active_count() == 1:
            ctx = multiprocessing.get_context("fork")
        elif "forkserver" in methods:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(
                [
                    "tbreport.render.pool",
                    "tbreport.render.charts",
                    "matplotlib.backends.backend_agg",
                ]
            )
        else:
            ctx = multiprocessing.get_context("spawn")
        try:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                initializer=_init_worker, max_workers=self.jobs, mp_context=ctx
            )
        except (OSError, ValueError) as exc:
            self._give_up(exc)

    def _give_up(self, exc: BaseException) -> None:
        logger.info("chart workers failed (%s); drawing in this process", exc)
        self._broken = True
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def results(self, progress: Callable[[int], None] | None = None) -> list[Outcome]:
        """Every chart, in submission order (waits for the workers): a
        :class:`~tbreport.render.charts.Rendered`, or a :class:`Failed` for a spec whose
        drawing raised."""

        out: list[Outcome] = []
        try:
            for i, job in enumerate(self._work):
                rendered: Outcome | None = None
                if i < len(self._futures) and not self._broken:
                    try:
                        rendered = self._futures[i].result()
                    except (concurrent.futures.process.BrokenProcessPool, OSError) as exc:
                        self._give_up(exc)
                    except Exception as exc:  # e.g. a spec that cannot be pickled: draw it here
                        logger.debug("chart %d: the worker gave %s; drawing it here", i, exc)
                out.append(rendered if rendered is not None else _render_job(job))
                if progress:
                    progress(1)
        except BaseException:  # Ctrl-C (or a bug): nobody waits for the other charts
            self.close(abort=True)
            raise
        finally:
            self.close()
        return out

    def close(self, *, abort: bool = False) -> None:
        """Stop the workers: once their charts are drawn, or (``abort``) at once."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if abort:
            # Nobody reads the queue of jobs any more: its feeder thread may be blocked on
            # a full pipe, and the executor's clean-up joins that thread (for ever with
            # Debian 12's Python 3.11.2; not with 3.11.7); let the clean-up skip that join
            call_queue = getattr(pool, "_call_queue", None)
            if call_queue is not None:
                call_queue.cancel_join_thread()
            # ProcessPoolExecutor has no way to end its workers before Python 3.14
            # (terminate_workers); its process table is the only handle on them
            end_processes(list((getattr(pool, "_processes", None) or {}).values()))
        pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ChartPool:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(abort=exc_type is not None)


def render_all(
    specs: Sequence[tuple[ChartSpec, str]],
    *,
    fmt: str = "png",
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Outcome]:
    """Render ``(spec, salt)`` pairs on ``jobs`` processes (default: all cores), in order
    (a :class:`Failed` for each spec whose drawing raised)."""
    with ChartPool(fmt=fmt, jobs=jobs) as pool:
        for spec, salt in specs:
            pool.submit(spec, salt)
        return pool.results(progress)
