"""What every kind shares: series and their purged view, the points accumulator, the
section spec, and the defaults of a Kind."""

from __future__ import annotations

import numpy as np

from tbreport.kinds.base import (
    Kind,
    Meta,
    Point,
    PointsAccumulator,
    Restart,
    SectionSpec,
    Series,
    keep_mask,
)
from tbreport.model import Run


def test_keep_mask_drops_points_overwritten_before_a_restart() -> None:
    steps = np.array([0, 1, 2, 3, 2, 3, 4])
    restart = Restart(index=4, step=2, ordinal=1)  # resumed at step 2 after 4 points
    assert keep_mask(steps, [restart], False).tolist() == [1, 1, 0, 0, 1, 1, 1]
    first = Restart(index=4, step=2, ordinal=0)
    assert keep_mask(steps, [first], True).all()  # TensorBoard's UI skips the first START


def test_series_ranges_and_purged_view() -> None:
    points = [Point(s, 10.0 + i) for i, s in enumerate([0, 5, 3, 1, 2])]
    series: Series[Point] = Series("t", points, restarts=(Restart(3, 1),))
    assert series.step_range() == (0, 5) and series.wall_range() == (10.0, 14.0)
    assert [p.step for p in series.purged()] == [0, 1, 2]
    assert Series("e").step_range() is None and Series("e").wall_range() is None
    plain: Series[Point] = Series("p", points)
    assert plain.purged() is plain


def test_points_accumulator_keeps_the_first_metadata_and_the_restarts() -> None:
    acc = PointsAccumulator("images")
    acc.add("t", Meta("images", b"c", "Display", "desc"), 0, Point(0, 1.0))
    acc.add("t", None, 5, Point(1, 2.0))
    seen: list[list[int]] = []

    def restarts(tag: str, idx: np.ndarray) -> tuple[Restart, ...]:
        seen.append(idx.tolist())
        return (Restart(1, 1),)

    run = Run("r", "r")
    acc.store(run, restarts, {})
    series = run.images["t"]
    assert (series.display_name, series.plugin_content, len(series)) == ("Display", b"c", 2)
    assert seen == [[0, 5]] and series.restarts == (Restart(1, 1),)


def test_section_spec_loads_its_builder() -> None:
    build = SectionSpec("tbreport.render.text:build", ("kinds/text.html.j2",)).load()
    assert callable(build) and build.__module__ == "tbreport.render.text"


def test_kind_defaults() -> None:
    kind = Kind(name="x", module="x", attr="hparams")
    run = Run("r", "r")
    assert kind.accumulator() is None and kind.series(run) is None
    assert not kind.present(run)
    kind.read_event(None, None, 0)  # type: ignore[arg-type]  # reads nothing
    run.run_metadata_tags.append("a")
    assert Kind(name="y", module="y", attr="run_metadata_tags").present(run)
