"""TFRecord framing: known CRC vectors, byte layout, and properties under damage."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from tbreport.record import RecordIssue, crc32c, encode_record, iter_records, masked_crc32c

payloads = st.lists(st.binary(min_size=0, max_size=300), min_size=0, max_size=12)


def test_crc32c_known_vectors() -> None:
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(bytes(32)) == 0x8A9136AA
    assert crc32c(b"\xff" * 32) == 0x62A8AB43


def test_masked_crc_formula() -> None:
    c = crc32c(b"abc")
    assert (
        masked_crc32c(b"abc") == ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF
    )


def test_frame_is_little_endian_byte_for_byte() -> None:
    rec = encode_record(b"hello")
    assert rec[:8] == (5).to_bytes(8, "little")
    assert rec[8:12] == masked_crc32c(rec[:8]).to_bytes(4, "little")
    assert rec[12:17] == b"hello"
    assert rec[17:] == struct.pack("<I", masked_crc32c(b"hello"))
    assert len(rec) == 12 + 5 + 4


@given(payloads)
def test_round_trip(xs: list[bytes]) -> None:
    issues: list[RecordIssue] = []
    assert list(iter_records(b"".join(map(encode_record, xs)), issues)) == xs
    assert issues == []


@given(payloads.filter(bool), st.data())
def test_cut_anywhere_gives_prefix_then_truncation(xs: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(map(encode_record, xs))
    cut = data.draw(st.integers(0, len(stream)))
    issues: list[RecordIssue] = []
    got = list(iter_records(stream[:cut], issues))
    assert got == xs[: len(got)]
    boundaries = {0}
    pos = 0
    for x in xs:
        pos += 16 + len(x)
        boundaries.add(pos)
    if cut in boundaries:
        assert issues == []
    else:
        assert [i.kind for i in issues] == ["truncated"]
        assert issues[0].index == len(got)


@given(payloads.filter(bool), st.data())
def test_bit_flip_never_yields_a_wrong_payload(xs: list[bytes], data: st.DataObject) -> None:
    stream = bytearray(b"".join(map(encode_record, xs)))
    bit = data.draw(st.integers(0, len(stream) * 8 - 1))
    stream[bit // 8] ^= 1 << (bit % 8)
    issues: list[RecordIssue] = []
    got = list(iter_records(bytes(stream), issues))
    # Which record holds the flipped byte?
    pos, hit = 0, -1
    for i, x in enumerate(xs):
        end = pos + 16 + len(x)
        if pos <= bit // 8 < end:
            hit = i
        pos = end
    intact = [x for i, x in enumerate(xs) if i != hit]
    # Every record we return is one that was written, in order, and every
    # intact record comes back.
    it = iter(xs)
    assert all(any(g == x for x in it) for g in got)
    assert all(x in got for x in intact)
    assert issues, "the damaged record must be reported"


def test_crc_corrupt_record_is_skipped_and_reading_goes_on() -> None:
    xs = [b"a" * 10, b"b" * 10, b"c" * 10]
    stream = bytearray(b"".join(map(encode_record, xs)))
    stream[26 + 12 + 10] ^= 0xFF  # data CRC of record 1
    issues: list[RecordIssue] = []
    assert list(iter_records(bytes(stream), issues)) == [xs[0], xs[2]]
    assert [(i.kind, i.index, i.offset) for i in issues] == [("bad_data_crc", 1, 26)]
    assert "record 1 (byte 26) fails its CRC check" in issues[0].describe()


def test_absurd_length_is_not_allocated_and_resyncs() -> None:
    good = encode_record(b"payload")
    bad_header = struct.pack("<Q", 1 << 62) + b"\x00\x00\x00\x00"  # wrong CRC, absurd length
    issues: list[RecordIssue] = []
    assert list(iter_records(bad_header + b"junk" + good, issues)) == [b"payload"]
    assert issues[0].kind == "bad_length"
    assert issues[0].skipped == len(bad_header) + 4


def test_valid_header_claiming_more_than_the_file_is_a_truncated_tail() -> None:
    header = struct.pack("<Q", 1 << 40)
    stream = encode_record(b"x") + header + struct.pack("<I", masked_crc32c(header))
    issues: list[RecordIssue] = []
    assert list(iter_records(stream, issues)) == [b"x"]
    assert [i.kind for i in issues] == ["truncated"]


def test_empty_and_garbage() -> None:
    assert list(iter_records(b"")) == []
    issues: list[RecordIssue] = []
    assert list(iter_records(b"this is not an event file, just text\n" * 3, issues)) == []
    assert issues and issues[0].kind == "bad_length"


@given(payloads.filter(bool), st.data())
def test_reference_walker_and_vectorised_reader_agree_on_any_damage(
    xs: list[bytes], data: st.DataObject
) -> None:
    from tbreport.reader.fast import recover

    stream = bytearray(b"".join(map(encode_record, xs)))
    for _ in range(data.draw(st.integers(1, 3))):
        kind = data.draw(st.sampled_from(["flip", "cut", "splice", "insert"]))
        if not stream:
            break
        i = data.draw(st.integers(0, len(stream) - 1))
        if kind == "flip":
            stream[i] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "cut":
            j = data.draw(st.integers(i, min(len(stream), i + 400)))
            del stream[i:j]
        elif kind == "splice":
            stream[i:i] = encode_record(data.draw(st.binary(max_size=30)))[
                : data.draw(st.integers(1, 20))
            ]
        else:
            stream[i:i] = data.draw(st.binary(min_size=1, max_size=20))
    buf = bytes(stream)
    frames, _ = recover(buf)
    vectorised = [buf[s : s + n] for s, n in zip(frames.starts.tolist(), frames.lengths.tolist())]
    assert list(iter_records(buf)) == vectorised


def test_a_spliced_partial_record_does_not_swallow_the_next_one() -> None:
    a, b, c = encode_record(b"A" * 50), encode_record(b"B" * 10), encode_record(b"C" * 10)
    # a writer died after half of record a; a new writer appended b and c to the same file
    stream = a[:30] + b + c
    issues: list[RecordIssue] = []
    assert list(iter_records(stream, issues)) == [b"B" * 10, b"C" * 10]
    assert [i.kind for i in issues] == ["bad_length"]


def test_bytes_cut_from_a_large_record_do_not_end_the_file() -> None:
    a, big, c, d = (encode_record(x) for x in (b"A" * 10, b"B" * 1000, b"C" * 10, b"D" * 10))
    stream = a + big[:112] + big[712:] + c + d  # 600 bytes cut from the middle of record 1
    issues: list[RecordIssue] = []
    assert list(iter_records(stream, issues)) == [b"A" * 10, b"C" * 10, b"D" * 10]
    assert [i.kind for i in issues] == ["bad_length"]
