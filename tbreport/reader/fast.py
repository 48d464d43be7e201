"""Vectorised reading of event files: framing, CRC and the common scalar record.

Python spends about 1 µs per record pulling fields out of protobuf objects, which
dominates loading a logdir of scalars. This module does the common case with
numpy over *all* records of a file at once, and leaves everything else to the
general protobuf path (:mod:`tbreport.reader.events`):

1. :func:`frame` finds every record header in one pass: candidates are the
   positions followed by the zero high bytes of a small length, and a candidate is
   a header when the masked CRC-32C of its 8 length bytes follows them (computed
   for all candidates at once from per-byte tables, CRC being affine in its
   input). It then checks that the headers chain from the first byte to the last
   (a truncated last record is allowed). If they do not, it returns ``None`` and
   :func:`recover` finds every intact record of the damaged file instead.
2. :func:`bad_data_crcs` checks every data CRC in one CRC-32C pass over the file.
   CRC is linear: with the headers zeroed and each stored CRC replaced by the
   record's raw remainder (``crc(data) ^ crc(zeros of its length)``), the raw
   remainder of the whole buffer is 0 when every record is intact. A single
   damaged record always makes it non-zero; several damaged records could cancel
   out with probability 2**-32. Only when the check fails are records checked one
   by one, to name them.
3. :func:`decode_simple_scalars` parses records shaped exactly like
   ``Event(wall_time, step, summary=Summary(value=[Value(tag, simple_value)]))``
   (what torch, tensorboardX and TF1 write for each scalar), or like a 0-d float32 /
   float64 tensor value with metadata ``plugin_name: "scalars"`` (TF2's
   ``tf.summary.scalar``, torch's ``new_style=True``), with gathers over the record
   offsets, and groups them by tag. Any record of another shape is left to the
   protobuf path; a property test checks both paths agree.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass, field
from typing import Any

import google_crc32c
import numpy as np
import numpy.typing as npt

from tbreport.record import FOOTER_SIZE, HEADER_SIZE, RecordIssue, masked_crc32c

__all__ = [
    "Frames",
    "ScalarColumns",
    "bad_data_crcs",
    "decode_simple_scalars",
    "frame",
    "recover",
]

logger = logging.getLogger(__name__)

_MASK_DELTA = 0xA282EAD8
_unpack_i = struct.Struct("<I").unpack_from
_MAX_TAG = 1024  # longer tags go to the protobuf path
_SEGMENT = 1 << 22  # bytes per step of the whole-file passes (bounds temporaries)
_CHUNK = 1 << 15  # records per step of the scalar decode
#: SummaryMetadata { plugin_data { plugin_name: "scalars" } } as serialized (field 9 of Value)
_SCALARS_METADATA = np.frombuffer(b"\x4a\x0b\x0a\x09\x0a\x07scalars", dtype=np.uint8)

Int64Array = npt.NDArray[np.int64]
UInt8Array = npt.NDArray[np.uint8]


@dataclass
class Frames:
    """Record positions of a cleanly framed file (but for a truncated tail): the data
    of record ``i`` is ``buf[starts[i] : starts[i] + lengths[i]]``."""

    starts: Int64Array
    lengths: Int64Array
    #: byte offset of an incomplete last record (-1 if none)
    truncated_at: int = -1

    def __len__(self) -> int:
        return int(self.starts.shape[0])


Float64Array = npt.NDArray[np.float64]
_Group = tuple[npt.NDArray[np.uint32], Int64Array, Float64Array, Float64Array]


@dataclass
class ScalarColumns:
    """Scalars decoded by the fast path, grouped by tag (file order within a tag)."""

    tags: list[str]
    #: per tag: record indices in the file (uint32), steps, wall_times, values
    groups: list[_Group]
    #: True for records decoded here; the others need the protobuf path
    decoded: npt.NDArray[np.bool_]
    #: per tag, the record index of its first value with ``scalars`` metadata (tensor form)
    meta_first: dict[str, int] = field(default_factory=dict)


def _as_u8(buf: bytes | bytearray) -> UInt8Array:
    return np.frombuffer(buf, dtype=np.uint8)


def _rows(a: UInt8Array, pos: Int64Array, width: int) -> UInt8Array:
    """``a[pos[i] : pos[i] + width]`` for every ``i``, as an ``(N, width)`` array (one gather).

    Bytes past the end of ``a`` read as zero.
    """
    n = a.shape[0]
    # The last `width` bytes, zero-padded, serve the rows that run past the end.
    tail = np.zeros(2 * width, dtype=np.uint8)
    tail_start = max(0, n - width)
    tail[: n - tail_start] = a[tail_start:]
    if n < width:
        windows = np.lib.stride_tricks.as_strided(tail, shape=(width + 1, width), strides=(1, 1))
        rows: UInt8Array = windows[np.clip(pos, 0, width)]
        return rows
    windows = np.lib.stride_tricks.as_strided(a, shape=(n - width + 1, width), strides=(1, 1))
    rows = windows[np.minimum(pos, n - width)]
    over = pos > n - width
    if over.any():
        tail_windows = np.lib.stride_tricks.as_strided(
            tail, shape=(width + 1, width), strides=(1, 1)
        )
        rows[over] = tail_windows[np.minimum(pos[over] - tail_start, width)]
    return rows


def _at(a: UInt8Array, pos: Int64Array, dtype: str) -> npt.NDArray[Any]:
    """The little-endian ``dtype`` value at every byte position of ``a`` (one gather).

    Uses an unaligned view with a one-byte stride. Positions too close to the end
    read zero bytes past it.
    """
    size = np.dtype(dtype).itemsize
    n = a.shape[0]
    if n < size:
        a = np.concatenate([a, np.zeros(size - n, dtype=np.uint8)])
        n = size
    view = np.ndarray((n - size + 1,), dtype=dtype, buffer=a, offset=0, strides=(1,))
    out: npt.NDArray[Any] = view[np.minimum(pos, n - size)]
    over = pos > n - size
    if over.any():
        out[over] = _rows(a, pos[over], size).view(dtype).reshape(-1)
    return out


def _u32_at(a: UInt8Array, pos: Int64Array) -> npt.NDArray[np.uint64]:
    """Little-endian uint32 at every position (as uint64, for arithmetic)."""
    return _at(a, pos, "<u4").astype(np.uint64)


def _crc_tables() -> tuple[npt.NDArray[np.uint64], int]:
    """Per-byte-position CRC-32C contributions for 8-byte messages (CRC is affine in its input)."""
    base = google_crc32c.value(bytes(8))
    tables = np.zeros((8, 256), dtype=np.uint64)
    for i in range(8):
        for b in range(256):
            msg = bytearray(8)
            msg[i] = b
            tables[i, b] = google_crc32c.value(bytes(msg)) ^ base
    return tables, base


_CRC8: tuple[npt.NDArray[np.uint64], int] | None = None


def _masked_length_crcs(lengths: npt.NDArray[np.uint64], nbytes: int) -> npt.NDArray[np.uint64]:
    """The masked CRC-32C of each length as 8 little-endian bytes (only the low
    ``nbytes`` may be non-zero), vectorised."""
    global _CRC8
    if _CRC8 is None:
        _CRC8 = _crc_tables()
    tables, base = _CRC8
    crc = np.full(lengths.shape[0], base, dtype=np.uint64)
    for i in range(nbytes):
        crc ^= tables[i][((lengths >> np.uint64(8 * i)) & np.uint64(0xFF)).astype(np.intp)]
    m32 = np.uint64(0xFFFFFFFF)
    rotated = ((crc >> np.uint64(15)) | (crc << np.uint64(17))) & m32
    return (rotated + np.uint64(_MASK_DELTA)) & m32


def _headers(a: UInt8Array, max_len_bytes: int = 4) -> tuple[Int64Array, Int64Array]:
    """Offsets and lengths of every valid record header in ``a`` (length CRC checked).

    Only lengths below ``2 ** (8 * max_len_bytes)`` are looked for. A header whose
    record runs past the end of the buffer is included (a truncated record). Works
    in segments so the temporaries stay small whatever the file size.
    """
    n = a.shape[0]
    last = n - HEADER_SIZE  # last possible header start
    pos_parts: list[Int64Array] = []
    len_parts: list[Int64Array] = []
    for s0 in range(0, last + 1, _SEGMENT):
        s1 = min(last + 1, s0 + _SEGMENT)  # candidate starts in [s0, s1)
        m = s1 - s0
        zero = a[s0 + max_len_bytes : s1 + 7] == 0
        cand = zero[:m].copy()
        for k in range(1, 8 - max_len_bytes):
            cand &= zero[k : k + m]
        pos = np.flatnonzero(cand).astype(np.int64) + s0
        lengths = _at(a, pos, "<u8")  # the candidate condition zeroed its high bytes
        ok = _masked_length_crcs(lengths, max_len_bytes) == _u32_at(a, pos + 8)
        pos_parts.append(pos[ok])
        len_parts.append(lengths[ok].astype(np.int64))
    if not pos_parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(pos_parts), np.concatenate(len_parts)


def frame(buf: bytes | bytearray) -> Frames | None:
    """Positions of every record if ``buf`` is a clean chain of records, else ``None``.

    A truncated last record is allowed (``Frames.truncated_at``). Only headers are
    checked here (length CRCs and the chain), not data CRCs.
    """
    n = len(buf)
    if n == 0:
        return Frames(np.zeros(0, np.int64), np.zeros(0, np.int64))
    a = _as_u8(buf)
    # Lengths below 2**24 (bytes 3..7 zero): fewer false candidates in binary data.
    pos, lengths = _headers(a, 3)
    if pos.shape[0] == 0 or pos[0] != 0:
        return None
    # Follow the chain: each header must be where the previous record ends.
    ends = pos + HEADER_SIZE + lengths + FOOTER_SIZE
    last_header = int(pos[-1])
    if pos.shape[0] > 1 and not np.array_equal(ends[:-1], pos[1:]):
        # A header-like pattern inside some data (or damage): keep the real chain.
        chain = _follow(pos, ends)
        pos, lengths, ends = pos[chain], lengths[chain], ends[chain]
    truncated_at = -1
    if int(ends[-1]) > n:  # the last record is cut short: a file still being written
        truncated_at = int(pos[-1])
        if truncated_at != last_header:
            return None  # valid headers after it: damage, not a cut; recover them
        pos, lengths, ends = pos[:-1], lengths[:-1], ends[:-1]
    tail = int(ends[-1]) if ends.shape[0] else 0
    if truncated_at < 0 and tail != n:
        if n - tail >= HEADER_SIZE:
            return None  # bytes after the last record that are not a record: walk it
        truncated_at = tail  # a partial header
    elif truncated_at >= 0 and tail != truncated_at:
        return None
    return Frames(pos + HEADER_SIZE, lengths, truncated_at)


def _follow(pos: Int64Array, ends: Int64Array) -> Int64Array:
    """Indices into ``pos`` of the chain of records starting at byte 0."""
    index = {int(p): i for i, p in enumerate(pos.tolist())}
    chain = []
    i: int | None = 0
    while i is not None:
        chain.append(i)
        i = index.get(int(ends[i]))
    return np.asarray(chain, dtype=np.int64)


def recover(buf: bytes | bytearray) -> tuple[Frames, list[RecordIssue]]:
    """Every intact record of a damaged buffer, and a :class:`RecordIssue` per damaged stretch.

    Every valid header is found at once (as :func:`frame` does, any length below
    4 GiB); then, from the start, the first header at or after the current position
    whose data CRC holds is taken as the next record. An intact record is therefore
    never lost, whatever damage precedes it; a record that fails its CRC is never
    trusted for its length (after a cut or a splice that length is wrong, and
    skipping by it would swallow intact records). Costs one CRC call per header.
    """
    n = len(buf)
    a = _as_u8(buf)
    pos, lengths = _headers(a, 4)
    starts: list[int] = []
    sizes: list[int] = []
    issues: list[RecordIssue] = []
    bad_crc: dict[int, int] = {}  # header offset -> length, for headers whose data fails
    cur = 0

    def gap(end: int) -> None:
        index = len(starts) + len(issues)
        length = bad_crc.get(cur)
        if length is not None and cur + HEADER_SIZE + length + FOOTER_SIZE == end:
            issues.append(RecordIssue("bad_data_crc", cur, index))
        else:
            issues.append(RecordIssue("bad_length", cur, index, end - cur))

    for p, length in zip(pos.tolist(), lengths.tolist()):
        if p < cur:
            continue
        data_end = p + HEADER_SIZE + length
        if data_end + FOOTER_SIZE > n:
            continue
        (stored,) = _unpack_i(buf, data_end)
        if masked_crc32c(buf[p + HEADER_SIZE : data_end]) != stored:
            bad_crc[p] = length
            continue
        if p > cur:
            gap(p)
        starts.append(p + HEADER_SIZE)
        sizes.append(length)
        cur = data_end + FOOTER_SIZE
    if cur < n:
        index = len(starts) + len(issues)
        at_cur = np.searchsorted(pos, cur)
        header_here = at_cur < pos.shape[0] and int(pos[at_cur]) == cur
        if n - cur < HEADER_SIZE or (header_here and cur not in bad_crc):
            issues.append(RecordIssue("truncated", cur, index, n - cur))
        else:
            gap(n)
    frames = Frames(np.asarray(starts, dtype=np.int64), np.asarray(sizes, dtype=np.int64))
    return frames, issues


def bad_data_crcs(buf: bytes | bytearray, frames: Frames) -> list[int]:
    """Indices of the records whose data fails its CRC (usually ``[]``, found in one pass)."""
    if len(frames) == 0:
        return []
    a = _as_u8(buf)
    n = a.shape[0]
    starts, lengths = frames.starts, frames.lengths
    heads = starts - HEADER_SIZE
    foot = starts + lengths
    stored = _u32_at(a, foot)
    m32 = np.uint64(0xFFFFFFFF)
    rot = (stored - np.uint64(_MASK_DELTA)) & m32
    crc = ((rot << np.uint64(15)) | (rot >> np.uint64(17))) & m32
    uniq, inverse = np.unique(lengths, return_inverse=True)
    zeros_crc = np.fromiter(
        (google_crc32c.value(bytes(int(v))) for v in uniq), dtype=np.uint64, count=len(uniq)
    )
    # raw remainder (init 0, no final xor) of each record's data, little-endian bytes
    raw = (crc ^ zeros_crc[inverse.reshape(-1)]).astype("<u4").view(np.uint8).reshape(-1, 4)
    # Raw remainder of the whole buffer with headers zeroed and footers = raw remainders:
    # google_crc32c.extend(c, m) == ~raw(~c, m), so start from ~0 and expect ~0 back.
    state = 0xFFFFFFFF
    for s0 in range(0, n, _SEGMENT):
        s1 = min(n, s0 + _SEGMENT)
        seg = a[s0:s1].copy()
        lo, hi = np.searchsorted(heads, [s0 - HEADER_SIZE, s1])
        for k in range(HEADER_SIZE):
            at = heads[lo:hi] + k
            at = at[(at >= s0) & (at < s1)]
            seg[at - s0] = 0
        lo, hi = np.searchsorted(foot, [s0 - FOOTER_SIZE, s1])
        for k in range(FOOTER_SIZE):
            at = foot[lo:hi] + k
            inside = (at >= s0) & (at < s1)
            seg[at[inside] - s0] = raw[lo:hi, k][inside]
        state = google_crc32c.extend(state, seg)
    if state == 0xFFFFFFFF:
        return []
    # Something is damaged: name the records, one CRC each.
    bad = []
    crc_list = crc.tolist()
    for i, (s, ln) in enumerate(zip(starts.tolist(), lengths.tolist())):
        if google_crc32c.value(bytes(buf[s : s + ln])) != crc_list[i]:  # bytes: a bytearray too
            bad.append(i)
    return bad


def _varints(
    a: UInt8Array, pos: Int64Array, present: npt.NDArray[np.bool_], max_bytes: int = 10
) -> tuple[npt.NDArray[np.uint64], Int64Array, npt.NDArray[np.bool_]]:
    """Decode varints at ``pos`` where ``present``: (values, byte lengths, valid)."""
    n = a.shape[0]
    value = np.zeros(pos.shape[0], dtype=np.uint64)
    size = np.zeros(pos.shape[0], dtype=np.int64)
    cont = present.copy()
    for k in range(max_bytes):
        if not cont.any():
            break
        idx = np.minimum(pos + k, n - 1)
        byte = a[idx]
        value |= np.where(cont, byte & 0x7F, 0).astype(np.uint64) << np.uint64(7 * k)
        size += cont
        cont &= byte >= 0x80
    valid = ~cont
    return value, size, valid


def decode_simple_scalars(buf: bytes | bytearray, frames: Frames) -> ScalarColumns:
    """Decode every record of the common legacy-scalar shape (see the module docstring).

    Works on chunks of records so the temporaries stay small.
    """
    a = _as_u8(buf)
    count = len(frames)
    decoded = np.zeros(count, dtype=bool)
    merged: dict[str, list[_Group]] = {}
    meta_first: dict[str, int] = {}
    for c0 in range(0, count, _CHUNK):
        c1 = min(count, c0 + _CHUNK)
        # float32 NaN payloads (signalling NaNs) widen quietly, as protobuf's do
        with np.errstate(invalid="ignore"):
            chunk = _decode_chunk(a, frames.starts[c0:c1], frames.lengths[c0:c1])
        for tag, (idx, steps, walls, values), first_meta in chunk:
            idx = idx + c0
            decoded[idx] = True
            merged.setdefault(tag, []).append((idx.astype(np.uint32), steps, walls, values))
            if first_meta >= 0 and tag not in meta_first:
                meta_first[tag] = first_meta + c0
    tags = list(merged)
    groups = []
    for parts in merged.values():
        if len(parts) == 1:
            groups.append(parts[0])
        else:
            i, s, w, v = zip(*parts)
            groups.append(
                (np.concatenate(i), np.concatenate(s), np.concatenate(w), np.concatenate(v))
            )
    return ScalarColumns(tags, groups, decoded, meta_first)


@dataclass
class _Fields:
    """Where the fields of each record of a chunk are (vectorised), and which records
    have the common scalar shape (``ok``)."""

    ok: npt.NDArray[np.bool_]
    has_wall: npt.NDArray[np.bool_]
    has_step: npt.NDArray[np.bool_]
    step_raw: npt.NDArray[np.uint64]
    has_tag: npt.NDArray[np.bool_]
    tag_start: Int64Array
    tag_len: Int64Array
    value_pos: Int64Array  # where the float32 (or, for a double tensor, float64) is
    tensor: npt.NDArray[np.bool_]  # the tensor form (with the scalars metadata)
    is_double: npt.NDArray[np.bool_]


def _at_of(a: UInt8Array) -> Any:
    n = a.shape[0]

    def at(p: Int64Array) -> UInt8Array:
        out: UInt8Array = a[np.minimum(p, n - 1)]
        return out

    return at


def _fields(a: UInt8Array, d: Int64Array, end: Int64Array, ok: npt.NDArray[np.bool_]) -> _Fields:
    """Walk Event { wall_time, step, summary { value { tag, simple_value | tensor } } }."""
    at = _at_of(a)
    has_wall = at(d) == 0x09
    p = d + np.where(has_wall, 9, 0)
    has_step = at(p) == 0x10
    step_raw, step_len, step_ok = _varints(a, p + 1, has_step)
    ok &= step_ok
    p = p + np.where(has_step, 1 + step_len, 0)
    ok &= at(p) == 0x2A
    slen, slen_len, v1 = _varints(a, p + 1, ok, 5)
    ok &= v1
    p = p + 1 + slen_len
    ok &= p + slen.astype(np.int64) == end
    ok &= at(p) == 0x0A
    vlen, vlen_len, v2 = _varints(a, p + 1, ok, 5)
    ok &= v2
    p = p + 1 + vlen_len
    value_end = p + vlen.astype(np.int64)
    ok &= value_end == end
    has_tag = at(p) == 0x0A
    tlen, tlen_len, v3 = _varints(a, p + 1, ok & has_tag, 5)
    ok &= v3
    tlen_i = tlen.astype(np.int64)
    tag_start = p + 1 + tlen_len
    ok &= ~has_tag | (tlen_i <= _MAX_TAG)
    p = np.where(has_tag, tag_start + tlen_i, p)
    # legacy: simple_value (field 2, fixed32) ends the value
    simple = (at(p) == 0x15) & (p + 5 == end)
    tensor, value_pos, is_double = _tensor_scalars(a, p, end, ok & ~simple & (at(p) == 0x42))
    ok &= simple | tensor
    return _Fields(
        ok, has_wall, has_step, step_raw, has_tag, tag_start, tlen_i, value_pos, tensor, is_double
    )


def _tensor_scalars(
    a: UInt8Array, p: Int64Array, end: Int64Array, tensor: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.bool_], Int64Array, npt.NDArray[np.bool_]]:
    """The tensor form: tensor (field 8) {dtype float|double, [empty shape], one value},
    then exactly the metadata plugin_data { plugin_name: "scalars" }. Returns which
    records have it, where their value is, and which are doubles."""
    at = _at_of(a)
    value_pos = p + 1
    is_double = np.zeros(p.shape[0], dtype=bool)
    if not tensor.any():
        return tensor, value_pos, is_double
    tl, tl_len, v4 = _varints(a, p + 1, tensor, 2)
    q = p + 1 + tl_len
    t_end = q + tl.astype(np.int64)
    is_float = (at(q) == 0x08) & (at(q + 1) == 0x01)
    is_double = (at(q) == 0x08) & (at(q + 1) == 0x02)
    r = q + 2
    r = r + np.where((at(r) == 0x12) & (at(r + 1) == 0x00), 2, 0)
    field = at(r)
    content = field == 0x22  # tensor_content
    float_ok = is_float & (content | (field == 0x2A)) & (at(r + 1) == 4) & (r + 6 == t_end)
    double_ok = is_double & (content | (field == 0x32)) & (at(r + 1) == 8) & (r + 10 == t_end)
    meta_ok = end - t_end == len(_SCALARS_METADATA)
    cand = np.flatnonzero(tensor & v4 & (float_ok | double_ok) & meta_ok)
    same = np.all(_rows(a, t_end[cand], len(_SCALARS_METADATA)) == _SCALARS_METADATA, axis=1)
    found = np.zeros(p.shape[0], dtype=bool)
    found[cand[same]] = True
    return found, np.where(found, r + 2, value_pos), is_double


def _tag_words(a: UInt8Array, t_start: Int64Array, t_len: Int64Array) -> npt.NDArray[np.uint64]:
    """Each tag's bytes as little-endian 64-bit words, zero-padded."""
    width = int(t_len.max()) if t_len.shape[0] else 0
    width8 = max(8, (width + 7) // 8 * 8)
    words = np.empty((t_start.shape[0], width8 // 8), dtype=np.uint64)
    for j in range(width8 // 8):
        word = _at(a, t_start + 8 * j, "<u8")
        keep = t_len - 8 * j  # bytes of the tag in this word; zero the rest
        partial = keep < 8
        if partial.any():
            bits = (np.clip(keep[partial], 0, 8) * 8).astype(np.uint64)
            mask = np.where(
                bits >= 64, np.uint64(0xFFFFFFFFFFFFFFFF), (np.uint64(1) << bits) - np.uint64(1)
            )
            word[partial] &= mask
        words[:, j] = word
    return words


def _group_by_tag(
    a: UInt8Array, t_start: Int64Array, t_len: Int64Array
) -> tuple[list[str], npt.NDArray[np.bool_], Int64Array, Int64Array]:
    """Group records by tag: hash the tag bytes, then verify every member equals its
    group's first. Returns the groups' tags, which groups are usable, the records in
    group order and each group's bounds in it."""
    words = _tag_words(a, t_start, t_len)
    mat = words.view(np.uint8)
    h = t_len.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    for j in range(words.shape[1]):
        h = (h ^ words[:, j]) * np.uint64(0x100000001B3)
    uniq, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    same = np.all(mat == mat[first[inverse]], axis=1) & (t_len == t_len[first[inverse]])
    group_ok = np.ones(uniq.shape[0], dtype=bool)
    if not same.all():  # a hash collision: leave those groups to the protobuf path
        group_ok[inverse[~same]] = False
    tags: list[str] = []
    for g, f in enumerate(first.tolist()):
        raw = mat[f, : int(t_len[f])].tobytes()
        try:
            tags.append(raw.decode("utf-8"))
        except UnicodeDecodeError:  # protobuf rejects it too; let that path report it
            group_ok[g] = False
            tags.append("")
    small = np.uint8 if uniq.shape[0] < 256 else np.uint16 if uniq.shape[0] < 65536 else np.int64
    order = np.argsort(inverse.astype(small), kind="stable")  # radix sort for small ints
    bounds = np.searchsorted(inverse[order], np.arange(uniq.shape[0] + 1))
    return tags, group_ok, order, bounds


def _decode_chunk(
    a: UInt8Array, d: Int64Array, lengths: Int64Array
) -> list[tuple[str, tuple[Int64Array, Int64Array, Float64Array, Float64Array], int]]:
    """Per tag: (tag, (record indices within the chunk, steps, walls, values), index of
    the first record carrying ``scalars`` metadata or -1) of the decodable records."""
    ok = lengths >= 9  # 2a 07 0a 05 15 + 4 bytes is the smallest
    if not ok.any():
        return []
    f = _fields(a, d, d + lengths, ok)
    idx = np.flatnonzero(f.ok)
    if idx.shape[0] == 0:
        return []
    # Columns of the decoded records.
    vpos = f.value_pos[idx]
    values = _at(a, vpos, "<f4").astype(np.float64)
    doubles = np.flatnonzero(f.tensor[idx] & f.is_double[idx])
    if doubles.shape[0]:
        values[doubles] = _at(a, vpos[doubles], "<f8")
    walls = np.where(f.has_wall[idx], _at(a, d[idx] + 1, "<f8"), 0.0)
    steps = np.where(f.has_step[idx], f.step_raw[idx], np.uint64(0)).view(np.int64)
    with_meta = f.tensor[idx]
    t_start = np.where(f.has_tag[idx], f.tag_start[idx], 0)
    t_len = np.where(f.has_tag[idx], f.tag_len[idx], 0)
    tags, group_ok, order, bounds = _group_by_tag(a, t_start, t_len)
    out = []
    for g, tag in enumerate(tags):
        if not group_ok[g]:
            continue
        sel = order[bounds[g] : bounds[g + 1]]
        meta_at = np.flatnonzero(with_meta[sel])
        first_meta = int(idx[sel][meta_at[0]]) if meta_at.shape[0] else -1
        out.append((tag, (idx[sel], steps[sel], walls[sel], values[sel]), first_meta))
    return out
