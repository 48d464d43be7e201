"""Fuzzing the whole command: mutated and absurd event files through ``tbreport build``.

The mutants are ``tests.logdirs.mutations``' (bit flips, cut files, lying lengths,
broken protobufs, absurd field values, huge varints, bad UTF-8, spliced records,
unknown fields) of a seed run holding every summary kind, plus absurd files written
whole (``_absurd``). Each build is the real command line in a child process under
an address-space cap and a timeout (``tests/bounded.py``): it must exit 0 (a report
written) or 2 (one ``tbreport: error:`` line), within both bounds, with no traceback
and no internal error.

Seeded and small by default (a few builds, seconds each); ``HYPOTHESIS_PROFILE=thorough``
(``make test-props``) builds many more mutants from more seeds.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tbreport.proto import event_pb2, summary_pb2
from tbreport.record import encode_record
from tests import bounded
from tests.logdirs._write import START
from tests.logdirs.mutations import KINDS, build_seed, mutate

pytest.importorskip("matplotlib")  # the report's stack (absent from the oldest-protobuf venv)
pytestmark = pytest.mark.skipif(os.name != "posix", reason="the caps need POSIX rlimits")

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
SEEDS = range(12) if THOROUGH else range(1)
MUTANTS = 200 if THOROUGH else 30  # per logdir: every kind at least once
SINGLES = 30 if THOROUGH else 2  # mutants built alone (a logdir of one damaged file)
MEMORY_MB = 1536
TIMEOUT = 240.0  # a bound, not a measurement: a build that needs it has hung


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_seed(tmp_path_factory.mktemp("fuzz") / "seed")


def _check(result: bounded.Outcome, out: Path, what: str) -> None:
    text = result.text
    assert result.returncode is not None, f"{what}: still running after {TIMEOUT:g} s"
    assert "Traceback" not in text and "internal error" not in text, (what, text[-3000:])
    assert "MemoryError" not in text, (what, text[-3000:])
    assert result.returncode in (0, 2), (what, result.returncode, text[-3000:])
    if result.returncode == 0:
        assert out.is_file() and out.stat().st_size > 0, what
        assert out.read_bytes().rstrip().endswith(b"</html>"), what
    else:  # an error in the input: one line saying so
        errors = [line for line in text.splitlines() if line.startswith("tbreport: error: ")]
        assert len(errors) == 1, (what, text[-3000:])


@pytest.mark.parametrize("seed", SEEDS)
def test_a_logdir_of_mutants_builds(seed_dir: Path, tmp_path: Path, seed: int) -> None:
    mutate(seed_dir, tmp_path / "logs", MUTANTS, seed)
    _absurd(tmp_path / "logs", random.Random(seed))
    out = tmp_path / "report.html"
    result = bounded.build(tmp_path / "logs", out, memory_mb=MEMORY_MB, timeout=TIMEOUT)
    _check(result, out, f"seed {seed}")
    assert result.returncode == 0  # most mutants keep some intact records
    page = out.read_text("utf-8")
    assert "mut_0000_bitflip" in page and "absurd_" in page


@pytest.mark.parametrize("index", range(SINGLES))
def test_one_mutant_alone_builds(seed_dir: Path, tmp_path: Path, index: int) -> None:
    """A logdir holding one mutant only (the kinds in turn, seeded by ``index``): exit 0
    or a one-line error (nothing readable is exit 2), never a crash."""
    kind = KINDS[index % len(KINDS)]
    files = mutate(seed_dir, tmp_path / "all", len(KINDS), 1000 + index)
    (target,) = [f for f in files if f.parent.name.endswith(kind)]
    out = tmp_path / "report.html"
    result = bounded.build(target.parent, out, memory_mb=MEMORY_MB, timeout=TIMEOUT)
    _check(result, out, f"{kind} #{index}")
    strict = bounded.build(target.parent, out, "--strict", memory_mb=MEMORY_MB, timeout=TIMEOUT)
    _check(strict, out, f"{kind} #{index} --strict")


def _absurd(root: Path, r: random.Random) -> None:
    """Event files written whole with absurd but well-formed content: every record
    frames and parses, the values are what no writer writes."""
    d = root / "absurd_values"
    d.mkdir(parents=True)
    events = [event_pb2.Event(wall_time=START, file_version="brain.Event:2")]
    steps = (2**63 - 1, -(2**63), 0, 2**53 + 1, -1)
    walls = (float("nan"), float("inf"), 1e308, -1e308, 5e-324, START * 1e9, 0.0)
    for _ in range(40):
        ev = event_pb2.Event(step=r.choice(steps), wall_time=r.choice(walls))
        value = summary_pb2.Summary.Value(tag=r.choice(["loss", "a/b", "x" * 300, "ü/🔥"]))
        kind = r.randrange(4)
        if kind == 0:
            value.simple_value = r.choice([float("nan"), float("inf"), -3.4e38, 1e-45])
        elif kind == 1:
            histo = value.histo
            histo.min, histo.max = r.choice([(1e308, -1e308), (-1.7e308, 1.7e308), (0.0, 0.0)])
            histo.num = r.choice([1e308, -1.0, 0.0, 3.0])
            histo.sum = r.choice([float("inf"), float("nan"), 1e308])
            histo.sum_squares = r.choice([float("inf"), 1e308, -5.0])
            n = r.randrange(0, 5)
            histo.bucket_limit.extend(sorted(r.uniform(-1e308, 1e308) for _ in range(n)))
            histo.bucket.extend(r.choice([1.0, 1e300, -2.0]) for _ in range(n))
        elif kind == 2:
            value.image.width, value.image.height = r.choice([(2**31 - 1, 2**31 - 1), (0, 0)])
            value.image.colorspace = r.choice([0, 3, 99])
            value.image.encoded_image_string = b"\x89PNG\r\n\x1a\n" + bytes(
                r.randrange(256) for _ in range(40)
            )
        else:
            t = value.tensor
            t.dtype = r.choice([1, 2, 7, 19])
            t.tensor_shape.dim.add(size=r.choice([2**40, -1, 0, 3]))
            t.double_val.extend([1e308, -1e308])
            value.metadata.plugin_data.plugin_name = r.choice(
                ["scalars", "histograms", "text", "images"]
            )
        ev.summary.value.append(value)
        events.append(ev)
    name = f"events.out.tfevents.{int(START)}.tbhost.4242.0"
    (d / name).write_bytes(b"".join(encode_record(e.SerializeToString()) for e in events))
