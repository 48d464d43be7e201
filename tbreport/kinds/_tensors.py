"""``TensorProto`` <-> numpy, shared by every kind's wire format (TF2 stores every summary
as a tensor): a module of the kinds, not a kind."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tbreport.fmt import fmt_bytes, plural
from tbreport.proto import tensor_pb2, types_pb2

__all__ = [
    "DECODE_ALLOWANCE",
    "DECODE_FACTOR",
    "decode_budget",
    "dtype_name",
    "make_tensor_proto",
    "tensor_shape",
    "tensor_to_array",
]

DECODE_FACTOR = 16
"""An event decodes to at most this many bytes per byte it stores ..."""
DECODE_ALLOWANCE = 1 << 20
"""... plus this many bytes (1 MiB), whatever its size (see :func:`decode_budget`)."""

_POINTER = 8  # what one element of an object array costs besides its bytes


def decode_budget(stored: int) -> int:
    """The bytes a value stored in ``stored`` bytes may decode to.

    A shape, a count or a header is a claim: a bit flip, or a writer's bug, makes a
    170-byte record claim 10**10 elements. Whatever a claim says, tbreport decodes a
    value to at most ``DECODE_FACTOR`` times its own size plus ``DECODE_ALLOWANCE``;
    beyond that the value is refused (``ValueError``: the reader warns, naming the
    file, record and tag, and reads on). Data stored in full never comes near it.
    """
    return DECODE_FACTOR * max(0, stored) + DECODE_ALLOWANCE


_ENCODE_DTYPES = {
    np.dtype(np.float16): ("half_val", types_pb2.DT_HALF),
    np.dtype(np.float32): ("float_val", types_pb2.DT_FLOAT),
    np.dtype(np.float64): ("double_val", types_pb2.DT_DOUBLE),
    np.dtype(np.int8): ("int_val", types_pb2.DT_INT8),
    np.dtype(np.int16): ("int_val", types_pb2.DT_INT16),
    np.dtype(np.int32): ("int_val", types_pb2.DT_INT32),
    np.dtype(np.int64): ("int64_val", types_pb2.DT_INT64),
    np.dtype(np.uint8): ("int_val", types_pb2.DT_UINT8),
    np.dtype(np.uint16): ("int_val", types_pb2.DT_UINT16),
    np.dtype(np.uint32): ("uint32_val", types_pb2.DT_UINT32),
    np.dtype(np.uint64): ("uint64_val", types_pb2.DT_UINT64),
    np.dtype(np.bool_): ("bool_val", types_pb2.DT_BOOL),
}


def make_tensor_proto(arr: npt.NDArray[Any]) -> tensor_pb2.TensorProto:
    """A numpy array (numbers, bools or strings) as a ``TensorProto``."""
    shape = tensor_pb2.TensorShapeProto(
        dim=[tensor_pb2.TensorShapeProto.Dim(size=s) for s in arr.shape]
    )
    if arr.dtype.kind in "US" or arr.dtype == object:
        strings = [
            s.encode("utf-8") if isinstance(s, str) else bytes(s) for s in arr.reshape(-1).tolist()
        ]
        return tensor_pb2.TensorProto(
            dtype=types_pb2.DT_STRING, tensor_shape=shape, string_val=strings
        )
    if arr.dtype not in _ENCODE_DTYPES:
        raise TypeError(f"tensor dtype {arr.dtype} is not supported")
    field, dtype = _ENCODE_DTYPES[arr.dtype]
    proto = tensor_pb2.TensorProto(dtype=dtype, tensor_shape=shape)
    flat = arr.reshape(-1)
    if field == "half_val":
        proto.half_val.extend(flat.view(np.uint16).astype(np.int32).tolist())
    else:
        getattr(proto, field).extend(flat.tolist())
    return proto


# (numpy dtype, name, TensorProto field holding the values when tensor_content is empty)
_DECODE_DTYPES: dict[int, tuple[str, str, str]] = {
    1: ("<f4", "float32", "float_val"),
    2: ("<f8", "float64", "double_val"),
    3: ("<i4", "int32", "int_val"),
    4: ("u1", "uint8", "int_val"),
    5: ("<i2", "int16", "int_val"),
    6: ("i1", "int8", "int_val"),
    7: ("O", "string", "string_val"),
    8: ("<c8", "complex64", "scomplex_val"),
    9: ("<i8", "int64", "int64_val"),
    10: ("?", "bool", "bool_val"),
    14: ("<u2", "bfloat16", "half_val"),
    17: ("<u2", "uint16", "int_val"),
    18: ("<c16", "complex128", "dcomplex_val"),
    19: ("<f2", "float16", "half_val"),
    22: ("<u4", "uint32", "uint32_val"),
    23: ("<u8", "uint64", "uint64_val"),
}


def dtype_name(dtype: int) -> str:
    """The short name of a TensorFlow ``DataType`` (``"float32"``, ``"string"``, ...)."""
    entry = _DECODE_DTYPES.get(dtype % 100)  # *_REF types are 100 + the plain type
    return entry[1] if entry else f"dtype{dtype}"


def tensor_shape(tensor: tensor_pb2.TensorProto) -> tuple[int, ...]:
    return tuple(int(d.size) for d in tensor.tensor_shape.dim)


def tensor_to_array(tensor: tensor_pb2.TensorProto) -> npt.NDArray[np.generic]:
    """Decode a ``TensorProto`` into a numpy array of its shape.

    Strings become an object array of ``bytes``; bfloat16 widens to float32. As
    TensorFlow does, a repeated field shorter than the shape is padded with its
    last value, within :func:`decode_budget` of the tensor's own size. Raises
    ``ValueError`` for a tensor whose values do not fit its shape, or whose expansion
    would exceed the budget.
    """
    dtype = tensor.dtype % 100
    entry = _DECODE_DTYPES.get(dtype)
    if entry is None:
        raise ValueError(f"unsupported tensor dtype {dtype}")
    np_dtype, _name, field_name = entry
    shape = tensor_shape(tensor)
    if any(d < 0 for d in shape):
        raise ValueError(f"tensor shape {list(shape)} has a negative dimension")
    size = 1
    for d in shape:
        size *= d
    arr: npt.NDArray[np.generic]
    if dtype == 7:
        values: list[bytes] = list(tensor.string_val)
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
    elif tensor.tensor_content:
        content = tensor.tensor_content
        itemsize = np.dtype(np_dtype).itemsize
        if len(content) != size * itemsize:
            raise ValueError(
                f"tensor_content holds {len(content)} bytes, but shape {list(shape)} of "
                f"{_name} needs {size * itemsize}"
            )
        arr = np.frombuffer(content, dtype=np_dtype)
    else:
        raw = getattr(tensor, field_name)
        if dtype in (8, 18):
            pairs = np.asarray(raw, dtype="<f4" if dtype == 8 else "<f8")
            arr = pairs[0::2] + 1j * pairs[1::2]
        elif dtype in (14, 19):
            arr = np.asarray(raw, dtype=np.int64).astype("<u2")
            if dtype == 19:
                arr = arr.view("<f2")
        else:
            arr = np.asarray(raw, dtype=np_dtype)
    if dtype == 14:  # bfloat16: the top half of a float32
        arr = (arr.astype(np.uint32) << 16).view(np.float32)
    if arr.shape[0] != size:
        arr = _expand(tensor, arr, shape, size, _name)
    return arr.reshape(shape)


def _expanded_bytes(arr: npt.NDArray[Any], size: int, dtype: int) -> int:
    """What padding ``arr`` to ``size`` elements costs in memory (and in what reads it)."""
    if dtype != 7:
        return size * int(arr.dtype.itemsize)
    stored = sum(len(b) for b in arr.tolist())
    last = len(arr[-1]) if arr.shape[0] else 0
    return int(stored + (size - arr.shape[0]) * last + size * _POINTER)


def _expand(
    tensor: tensor_pb2.TensorProto,
    arr: npt.NDArray[Any],
    shape: tuple[int, ...],
    size: int,
    name: str,
) -> npt.NDArray[Any]:
    """``arr`` padded to ``size`` elements with its last value (TensorFlow stores a
    constant tensor as one value), or ``ValueError`` past :func:`decode_budget`."""
    dtype = tensor.dtype % 100
    if arr.shape[0] > size:
        raise ValueError(f"tensor holds {arr.shape[0]} values for shape {list(shape)}")
    need = _expanded_bytes(arr, size, dtype)
    stored = tensor.ByteSize()
    if need > decode_budget(stored):
        raise ValueError(
            f"{name} tensor of shape {list(shape)} stores {plural(arr.shape[0], 'value')} in "
            f"{fmt_bytes(stored)}; padding it to {size:,} elements would take "
            f"{fmt_bytes(need)}, more than {DECODE_FACTOR} times its size + "
            f"{fmt_bytes(DECODE_ALLOWANCE)}"
        )
    if arr.shape[0] == 0:
        return np.zeros(size, dtype=arr.dtype) if dtype != 7 else np.full(size, b"", object)
    return np.concatenate([arr, np.full(size - arr.shape[0], arr[-1], dtype=arr.dtype)])
