from __future__ import annotations

import math

import numpy as np

from tbreport.model import PrCurvePoint, Run, Series
from tbreport.options import BuildOptions
from tbreport.render import pr_curve as pr_curves
from tbreport.render.base import Context


def curve(step: int, precision: list[float], recall: list[float]) -> PrCurvePoint:
    return PrCurvePoint(
        step=step, wall_time=0.0, precision=np.asarray(precision), recall=np.asarray(recall)
    )


def test_last_step_on_top_and_earlier_steps_faded() -> None:
    points = [curve(s, [0.5, 0.8, 1.0], [1.0, 0.5, 0.0]) for s in range(7)]
    run = Run(name="r", path="r", pr_curves={"pr/c": Series(tag="pr/c", points=points)})
    section = pr_curves.build([run], Context(options=BuildOptions(), colors={"r": "#123456"}))
    assert section is not None
    item = section.groups[0].items[0]
    curves = item.chart.spec.curves
    assert [last for *_, last in curves] == [False] * 4 + [True]  # 4 earlier steps, then the last
    (legend,) = item.legend
    assert legend.step == 6 and legend.steps == 7 and legend.thresholds == 3
    assert 0.0 <= legend.ap <= 1.0


def test_average_precision_of_a_perfect_and_an_empty_curve() -> None:
    assert pr_curves.average_precision(curve(0, [1.0, 1.0], [1.0, 0.0])) == 1.0
    assert math.isnan(pr_curves.average_precision(curve(0, [math.nan], [math.nan])))
