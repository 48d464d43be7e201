"""Deterministic plumbing shared by the logdir builders.

Three ways to write an event file, from the most to the least faithful to a user's
own script:

- a real writer (tbreport's ``SummaryWriter``, torch's) inside :func:`frozen`, which
  pins ``time.time`` to a value the builder sets (:class:`Clock`) and
  ``socket.gethostname`` to :data:`HOST`; :func:`normalize_names` then gives every
  event file a fixed pid and a per-build counter in its name, so a build writes the
  same names and bytes in any process, first or fiftieth;
- :class:`RawEventFile`: framed ``Event`` protos (tbreport's ``encode_record``) for
  what a producer writes and our writer cannot (TF2 tensor summaries, Keras
  plugins, TF1 graphs, legacy fields);
- :meth:`RawEventFile.write_bytes`: bytes as they are, for damaged records.

Images are encoded with Pillow (PNG with fixed compression, JPEG with fixed
quality), which is byte-stable for a given Pillow build.
"""

from __future__ import annotations

import io
import os
import re
import socket
import struct
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from tbreport.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2
from tbreport.record import encode_record

HOST = "tbhost"
"""The host name in every event file name the builders write."""
PID = 4242
"""The pid in every event file name (real writers' names are rewritten to it)."""
START = 1_767_225_600.0
"""2026-01-01T00:00:00Z: the default first wall time."""

_EVENT_NAME = re.compile(
    r"^events\.out\.tfevents\.(?P<secs>\d+)\.(?P<host>" + re.escape(HOST) + r")\.(?P<pid>\d+)"
    r"\.(?P<uid>\d+)(?P<suffix>.*)$"
)


class Clock:
    """What ``time.time()`` returns inside :func:`frozen`: ``now``, set by the builder.

    It never advances by itself (the writers' own threads call ``time.time`` a
    number of times that depends on scheduling); builders set ``now`` before each
    writer or record whose wall time the writer takes from the clock.
    """

    def __init__(self, now: float = START) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now


_WRITER_MODULES = ("tbreport", "torch.utils.tensorboard", "tensorboard.summary", "tensorboardX")


@contextmanager
def frozen(start: float = START) -> Iterator[Clock]:
    """Pin ``time.time`` and ``socket.gethostname`` (also where writer modules bound them)."""
    clock = Clock(start)
    real_time, real_host = time.time, socket.gethostname
    with ExitStack() as stack:
        stack.enter_context(mock.patch("time.time", clock))
        stack.enter_context(mock.patch("socket.gethostname", lambda: HOST))
        for name, module in list(sys.modules.items()):
            if module is None or not name.startswith(_WRITER_MODULES):
                continue
            for attr, value in list(vars(module).items()):
                if value is real_time:
                    stack.enter_context(mock.patch.object(module, attr, clock))
                elif value is real_host:
                    stack.enter_context(mock.patch.object(module, attr, lambda: HOST))
        # tbreport's own writer takes its clock and host name from one seam
        from tbreport.writer import env

        stack.enter_context(env.override(clock=clock, hostname=lambda: HOST))
        yield clock


_RAW_PATHS: set[str] = set()
"""Event files written by :class:`RawEventFile` (their names are final)."""


def normalize_names(root: Path) -> None:
    """Rename the event files real writers made under ``root``: pid -> :data:`PID`,
    their process-wide counter -> 0, 1, 2, ... in creation order (over the whole build)."""
    found: list[tuple[int, Path, re.Match[str]]] = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            m = _EVENT_NAME.match(name)
            path = os.path.abspath(os.path.join(dirpath, name))
            if m and int(m["pid"]) == os.getpid() and path not in _RAW_PATHS:
                found.append((int(m["uid"]), Path(path), m))
    for n, (_uid, path, m) in enumerate(sorted(found, key=lambda f: (f[0], str(f[1])))):
        new = f"events.out.tfevents.{m['secs']}.{HOST}.{PID}.{n}{m['suffix']}"
        path.rename(path.with_name(new))


def digests(root: Path | str) -> dict[str, str]:
    """``hex of the relative path's bytes -> sha256`` of every file under ``root``
    (``link:<target>`` for symlinks): equal dicts mean byte-identical logdirs."""
    import hashlib

    out = {}
    base = os.fsencode(root)
    for dirpath, dirs, files in os.walk(base):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, base).hex()
            if os.path.islink(path):
                out[rel] = "link:" + os.fsdecode(os.readlink(path))
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    out[rel] = hashlib.sha256(f.read()).hexdigest()
    return out


def fresh(root: Path | str) -> Path:
    """``root`` as a new, empty directory (an existing one is removed first)."""
    import shutil

    root = Path(root)
    if root.is_symlink() or root.is_file():
        root.unlink()
    elif root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    return root


