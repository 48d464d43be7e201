"""Worker processes and Ctrl-C: the parent handles it, the workers never see it.

A terminal's Ctrl-C sends SIGINT to every process of the foreground group, the
chart and reader workers included. A worker that raised ``KeyboardInterrupt``
would print its own traceback and break the pool while the parent is cleaning
up, so workers ignore SIGINT and the parent ends them (:func:`end_processes`).

A forked worker starts with its parent's signal handlers; between the fork and
its initializer a SIGINT would still reach Python's default handler. So the
parent starts workers inside :func:`interrupts_held` (SIGINT blocked in the
starting thread: the child inherits the block, :func:`ignore_interrupts`
lifts it once SIGINT is ignored; the parent gets a pending SIGINT on leaving).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["end_processes", "ignore_interrupts", "interrupts_held"]

_CAN_MASK = hasattr(signal, "pthread_sigmask")


def ignore_interrupts() -> None:
    """A worker's start-up: SIGINT is ignored (the parent ends the worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _CAN_MASK:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """SIGINT blocked in this thread for the duration (workers are started here)."""
    if not _CAN_MASK:
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


#: how long an ended worker gets to go before it is killed
END_TIMEOUT = 0.5


def end_processes(processes: Iterable[Any]) -> None:
    """End ``multiprocessing`` processes at once (SIGTERM, then SIGKILL after
    :data:`END_TIMEOUT`); they are workers whose results nobody will read."""
    alive = [p for p in processes if p.is_alive()]
    for p in alive:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            p.terminate()
    for p in alive:
        with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
            p.join(END_TIMEOUT)
            if p.is_alive():
                p.kill()
                p.join(END_TIMEOUT)
