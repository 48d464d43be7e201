"""The PR-curve kind: goldens of both encoders, and decode(encode(x)) == x."""

from __future__ import annotations

import numpy as np
import pytest

from tbreport.kinds.pr_curve import decode_pr_curve, pr_curve_raw_value, pr_curve_value
from tests.golden import check_golden

LABELS = np.array([1, 0, 1, 1, 0, 0, 1, 0])
PREDICTIONS = np.array([0.9, 0.1, 0.75, 0.5, 0.5, 0.25, 0.0, 1.0])


def test_goldens(update_goldens: bool) -> None:
    check_golden(
        "pr_curve",
        pr_curve_value("pr", LABELS, PREDICTIONS, num_thresholds=5),
        update=update_goldens,
    )
    raw = pr_curve_raw_value(
        "pr", [4, 2], [4, 1], [0, 3], [0, 2], [0.5, 2 / 3], [1.0, 0.5], num_thresholds=2
    )
    check_golden("pr_curve_raw", raw, update=update_goldens)


def test_decode_of_encode() -> None:
    point = decode_pr_curve(pr_curve_value("pr", LABELS, PREDICTIONS, num_thresholds=5), 1, 2.0)
    assert point.num_thresholds == 5
    assert point.thresholds.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert point.true_positives[0] == 4 and point.false_positives[0] == 4
    assert point.recall[0] == 1.0
    # every threshold: TP + FN = positives, FP + TN = negatives
    assert np.all(point.true_positives + point.false_negatives == 4)
    assert np.all(point.false_positives + point.true_negatives == 4)


def test_thresholds_are_checked() -> None:
    with pytest.raises(ValueError, match=">= 2"):
        pr_curve_value("pr", LABELS, PREDICTIONS, num_thresholds=1)
