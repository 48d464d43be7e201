"""Turning user values (numbers, numpy, torch tensors) into numpy, without importing torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tbreport.kinds._arrays import INT64_MAX, to_float, to_numpy, to_step


def test_to_float() -> None:
    assert to_float(1) == 1.0 and to_float(np.float32(0.5)) == 0.5
    assert to_float(np.array([2.5])) == 2.5 and to_float(True) == 1.0
    with pytest.raises(ValueError, match="exactly one element"):
        to_float(np.zeros(2))
    with pytest.raises(TypeError, match="got str"):
        to_float("1")


def test_to_step() -> None:
    assert to_step(None) == 0 and to_step(np.int64(INT64_MAX)) == INT64_MAX
    assert to_step(3.0) == 3 and to_step(np.array(7, dtype=np.uint8)) == 7
    for bad, error in (
        (1.5, ValueError),
        (math.nan, ValueError),
        (2**63, ValueError),
        ("x", TypeError),
    ):
        with pytest.raises(error):
            to_step(bad)


def test_to_numpy() -> None:
    arr = np.zeros(3)
    assert to_numpy(arr) is arr and to_numpy([1, 2]).tolist() == [1, 2]
    with pytest.raises(TypeError, match="numeric"):
        to_numpy([object()])


def test_torch_tensors_any_dtype() -> None:
    torch = pytest.importorskip("torch")
    assert to_numpy(torch.ones(2, dtype=torch.bfloat16)).dtype == np.float32
    assert to_float(torch.tensor([0.25])) == 0.25 and to_step(torch.tensor(5)) == 5
