"""``TensorProto`` <-> numpy, shared by every kind's wire format (TF2 stores every summary
as a tensor): a module of the kinds, not a kind."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tbreport.proto import tensor_pb2, types_pb2

__all__ = [
    "MAX_EXPANDED_ELEMENTS",
    "dtype_name",
    "make_tensor_proto",
    "tensor_shape",
    "tensor_to_array",
]

MAX_EXPANDED_ELEMENTS = 1 << 22  # see tensor_to_array

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
    last value. Raises ``ValueError`` for a tensor whose bytes do not fit its shape.
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
        # TensorFlow may store fewer values than the shape holds (the last value
        # repeats). Expanding is bounded: a 161-byte record claiming shape [2e8]
        # must not cost gigabytes.
        if size > MAX_EXPANDED_ELEMENTS:
            raise ValueError(
                f"tensor of shape {list(shape)} stores {arr.shape[0]} values; expanding it to "
                f"{size:,} elements exceeds the limit of {MAX_EXPANDED_ELEMENTS:,}"
            )
        if arr.shape[0] == 0:
            arr = np.zeros(size, dtype=arr.dtype) if dtype != 7 else np.full(size, b"", object)
        elif arr.shape[0] < size:
            arr = np.concatenate([arr, np.full(size - arr.shape[0], arr[-1], dtype=arr.dtype)])
        else:
            raise ValueError(f"tensor holds {arr.shape[0]} values for shape {list(shape)}")
    return arr.reshape(shape)
