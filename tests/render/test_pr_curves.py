"""Average precision as shown in the PR-curve legend."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import tbreport
from tbreport import SummaryWriter
from tbreport.render.pr_curves import average_precision


def _ap_by_rank(labels: list[int], scores: list[float]) -> float:
    """Mean precision at the rank of each positive (distinct scores): the textbook AP."""
    order = np.argsort(scores)[::-1]
    hits, total = 0, 0.0
    for rank, i in enumerate(order, start=1):
        if labels[i]:
            hits += 1
            total += hits / rank
    return total / sum(labels)


def test_average_precision_matches_the_rank_definition(tmp_path: Path) -> None:
    labels = [1, 0, 1, 1, 0, 0, 1]
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.2, 0.1]  # one threshold bucket each
    with SummaryWriter(tmp_path) as w:
        w.add_pr_curve("pr", np.array(labels), np.array(scores), 0, num_thresholds=11)
    point = tbreport.load(tmp_path).runs["."].pr_curves["pr"].points[-1]
    assert math.isclose(average_precision(point), _ap_by_rank(labels, scores), rel_tol=1e-6)


def test_a_perfect_classifier_has_ap_one_even_without_a_recall_zero_point(tmp_path: Path) -> None:
    labels = np.array([1] * 20 + [0] * 20)
    scores = np.array([0.99] * 20 + [0.01] * 20)
    with SummaryWriter(tmp_path) as w:
        w.add_pr_curve("pr", labels, scores, 0)
    point = tbreport.load(tmp_path).runs["."].pr_curves["pr"].points[-1]
    assert math.isclose(average_precision(point), 1.0, rel_tol=1e-6)
