"""``mutations``: seeded mutants of a valid event file, for a bounded fuzz test.

:func:`mutate` reads every event file under a seed logdir and writes ``n``
mutants, each alone in its own run ``mut_<i>_<kind>/`` under the original file
name, so a reader's result can be told apart per mutant. The mutation kinds (one
per mutant, drawn with ``random.Random(seed)``):

==================  ==============================================================
kind                what changes
==================  ==============================================================
``bitflip``         1-8 random bits anywhere (framing, CRCs or payload)
``truncate``        the file cut at a random offset
``length_lie``      a record's length field set to a lie (a few bytes off, 2**31,
                    2**63) with a *valid* header CRC, so the header is trusted
``payload_bytes``   random payload bytes overwritten, data CRC recomputed: valid
                    framing around a broken protobuf
``field_values``    one ``Event`` decoded and re-encoded with absurd field values:
                    steps +-2**63, NaN/inf wall times, a tensor dtype of 999, shape
                    dims of -1 or 2**40, image sizes of 2**31-1, negative histogram
                    counts, plugin names that lie (``images`` on a scalar) ...
``huge_varint``     a length-delimited field whose 10-byte varint length claims
                    2**63 bytes appended to a payload (CRC recomputed)
``nested_lie``      inside a ``Summary.Value``, a sub-message length raised past the
                    end of the payload (CRC recomputed)
``bad_utf8``        a tag's bytes replaced by invalid UTF-8 of the same length
                    (CRC recomputed): protobuf refuses the record
``splice``          records duplicated, dropped, swapped, or junk inserted between
``unknown_fields``  valid unknown fields of every wire type appended to an Event
==================  ==============================================================

:func:`build_mutations` makes the seed (:func:`build_seed`: one run with every
kind of summary, written with tbreport's ``SummaryWriter``) in a temporary
directory and writes ``n`` mutants of it.

What TensorBoard 2.21 reads, over 200 mutants (``n=200, seed=0``; the seed run
holds 58 points): its ``EventAccumulator`` does not survive a record that
protobuf refuses: ``Reload()`` raises ``DecodeError`` and the run yields nothing
(all 17 ``bad_utf8``, 19 ``huge_varint``, 14 ``nested_lie`` and 17 of 22
``payload_bytes`` runs); a ``length_lie`` makes it allocate the claimed length
(``MemoryError`` in 7 of 16 runs, ``OverflowError`` in 1); at a CRC failure or a
splice it stops reading the file, so ``bitflip`` runs keep 217 of the points
tbreport reads (982) and ``splice`` runs 1,102 of 1,293. ``truncate``,
``unknown_fields`` and ``field_values`` read alike in both (708, 1,392, 1,102).
The child never exceeded its limits (9 s, 2 GB cap). tbreport at ``e0cfbc3``:
``tbreport.load`` reads all 200 runs in 2 s; ``tbreport build`` of the default 60
mutants exits 0 in ~25 s with a 2.1 MB report.
"""

from __future__ import annotations

import math
import random
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tbreport import SummaryWriter
from tbreport.proto import event_pb2
from tbreport.record import encode_record, masked_crc32c
from tests.logdirs._graphs import GraphBuilder
from tests.logdirs._write import START, finish, frames, fresh, frozen, varint

KINDS = (
    "bitflip",
    "truncate",
    "length_lie",
    "payload_bytes",
    "field_values",
    "huge_varint",
    "nested_lie",
    "bad_utf8",
    "splice",
    "unknown_fields",
)


def build_seed(root: Path | str) -> Path:
    """One valid run (``seed``) holding every summary kind tbreport's writer writes."""
    out = fresh(root)
    rng = np.random.default_rng(0)
    with frozen(), SummaryWriter(out / "seed", flush_secs=3600) as w:
        g = GraphBuilder()
        x = g.node("x", "Placeholder", shapes=((-1, 2),), dtype_attr="dtype")
        g.node("y", "Relu", [x], shapes=((-1, 2),))
        w.add_event(event_pb2.Event(graph_def=g.graph.SerializeToString()), 0, START)
        for step in range(20):
            wall = START + step
            w.add_scalar("loss", math.exp(-step / 5), step, walltime=wall)
            w.add_scalar("acc/tensor", 1 - math.exp(-step / 5), step, walltime=wall, new_style=True)
            if step % 5 == 0:
                w.add_image("img", rng.random((3, 8, 8)), step, walltime=wall)
                w.add_histogram("hist", rng.normal(size=100), step, walltime=wall)
                w.add_text("note", f"step **{step}**", step, walltime=wall)
                w.add_pr_curve("pr", rng.random(50) > 0.5, rng.random(50), step, walltime=wall)
        w.add_audio(
            "audio", np.sin(np.arange(800) / 10.0) * 0.5, 19, sample_rate=8000, walltime=START + 20
        )
        w.add_hparams({"lr": 0.1, "opt": "sgd"}, {"hparam/loss": 0.2}, run_name=".", global_step=19)
    return finish(out)


