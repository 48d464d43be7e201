"""Reading one event file into records, never raising for damaged input.

:func:`scan_file` is the unit of work of :func:`tbreport.load` (it runs in worker
processes for big logdirs): it reads a file, frames it, checks every CRC, decodes
the common scalar records with :mod:`tbreport.reader.fast`, and hands back the
other records as bytes for the protobuf path, together with one-line notes about
everything damaged or skipped.

Damage handling (better than TensorBoard, whose Python reader stops at the first
bad record): a truncated final record ends the file with a note; a record whose
data fails its CRC is skipped and reading goes on; after a damaged length header
the reader resynchronises on the next valid record (:func:`fast.recover`). No
buffer is ever allocated from a record header: records are slices of the file.
Remote files (``s3://``, ``gs://``) are read through :mod:`tbreport._fs`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from tbreport import _fs
from tbreport.proto import event_pb2
from tbreport.reader import fast
from tbreport.record import HEADER_SIZE, RecordIssue

__all__ = ["FileScan", "iter_events", "scan_bytes", "scan_file"]

logger = logging.getLogger(__name__)

_MAX_NOTES_PER_FILE = 5
FAST_PATH_MIN_BYTES = 64 * 1024


@dataclass(frozen=True)
class Note:
    """One problem of a file: a one-line ``message``, its ``category`` (as
    :class:`~tbreport.model.LoadWarning` has it) and where the damaged record starts."""

    message: str
    category: str = "corrupt"
    offset: int = -1
    index: int = -1


_CATEGORY = {"truncated": "truncated", "bad_data_crc": "corrupt", "bad_length": "corrupt"}


@dataclass
class FileScan:
    """What :func:`scan_file` found in one file (picklable, no protobuf)."""

    path: str
    size: int = 0
    #: number of record slots (intact + damaged); record indices are below it
    span: int = 0
    intact: int = 0
    damaged: int = 0
    notes: list[Note] = field(default_factory=list)
    #: values the vectorised fast path decoded (the registry's fast_path_kind), as columns
    columns: fast.ScalarColumns | None = None
    #: (record index, record data) of every intact record the fast path left
    slow: list[tuple[int, int, bytes]] = field(default_factory=list)
    #: the file could not be read at all
    error: str = ""
    #: a worker process left it to be read again where it is used (its records are too
    #: big to send over: :func:`tbreport.reader.load.load`)
    deferred: bool = False


def _describe(issue: RecordIssue, after: int) -> str:
    if issue.kind == "bad_data_crc":
        return (
            f"record {issue.index} (byte {issue.offset}) fails its CRC check; skipped it and "
            f"kept the {after} intact records after it"
        )
    if issue.kind == "bad_length":
        return (
            f"damaged record header at byte {issue.offset} (record {issue.index}); skipped "
            f"{issue.skipped} bytes to the next valid record and kept the {after} intact "
            "records after it"
        )
    return issue.describe()


def _notes(issues: list[tuple[RecordIssue, int]]) -> list[Note]:
    """One line per issue, the first few individually and the rest aggregated."""
    notes = [
        Note(_describe(issue, after), _CATEGORY[issue.kind], issue.offset, issue.index)
        for issue, after in issues[:_MAX_NOTES_PER_FILE]
    ]
    rest = issues[_MAX_NOTES_PER_FILE:]
    if rest:
        notes.append(
            Note(
                f"and {len(rest)} more damaged stretches (bytes {rest[0][0].offset} to "
                f"{rest[-1][0].offset}); skipped them",
                "corrupt",
                rest[0][0].offset,
                rest[0][0].index,
            )
        )
    return notes


def read_file(path: str) -> bytes | bytearray:
    """The bytes of a local event file or a remote one (``s3://...``; fetched ahead
    in parallel when the logdir was listed by :func:`~tbreport.reader.discover.find_runs`).

    A remote store that fails (server gone, credentials refused) raises
    :class:`~tbreport.errors.StorageError` naming the object: that is no damage of
    one file, and reading on would only fail the same way for every other file.
    """
    if not _fs.is_remote(path):
        return _read_local(path)  # a bytearray: scan_bytes cuts its records off it
    return _fs.read_bytes(path)


def _read_local(path: str) -> bytearray:
    """A local file's bytes, in a ``bytearray`` that :func:`_records` can shrink."""
    with open(_fs.local_path(path), "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        buf = bytearray(size)
        got = fh.readinto(buf)
        if got < size:  # it shrank while being read
            del buf[got:]
        rest = fh.read()  # it grew
    return buf + rest if rest else buf


def scan_file(path: str, *, use_fast_path: bool = True) -> FileScan:
    """Read, frame, CRC-check and pre-decode one event file. Never raises for bad data."""
    scan = FileScan(path)
    try:
        buf = read_file(path)
    except OSError as exc:
        scan.error = f"cannot read file: {exc.strerror or exc}"
        return scan
    except MemoryError:
        scan.error = "file too large to read into memory"
        return scan
    try:
        return scan_bytes(buf, path, use_fast_path=use_fast_path)
    except Exception as exc:  # a bug must not cost the other files of the logdir
        logger.debug("scanning %s failed", path, exc_info=True)
        scan.error = f"could not be read ({type(exc).__name__}: {exc}); skipped it"
        return scan


def scan_bytes(
    buf: bytes | bytearray, path: str = "<bytes>", *, use_fast_path: bool = True
) -> FileScan:
    """:func:`scan_file` for the contents of a file already in memory."""
    scan = FileScan(path)
    scan.size = len(buf)
    if not buf:
        scan.notes.append(Note("empty file (0 bytes); no records", "empty"))
        return scan

    # Below ~64 KiB the vectorised path's fixed cost (a few hundred numpy calls)
    # exceeds what it saves: small files go record by record.
    use_fast_path = use_fast_path and len(buf) >= FAST_PATH_MIN_BYTES
    frames = fast.frame(buf) if use_fast_path else None
    if frames is not None and fast.bad_data_crcs(buf, frames):
        # The length of a record that fails its CRC cannot be trusted (a splice or a
        # cut can make the chain look whole): find the intact records one by one.
        frames = None
    if frames is not None:
        issues: list[RecordIssue] = []
        if frames.truncated_at >= 0:
            tail = len(buf) - frames.truncated_at
            issues.append(RecordIssue("truncated", frames.truncated_at, len(frames), tail))
    else:
        # Damaged framing (or the fast path is off): find every intact record.
        frames, issues = fast.recover(buf)
        scan.damaged = sum(1 for i in issues if i.kind != "truncated")
    intact_starts = frames.starts
    scan.span = len(frames)
    scan.intact = int(intact_starts.shape[0])
    if issues:
        if scan.intact == 0 and not any(i.kind == "truncated" for i in issues):
            scan.notes.append(
                Note(
                    f"no intact record in its {len(buf)} bytes: not an event file (or wholly "
                    "damaged); skipped it",
                    "not_records",
                    0,
                    0,
                )
            )
        else:
            after = [
                int(scan.intact - np.searchsorted(intact_starts, np.int64(i.offset), side="right"))
                for i in issues
            ]
            scan.notes.extend(_notes(list(zip(issues, after))))
    if use_fast_path:
        scan.columns = fast.decode_simple_scalars(buf, frames)
        rest = np.flatnonzero(~scan.columns.decoded)
    else:
        rest = np.arange(len(frames))
    starts = frames.starts[rest].tolist()
    ends = (frames.starts[rest] + frames.lengths[rest]).tolist()
    indices = rest.tolist()
    del frames, rest
    scan.slow = _records(buf, indices, starts, ends)
    return scan


def _records(
    buf: bytes | bytearray, indices: list[int], starts: list[int], ends: list[int]
) -> list[tuple[int, int, bytes]]:
    """``(index, offset, data)`` of each record. From a ``bytearray`` (a local file
    :func:`scan_file` read) the records are cut off its end, last first, so the file and
    its copied records are not both held whole (an image file is mostly slow records)."""
    if isinstance(buf, bytearray):
        out: list[tuple[int, int, bytes]] = []
        shrink = True
        for i, s, e in zip(reversed(indices), reversed(starts), reversed(ends)):
            out.append((i, s - HEADER_SIZE, bytes(buf[s:e])))
            if shrink:
                try:
                    del buf[s:]  # CPython gives the memory back as the array halves
                except BufferError:  # a view of it is still alive: keep it whole
                    shrink = False
        out.reverse()
        return out
    return [(i, s - HEADER_SIZE, bytes(buf[s:e])) for i, s, e in zip(indices, starts, ends)]


def iter_events(path: str, notes: list[str] | None = None) -> Iterator[object]:
    """Every ``Event`` proto of one file in order (the slow, general path; for tools
    and tests). Damage is reported in ``notes``; never raises for bad data."""

    scan = scan_file(path, use_fast_path=False)
    if notes is not None:
        notes.extend(n.message for n in scan.notes)
        if scan.error:
            notes.append(scan.error)
    for index, offset, data in scan.slow:
        try:
            yield event_pb2.Event.FromString(data)
        except Exception:  # protobuf's DecodeError
            if notes is not None:
                notes.append(f"record {index} (byte {offset}) is not an Event; skipped it")
