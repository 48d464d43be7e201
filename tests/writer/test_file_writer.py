"""The writer object model torch and tensorboardX expose, and tensorboardX's extra API.

Frameworks reach into it: Lightning writes hparams with ``_get_file_writer().add_summary``,
stable-baselines3 with ``file_writer.add_summary``; public code reads
``file_writer.get_logdir()``. Messages built by torch's own ``summary`` module
(TensorBoard's protobuf classes) must be accepted as they are.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from tbreport import FileWriter, SummaryWriter, WriterClosedError
from tbreport.proto import event_pb2, summary_pb2
from tbreport.record import iter_records


def read_events(run_dir: Path) -> list[event_pb2.Event]:
    out = []
    for path in sorted(run_dir.glob("events.out.tfevents.*")):
        out += [event_pb2.Event.FromString(r) for r in iter_records(path.read_bytes())]
    return out


def summaries(run_dir: Path) -> list[tuple[str, int, summary_pb2.Summary.Value]]:
    return [(v.tag, e.step, v) for e in read_events(run_dir) for v in e.summary.value]


def test_constructor_arguments_are_attributes_as_in_torch(tmp_path: Path) -> None:
    w = SummaryWriter(tmp_path, purge_step=None, max_queue=7, flush_secs=30, filename_suffix=".x")
    assert (w.log_dir, w.logdir, w.get_logdir()) == (str(tmp_path),) * 3
    assert (w.max_queue, w.flush_secs, w.filename_suffix, w.purge_step) == (7, 30, ".x", None)
    assert isinstance(w.file_writer, FileWriter)
    assert w._get_file_writer() is w.file_writer
    assert w.all_writers == {str(tmp_path): w.file_writer}
    assert w.file_writer.get_logdir() == str(tmp_path)
    assert w.file_writer.event_writer._file_name.endswith(".x")
    # tensorboardX's tests read the file name one level further down
    assert w.file_writer.event_writer._ev_writer._file_name == w.file_writer.event_writer.path
    bins = w.default_bins
    assert len(bins) == 1549 and bins[774] == 0 and bins[775] == pytest.approx(1e-12)
    w.close()
    assert w.file_writer is None and w.all_writers is None


def test_purge_step_is_written_once_as_torch(tmp_path: Path) -> None:
    w = SummaryWriter(tmp_path, purge_step=5)
    assert w.purge_step is None  # torch clears it once the first file has it
    w.close()
    w.add_scalar("x", 1.0, 6)  # reopens: the new file purges nothing
    w.close()
    starts = [e.step for e in read_events(tmp_path) if e.HasField("session_log")]
    assert starts == [5]


def test_file_writer_takes_torchs_own_summaries(tmp_path: Path) -> None:
    summary = pytest.importorskip("torch.utils.tensorboard.summary")
    exp, ssi, sei = summary.hparams({"lr": 0.1, "opt": "adam"}, {"hp_metric": -1})
    with SummaryWriter(tmp_path) as w:
        fw = w._get_file_writer()  # what Lightning's log_hyperparams does
        for s in (exp, ssi, sei):
            fw.add_summary(s, 3)
        w.file_writer.add_summary(summary.scalar("loss", 0.5), 4, walltime=123.0)
        w.file_writer.add_event(event_pb2.Event(step=9, file_version="x"), walltime=5.0)
    got = summaries(tmp_path)
    assert [t for t, _, _ in got] == [
        "_hparams_/experiment",
        "_hparams_/session_start_info",
        "_hparams_/session_end_info",
        "loss",
    ]
    assert got[0][1] == 3 and got[0][2].metadata.plugin_data.plugin_name == "hparams"
    events = read_events(tmp_path)
    loss = next(e for e in events if e.summary.value and e.summary.value[0].tag == "loss")
    assert (loss.step, loss.wall_time, loss.summary.value[0].simple_value) == (4, 123.0, 0.5)
    assert events[-1].step == 9 and events[-1].wall_time == 5.0


def test_file_writer_add_event_stamps_the_time_as_both_peers(tmp_path: Path) -> None:
    fw = FileWriter(tmp_path)
    before = time.time()
    fw.add_event(event_pb2.Event(wall_time=1.0, step=2))  # an old time is replaced by now
    fw.close()
    ev = read_events(tmp_path)[-1]
    assert ev.step == 2 and before <= ev.wall_time <= time.time()
    with pytest.raises(TypeError, match="event must be a Event protobuf message"):
        FileWriter(tmp_path).add_event("not an event")


def test_file_writer_add_graph_and_reopen(tmp_path: Path) -> None:
    from tbreport.proto import graph_pb2

    fw = FileWriter(logdir=tmp_path)
    gd = graph_pb2.GraphDef(node=[graph_pb2.NodeDef(name="a", op="Const")])
    fw.add_graph((gd, graph_pb2.RunMetadata()), walltime=7.0)
    fw.add_onnx_graph(gd)
    fw.close()
    with pytest.raises(WriterClosedError):
        fw.add_event(event_pb2.Event())
    fw.reopen()
    fw.add_summary(summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="t", simple_value=1)]))
    fw.close()
    events = read_events(tmp_path)
    assert len(list(tmp_path.glob("events.out.tfevents.*"))) == 2
    graphs = [e for e in events if e.graph_def]
    assert len(graphs) == 2 and graphs[0].wall_time == 7.0
    tagged = [e for e in events if e.HasField("tagged_run_metadata")]
    assert [e.tagged_run_metadata.tag for e in tagged] == ["step1"]  # torch's tag


def test_add_scalars_sub_writers_are_in_all_writers(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path) as w:
        w.add_scalars("loss/group", {"train": 1.0, "val": 2.0}, 1)
        assert w.all_writers is not None
        assert sorted(w.all_writers) == sorted(
            [str(tmp_path), str(tmp_path / "loss_group_train"), str(tmp_path / "loss_group_val")]
        )


def test_use_metadata_sets_default_step_and_walltime(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path) as w:
        with w.use_metadata(global_step=17, walltime=13.0):
            w.add_scalar("defaults", 0.1)
            w.add_scalar("explicit_step", 0.2, global_step=7)
            w.add_scalar("explicit_walltime", 0.3, walltime=18.0)
            w.add_text("text", "hi")
            w.file_writer.add_summary(
                summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="fw")])
            )
            with pytest.raises(RuntimeError, match="already active"):
                w.use_metadata(global_step=1).__enter__()
        w.add_scalar("outside", 0.4)
    got = {v.tag: e for e in read_events(tmp_path) for v in e.summary.value}
    assert (got["defaults"].step, got["defaults"].wall_time) == (17, 13.0)
    assert (got["explicit_step"].step, got["explicit_step"].wall_time) == (7, 13.0)
    assert (got["explicit_walltime"].step, got["explicit_walltime"].wall_time) == (17, 18.0)
    assert (got["text/text_summary"].step, got["fw"].step) == (17, 17)
    assert got["outside"].step == 0 and time.time() - got["outside"].wall_time < 60


def test_write_to_disk_false_writes_nothing(tmp_path: Path) -> None:
    run = tmp_path / "never"
    with SummaryWriter(run, write_to_disk=False) as w:
        w.add_scalar("x", 0.1, 0)
        w.add_scalars("s", {"a": 0.1, "b": 0.2}, 0)
        w.add_hparams({"lr": 0.1}, {"m": 1.0})
        w.add_embedding(np.eye(3))
        w.file_writer.add_summary(summary_pb2.Summary())
        w.flush()
        assert w.file_writer.get_logdir() == str(run)
    assert not run.exists()


def test_comet_config_other_than_disabled_is_refused(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path, comet_config={"disabled": True}):
        pass
    with pytest.raises(ValueError, match="Comet"):
        SummaryWriter(tmp_path, comet_config={"api_key": "k"})


def test_export_scalars_to_json_holds_what_add_scalars_logged_since_last_export(
    tmp_path: Path,
) -> None:
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("plain", 1.0, 0)  # not part of the export, as in tensorboardX
        for i in range(3):
            w.add_scalars("g", {"a": i * 0.5, "b": -i}, i, walltime=100.0 + i)
        w.export_scalars_to_json(tmp_path / "all.json")
        w.add_scalars("g", {"a": 9.0}, 3, walltime=200.0)
        w.export_scalars_to_json(tmp_path / "more.json")
    first = json.loads((tmp_path / "all.json").read_text())
    assert first == {
        str(tmp_path / "g_a"): [[100.0, 0, 0.0], [101.0, 1, 0.5], [102.0, 2, 1.0]],
        str(tmp_path / "g_b"): [[100.0, 0, 0.0], [101.0, 1, -1.0], [102.0, 2, -2.0]],
    }
    assert json.loads((tmp_path / "more.json").read_text()) == {
        str(tmp_path / "g_a"): [[200.0, 3, 9.0]],
        str(tmp_path / "g_b"): [],
    }


def test_add_hparams_name_is_tensorboardx_run_name(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1}, {"acc": 0.5}, name="trial1")
        w.add_hparams({"lr": 0.2}, {"acc": 0.6}, "trial2")  # tensorboardX's 3rd positional
        with pytest.raises(TypeError, match="not both"):
            w.add_hparams({"lr": 0.3}, {"acc": 0.7}, run_name="a", name="b")
    for trial in ("trial1", "trial2"):
        tags = [t for t, _, _ in summaries(tmp_path / trial)]
        assert tags == [
            "_hparams_/experiment",
            "_hparams_/session_start_info",
            "_hparams_/session_end_info",
            "acc",
        ]


def test_add_scalar_display_name_and_description(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 0.5, 1, display_name="Loss", summary_description="training loss")
        w.add_scalar("plain", 0.5, 1)
    (loss, plain) = [v for _, _, v in summaries(tmp_path)]
    assert loss.simple_value == 0.5
    assert (loss.metadata.display_name, loss.metadata.summary_description) == (
        "Loss",
        "training loss",
    )
    assert not plain.HasField("metadata")


def test_add_video_dataformats(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    ntchw = rng.random((2, 3, 3, 8, 6)).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_video("a", ntchw, 0)
        w.add_video("b", ntchw.transpose(0, 1, 3, 4, 2), 0, dataformats="NTHWC")
        with pytest.raises(ValueError, match="dataformats"):
            w.add_video("c", ntchw, 0, dataformats="NTCH")
    a, b = (v.image for _, _, v in summaries(tmp_path))
    assert a.encoded_image_string == b.encoded_image_string
    assert (a.height, a.width) == (8, 12)


def test_add_images_takes_a_list_of_images(tmp_path: Path) -> None:
    imgs = [np.full((3, 10, 11), i / 5, dtype=np.float32) for i in range(5)]
    with SummaryWriter(tmp_path) as w:
        w.add_images("chw", imgs, dataformats="CHW")
        w.add_images("hwc", [im.transpose(1, 2, 0) for im in imgs], dataformats="HWC")
        w.add_images("default", imgs)  # a list under the batch default NCHW
        with pytest.raises(ValueError, match="one shape"):
            w.add_images("bad", [np.ones((3, 4, 4)), np.ones((3, 5, 5))], dataformats="CHW")
    got = [v.image for _, _, v in summaries(tmp_path)]
    assert len({im.encoded_image_string for im in got}) == 1
    assert (got[0].height, got[0].width) == (10, 55)


def test_add_openvino_graph_is_refused_with_a_way_out(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path) as w, pytest.raises(NotImplementedError, match="add_onnx_graph"):
        w.add_openvino_graph("model.xml")


def test_writer_without_logdir_uses_the_default_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_c")
    w.close()
    assert w.get_logdir().startswith("runs") and w.get_logdir().endswith("_c")
    assert math.isfinite(len(w.get_logdir()))
