"""Inline data for the interactive scalar charts (``templates/charts.js``).

Every scalar chart of the report embeds its lines as one ``<script
type="application/json">`` element (JSON is data, never executed; the page's
Content-Security-Policy still lets only the hashed ``charts.js`` run). This module
produces that payload and reads it back (:func:`decode_payload`, for tests and tools).
No matplotlib here: it is plain numpy and the standard library.

**What is kept.** Per run, :func:`keep_indices` keeps what the pixels show and nothing
made up: in each of ``buckets`` equal step ranges (about one per two CSS pixels of the
plot), the point with the smallest and the one with the largest value, plus the first
and last point of the series (and of every segment where the steps go back, a restart),
plus, per bucket, the first NaN, +inf and -inf. Every kept point is a real logged point,
never an average: the page's hover readout and CSV show logged values.

**Payload schema** (version 1; a JSON object)::

    {"v": 1,                      # schema version
     "tag": "train/loss",         # chart title (text)
     "x": "step",                 # initial x-axis: step | relative | wall
     "log": false,                # initial y-axis: log scale?
     "smoothing": 0.6,            # the build's smoothing weight
     "buckets": 200,              # downsampling buckets per series
     "z": "deflate" | null,       # compression of "data" (zlib stream) or none
     "data": "<base64>",          # the binary blob: every series' columns, in order
     "series": [                  # one entry per line, in legend order
       {"run": "lr_0.1",          # run name (the page-wide show/hide key)
        "label": "",              # shown after the run name (a tag, "attempt 2", ...)
        "color": "#ff7043",       # CSS hex colour, as in the static chart
        "n": 5000,                # points logged
        "k": 402,                 # points kept (in the blob)
        "vt": 4,                  # bytes per value: 4 = float32 (exact for every
                                  #   simple_value), 8 = float64
        "sb": 402, "wb": 455,     # byte lengths of the step and wall-time sections
        "t0": 1700000000000,      # first wall time, integer milliseconds
        "rate": 20.0,             # wall-time prediction, milliseconds per step
        "start": 1700000000000,   # the run's start for the relative axis (ms)
        "ns": 1,                  # optional: never smoothed (a schedule, a sparse
                                  #   series: the static chart draws it raw too)
        "band": 1,                # optional: dense: while smoothed, drawn as a light
                                  #   min-max band under the smoothed line (per few
                                  #   pixels of the plot) instead of the raw line
        "dash": "5 2"}],          # optional: SVG stroke-dasharray (several tags of a run)
     "refs": [["#444444", 0.9]],  # optional: dashed horizontal lines (colour, y):
                                  #   the --baseline's last value
     "clip": false}               # optional: --no-outlier-clip, every point in range

The blob holds, for each series in order, three sections: **steps** as zigzag LEB128
varints of the differences to the previous step (the first from 0; int64
wrap-around arithmetic, so every int64 step survives); **wall times** in integer
milliseconds (rounded half to even; non-finite or beyond ±1e12 s stored as 0 =
unknown), from the second point on, as zigzag varints of the difference to
``previous + floor((step - previous step) * rate + 0.5)``; **values** as
little-endian float32 or float64, byte-shuffled (all first bytes, then all second
bytes, ...: it compresses much better). ``z: "deflate"`` means the blob is one zlib
stream (``DecompressionStream("deflate")`` in the page); it is used when it saves
space. Steps and values round-trip exactly; wall times to the millisecond.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_BUCKETS",
    "SCHEMA_VERSION",
    "DecodedSeries",
    "Line",
    "chart_payload",
    "csp_hash",
    "decode_payload",
    "embed",
    "keep_indices",
    "payload_json",
]

SCHEMA_VERSION = 1
#: Buckets per series: one per ~2 CSS px of the ~420 px plot of a report card (the
#: static chart downsamples the same way, ``width_px // 2``). Two points per bucket.
DEFAULT_BUCKETS = 200
X_AXES = ("step", "relative", "wall")

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]

_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_DASH = re.compile(r"[0-9.]+(?: [0-9.]+)*")
#: wall times beyond this many seconds from the epoch are stored as unknown (0): their
#: milliseconds would not fit a JavaScript number exactly
_MAX_WALL = 1e12


@dataclass(frozen=True)
class Line:
    """One run's line in a chart: the model's columns (``ScalarSeries``) and its look.

    ``start_time`` (seconds) is the origin of the relative x-axis, the run's first
    event; the line's own first wall time when ``None``.
    """

    run: str
    color: str
    steps: npt.ArrayLike
    wall_times: npt.ArrayLike
    values: npt.ArrayLike
    label: str = ""
    start_time: float | None = None
    smooth: bool = True  # False: drawn raw at any smoothing (as the static chart draws it)
    dash: str = ""  # SVG stroke-dasharray ("" = solid)
    band: bool = False  # dense: smoothed, a min-max band instead of the raw line


@dataclass(frozen=True)
class DecodedSeries:
    """A series read back from a payload (:func:`decode_payload`)."""

    run: str
    label: str
    color: str
    logged: int
    steps: Int64Array
    wall_times: Float64Array  # seconds, to the millisecond
    values: Float64Array
    start_time: float
    smooth: bool = True
    dash: str = ""
    band: bool = False


# --------------------------------------------------------------------------- keeping


def keep_indices(steps: npt.ArrayLike, values: npt.ArrayLike, buckets: int) -> IndexArray:
    """Indices (ascending) of the points to keep so a line ``buckets`` pixels wide
    looks the same: per bucket of the step range and per segment (a new segment starts
    where the step goes back), the minimum and the maximum value; the first and last
    point of every segment; per bucket, the first NaN, +inf and -inf. A series of at
    most ``2 * buckets + 2`` points is kept whole."""
    if buckets < 1:
        raise ValueError(f"buckets must be >= 1, got {buckets}")
    st = np.asarray(steps, dtype=np.int64)
    va = np.asarray(values, dtype=np.float64)
    if st.shape != va.shape or st.ndim != 1:
        raise ValueError(f"steps and values must be 1-d of one length, got {st.shape}, {va.shape}")
    n = st.size
    if n <= 2 * buckets + 2:
        return np.arange(n, dtype=np.intp)
    x = st.astype(np.float64)
    lo, span = float(x.min()), float(x.max()) - float(x.min())
    if span > 0:
        bucket = np.minimum(((x - lo) / span * buckets).astype(np.int64), buckets - 1)
    else:
        bucket = np.zeros(n, dtype=np.int64)
    seg = np.concatenate(([0], np.cumsum(st[1:] < st[:-1])))
    key = seg * buckets + bucket
    seg_starts = np.flatnonzero(np.concatenate(([True], seg[1:] != seg[:-1])))
    keep = [seg_starts, seg_starts[1:] - 1, np.array([n - 1])]
    finite = np.isfinite(va)
    idx = np.flatnonzero(finite)
    if idx.size:
        order = np.lexsort((va[idx], key[idx]))  # by key, then by value (stable)
        k = key[idx][order]
        first = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
        last = np.concatenate((first[1:], [k.size])) - 1
        keep += [idx[order[first]], idx[order[last]]]
    bad = np.flatnonzero(~finite)
    if bad.size:
        cls = np.where(np.isnan(va[bad]), 0, np.where(va[bad] > 0, 1, 2))
        _, first_bad = np.unique(key[bad] * 3 + cls, return_index=True)
        keep.append(bad[first_bad])
    return np.unique(np.concatenate(keep)).astype(np.intp)


# --------------------------------------------------------------------------- encoding


def _zigzag(d: Int64Array) -> npt.NDArray[np.uint64]:
    """ZigZag (0, -1, 1, -2 ... -> 0, 1, 2, 3 ...) with int64 wrap-around."""
    z: npt.NDArray[np.uint64] = ((d << 1) ^ (d >> 63)).view(np.uint64)
    return z


def _unzigzag(z: npt.NDArray[np.uint64]) -> Int64Array:
    d: Int64Array = ((z >> np.uint64(1)) ^ (np.uint64(0) - (z & np.uint64(1)))).view(np.int64)
    return d


def _varints(v: npt.NDArray[np.uint64]) -> bytes:
    """LEB128 varints of ``v`` (vectorised: one pass per byte position)."""
    if v.size == 0:
        return b""
    nbytes = np.ones(v.size, dtype=np.int64)
    for k in range(1, 10):
        nbytes += v >= np.uint64(1 << (7 * k))
    ends = np.cumsum(nbytes)
    offsets = ends - nbytes
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    for k in range(int(nbytes.max())):
        sel = nbytes > k
        chunk = (v[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = (nbytes[sel] > k + 1).astype(np.uint64) << np.uint64(7)
        out[offsets[sel] + k] = (chunk | more).astype(np.uint8)
    return out.tobytes()


def _read_varints(data: bytes, count: int) -> tuple[npt.NDArray[np.uint64], int]:
    """``count`` varints from the start of ``data``; also the bytes they took."""
    out = np.empty(count, dtype=np.uint64)
    pos = 0
    for i in range(count):
        result = shift = 0
        while True:
            if pos >= len(data):
                raise ValueError("chart payload: a varint runs past the end of its section")
            b = data[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        out[i] = result & 0xFFFFFFFFFFFFFFFF
    return out, pos


def _wall_ms(wall_times: Float64Array) -> Int64Array:
    ok = np.isfinite(wall_times) & (np.abs(wall_times) <= _MAX_WALL)
    ms: Int64Array = np.where(ok, np.rint(np.where(ok, wall_times, 0.0) * 1000.0), 0.0).astype(
        np.int64
    )
    return ms


def _predicted_gaps(step_deltas: Int64Array, rate: float) -> Int64Array:
    """``floor(Δstep * rate + 0.5)`` per point: the predicted milliseconds since the
    previous point, computed as the page computes it (float64 multiply, add, floor)."""
    if rate == 0.0:
        return np.zeros(step_deltas.size, dtype=np.int64)
    gaps: Int64Array = np.floor(step_deltas.astype(np.float64) * rate + 0.5).astype(np.int64)
    return gaps


def _wall_rate(steps: Int64Array, ms: Int64Array) -> float:
    """Milliseconds per step between the first and last point (0 = no prediction: too
    few points, steps beyond what the page's float64 numbers hold exactly, or a
    prediction that could leave the exact integer range)."""
    if steps.size < 3:
        return 0.0
    if max(-int(steps.min()), int(steps.max())) > 2**52:
        return 0.0
    ds = int(steps[-1]) - int(steps[0])
    if ds <= 0:
        return 0.0
    rate = (int(ms[-1]) - int(ms[0])) / ds
    widest = int(np.abs(np.diff(steps)).max())  # exact: |steps| <= 2**52
    return rate if abs(rate) * widest < 2.0**52 else 0.0


def _value_bytes(values: Float64Array) -> tuple[int, bytes]:
    """(bytes per value, byte-shuffled little-endian values): float32 when exact."""
    with np.errstate(over="ignore", invalid="ignore"):
        v32 = values.astype(np.float32)
    if np.array_equal(v32.astype(np.float64), values, equal_nan=True):
        width, raw = 4, v32.astype("<f4").view(np.uint8)
    else:
        width, raw = 8, values.astype("<f8").view(np.uint8)
    return width, raw.reshape(-1, width).T.tobytes()


def _encode_line(line: Line, buckets: int) -> tuple[dict[str, Any], bytes]:
    steps = np.asarray(line.steps, dtype=np.int64).ravel()
    walls = np.asarray(line.wall_times, dtype=np.float64).ravel()
    values = np.asarray(line.values, dtype=np.float64).ravel()
    if not steps.size == walls.size == values.size:
        raise ValueError(
            f"run {line.run!r}: steps, wall_times and values differ in length "
            f"({steps.size}, {walls.size}, {values.size})"
        )
    if not _COLOR.fullmatch(line.color):
        raise ValueError(f"run {line.run!r}: colour must be #rgb or #rrggbb, got {line.color!r}")
    if line.dash and not _DASH.fullmatch(line.dash):
        raise ValueError(f"run {line.run!r}: dash must be numbers and spaces, got {line.dash!r}")
    idx = keep_indices(steps, values, buckets)
    st, va, ms = steps[idx], values[idx], _wall_ms(walls[idx])
    deltas = np.diff(st, prepend=np.int64(0))
    step_bytes = _varints(_zigzag(deltas))
    rate = _wall_rate(st, ms)
    t0 = int(ms[0]) if ms.size else 0
    residual = np.diff(ms) - _predicted_gaps(deltas[1:], rate)
    wall_bytes = _varints(_zigzag(residual))
    width, value_bytes = _value_bytes(va)
    if line.start_time is not None:
        start = int(_wall_ms(np.array([line.start_time], dtype=np.float64))[0])
    else:
        start = t0
    meta: dict[str, Any] = {
        "run": str(line.run),
        "label": str(line.label),
        "color": line.color,
        "n": int(steps.size),
        "k": int(idx.size),
        "vt": width,
        "sb": len(step_bytes),
        "wb": len(wall_bytes),
        "t0": t0,
        "rate": rate,
        "start": start,
    }
    if not line.smooth:
        meta["ns"] = 1
    elif line.band:
        meta["band"] = 1
    if line.dash:
        meta["dash"] = line.dash
    return meta, step_bytes + wall_bytes + value_bytes


def chart_payload(
    tag: str,
    lines: Sequence[Line],
    *,
    smoothing: float = 0.6,
    x_axis: str = "step",
    log_y: bool = False,
    buckets: int = DEFAULT_BUCKETS,
    references: Sequence[tuple[str, float]] = (),
    clip_outliers: bool = True,
) -> dict[str, Any]:
    """The JSON-ready payload of one chart (schema in the module docstring);
    ``references``: (colour, y) of dashed horizontal lines (finite y only);
    ``clip_outliers=False`` (``--no-outlier-clip``): ``"clip": false``, every point in range."""
    if not 0.0 <= smoothing < 1.0:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
    if x_axis not in X_AXES:
        raise ValueError(f"x_axis must be one of {', '.join(X_AXES)}; got {x_axis!r}")
    metas: list[dict[str, Any]] = []
    blob = bytearray()
    for line in lines:
        meta, data = _encode_line(line, buckets)
        metas.append(meta)
        blob += data
    raw = bytes(blob)
    packed = zlib.compress(raw, 9)
    compressed = len(packed) + 16 < len(raw)
    refs = []
    for color, y in references:
        if not _COLOR.fullmatch(color):
            raise ValueError(f"reference line: colour must be #rgb or #rrggbb, got {color!r}")
        if math.isfinite(y):
            refs.append([color, float(y)])
    out: dict[str, Any] = {
        "v": SCHEMA_VERSION,
        "tag": str(tag),
        "x": x_axis,
        "log": bool(log_y),
        "smoothing": float(smoothing),
        "buckets": int(buckets),
        "z": "deflate" if compressed else None,
        "data": base64.b64encode(packed if compressed else raw).decode("ascii"),
        "series": metas,
    }
    if refs:
        out["refs"] = refs
    if not clip_outliers:
        out["clip"] = False
    return out


# --------------------------------------------------------------------------- embedding

_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def payload_json(payload: dict[str, Any]) -> str:
    """The payload as JSON that is safe inside ``<script type="application/json">``:
    ``<``, ``>`` and ``&`` are written as ``\\u003c`` ... (so neither ``</script`` nor
    ``<!--`` can appear), everything outside ASCII as ``\\uXXXX``."""
    text = json.dumps(payload, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return re.sub(r"[<>&]", lambda m: _SCRIPT_UNSAFE[m.group(0)], text)


def embed(payload: dict[str, Any]) -> str:
    """The ``<script type="application/json" class="tbc-data">`` element of a chart
    (markup to put next to the chart's static image inside its ``.tbc`` box)."""
    return f'<script type="application/json" class="tbc-data">{payload_json(payload)}</script>'


def csp_hash(script: str) -> str:
    """The Content-Security-Policy source (``'sha256-…'`` without quotes) of an inline
    script whose element text is exactly ``script``."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


# --------------------------------------------------------------------------- decoding


def decode_payload(payload: dict[str, Any] | str) -> list[DecodedSeries]:
    """Read a payload back (the inverse of :func:`chart_payload` for the kept points)."""
    obj: dict[str, Any] = json.loads(payload) if isinstance(payload, str) else payload
    if obj.get("v") != SCHEMA_VERSION:
        raise ValueError(f"chart payload: schema version {obj.get('v')!r}, expected 1")
    blob = base64.b64decode(obj["data"])
    if obj.get("z") == "deflate":
        blob = zlib.decompress(blob)
    out: list[DecodedSeries] = []
    pos = 0
    for meta in obj["series"]:
        k, sb, wb, vt = int(meta["k"]), int(meta["sb"]), int(meta["wb"]), int(meta["vt"])
        zs, used = _read_varints(blob[pos : pos + sb], k)
        if used != sb:
            raise ValueError("chart payload: the step section has bytes left over")
        with np.errstate(over="ignore"):
            steps = np.cumsum(_unzigzag(zs), dtype=np.int64)
        pos += sb
        zw, used = _read_varints(blob[pos : pos + wb], max(k - 1, 0))
        if used != wb:
            raise ValueError("chart payload: the wall-time section has bytes left over")
        pos += wb
        rate = float(meta["rate"])
        gaps = _predicted_gaps(np.diff(steps), rate) + _unzigzag(zw)
        ms = np.concatenate(([int(meta["t0"])], gaps)).astype(np.int64).cumsum() if k else gaps
        planes = np.frombuffer(blob[pos : pos + k * vt], dtype=np.uint8)
        pos += k * vt
        values = planes.reshape(vt, k).T.copy().view("<f4" if vt == 4 else "<f8").ravel()
        out.append(
            DecodedSeries(
                run=str(meta["run"]),
                label=str(meta["label"]),
                color=str(meta["color"]),
                logged=int(meta["n"]),
                steps=steps,
                wall_times=ms.astype(np.float64) / 1000.0,
                values=values.astype(np.float64),
                start_time=int(meta["start"]) / 1000.0,
                smooth=not meta.get("ns"),
                dash=str(meta.get("dash", "")),
                band=bool(meta.get("band")),
            )
        )
    if pos != len(blob):
        raise ValueError(f"chart payload: {len(blob) - pos} bytes left after the last series")
    return out
