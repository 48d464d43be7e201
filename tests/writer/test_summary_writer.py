"""SummaryWriter: defaults, lifecycle and argument validation (no reference implementation needed)."""

from __future__ import annotations

import json
import math
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tbreport import SummaryWriter
from tbreport.proto import event_pb2
from tbreport.record import iter_records


def read_events(run_dir: Path) -> list[event_pb2.Event]:
    out = []
    for path in sorted(run_dir.glob("events.out.tfevents.*")):
        out += [event_pb2.Event.FromString(r) for r in iter_records(path.read_bytes())]
    return out


def values(run_dir: Path) -> list[tuple[str, int, event_pb2.Event]]:
    return [(v.tag, e.step, e) for e in read_events(run_dir) for v in e.summary.value]


def test_default_logdir_is_runs_date_host_comment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_resnet")
    w.close()
    rel = os.path.relpath(w.get_logdir(), tmp_path)
    pattern = (
        r"runs/[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(socket.gethostname()) + "_resnet"
    )
    assert re.fullmatch(pattern, rel.replace(os.sep, "/")), rel
    assert list(Path(w.get_logdir()).glob("events.out.tfevents.*"))


def test_comment_is_ignored_when_log_dir_is_given(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path / "exp", comment="_ignored") as w:
        assert w.get_logdir() == str(tmp_path / "exp")
    assert not list(tmp_path.glob("*ignored*"))


def test_tensorboardx_logdir_alias(tmp_path: Path) -> None:
    with SummaryWriter(logdir=tmp_path / "x") as w:
        assert w.get_logdir() == str(tmp_path / "x")
    with pytest.raises(TypeError, match="not both"):
        SummaryWriter(tmp_path / "a", logdir=tmp_path / "b")


def test_filename_suffix(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path, filename_suffix=".mine"):
        pass
    (f,) = tmp_path.glob("events.out.tfevents.*")
    assert f.name.endswith(".mine")


def test_scalar_values_steps_and_walltime(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 0.25, 3, walltime=1234567890.5)
        w.add_scalar("训练损失值", np.float32(1.5), np.int64(4))
        w.add_scalar("no_step", 2)
        w.add_scalar("special", float("nan"), 5)
        w.add_scalar("special", float("inf"), 6)
        w.add_scalar("special", 1e300, 7)  # overflows float32 to +inf, as torch
        w.add_scalar("special", -1e300, 8)
        w.add_scalar("big_step", 1.0, 2**40)
        w.add_scalar("neg_step", 1.0, -5)
        w.add_scalar("float_step", 1.0, 9.0)
    got = values(tmp_path)
    by_tag: dict[str, list[tuple[int, float]]] = {}
    for tag, step, e in got:
        by_tag.setdefault(tag, []).append((step, e.summary.value[0].simple_value))
    assert by_tag["loss"] == [(3, 0.25)]
    assert got[0][2].wall_time == 1234567890.5
    assert by_tag["训练损失值"] == [(4, 1.5)]
    assert by_tag["no_step"] == [(0, 2.0)]
    special = [v for _, v in by_tag["special"]]
    assert math.isnan(special[0]) and special[1:] == [math.inf, math.inf, -math.inf]
    assert by_tag["big_step"] == [(2**40, 1.0)]
    assert by_tag["neg_step"] == [(-5, 1.0)]
    assert by_tag["float_step"] == [(9, 1.0)]


