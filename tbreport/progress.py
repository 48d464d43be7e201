"""The progress bars of a build (reading, then drawing): on a terminal only.

:func:`bar` gives a tqdm bar on standard error, or ``None`` when there is nothing to
show or no bar is wanted: ``enabled=None`` shows one only when stderr is a terminal
(tqdm's own test), ``False`` never, ``True`` always. A finished bar leaves its last
line (what was read, how many charts were drawn); :func:`discard` erases an
unfinished one (Ctrl-C: the one line saying so stays alone).
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["bar", "discard"]


def bar(desc: str, total: int, unit: str, *, enabled: bool | None, scale: bool = False) -> Any:
    """A bar of ``total`` ``unit``s (``scale``: bytes shown as kB, MB), or ``None``."""
    if total <= 0 or enabled is False:
        return None
    if enabled is None and not _is_terminal(sys.stderr):
        return None  # tqdm's own test, made before importing it
    from tqdm import tqdm  # only with a progress bar (--help stays light)

    class _Bar(tqdm):  # type: ignore[misc]
        monitor_interval = 0  # no monitor thread: the chart pool may fork

    return _Bar(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=scale,
        unit_divisor=1024 if scale else 1000,
        disable=None if enabled is None else False,
        leave=True,
    )


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no stream, or a closed one
        return False


def discard(progress: Any) -> None:
    """Erase an unfinished bar (``None``: nothing to do)."""
    if progress is not None:
        progress.leave = False
        progress.close()
