"""The options of a report: one dataclass, the one source of their rules.

:class:`BuildOptions` holds every option of ``tbreport build`` and
:func:`tbreport.build_report`. Each field carries its :class:`Flag`: the help text, the
choices, the converter from text and the check of its value.
:meth:`BuildOptions.validate` runs the checks for the library; the command line builds
its arguments from the same metadata (:func:`tbreport.cli.args.add_options`), so a rule
is written once. Standard library and :mod:`tbreport.errors` only: the command line
builds its parser without importing numpy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from tbreport.errors import UsageError

__all__ = [
    "COMPARE_OPTIONS",
    "DRAWING_OPTIONS",
    "FORMATS",
    "SELECTION_OPTIONS",
    "X_AXES",
    "BuildOptions",
    "Flag",
    "check_group_regex",
    "flag_of",
]

#: the x-axes of scalar charts
X_AXES = ("step", "relative", "wall")
#: chart formats
FORMATS = ("png", "svg")


# --- checks: each returns the reason a value is bad, or "" when it is fine


def _regex(value: Any) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        return f"{value!r} is not a valid regular expression: {exc}"
    return ""


def _group_regex(value: Any) -> str:
    problem = _regex(value)
    if not problem and re.fullmatch(value, ""):
        problem = f"{value!r} matches the empty string; it must match a part of a run name"
    return problem


def check_group_regex(pattern: str) -> re.Pattern[str]:
    """Compile a ``--group-by`` regex; :class:`UsageError` if invalid or if it matches ``""``."""
    problem = _group_regex(pattern)
    if problem:
        raise UsageError(f"--group-by {problem}")
    return re.compile(pattern)


def _fraction(value: Any) -> str:
    return "" if 0.0 <= value < 1.0 else f"must be in [0, 1), got {value}"


def _count(value: Any) -> str:
    return "" if value >= 0 else f"must be >= 0, got {value}"


def _positive_int(value: Any) -> str:
    return "" if value >= 1 else f"must be >= 1, got {value}"


def _positive(value: Any) -> str:
    return "" if value > 0 else f"must be > 0, got {value}"


@dataclass(frozen=True)
class Flag:
    """How an option appears on the command line, and the rule for its value."""

    help: str
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    convert: Callable[[str], Any] = str  # command-line text -> value (ValueError if not one)
    check: Callable[[Any], str] | None = None  # value -> why it is bad ("" if fine)
    short: str | None = None
    switch: bool = False  # a flag without a value (store_true)

    def problem(self, value: Any) -> str:
        """Why ``value`` is not allowed, or ``""``."""
        if value is None:
            return ""
        if self.choices is not None and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}; got {value!r}"
        return self.check(value) if self.check is not None else ""


def _option(default: Any, flag: Flag | None) -> Any:
    return field(default=default, metadata={"flag": flag} if flag else {})


def flag_of(name: str) -> Flag:
    """The :class:`Flag` of the :class:`BuildOptions` field ``name``."""
    for f in fields(BuildOptions):
        if f.name == name and "flag" in f.metadata:
            flag: Flag = f.metadata["flag"]
            return flag
    raise KeyError(name)


@dataclass(frozen=True)
class BuildOptions:
    """Every option of ``tbreport build`` / :func:`tbreport.build_report`."""

    title: str | None = _option(None, Flag("title (default: from the logdir names)"))
    runs: str | None = _option(
        None, Flag("only runs whose name matches", metavar="REGEX", check=_regex)
    )
    tags: str | None = _option(None, Flag("only tags that match", metavar="REGEX", check=_regex))
    key_metrics: str | None = _option(
        None,
        Flag(
            "the key metrics shown first (the report's top panel, the summary, the "
            "e-mail): every scalar tag the regex matches, instead of the default rule "
            "(validation and test metrics first; see the README)",
            metavar="REGEX",
            check=_regex,
        ),
    )
    smoothing: float = _option(
        0.6,
        Flag(
            "TensorBoard's debiased EMA weight in [0, 1) (default: 0.6; 0 = off)",
            metavar="W",
            convert=float,
            check=_fraction,
        ),
    )
    always_smooth: str | None = _option(
        None,
        Flag(
            "smooth the matching tags' series even where they look like a schedule "
            "(monotone, piecewise constant: an lr) or have fewer than 50 points, which "
            "are drawn raw by default",
            metavar="REGEX",
            check=_regex,
        ),
    )
    log_y: str | None = _option(
        None,
        Flag(
            "a logarithmic y-axis for the matching tags' charts (default: chosen when "
            "every value is positive and a run's span 3 decades or more)",
            metavar="REGEX",
            check=_regex,
        ),
    )
    x_axis: str = _option("step", Flag("x-axis of scalar charts (default: step)", choices=X_AXES))
    format: str = _option("png", Flag("chart format (default: png)", choices=FORMATS))
    image_steps: int | None = _option(
        None,
        Flag(
            "embed at most N steps per image tag, evenly spaced (default: every step "
            "that fits --max-report-mb)",
            metavar="N",
            convert=int,
            check=_count,
        ),
    )
    max_report_mb: float = _option(
        50.0,
        Flag(
            "size budget of the embedded images, audio and videos in MB: beyond it their "
            "steps are thinned evenly (first and last kept, every tag keeps one), and the "
            "data-health box says what was left out (default: 50; 0 = no limit)",
            metavar="MB",
            convert=float,
            check=_count,
        ),
    )
    jobs: int | None = _option(
        None,
        Flag(
            "processes drawing charts (default: all cores)",
            metavar="N",
            convert=int,
            check=_count,
            short="-j",
        ),
    )
    strict: bool = _option(
        False,
        Flag(
            "damaged input (CRC failures, truncated records, unreadable files) is an "
            "error (exit 2), and for build a missing Graphviz; notes (unknown plugins, "
            "repeated graphs, symlinked runs) never are",
            switch=True,
        ),
    )
    no_outlier_clip: bool = _option(
        False,
        Flag(
            "show every point of a scalar chart in its y-range (by default an isolated "
            "spike is left out of it and marked on the edge)",
            switch=True,
        ),
    )
    max_graph_nodes: int = _option(
        250,
        Flag(
            "boxes in a graph's whole-graph picture: deeper scopes are collapsed until at "
            "most N remain (default: 250; the overview always fits a screen)",
            metavar="N",
            convert=int,
            check=_positive_int,
        ),
    )
    graph_timeout: float = _option(
        30.0,
        Flag(
            "time limit for all the work on one graph, tbreport's layout and Graphviz's; "
            "beyond it the graph is left out with a note (default: 30)",
            metavar="S",
            convert=float,
            check=_positive,
        ),
    )
    progress: bool | None = _option(None, None)  # None: a bar only on a terminal
    baseline: str | None = _option(
        None,
        Flag(
            "show every other run's metrics as deltas against RUN (a run name, or a "
            "--group-by group such as 'lr_0.1/*')",
            metavar="RUN",
        ),
    )
    group_by: str | None = _option(
        None,
        Flag(
            "group runs whose names are equal once the part REGEX matches is replaced by "
            "'*' (e.g. 'seed_\\d+'): mean ± std in the tables, mean ± std bands in the charts",
            metavar="REGEX",
            check=_group_regex,
        ),
    )

    def validate(self) -> None:
        """Raise :class:`~tbreport.errors.UsageError` (a ``ValueError``) naming the bad option."""
        for f in fields(self):
            flag = f.metadata.get("flag")
            problem = flag.problem(getattr(self, f.name)) if flag else ""
            if problem:
                raise UsageError(f"--{f.name.replace('_', '-')}: {problem}")


#: the options choosing what to report, shared by ``build`` and ``email``
SELECTION_OPTIONS = ("title", "runs", "tags", "key_metrics", "smoothing")
#: the options comparing runs, shared by ``build`` and ``email``
COMPARE_OPTIONS = ("baseline", "group_by")
#: the options of how ``build`` draws
DRAWING_OPTIONS = (
    "always_smooth",
    "log_y",
    "x_axis",
    "format",
    "image_steps",
    "max_report_mb",
    "jobs",
    "strict",
    "no_outlier_clip",
    "max_graph_nodes",
    "graph_timeout",
)