def test_torch_tensor_values(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("t", torch.tensor(2.5), torch.tensor(3))
        w.add_scalar("t", torch.tensor([4.5], dtype=torch.bfloat16), 4)
        w.add_histogram("h", torch.randn(100), 1)
        w.add_image("i", torch.rand(3, 4, 5), 1)
    got = values(tmp_path)
    assert [(t, s, e.summary.value[0].simple_value) for t, s, e in got[:2]] == [
        ("t", 3, 2.5),
        ("t", 4, 4.5),
    ]
    assert got[3][2].summary.value[0].image.width == 5


@pytest.mark.parametrize(
    ("call", "exc", "message"),
    [
        (lambda w: w.add_scalar(3, 1.0), TypeError, "tag must be a str"),
        (lambda w: w.add_scalar("x", "1.0"), TypeError, "scalar_value must be a number"),
        (lambda w: w.add_scalar("x", np.ones(3)), ValueError, "exactly one element"),
        (
            lambda w: w.add_scalar("x", 1.0, float("nan")),
            ValueError,
            "global_step must be an integer",
        ),
        (lambda w: w.add_scalar("x", 1.0, 1.5), ValueError, "global_step must be an integer"),
        (lambda w: w.add_scalar("x", 1.0, "3"), TypeError, "global_step"),
        (lambda w: w.add_scalar("x", 1.0, 1, walltime=float("nan")), ValueError, "walltime"),
        (
            lambda w: w.add_image("x", np.zeros((3, 4, 4)), dataformats="XYZ"),
            ValueError,
            "dataformats",
        ),
        (lambda w: w.add_image("x", np.zeros((3, 4))), ValueError, "describes 3 dims"),
        (lambda w: w.add_image("x", np.zeros((5, 4, 4))), ValueError, "1, 3 or 4 channels"),
        (lambda w: w.add_image("x", np.zeros((3, 4, 4)), dataformats=3), TypeError, "dataformats"),
        (lambda w: w.add_images("x", np.zeros((3, 4, 4))), ValueError, "describes 4 dims"),
        (lambda w: w.add_histogram("x", []), ValueError, "values is empty"),
        (lambda w: w.add_histogram("x", [1.0, float("nan")]), ValueError, "must be finite"),
        (lambda w: w.add_histogram("x", [1.0], bins="nonsense"), ValueError, "bins="),
        (lambda w: w.add_histogram_raw("x", 0, 1, 2, 1, 1, [1, 2], [1]), ValueError, "same length"),
        (lambda w: w.add_text("x", 3), TypeError, "text_string must be a str"),
        (lambda w: w.add_audio("x", np.zeros((2, 2, 2))), ValueError, "snd_tensor"),
        (lambda w: w.add_audio("x", np.zeros(10), sample_rate=-1), ValueError, "sample_rate"),
        (lambda w: w.add_pr_curve("x", [1, 0], [0.5]), ValueError, "same number"),
        (lambda w: w.add_pr_curve("x", [1, 0], [0.5, 2.0]), ValueError, r"\[0, 1\]"),
        (lambda w: w.add_hparams([1], {}), TypeError, "hparam_dict must be a dict"),
        (lambda w: w.add_hparams({"a": object()}, {}), TypeError, r"hparam_dict\['a'\]"),
        (lambda w: w.add_video("x", np.zeros((2, 3, 4))), ValueError, "N, T, C, H, W"),
        (lambda w: w.add_embedding(np.zeros(3)), ValueError, "mat must be 2-D"),
        (
            lambda w: w.add_embedding(np.zeros((3, 2)), metadata=[1]),
            ValueError,
            "metadata has 1 rows",
        ),
        (lambda w: w.add_custom_scalars({"c": {"t": ["Pie", ["a"]]}}), ValueError, "Multiline"),
        (lambda w: w.add_scalars("x", [1, 2]), TypeError, "tag_scalar_dict"),
        (
            lambda w: w.add_image_with_boxes("x", np.zeros((3, 4, 4)), np.zeros((2, 3))),
            ValueError,
            r"box_tensor must be \[N, 4\]",
        ),
        (
            lambda w: w.add_image_with_boxes(
                "x", np.zeros((3, 4, 4)), np.zeros((2, 4)), labels=["a"]
            ),
            ValueError,
            "labels has 1 entries for 2 boxes",
        ),
    ],
)
def test_bad_input_raises_a_clear_error(
    tmp_path: Path, call: object, exc: type, message: str
) -> None:
    with SummaryWriter(tmp_path) as w, pytest.raises(exc, match=message):
        call(w)  # type: ignore[operator]


def test_add_after_close_writes_a_new_file_and_close_is_idempotent(tmp_path: Path) -> None:
    # torch and tensorboardX reopen on the next add_*; Lightning relies on it
    # (trainer.test() logs through the logger it closed at the end of fit()).
    w = SummaryWriter(tmp_path)
    w.add_scalar("x", 1.0, 1)
    w.close()
    w.close()
    w.flush()
    assert w.file_writer is None and w.all_writers is None
    w.add_scalar("x", 2.0, 2)
    w.add_histogram("h", [1.0], 2)
    w.add_scalars("s", {"a": 1.0}, 2)
    assert w.file_writer is not None
    w.close()
    assert len(list(tmp_path.glob("events.out.tfevents.*"))) == 2
    assert [(t, s) for t, s, _ in values(tmp_path)] == [("x", 1), ("x", 2), ("h", 2)]
    assert [s for _, s, _ in values(tmp_path / "s_a")] == [2]


def test_flush_drains_everything_including_sub_runs(tmp_path: Path) -> None:
    w = SummaryWriter(tmp_path, max_queue=10**6, flush_secs=10**6)
    for i in range(50):
        w.add_scalar("a", float(i), i)
        w.add_scalars("tv", {"train": i, "val": -i}, i)
    w.flush()
    assert len(values(tmp_path)) == 50
    assert len(values(tmp_path / "tv_train")) == 50
    assert len(values(tmp_path / "tv_val")) == 50
    w.close()


def test_purge_step_writes_session_start(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path, purge_step=12) as w:
        w.add_scalar("x", 1.0, 12)
    events = read_events(tmp_path)
    assert events[0].file_version == "brain.Event:2"
    assert events[1].step == 12
    assert events[1].session_log.status == event_pb2.SessionLog.START


def test_hparams_in_the_same_run(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 1.0, 1)
        w.add_hparams({"lr": 0.1, "opt": "adam", "bn": True}, {"hparam/acc": 0.9}, same_run=True)
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == []
    tags = [t for t, _, _ in values(tmp_path)]
    assert tags == [
        "loss",
        "_hparams_/experiment",
        "_hparams_/session_start_info",
        "_hparams_/session_end_info",
        "hparam/acc",
    ]


def test_hparams_sub_run_by_default(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1}, {"hparam/acc": 0.9}, run_name="trial_0")
        w.add_hparams({"lr": 0.2}, {"hparam/acc": 0.8})
    subs = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert subs[-1] == "trial_0" and len(subs) == 2
    assert float(subs[0]) > 0  # a time.time() name, as torch
    assert [t for t, _, _ in values(tmp_path / "trial_0")][-1] == "hparam/acc"


