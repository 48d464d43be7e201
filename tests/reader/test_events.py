"""Damaged event files: every intact record is recovered, every problem is one note."""

from __future__ import annotations

import pathlib
import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tbreport
from tbreport.model import LoadWarning
from tbreport.reader import events as events_mod
from tbreport.reader.events import iter_events, scan_bytes, scan_file
from tbreport.reader.load import build_run
from tbreport.record import encode_record, masked_crc32c

pytestmark = pytest.mark.usefixtures("force_fast_path")

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "data" / "corpus"
SOURCES = [
    next((CORPUS / "torch_scalars").glob("*tfevents*")),
    next((CORPUS / "tbx_basic").glob("*tfevents*")),
    next((CORPUS / "tf2_summaries").glob("*tfevents*")),
    next((CORPUS / "torch_graph").glob("*tfevents*")),
]


def _frames(buf: bytes) -> list[tuple[int, bytes]]:
    """(offset, data) of every record of a clean stream."""
    out, off = [], 0
    while off < len(buf):
        (length,) = struct.unpack_from("<Q", buf, off)
        out.append((off, buf[off + 12 : off + 12 + length]))
        off += 16 + length
    return out


def _records(buf: bytes, fast_path: bool = False) -> list[bytes]:
    scan = scan_bytes(buf, "f", use_fast_path=fast_path)
    return [data for _, _, data in scan.slow]


def test_crc_corrupt_record_is_skipped_and_the_rest_kept() -> None:
    buf = bytearray(SOURCES[0].read_bytes())
    recs = _frames(bytes(buf))
    off, data = recs[7]
    buf[off + 12 + len(data)] ^= 0xFF  # the stored data CRC
    for fast_path in (True, False):
        scan = scan_bytes(bytes(buf), "f", use_fast_path=fast_path)
        assert scan.damaged == 1 and scan.intact == len(recs) - 1
        assert [n.message for n in scan.notes] == [
            f"record 7 (byte {off}) fails its CRC check; skipped it and kept the "
            f"{len(recs) - 8} intact records after it"
        ]
    assert _records(bytes(buf)) == [d for i, (_, d) in enumerate(recs) if i != 7]


def test_bad_length_crc_resyncs_on_the_next_record() -> None:
    buf = bytearray(SOURCES[0].read_bytes())
    recs = _frames(bytes(buf))
    off, _ = recs[3]
    buf[off + 9] ^= 0x10  # the length's CRC
    assert _records(bytes(buf)) == [d for i, (_, d) in enumerate(recs) if i != 3]
    scan = scan_bytes(bytes(buf), "f")
    assert scan.intact == len(recs) - 1
    assert len(scan.notes) == 1 and "damaged record header at byte" in scan.notes[0].message


def test_absurd_length_is_never_allocated() -> None:
    good = encode_record(b"x" * 10)
    header = struct.pack("<Q", 2**62)
    bad = header + struct.pack("<I", masked_crc32c(header)) + b"y" * 8
    buf = good + bad + good
    scan = scan_bytes(buf, "f")
    assert [d for _, _, d in scan.slow] == [b"x" * 10, b"x" * 10]
    assert len(scan.notes) == 1


def test_truncated_tail_is_a_note() -> None:
    buf = SOURCES[0].read_bytes()
    recs = _frames(buf)
    cut = buf[: recs[-1][0] + 5]
    for fast_path in (True, False):
        scan = scan_bytes(cut, "f", use_fast_path=fast_path)
        assert scan.damaged == 0 and scan.intact == len(recs) - 1
        assert len(scan.notes) == 1 and "cut short" in scan.notes[0].message


