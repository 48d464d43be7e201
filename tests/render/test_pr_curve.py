from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from tbreport.model import PrCurvePoint, Run, Series
from tbreport.options import BuildOptions
from tbreport.render import pr_curve as pr_curves
from tbreport.render.base import Context
from tbreport.render.pr_curve import curve_points, trim


def curve(step: int, precision: list[float], recall: list[float]) -> PrCurvePoint:
    return PrCurvePoint(
        step=step, wall_time=0.0, precision=np.asarray(precision), recall=np.asarray(recall)
    )


def counts(step: int, tp: list[float], fp: list[float]) -> PrCurvePoint:
    t, f = np.asarray(tp, dtype=np.float64), np.asarray(fp, dtype=np.float64)
    pos, neg = t[0], f[0]
    precision = t / np.maximum(1e-7, t + f)
    recall = t / np.maximum(1e-7, pos)
    return PrCurvePoint(
        step=step,
        wall_time=0.0,
        true_positives=t,
        false_positives=f,
        true_negatives=neg - f,
        false_negatives=pos - t,
        precision=precision,
        recall=recall,
    )


def _build(points: dict[str, list[PrCurvePoint]]) -> object:
    runs = [
        Run(name=n, path=n, pr_curves={"pr/c": Series(tag="pr/c", points=pts)})
        for n, pts in points.items()
    ]
    colors = dict(zip(points, ("#123456", "#ff7043", "#0077bb")))
    section = pr_curves.build(runs, Context(options=BuildOptions(), colors=colors))
    assert section is not None
    return section.groups[0].items[0]


def test_last_step_bold_and_a_few_earlier_steps_faint() -> None:
    points = [curve(s, [0.5, 0.8, 1.0], [1.0, 0.5, 0.0]) for s in range(20)]
    item = _build({"r": points})
    svg = item.svg  # type: ignore[attr-defined]
    bold = re.findall(r'<path class="cur"[^>]*data-step="(\d+)"', svg)
    faint = re.findall(r'<path class="old"[^>]*data-step="(\d+)"', svg)
    assert bold == ["19"] and len(faint) == pr_curves.EARLIER
    assert faint[0] == "0" and svg.index('class="cur"') > svg.index('class="old"')  # on top
    assert item.steps == sorted({int(s) for s in bold + faint})  # type: ignore[attr-defined]
    (legend,) = item.legend  # type: ignore[attr-defined]
    assert legend.step == 19 and legend.steps == 20 and legend.thresholds == 3
    assert 0.0 <= legend.ap <= 1.0


def test_thresholds_with_no_positive_prediction_are_dropped() -> None:
    # 5 thresholds; at the two highest nothing is predicted positive
    p = counts(0, [4, 3, 2, 0, 0], [4, 2, 1, 0, 0])
    assert trim(p) == 3
    recall, precision = curve_points(p)
    assert recall.tolist() == [1.0, 0.75, 0.5] and (0.0, 0.0) not in zip(recall, precision)
    item = _build({"r": [p]})
    assert "0 0" not in re.findall(r' d="M([^"]*)"', item.svg)[0].split("L")  # type: ignore[attr-defined]
    assert item.legend[0].thresholds == 3 and item.legend[0].logged == 5  # type: ignore[attr-defined]
    # the first threshold always stays; fractional (weighted) counts truncate as TB's int()
    assert trim(counts(0, [0, 0], [0, 0])) == 1
    assert trim(counts(0, [2.5, 0.4, 0.3], [1.0, 0.5, 0.0])) == 1


def test_average_precision_of_a_perfect_and_an_empty_curve() -> None:
    assert pr_curves.average_precision(curve(0, [1.0, 1.0], [1.0, 0.0])) == 1.0
    assert math.isnan(pr_curves.average_precision(curve(0, [math.nan], [math.nan])))


def test_markup_from_logs_is_escaped() -> None:
    item = _build({'<b>"x"</b>': [curve(0, [0.5, 1.0], [1.0, 0.0])]})
    assert "<b>" not in item.svg and "&lt;b&gt;" in item.svg  # type: ignore[attr-defined]


def test_thresholds_dropped_exactly_as_tensorboard(tmp_path: Path) -> None:
    """torch writes PR curves; TensorBoard's PR-curve plugin and tbreport read the same
    files and keep the same thresholds and points."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing import plugin_event_accumulator as pea
    from tensorboard.plugins.pr_curve.pr_curves_plugin import PrCurvesPlugin
    from tensorboard.util import tensor_util
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    import tbreport

    rng = np.random.default_rng(7)
    with TorchWriter(str(tmp_path / "run")) as w:
        for step in range(6):
            labels = rng.random(300) < 0.3
            # scores that never reach the top thresholds: TP + FP = 0 there
            scores = np.clip(labels * 0.4 + rng.random(300) * (0.2 + 0.1 * step), 0, 1)
            weights = rng.random(300) if step % 2 else None
            w.add_pr_curve(
                "pr/c",
                torch.tensor(labels),
                torch.tensor(scores),
                step,
                num_thresholds=17 + 20 * step,
                weights=weights,  # torch takes the weights as numpy
            )
    acc = pea.EventAccumulator(str(tmp_path / "run"), size_guidance={"tensors": 0})
    acc.Reload()
    tb = {
        e.step: PrCurvesPlugin._make_pr_entry(
            None, e.step, e.wall_time, tensor_util.make_ndarray(e.tensor_proto)
        )
        for e in acc.Tensors("pr/c")
    }
    ours = tbreport.load(tmp_path).runs["run"].pr_curves["pr/c"].points
    assert len(ours) == len(tb) == 6
    dropped = 0
    for p in ours:
        entry = tb[p.step]
        n = trim(p)
        assert n == len(entry["thresholds"]), p.step
        recall, precision = curve_points(p)
        assert np.allclose(recall, entry["recall"]) and np.allclose(precision, entry["precision"])
        dropped += p.num_thresholds - n
    assert dropped > 20  # the case is real: many thresholds were dropped
