"""The options of a report: one dataclass, checked in one place.

:class:`BuildOptions` holds every option of ``tbreport build`` and
:func:`tbreport.build_report`; :meth:`BuildOptions.validate` is the one check of their
values. A leaf module (standard library only), so the command line can build its
parser from it without importing numpy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FORMATS", "X_AXES", "BuildOptions", "check_group_regex"]

#: the x-axes of scalar charts
X_AXES = ("step", "relative", "wall")
#: chart formats
FORMATS = ("png", "svg")


def check_group_regex(pattern: str) -> re.Pattern[str]:
    """Compile a ``--group-by`` regex; ``ValueError`` if invalid or if it matches ``""``."""
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise ValueError(
            f"--group-by {pattern!r} is not a valid regular expression: {exc}"
        ) from None
    if rx.fullmatch("") is not None:
        raise ValueError(
            f"--group-by {pattern!r} matches the empty string; it must match a part of a run name"
        )
    return rx


@dataclass(frozen=True)
class BuildOptions:
    """Every option of ``tbreport build`` / :func:`tbreport.build_report`."""

    title: str | None = None
    runs: str | None = None  # regular expression, searched in run names
    tags: str | None = None  # regular expression, searched in tags
    smoothing: float = 0.6
    x_axis: str = "step"
    format: str = "png"
    image_steps: int | None = None  # None or 0: every step
    jobs: int | None = None  # None or 0: every core
    strict: bool = False
    max_graph_nodes: int = 250
    graph_timeout: float = 30.0
    progress: bool | None = None  # None: a bar only on a terminal
    baseline: str | None = None  # a run (or --group-by group): others shown as deltas to it
    group_by: str | None = None  # regex; runs equal once its match is "*" form a group

    def validate(self) -> None:
        """Raise ``ValueError`` naming the bad option."""
        if not 0.0 <= self.smoothing < 1.0:
            raise ValueError(f"smoothing must be in [0, 1), got {self.smoothing}")
        if self.x_axis not in X_AXES:
            raise ValueError(f"x_axis must be one of {', '.join(X_AXES)}; got {self.x_axis!r}")
        if self.format not in FORMATS:
            raise ValueError(f"format must be png or svg; got {self.format!r}")
        if self.image_steps is not None and self.image_steps < 0:
            raise ValueError(f"image_steps must be >= 0, got {self.image_steps}")
        if self.jobs is not None and self.jobs < 0:
            raise ValueError(f"jobs must be >= 0, got {self.jobs}")
        if self.max_graph_nodes < 1:
            raise ValueError(f"max_graph_nodes must be >= 1, got {self.max_graph_nodes}")
        if not self.graph_timeout > 0:
            raise ValueError(f"graph_timeout must be > 0, got {self.graph_timeout}")
        for name in ("runs", "tags"):
            pattern = getattr(self, name)
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(
                        f"--{name} {pattern!r} is not a valid regular expression: {exc}"
                    ) from None
        if self.group_by is not None:
            check_group_regex(self.group_by)