# --------------------------------------------------------------------- raw files


def event_file_name(
    secs: float, *, uid: int = 0, suffix: str = "", tf1: bool = False, pid: int = PID
) -> str:
    """A TensorBoard event file name: ``events.out.tfevents.<secs>.<host>.<pid>.<uid><suffix>``.

    ``tf1=True`` gives TF1 ``FileWriter``'s ``events.out.tfevents.<secs>.<host>`` (no pid).
    """
    if tf1:
        return f"events.out.tfevents.{int(secs):010d}.{HOST}{suffix}"
    return f"events.out.tfevents.{int(secs):010d}.{HOST}.{pid}.{uid}{suffix}"


class RawEventFile:
    """An event file written record by record, with full control of every byte.

    ``header``: ``"brain.Event:2"`` (default), another version string, or ``None``
    for a file without a version record. ``writer``: ``SourceMetadata.writer`` of
    the header (TF writes ``tensorflow.core.util.events_writer``).
    """

    def __init__(
        self,
        directory: Path | str | bytes,
        wall_time: float,
        *,
        name: str | bytes | None = None,
        header: str | None = "brain.Event:2",
        writer: str = "",
        uid: int = 0,
        suffix: str = "",
        tf1: bool = False,
    ) -> None:
        directory = os.fsencode(directory) if isinstance(directory, bytes) else os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        if name is None:
            name = event_file_name(wall_time, uid=uid, suffix=suffix, tf1=tf1)
        if isinstance(directory, bytes) or isinstance(name, bytes):
            self.path: Any = os.path.join(os.fsencode(directory), os.fsencode(name))
        else:
            self.path = os.path.join(directory, name)
        self._file = open(self.path, "xb")  # noqa: SIM115 - closed in close()
        _RAW_PATHS.add(os.path.abspath(os.fsdecode(self.path)))
        if header is not None:
            first = event_pb2.Event(wall_time=wall_time, file_version=header)
            if writer:
                first.source_metadata.writer = writer
            self.add(first)

    def add(self, event: Any) -> None:
        """Append one ``Event`` (tbreport's or TensorBoard's proto class)."""
        self.add_record(event.SerializeToString(deterministic=True))

    def add_record(self, payload: bytes) -> None:
        """Append ``payload`` framed as one record (any bytes: it need not parse)."""
        self._file.write(encode_record(payload))

    def write_bytes(self, data: bytes) -> None:
        """Append ``data`` unframed (damaged framing, truncated tails)."""
        self._file.write(data)

    def summary(self, step: int, wall_time: float, *values: Any) -> None:
        """Append an ``Event`` at ``step``/``wall_time`` holding ``values`` (``Summary.Value``)."""
        ev = event_pb2.Event(wall_time=wall_time, step=step)
        ev.summary.value.extend(values)
        self.add(ev)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RawEventFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------- protos

_NP_DTYPES = {
    np.dtype(np.float32): types_pb2.DT_FLOAT,
    np.dtype(np.float64): types_pb2.DT_DOUBLE,
    np.dtype(np.int32): types_pb2.DT_INT32,
    np.dtype(np.int64): types_pb2.DT_INT64,
    np.dtype(np.uint8): types_pb2.DT_UINT8,
    np.dtype(np.bool_): types_pb2.DT_BOOL,
    np.dtype(np.float16): types_pb2.DT_HALF,
}


def tensor(value: Any, *, shape: Sequence[int] | None = None) -> tensor_pb2.TensorProto:
    """A ``TensorProto`` as TF2's C++ summary ops write it.

    Numbers go in ``tensor_content`` (little-endian); strings in ``string_val``
    (``value`` a ``str``/``bytes`` or a sequence of them). ``shape`` overrides the
    written shape (a lie, for hostile files).
    """
    proto = tensor_pb2.TensorProto()
    if isinstance(value, (str, bytes)) or (
        isinstance(value, (list, tuple)) and value and isinstance(value[0], (str, bytes))
    ):
        items = [value] if isinstance(value, (str, bytes)) else list(value)
        proto.dtype = types_pb2.DT_STRING
        proto.string_val.extend(v.encode() if isinstance(v, str) else v for v in items)
        dims: Sequence[int] = [] if isinstance(value, (str, bytes)) else [len(items)]
    else:
        arr = np.asarray(value)
        proto.dtype = _NP_DTYPES[arr.dtype]
        proto.tensor_content = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        dims = arr.shape
    for d in dims if shape is None else shape:
        proto.tensor_shape.dim.add(size=int(d))
    return proto