def test_embedding_files(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path) as w:
        w.add_embedding(
            np.arange(20.0).reshape(5, 4),
            metadata=[["a", 1], ["b", 2], ["c", 3], ["d", 4], ["e", 5]],
            metadata_header=["name", "idx"],
            label_img=np.zeros((5, 3, 6, 6)),
            global_step=3,
            tag="feat/ures",
        )
    d = tmp_path / "00003" / "feat_ures"
    assert (d / "tensors.tsv").read_text().splitlines()[1] == "4.0\t5.0\t6.0\t7.0"
    assert (d / "metadata.tsv").read_text().splitlines()[:2] == ["name\tidx", "a\t1"]
    assert (d / "sprite.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    config = (tmp_path / "projector_config.pbtxt").read_text()
    assert 'tensor_path: "00003/feat_ures/tensors.tsv"' in config
    assert "single_image_dim: 6" in config


def test_import_does_not_load_plotting_or_templates() -> None:
    code = (
        "import sys, json, tbreport\n"
        "tbreport.SummaryWriter\n"
        "print(json.dumps(sorted(m for m in ('matplotlib', 'graphviz', 'jinja2', 'torch', 'PIL') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_repr_and_context_manager(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path) as w:
        assert "open" in repr(w)
    assert "closed" in repr(w)


def test_add_event_and_add_summary_accept_tensorboard_messages(tmp_path: Path) -> None:
    tb_summary = pytest.importorskip("tensorboard.compat.proto.summary_pb2")
    tb_event = pytest.importorskip("tensorboard.compat.proto.event_pb2")
    with SummaryWriter(tmp_path) as w:
        s = tb_summary.Summary(value=[tb_summary.Summary.Value(tag="a", simple_value=1.5)])
        w.add_summary(s, global_step=3, walltime=10.0)
        w.add_event(tb_event.Event(step=4, wall_time=20.0, summary=s))
        w.add_event(tb_event.Event(summary=s), step=5)
    got = read_events(tmp_path)[1:]
    assert [(e.step, e.wall_time) for e in got[:2]] == [(3, 10.0), (4, 20.0)]
    assert got[2].step == 5 and got[2].wall_time > 1e9
    assert all(e.summary.value[0].simple_value == 1.5 for e in got)


@pytest.mark.parametrize("step", [2**63, 2**64, -(2**63) - 1, 2**70, np.uint64(2**64 - 1)])
def test_steps_outside_int64_are_rejected(tmp_path: Path, step: object) -> None:
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match="signed 64-bit"):
        w.add_scalar("x", 1.0, step)


def test_integer_tensor_steps_stay_exact(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("x", 1.0, torch.tensor(2**53 + 1))
        w.add_scalar("x", 1.0, np.array(2**62 + 1))
        w.add_scalar("x", 1.0, 2**63 - 1)
    assert [s for _, s, _ in values(tmp_path)] == [2**53 + 1, 2**62 + 1, 2**63 - 1]


def test_concurrent_add_scalars_lose_nothing(tmp_path: Path) -> None:
    import threading

    w = SummaryWriter(tmp_path, max_queue=10**6, flush_secs=10**6)
    barrier = threading.Barrier(8)

    def work(k: int) -> None:
        barrier.wait()
        for i in range(500):
            w.add_scalars("grp", {"a": i, "b": -i}, k * 1000 + i)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    w.close()
    for sub in ("grp_a", "grp_b"):
        assert len(list((tmp_path / sub).glob("events.out.tfevents.*"))) == 1
        assert len(values(tmp_path / sub)) == 4000
