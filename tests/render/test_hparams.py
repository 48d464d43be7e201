from __future__ import annotations

from tbreport.model import HParamsRow
from tbreport.render.hparams import _scale, parallel_coordinates


def test_scales() -> None:
    pos, ticks, log = _scale([0.001, 0.1, None, 0.01])
    assert log and pos[0] == 0.0 and pos[1] == 1.0 and pos[2] is None and abs(pos[3] - 0.5) < 1e-9
    pos, ticks, log = _scale(["sgd", "adam", "sgd"])
    assert not log and [t[1] for t in ticks] == ["adam", "sgd"] and pos == [1.0, 0.0, 1.0]
    pos, _, _ = _scale([True, False])
    assert pos == [1.0, 0.0]
    pos, ticks, _ = _scale([2.0, 2.0])
    assert pos == [0.5, 0.5] and len(ticks) == 1


def test_parallel_coordinates_break_lines_at_missing_values() -> None:
    rows = [
        HParamsRow("a", {"lr": 0.1, "opt": "sgd"}, {"acc": 0.9}),
        HParamsRow("b", {"lr": 0.01}, {"acc": 0.8}),
    ]
    pc = parallel_coordinates(rows, ["lr", "opt"], ["acc"], {"a": "#111111", "b": "#222222"})
    assert pc is not None and [a.name for a in pc.axes] == ["lr", "opt", "acc"]
    assert len(pc.lines[0].segments) == 1 and pc.lines[0].segments[0].count(",") == 3
    assert pc.lines[1].segments == []  # lr alone, then a gap: no solid segment...
    assert len(pc.lines[1].bridges) == 1 and len(pc.lines[1].points) == 2  # ...a dashed bridge
    assert parallel_coordinates(rows, ["lr"], [], {}) is None
