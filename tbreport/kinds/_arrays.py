"""Turning user values (Python numbers, numpy, torch tensors) into numpy, without importing torch."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["INT64_MAX", "INT64_MIN", "to_float", "to_numpy", "to_step"]


def _is_torch_tensor(value: object) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def to_numpy(value: Any, name: str = "value") -> npt.NDArray[Any]:
    """``value`` as a numpy array: numpy arrays, torch tensors (any device), lists and numbers."""
    if isinstance(value, np.ndarray):
        return value
    if _is_torch_tensor(value):
        t = value.detach().cpu()
        if str(t.dtype) == "torch.bfloat16":
            t = t.float()
        return np.asarray(t.numpy())
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be a number, a numpy array or a torch tensor, got {type(value).__name__}"
        ) from exc
    if arr.dtype == object:
        raise TypeError(
            f"{name} must be numeric (a number, numpy array or torch tensor), "
            f"got {type(value).__name__} of non-numeric items"
        )
    return arr


def to_float(value: Any, name: str = "scalar_value") -> float:
    """One number as a Python float: accepts Python/numpy numbers and 1-element arrays/tensors."""
    if type(value) is float:
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool):
        return float(value)
    if _is_torch_tensor(value) or isinstance(value, np.ndarray):
        arr = to_numpy(value, name)
        if arr.size != 1:
            raise ValueError(f"{name} must hold exactly one element, got shape {tuple(arr.shape)}")
        if not np.issubdtype(arr.dtype, np.number) and arr.dtype != np.bool_:
            raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
        return float(arr.reshape(()))
    if isinstance(value, str):
        raise TypeError(f"{name} must be a number, got str {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be a number, a numpy scalar or a 1-element tensor, "
            f"got {type(value).__name__}"
        ) from exc


INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


def to_step(value: Any, name: str = "global_step") -> int:
    """A step as an int (``None`` is 0, as in TensorBoard).

    Integer arrays and tensors keep their exact value (no detour through float);
    NaN, inf, fractions and values outside int64 (the wire type) are rejected.
    """
    if value is None:
        return 0
    if type(value) is int:
        step = value
    elif isinstance(value, (np.integer, numbers.Integral)) and not isinstance(value, bool):
        step = int(value)
    else:
        arr = None
        if _is_torch_tensor(value) or isinstance(value, np.ndarray):
            arr = to_numpy(value, name)
        if arr is not None and arr.size == 1 and np.issubdtype(arr.dtype, np.integer):
            step = int(arr.reshape(()).item())
        else:
            try:
                f = to_float(value, name)
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"{name} must be an integer or None, got {type(value).__name__}"
                ) from exc
            if not math.isfinite(f) or f != int(f):
                raise ValueError(f"{name} must be an integer or None, got {f!r}")
            step = int(f)
    if not INT64_MIN <= step <= INT64_MAX:
        raise ValueError(f"{name} must fit in a signed 64-bit integer, got {step}")
    return step
