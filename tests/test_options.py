"""The report options: every bad value names its option."""

from __future__ import annotations

import pytest

from tbreport.options import BuildOptions


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"smoothing": 1.0}, "smoothing"),
        ({"smoothing": -0.1}, "smoothing"),
        ({"x_axis": "epoch"}, "x_axis"),
        ({"format": "jpeg"}, "format"),
        ({"image_steps": -1}, "image_steps"),
        ({"jobs": -2}, "jobs"),
        ({"max_graph_nodes": 0}, "max_graph_nodes"),
        ({"graph_timeout": 0}, "graph_timeout"),
        ({"runs": "("}, "--runs"),
        ({"tags": "[a"}, "--tags"),
    ],
)
def test_bad_options_name_themselves(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BuildOptions(**options).validate()  # type: ignore[arg-type]
