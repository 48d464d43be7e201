"""The purged view equals what TensorBoard's EventAccumulator keeps (it is the oracle here)."""

from __future__ import annotations

import pathlib
import random
import warnings

import pytest

import tbreport
from tbreport.proto import event_pb2
from tbreport.reader import events as events_mod
from tbreport.record import encode_record

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def _write(path: pathlib.Path, version: str | None, rng: random.Random) -> None:
    events = []
    if version is not None:
        events.append(event_pb2.Event(wall_time=1.0, file_version=version))
    step = 0
    for i in range(200):
        kind = rng.random()
        if kind < 0.08:
            step = rng.randrange(0, max(1, step))  # a restart
            events.append(
                event_pb2.Event(
                    wall_time=2.0 + i, step=step, session_log=event_pb2.SessionLog(status=1)
                )
            )
            continue
        if kind < 0.15:
            step = rng.randrange(0, max(1, step))  # going back without a START
        else:
            step += 1
        e = event_pb2.Event(wall_time=2.0 + i, step=step)
        for tag in rng.sample(["a", "b", "c"], rng.randint(1, 2)):
            e.summary.value.add(tag=tag, simple_value=float(i))
        events.append(e)
    path.write_bytes(b"".join(encode_record(e.SerializeToString()) for e in events))


@pytest.mark.parametrize("fast_path", [True, False])
@pytest.mark.parametrize("version", ["brain.Event:2", "brain.Event:1", None])
@pytest.mark.parametrize("seed", range(4))
def test_purged_matches_event_accumulator(
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    version: str | None,
    seed: int,
    fast_path: bool,
) -> None:
    if fast_path:
        monkeypatch.setattr(events_mod, "FAST_PATH_MIN_BYTES", 0)
    rng = random.Random(seed)
    _write(tmp_path / "events.out.tfevents.1.a", version, rng)
    _write(tmp_path / "events.out.tfevents.2.a", version, rng)  # a resumed second file
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"scalars": 0})
        acc.Reload()
    run = tbreport.load(tmp_path, use_fast_path=fast_path).runs["."]
    purged = run.purged()
    for tag in acc.Tags()["scalars"]:
        want = [(e.step, e.value) for e in acc.Scalars(tag)]
        got = [(s, v) for s, _, v in purged.scalars[tag]]
        assert got == want, tag
    assert sum(len(s) for s in run.scalars.values()) >= sum(len(s) for s in purged.scalars.values())
