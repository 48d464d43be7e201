"""The writer's view of its process: clock, host name, pid and file counter, as one seam.

Event files are named ``events.out.tfevents.<secs>.<host>.<pid>.<n>`` and every
record carries a wall time; tools that must write byte-identical files (tbreport's
own ``make sample-runs``, golden tests) fix these with :func:`override` instead of
patching the writer's internals::

    from tbreport.writer import env

    with env.override(clock=lambda: 1_767_225_600.0, hostname="ci", pid=0):
        with SummaryWriter("runs/a") as w:   # named ...1767225600.ci.0.<n>
            w.add_scalar("loss", 0.5, 1)     # wall time 1767225600.0

A writer keeps the environment that was current when it was created (its hot path
reads no global). The real pid is still what detects a fork: ``pid`` only names files.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Callable

__all__ = ["WriterEnv", "current", "override"]


@dataclass(frozen=True)
class WriterEnv:
    """What a writer stamps into file names and records."""

    #: seconds since the epoch: default wall time of every record and of file names
    clock: Callable[[], float] = time.time
    #: the host part of event file names (and of the default ``runs/`` directory)
    hostname: Callable[[], str] = socket.gethostname
    #: the pid part of event file names
    pid: Callable[[], int] = os.getpid
    #: the last part of event file names, unique in the process
    counter: Iterator[int] = field(default_factory=itertools.count)
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False)

    def next_id(self) -> int:
        with self.lock:
            return next(self.counter)


_current = WriterEnv()


def current() -> WriterEnv:
    """The environment new writers take."""
    return _current


@contextmanager
def override(
    *,
    clock: Callable[[], float] | None = None,
    hostname: str | Callable[[], str] | None = None,
    pid: int | Callable[[], int] | None = None,
    counter: Iterator[int] | None = None,
) -> Iterator[WriterEnv]:
    """Within the block, new writers use these instead of the real clock, host name,
    pid and file counter (a fixed ``hostname``/``pid`` may be given as a value)."""
    global _current
    changes: dict[str, object] = {}
    if clock is not None:
        changes["clock"] = clock
    if hostname is not None:
        changes["hostname"] = hostname if callable(hostname) else (lambda: hostname)
    if pid is not None:
        changes["pid"] = pid if callable(pid) else (lambda: pid)
    if counter is not None:
        changes["counter"] = counter
        changes["lock"] = threading.Lock()
    previous = _current
    _current = replace(previous, **changes)  # type: ignore[arg-type]
    try:
        yield _current
    finally:
        _current = previous
