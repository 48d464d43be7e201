"""The raw tensor kind: golden, and decode(encode(x)) == x for numbers and strings."""

from __future__ import annotations

import numpy as np
import pytest

from tbreport.kinds.tensor import decode_tensor, tensor_to_array, tensor_value
from tests.golden import check_golden


def test_golden(update_goldens: bool) -> None:
    value = tensor_value("t", np.arange(6, dtype=np.float32).reshape(2, 3))
    check_golden("tensor_float32", value, update=update_goldens)
    check_golden("tensor_strings", tensor_value("s", np.array(["a", "ü"])), update=update_goldens)


@pytest.mark.parametrize(
    "array",
    [
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.arange(4, dtype=np.int64),
        np.array([True, False]),
        np.array([1.5, -2.0], dtype=np.float16),
        np.zeros((0, 2), dtype=np.float64),
    ],
)
def test_decode_of_encode(array: np.ndarray) -> None:
    point = decode_tensor(tensor_value("t", array).tensor, 1, 2.0)
    assert point.shape == array.shape and point.dtype == str(array.dtype)
    assert np.array_equal(point.value, array)


def test_strings_decode_to_bytes() -> None:
    arr = tensor_to_array(tensor_value("s", np.array(["a", "ü"])).tensor)
    assert arr.tolist() == [b"a", "ü".encode()]