def metadata(plugin: str = "", content: bytes = b"", **fields: Any) -> summary_pb2.SummaryMetadata:
    """``SummaryMetadata`` with ``plugin_data`` (and ``display_name``, ``summary_description``...)."""
    meta = summary_pb2.SummaryMetadata(**fields)
    if plugin:
        meta.plugin_data.plugin_name = plugin
        meta.plugin_data.content = content
    return meta


def tensor_value(
    tag: str, value: Any, plugin: str = "", content: bytes = b"", **kw: Any
) -> summary_pb2.Summary.Value:
    """A ``Summary.Value`` holding a tensor (TF2 style), with plugin metadata if ``plugin``."""
    v = summary_pb2.Summary.Value(tag=tag, tensor=tensor(value, **kw))
    if plugin:
        v.metadata.CopyFrom(metadata(plugin, content))
    return v


def simple_value(tag: str, value: float) -> summary_pb2.Summary.Value:
    """A legacy ``simple_value`` scalar (float32 on the wire)."""
    return summary_pb2.Summary.Value(tag=tag, simple_value=value)


def tf2_histogram(values: Any, bins: int = 30) -> np.ndarray[Any, Any]:
    """``tf.summary.histogram``'s ``[bins, 3]`` float64 tensor ``(left, right, count)``.

    As TensorBoard's ``summary_v2._buckets`` computes it: equal-width buckets with
    the last right edge exactly ``max``; one distinct value gives ``bins`` buckets
    ``[v, v]`` with every count in the last; empty input gives ``bins`` rows of zeros.
    """
    data = np.asarray(values, dtype=np.float64).ravel()
    if data.size == 0 or bins <= 0:
        return np.zeros((max(bins, 0), 3))
    lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        counts = np.zeros(bins)
        counts[-1] = data.size
        edges = np.full(bins, hi)
        return np.stack([edges, edges, counts], axis=1)
    width = (hi - lo) / bins
    index = np.minimum(np.floor((data - lo) / width).astype(np.int64), bins - 1)
    counts = np.bincount(index, minlength=bins).astype(np.float64)
    edges = np.linspace(lo, hi, bins + 1)
    edges[-1] = hi
    return np.stack([edges[:-1], edges[1:], counts], axis=1)


DBL_MAX = sys.float_info.max


def _tf_bucket_limits() -> list[float]:
    pos = []
    v = 1e-12
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    pos.append(DBL_MAX)
    return [-x for x in reversed(pos)] + [0.0] + pos


TF_BUCKET_LIMITS = _tf_bucket_limits()
"""TensorFlow's default histogram bucket limits (``histogram.cc``): -DBL_MAX, -1e20 ... -1e-12, 0, 1e-12 ... 1e20, DBL_MAX."""


def tf1_histogram(values: Any) -> summary_pb2.HistogramProto:
    """A legacy ``HistogramProto`` as TF1's ``tf.summary.histogram`` (C++ ``Histogram``) writes it.

    Buckets are TF's default limits; runs of empty buckets are collapsed into one
    (so the last limit is always ``DBL_MAX`` with count 0 unless a value is >= 1e20),
    a value lands in the first bucket whose limit exceeds it.
    """
    import bisect

    data = np.asarray(values, dtype=np.float64).ravel()
    counts = [0.0] * len(TF_BUCKET_LIMITS)
    for x in data.tolist():
        counts[min(bisect.bisect_right(TF_BUCKET_LIMITS, x), len(counts) - 1)] += 1
    with np.errstate(over="ignore", invalid="ignore"):  # TF's sums overflow to inf too
        total, squares = float(data.sum()), float((data * data).sum())
    proto = summary_pb2.HistogramProto(
        min=float(data.min()) if data.size else DBL_MAX,
        max=float(data.max()) if data.size else -DBL_MAX,
        num=float(data.size),
        sum=total,
        sum_squares=squares,
    )
    i = 0
    while i < len(counts):
        end, count = TF_BUCKET_LIMITS[i], counts[i]
        i += 1
        if count == 0.0:
            while i < len(counts) and counts[i] == 0.0:
                end = TF_BUCKET_LIMITS[i]
                i += 1
        proto.bucket_limit.append(end)
        proto.bucket.append(count)
    return proto


# --------------------------------------------------------------------- images