def _reframe(payloads: list[bytes]) -> bytes:
    return b"".join(encode_record(p) for p in payloads)


def _bitflip(data: bytes, r: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(r.randint(1, 8)):
        pos = r.randrange(len(buf))
        buf[pos] ^= 1 << r.randrange(8)
    return bytes(buf)


def _length_lie(data: bytes, r: random.Random) -> bytes:
    records = list(frames(data))
    k = r.randrange(1, len(records))
    offset = sum(16 + len(p) for p in records[:k])
    true_length = len(records[k])
    lie = r.choice(
        [
            true_length + r.randint(1, 64),
            max(0, true_length - r.randint(1, 8)),
            2**31,
            2**63 - 1,
            2**64 - 1,
        ]
    )
    header = struct.pack("<Q", lie)
    return data[:offset] + header + struct.pack("<I", masked_crc32c(header)) + data[offset + 12 :]


def _payload_bytes(records: list[bytes], r: random.Random) -> list[bytes]:
    k = r.randrange(1, len(records))
    buf = bytearray(records[k])
    for _ in range(r.randint(1, 6)):
        buf[r.randrange(len(buf))] = r.randrange(256)
    records[k] = bytes(buf)
    return records


_ABSURD_STEPS = (2**63 - 1, -(2**63), -1, 2**53 + 1)
_ABSURD_WALLS = (math.nan, math.inf, -math.inf, 1e308, -1.0, 0.0, 5e-324)


def _absurd_value(value: Any, r: random.Random) -> None:
    choice = r.randrange(6)
    if choice == 0:
        value.metadata.plugin_data.plugin_name = r.choice(
            [
                "images",
                "histograms",
                "text",
                "pr_curves",
                "audio",
                "hparams",
                "scalars",
                "zz_unknown",
            ]
        )
    elif choice == 1 and value.HasField("tensor"):
        value.tensor.dtype = r.choice([0, 7, 14, 19, 23, 999])
    elif choice == 2 and value.HasField("tensor"):
        for dim in value.tensor.tensor_shape.dim:
            dim.size = r.choice([-1, 0, 2**40, 2**62])
        if not value.tensor.tensor_shape.dim:
            value.tensor.tensor_shape.dim.add(size=r.choice([-1, 2**40]))
    elif choice == 3 and value.HasField("image"):
        value.image.width, value.image.height = r.choice([(2**31 - 1, 1), (0, 0), (-1, -1)])
    elif choice == 4 and value.HasField("histo"):
        value.histo.num = r.choice([-1.0, math.nan, 1e308])
        if value.histo.bucket:
            value.histo.bucket[0] = r.choice([-5.0, math.nan, math.inf])
            value.histo.bucket_limit.reverse()
    else:
        value.simple_value = r.choice([math.nan, math.inf, -3.4e38])


def _field_values(records: list[bytes], r: random.Random) -> list[bytes]:
    k = r.randrange(1, len(records))
    event = event_pb2.Event.FromString(records[k])
    if r.random() < 0.5:
        event.step = r.choice(_ABSURD_STEPS)
    if r.random() < 0.5:
        event.wall_time = r.choice(_ABSURD_WALLS)
    for value in event.summary.value:
        _absurd_value(value, r)
    records[k] = event.SerializeToString()
    return records


def _huge_varint(records: list[bytes], r: random.Random) -> list[bytes]:
    k = r.randrange(1, len(records))
    field = r.choice([5, 4, 99])  # summary, graph_def, unknown
    records[k] = (
        records[k] + varint(field << 3 | 2) + varint(2**63 + r.randrange(1000)) + b"\x00" * 4
    )
    return records


def _nested_lie(records: list[bytes], r: random.Random) -> list[bytes]:
    candidates = [
        i for i, p in enumerate(records) if event_pb2.Event.FromString(p).HasField("summary")
    ]
    if not candidates:
        return records
    k = r.choice(candidates)
    event = event_pb2.Event.FromString(records[k])
    value = event.summary.value[0].SerializeToString()
    # Summary(value=[...]) is field 1 inside Event.summary (field 5): rebuild with a lying length.
    lie = len(value) + r.choice([1, 100, 2**20, 2**40])
    summary = varint(1 << 3 | 2) + varint(lie) + value
    head = event_pb2.Event(wall_time=event.wall_time, step=event.step).SerializeToString()
    records[k] = head + varint(5 << 3 | 2) + varint(len(summary)) + summary
    return records


def _bad_utf8(records: list[bytes], r: random.Random) -> list[bytes]:
    for k in r.sample(range(1, len(records)), len(records) - 1):
        event = event_pb2.Event.FromString(records[k])
        if event.summary.value and event.summary.value[0].tag:
            tag = event.summary.value[0].tag.encode()
            bad = bytes(r.choice([0xFF, 0xFE, 0xC0, 0x80, 0xED]) for _ in tag)
            records[k] = records[k].replace(tag, bad, 1)
            return records
    return records


def _splice(records: list[bytes], r: random.Random) -> bytes:
    action = r.randrange(4)
    k = r.randrange(1, len(records))
    if action == 0:
        records[k:k] = [records[k]] * r.randint(1, 50)
    elif action == 1:
        del records[k]
    elif action == 2:
        j = r.randrange(1, len(records))
        records[k], records[j] = records[j], records[k]
    else:
        framed = [encode_record(p) for p in records]
        framed.insert(k, bytes(r.randrange(256) for _ in range(r.randint(1, 64))))
        return b"".join(framed)
    return _reframe(records)


def _unknown_fields(records: list[bytes], r: random.Random) -> list[bytes]:
    k = r.randrange(1, len(records))
    extra = (
        varint(100 << 3)
        + varint(r.randrange(2**64))  # varint
        + varint(101 << 3 | 1)
        + struct.pack("<d", r.random())  # 64-bit
        + varint(102 << 3 | 2)
        + varint(3)
        + b"abc"  # length-delimited
        + varint(103 << 3 | 5)
        + struct.pack("<f", 1.5)
    )  # 32-bit
    records[k] = records[k] + extra
    return records


def mutate_bytes(data: bytes, kind: str, r: random.Random) -> bytes:
    """One mutant of the event file ``data``."""
    if kind == "bitflip":
        return _bitflip(data, r)
    if kind == "truncate":
        return data[: r.randrange(len(data))]
    if kind == "length_lie":
        return _length_lie(data, r)
    records = list(frames(data))
    if kind == "splice":
        return _splice(records, r)
    change = {
        "payload_bytes": _payload_bytes,
        "field_values": _field_values,
        "huge_varint": _huge_varint,
        "nested_lie": _nested_lie,
        "bad_utf8": _bad_utf8,
        "unknown_fields": _unknown_fields,
    }[kind]
    return _reframe(change(records, r))


def plan(n: int, seed: int) -> list[str]:
    """The kind of each of ``n`` mutants: every kind once first, then drawn at random."""
    r = random.Random(seed)
    return [KINDS[i] if i < len(KINDS) else r.choice(KINDS) for i in range(n)]


def mutate(seed_dir: Path | str, out_dir: Path | str, n: int, seed: int) -> list[Path]:
    """Write ``n`` mutants of the event files under ``seed_dir`` into ``out_dir`` (replaced).

    Mutant ``i`` is ``out_dir/mut_<i>_<kind>/<event file name>``; the same
    ``(seed_dir, n, seed)`` gives the same bytes. Returns the mutant files.
    """
    sources = sorted(p for p in Path(seed_dir).rglob("*") if "tfevents" in p.name and p.is_file())
    if not sources:
        raise ValueError(f"{seed_dir}: no event files to mutate")
    out = fresh(out_dir)
    r = random.Random(seed + 1)
    written = []
    for i, kind in enumerate(plan(n, seed)):
        source = r.choice(sources)
        target = out / f"mut_{i:04d}_{kind}" / source.name
        target.parent.mkdir()
        target.write_bytes(mutate_bytes(source.read_bytes(), kind, r))
        written.append(target)
    return written


def build_mutations(root: Path | str, *, n: int = 60, seed: int = 0, scale: int = 1) -> Path:
    """Write ``n * scale`` mutants of :func:`build_seed`'s logdir into ``root`` (replaced)."""
    with tempfile.TemporaryDirectory() as tmp:
        seed_dir = build_seed(Path(tmp) / "seed")
        mutate(seed_dir, root, n * scale, seed)
    return Path(root)


def claims(*, n: int = 60, seed: int = 0, scale: int = 1) -> dict[str, Any]:
    """One run per mutant (what each holds is the reader's problem)."""
    return {f"mut_{i:04d}_{kind}": {} for i, kind in enumerate(plan(n * scale, seed))}
