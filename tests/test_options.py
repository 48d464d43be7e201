"""The report options: every bad value names its option."""

from __future__ import annotations

import pytest

from tbreport.options import BuildOptions


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"smoothing": 1.0}, "smoothing"),
        ({"smoothing": -0.1}, "smoothing"),
        ({"x_axis": "epoch"}, "--x-axis"),
        ({"format": "jpeg"}, "format"),
        ({"image_steps": -1}, "--image-steps"),
        ({"jobs": -2}, "jobs"),
        ({"max_graph_nodes": 0}, "--max-graph-nodes"),
        ({"graph_timeout": 0}, "--graph-timeout"),
        ({"runs": "("}, "--runs"),
        ({"tags": "[a"}, "--tags"),
    ],
)
def test_bad_options_name_themselves(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BuildOptions(**options).validate()  # type: ignore[arg-type]


def test_a_bad_option_is_a_usage_error_and_a_value_error() -> None:
    from tbreport.errors import UsageError

    with pytest.raises(UsageError, match=r"--smoothing: must be in \[0, 1\), got 1.5"):
        BuildOptions(smoothing=1.5).validate()
    assert issubclass(UsageError, ValueError)


def test_the_command_line_takes_its_rules_from_the_dataclass() -> None:
    """Each option's choices and checks are the dataclass's: argparse says the same."""
    import argparse

    from tbreport.cli.args import add_options
    from tbreport.options import COMPARE_OPTIONS, DRAWING_OPTIONS, SELECTION_OPTIONS

    p = argparse.ArgumentParser(exit_on_error=False)
    add_options(p, SELECTION_OPTIONS + DRAWING_OPTIONS + COMPARE_OPTIONS)
    args = p.parse_args(["--x-axis", "wall", "-j", "2", "--strict", "--group-by", r"seed_\d+"])
    assert (args.x_axis, args.jobs, args.strict, args.group_by) == ("wall", 2, True, r"seed_\d+")
    assert args.smoothing == BuildOptions().smoothing
    for argv, reason in [
        (["--smoothing", "1"], r"must be in \[0, 1\)"),
        (["--max-graph-nodes", "0"], "must be >= 1"),
        (["--image-steps", "x"], "not an integer"),
        (["--group-by", "x*"], "matches the empty string"),
        (["--runs", "("], "not a valid regular expression"),
    ]:
        with pytest.raises(argparse.ArgumentError, match=reason):
            p.parse_args(argv)
    action = next(a for a in p._actions if a.dest == "format")
    assert tuple(action.choices or ()) == ("png", "svg")