def test_empty_garbage_and_unreadable(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert [n.message for n in scan_bytes(b"", "f").notes] == ["empty file (0 bytes); no records"]
    garbage = scan_bytes(b"hello, this is not an event file\n" * 10, "f")
    assert garbage.intact == 0 and "not an event file" in garbage.notes[0].message
    assert scan_bytes(b"\x00" * 5, "f").notes  # a few stray bytes

    def deny(path: str) -> bytes:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(events_mod, "read_file", deny)
    scan = scan_file(str(tmp_path / "x.tfevents"))
    assert scan.error == "cannot read file: Permission denied"


def test_iter_events_yields_protos_and_notes() -> None:
    notes: list[str] = []
    evs = list(
        iter_events(
            str(
                CORPUS
                / "edge_cases"
                / "crc_corrupt"
                / next(p.name for p in (CORPUS / "edge_cases" / "crc_corrupt").iterdir())
            ),
            notes,
        )
    )
    assert len(evs) == 11 and len(notes) == 1


def test_records_that_are_not_events_are_warned_once(tmp_path: pathlib.Path) -> None:
    payload = b"\xff\xff\xff garbage protobuf"
    (tmp_path / "events.out.tfevents.1.h").write_bytes(
        b"".join(encode_record(payload) for _ in range(50)) + SOURCES[0].read_bytes()
    )
    logdir = tbreport.load(tmp_path)
    msgs = [w for w in logdir.warnings]
    assert len(msgs) == 1 and msgs[0].count == 50
    assert "50 records that are not Event protos" in msgs[0].message
    assert logdir.runs["."].scalars


# ------------------------------------------------------------------------ fuzz


def _mutate(rng: random.Random, bufs: list[bytes]) -> tuple[bytes, list[bytes]]:
    """A damaged buffer and the records that must survive it (in order)."""
    a = rng.choice(bufs)
    recs = _frames(a)
    spans = [(off, off + 16 + len(d), d) for off, d in recs]
    op = rng.choice(["flip", "truncate", "splice", "insert", "delete", "zero"])
    if op == "flip":
        out = bytearray(a)
        hits = {rng.randrange(len(a)) for _ in range(rng.randint(1, 6))}
        for h in hits:
            out[h] ^= 1 << rng.randrange(8)
        keep = [d for s, e, d in spans if not any(s <= h < e for h in hits)]
        return bytes(out), keep
    if op == "truncate":
        t = rng.randrange(len(a) + 1)
        return a[:t], [d for s, e, d in spans if e <= t]
    if op == "splice":
        b = rng.choice(bufs)
        i, j = rng.randrange(len(a) + 1), rng.randrange(len(b) + 1)
        keep = [d for s, e, d in spans if e <= i]
        keep += [d for off, d in _frames(b) if off >= j]
        return a[:i] + b[j:], keep
    if op == "insert":
        at = rng.randrange(len(a) + 1)
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
        keep = [d for s, e, d in spans if e <= at or s >= at]
        return a[:at] + junk + a[at:], keep
    if op == "delete":
        s0 = rng.randrange(len(a))
        e0 = min(len(a), s0 + rng.randint(1, 200))
        keep = [d for s, e, d in spans if e <= s0 or s >= e0]
        return a[:s0] + a[e0:], keep
    s0 = rng.randrange(len(a))
    e0 = min(len(a), s0 + rng.randint(1, 64))
    keep = [d for s, e, d in spans if e <= s0 or s >= e0]
    return a[:s0] + bytes(e0 - s0) + a[e0:], keep


_BUFS = [p.read_bytes() for p in SOURCES]
_ORIGINALS = {d for b in _BUFS for _, d in _frames(b)}


def test_fuzz_never_raises_and_keeps_every_intact_record() -> None:
    rng = random.Random(20261126)
    for _ in range(300):
        _check_mutation(rng)


@settings(deadline=None)
@given(st.randoms(use_true_random=False))
def test_fuzz_property(rng: random.Random) -> None:
    _check_mutation(rng)


def _check_mutation(rng: random.Random) -> None:
    buf, keep = _mutate(rng, _BUFS)
    got = _records(buf)
    # every intact record, in order, and nothing that was not written
    it = iter(got)
    assert all(any(d == g for g in it) for d in keep)
    assert set(got) <= _ORIGINALS
    # the fast path returns the same records and never raises either
    fast_scan = scan_bytes(buf, "f")
    slow_scan = scan_bytes(buf, "f", use_fast_path=False)
    assert fast_scan.intact == slow_scan.intact
    warnings: list[LoadWarning] = []
    build_run(".", "/", [fast_scan], warnings)
    assert all("\n" not in str(w) for w in warnings)


def test_a_bug_while_reading_one_file_costs_only_that_file(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tbreport.reader import fast
    from tbreport.reader.load import _RunBuilder

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "events.out.tfevents.1.h").write_bytes(SOURCES[0].read_bytes())
    real = fast.decode_simple_scalars
    calls = []

    def flaky(buf: bytes, frames: fast.Frames) -> fast.ScalarColumns:
        calls.append(1)
        if len(calls) == 1:
            raise IndexError("boom")
        return real(buf, frames)

    monkeypatch.setattr(fast, "decode_simple_scalars", flaky)
    logdir = tbreport.load(tmp_path, workers=1)
    assert logdir.runs["a"].scalars == {} and logdir.runs["b"].scalars
    assert "could not be read (IndexError: boom)" in str(logdir.warnings[0])

    def broken(self: _RunBuilder, event: object, index: int, info: object) -> object:
        raise KeyError("odd")

    monkeypatch.setattr(fast, "decode_simple_scalars", real)
    monkeypatch.setattr(_RunBuilder, "_event", broken)
    logdir = tbreport.load(tmp_path, workers=1)
    assert logdir.runs["a"].scalars  # the fast path's records are unaffected
    assert all("records that could not be decoded" in w.message for w in logdir.warnings)
    assert len(logdir.warnings) == 2  # one per file
