"""Ctrl-C in every command: exit 130, one line, no traceback, nothing left behind.

The first SIGINT raises ``KeyboardInterrupt`` in the command, wherever it is
(reading, drawing, writing): the chart and reader workers are ended at once
(:mod:`tbreport._workers`; they ignore SIGINT themselves), a temporary output file
is removed (:class:`~tbreport.report.output.Output`), and :func:`tbreport.cli.main`
prints ``tbreport: error: interrupted`` and returns 130.

A second SIGINT while that clean-up runs does not raise into it (a traceback from
a ``finally`` block): it prints the line (once), ends the workers, removes the
temporary files and leaves at once with status 130.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import NoReturn

from tbreport._workers import end_processes
from tbreport.report.output import remove_temporaries

__all__ = ["MESSAGE", "handle_interrupts", "leave_now", "report"]

MESSAGE = "tbreport: error: interrupted"
EXIT_INTERRUPTED = 130

_reported = False


def report() -> None:
    """The one line saying the command was interrupted (printed once per process)."""
    global _reported
    if not _reported:
        _reported = True
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(MESSAGE + "\n")
            sys.stderr.flush()


def leave_now() -> NoReturn:
    """End the process at once with status 130, the line printed, the workers ended
    and the temporary files removed.

    The ``tbreport`` program leaves this way once interrupted, even when the command
    unwound cleanly: Python 3.11 remembers a ``KeyboardInterrupt`` that passed
    through an import run by C code (numpy's, matplotlib's) as "unhandled" and would
    end the process by SIGINT instead of with status 130."""
    report()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    # multiprocessing is imported (and has children) only if a command started workers
    mp = sys.modules.get("multiprocessing")
    if mp is not None:
        with contextlib.suppress(Exception):
            end_processes(mp.active_children())
    remove_temporaries()
    os._exit(EXIT_INTERRUPTED)


@contextlib.contextmanager
def handle_interrupts(*, program: bool = False) -> Iterator[None]:
    """SIGINT as the module docstring says, for the duration (main thread only: a
    signal handler cannot be set elsewhere, and there the caller's stays).

    Afterwards the caller's handler is back, except in the ``tbreport`` program
    (``program``) once interrupted: the work is undone and the line printed, and a
    further Ctrl-C is ignored until :func:`leave_now` ends the process."""
    global _reported
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    seen = 0

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        nonlocal seen
        seen += 1
        if seen == 1:
            raise KeyboardInterrupt
        leave_now()

    _reported = False
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN if program and seen else previous)
