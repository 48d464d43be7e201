"""TFRecord framing, the container format of ``events.out.tfevents.*`` files.

Each record is::

    uint64 length        little-endian
    uint32 masked_crc32c(length bytes)
    bytes  data[length]
    uint32 masked_crc32c(data)

This module knows nothing about protocol buffers. :func:`iter_records` walks a
buffer and never raises for damaged input: it yields every intact record and
reports each damaged stretch as a :class:`RecordIssue` (a truncated tail, a
record whose data fails its CRC, a length header that fails its CRC, after
which it resynchronises on the next valid header). It is the streaming,
pure-Python reference; the reader uses :mod:`tbreport.reader.fast`, which does
the same over whole files with numpy, and a property test checks that both
return the same records for any damage.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import google_crc32c

__all__ = [
    "HEADER_SIZE",
    "RecordIssue",
    "crc32c",
    "encode_record",
    "iter_records",
    "masked_crc32c",
]

logger = logging.getLogger(__name__)

HEADER_SIZE = 12  # u64 length + u32 masked CRC of the length
FOOTER_SIZE = 4  # u32 masked CRC of the data
_MASK_DELTA = 0xA282EAD8
_U32 = 0xFFFFFFFF

_pack_q = struct.Struct("<Q").pack
_pack_i = struct.Struct("<I").pack
_unpack_qi = struct.Struct("<QI").unpack_from
_unpack_i = struct.Struct("<I").unpack_from

if google_crc32c.implementation != "c":  # pragma: no cover - depends on the wheel
    logger.warning(
        "google-crc32c is using its pure-Python fallback (about 2,800x slower); "
        "install a binary wheel of google-crc32c for fast event files"
    )

crc32c = google_crc32c.value
"""CRC-32C (Castagnoli) of ``data``."""


def masked_crc32c(data: bytes | bytearray | memoryview) -> int:
    """The masked CRC-32C that TFRecord stores: ``((c >> 15) | (c << 17)) + 0xA282EAD8``."""
    if isinstance(data, bytearray):  # google-crc32c takes read-only buffers only
        data = bytes(data)
    c: int = crc32c(data)
    return ((((c >> 15) | (c << 17)) & _U32) + _MASK_DELTA) & _U32


def encode_record(data: bytes) -> bytes:
    """Frame ``data`` as one TFRecord."""
    header = _pack_q(len(data))
    return b"".join((header, _pack_i(masked_crc32c(header)), data, _pack_i(masked_crc32c(data))))


@dataclass(frozen=True)
class RecordIssue:
    """A damaged stretch of a record stream.

    ``kind`` is one of:

    - ``"truncated"``: the stream ends inside a record (``offset`` is where it starts);
    - ``"bad_data_crc"``: the record's data fails its CRC; it was skipped;
    - ``"bad_length"``: a length header fails its CRC or claims more bytes than the
      stream holds; ``skipped`` bytes were passed over to the next valid header.
    """

    kind: str
    offset: int
    index: int
    skipped: int = 0

    def describe(self) -> str:
        if self.kind == "truncated":
            return (
                f"record {self.index} (byte {self.offset}) is cut short at the end of the file "
                f"({self.skipped} bytes); kept the {self.index} records before it"
            )
        if self.kind == "bad_data_crc":
            return f"record {self.index} (byte {self.offset}) fails its CRC check; skipped it"
        return (
            f"damaged record header at byte {self.offset}; skipped {self.skipped} bytes "
            f"to the next valid record"
        )


def _header_ok(buf: bytes, off: int, end: int) -> bool:
    """Whether a valid record header starts at ``off`` and its record fits before ``end``."""
    length, stored = _unpack_qi(buf, off)
    if masked_crc32c(buf[off : off + 8]) != stored:
        return False
    return bool(off + HEADER_SIZE + length + FOOTER_SIZE <= end)


def _resync(buf: bytes, start: int, end: int) -> int:
    """The offset of the next plausible record at or after ``start`` (``end`` if none).

    A candidate must have a valid length CRC, fit in the stream and have a valid
    data CRC, so random bytes are almost never taken for a record.
    """
    off = start
    last = end - HEADER_SIZE - FOOTER_SIZE
    while off <= last:
        if _header_ok(buf, off, end):
            (length,) = struct.unpack_from("<Q", buf, off)
            data_end = off + HEADER_SIZE + length
            (stored,) = _unpack_i(buf, data_end)
            if masked_crc32c(buf[off + HEADER_SIZE : data_end]) == stored:
                return off
        off += 1
    return end


def iter_records(
    buf: bytes | memoryview,
    issues: list[RecordIssue] | None = None,
    *,
    check_crc: bool = True,
) -> Iterator[bytes]:
    """Yield the data of every intact record in ``buf``, in order.

    Damage never raises: it is appended to ``issues`` (when given) and the walk
    goes on. A record is never allocated from its header alone: its claimed
    length is checked against the bytes actually present first.
    """
    # google-crc32c takes bytes, not memoryview slices: work on one bytes object.
    view = buf if isinstance(buf, bytes) else bytes(buf)
    end = len(view)
    off = 0
    index = 0
    while off < end:
        if end - off < HEADER_SIZE:
            if issues is not None:
                issues.append(RecordIssue("truncated", off, index, end - off))
            return
        length, stored = _unpack_qi(view, off)
        if check_crc and masked_crc32c(view[off : off + 8]) != stored:
            nxt = _resync(view, off + 1, end)
            if issues is not None:
                issues.append(RecordIssue("bad_length", off, index, nxt - off))
            off = nxt
            continue
        data_start = off + HEADER_SIZE
        data_end = data_start + length
        if data_end + FOOTER_SIZE > end:
            # A valid header whose record runs past the end: usually the last record
            # still being written; but if intact records follow, bytes were cut out
            # of this one and reading goes on after it.
            nxt = _resync(view, off + 1, end) if check_crc else end
            if nxt < end:
                if issues is not None:
                    issues.append(RecordIssue("bad_length", off, index, nxt - off))
                off = nxt
                index += 1
                continue
            if issues is not None:
                issues.append(RecordIssue("truncated", off, index, end - off))
            return
        data = view[data_start:data_end]
        if check_crc:
            (dstored,) = _unpack_i(view, data_end)
            if masked_crc32c(data) != dstored:
                # Never trust the length of a record that fails its CRC: after a cut
                # or a splice it is wrong, and skipping by it would swallow intact
                # records. Go on from the next header whose record is intact.
                nxt = _resync(view, off + 1, end)
                if issues is not None:
                    if nxt == data_end + FOOTER_SIZE or (
                        nxt == end and data_end + FOOTER_SIZE == end
                    ):
                        issues.append(RecordIssue("bad_data_crc", off, index))
                    else:
                        issues.append(RecordIssue("bad_length", off, index, nxt - off))
                off = nxt
                index += 1
                continue
        yield data
        off = data_end + FOOTER_SIZE
        index += 1