def png(array: np.ndarray[Any, Any]) -> bytes:
    """PNG bytes of an ``HxW`` / ``HxWxC`` uint8 array (C in 1, 3, 4)."""
    from PIL import Image

    arr = np.ascontiguousarray(array, dtype=np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def jpeg(array: np.ndarray[Any, Any], quality: int = 90) -> bytes:
    """JPEG bytes of an ``HxWx3`` uint8 array."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8)).save(
        buf, format="JPEG", quality=quality
    )
    return buf.getvalue()


def gif(frames: Iterable[np.ndarray[Any, Any]], duration_ms: int = 100) -> bytes:
    """An animated, looping GIF of grayscale or RGB uint8 frames."""
    from PIL import Image

    images = [Image.fromarray(np.ascontiguousarray(f, dtype=np.uint8)) for f in frames]
    buf = io.BytesIO()
    images[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=duration_ms,
        loop=0,
    )
    return buf.getvalue()


def legacy_image(
    tag: str, encoded: bytes, height: int, width: int, colorspace: int
) -> summary_pb2.Summary.Value:
    """A legacy ``Summary.Image`` value; height/width/colorspace as the producer claims them."""
    return summary_pb2.Summary.Value(
        tag=tag,
        image=summary_pb2.Summary.Image(
            height=height, width=width, colorspace=colorspace, encoded_image_string=encoded
        ),
    )


def tf2_image(tag: str, images: Sequence[bytes], width: int, height: int) -> Any:
    """``tf.summary.image``'s value: a string tensor ``[width, height, img...]``, plugin ``images``."""
    return tensor_value(tag, [str(width), str(height), *images], plugin="images")


# --------------------------------------------------------------------- raw protobuf


def varint(n: int) -> bytes:
    """Protobuf base-128 varint of a non-negative ``n`` (any size: huge varints for fuzzing)."""
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_bytes(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def field_varint(number: int, value: int) -> bytes:
    """A varint protobuf field (negative ``value`` as its 64-bit two's complement)."""
    return varint(number << 3) + varint(value & 0xFFFFFFFFFFFFFFFF)


def field_double(number: int, value: float) -> bytes:
    """A 64-bit protobuf field."""
    return varint(number << 3 | 1) + struct.pack("<d", value)


def frames(data: bytes) -> Iterator[bytes]:
    """The payloads of an intact record stream (CRCs not checked: for files we wrote)."""
    off = 0
    while off + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, off)
        yield data[off + 12 : off + 12 + length]
        off += 16 + length


def _may_hold_map(payload: bytes) -> bool:
    """Whether an ``Event`` may hold a graph, run metadata or hparams (cheap pre-check)."""
    if b"hparams" in payload:
        return True
    pos = 9 if payload[:1] == b"\x09" else 0  # wall_time
    if payload[pos : pos + 1] == b"\x10":  # step
        pos += 1
        while pos < len(payload) and payload[pos] & 0x80:
            pos += 1
        pos += 1
    return payload[pos : pos + 1] in (b"\x22", b"\x42")  # graph_def, tagged_run_metadata


def _canonical(payload: bytes) -> bytes:
    """``payload`` (an ``Event``) with its protobuf maps serialised in key order."""
    from tbreport.proto import graph_pb2, hparams_pb2

    if not _may_hold_map(payload):
        return payload
    event = event_pb2.Event.FromString(payload)
    touched = False
    if event.graph_def:
        graph = graph_pb2.GraphDef.FromString(event.graph_def)
        event.graph_def = graph.SerializeToString(deterministic=True)
        touched = True
    if event.HasField("tagged_run_metadata"):
        meta = graph_pb2.RunMetadata.FromString(event.tagged_run_metadata.run_metadata)
        event.tagged_run_metadata.run_metadata = meta.SerializeToString(deterministic=True)
        touched = True
    for value in event.summary.value:
        if value.metadata.plugin_data.plugin_name == "hparams":
            content = hparams_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content)
            value.metadata.plugin_data.content = content.SerializeToString(deterministic=True)
            touched = True
    return event.SerializeToString(deterministic=True) if touched else payload


def canonicalize_maps(root: Path) -> None:
    """Re-serialise the protobuf maps of real writers' records under ``root`` in key order.

    protobuf's upb runtime serialises a map (``NodeDef.attr`` of a graph, the
    ``hparams`` of ``SessionStartInfo``) in hash-table order and seeds its hash per
    process, so torch writes different bytes for the same graph or hparams in each
    process. Sorting the keys changes nothing a reader sees. Only records holding
    a graph, run metadata or hparams are rewritten; every other byte is kept.
    Files of raw builders (pid other than the real writers') are left alone.
    """
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            if "tfevents" not in name or path.is_symlink():
                continue
            data = path.read_bytes()
            out = b"".join(encode_record(_canonical(p)) for p in frames(data))
            if out != data:
                path.write_bytes(out)


def finish(root: Path) -> Path:
    """What a build with real writers ends with: fixed event file names, canonical maps."""
    normalize_names(root)
    canonicalize_maps(root)
    return root
