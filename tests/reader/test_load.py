"""tbreport.load against the real corpus and TensorBoard's own readers (expected*.json)."""

from __future__ import annotations

import math
import pathlib
from typing import Any

import numpy as np
import pytest

import tbreport
from tbreport.model import Logdir, Run
from tbreport.reader import events


@pytest.fixture(scope="module")
def logdir(corpus: pathlib.Path) -> Logdir:
    return tbreport.load(corpus)


def _f(v: Any) -> float:
    return float(v)  # "nan", "inf", "-inf" parse too


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def test_lists_every_run(logdir: Logdir, expected: dict[str, Any]) -> None:
    assert list(logdir.runs) == sorted(expected)
    assert "deep/empty/a/b/c" not in logdir.runs


def test_scalars_match_point_for_point(logdir: Logdir, expected_tbreport: dict[str, Any]) -> None:
    total = 0
    for name, exp in expected_tbreport.items():
        run = logdir.runs[name]
        assert set(run.scalars) == set(exp["scalars"]), name
        for tag, points in exp["scalars"].items():
            series = run.scalars[tag]
            assert series.steps.dtype == np.int64 and series.values.dtype == np.float64
            got = list(series)
            assert len(got) == len(points), (name, tag)
            for (step, wall, value), (estep, ewall, evalue) in zip(got, points):
                assert step == estep and wall == ewall, (name, tag, step)
                assert _same(value, _f(evalue)), (name, tag, step, value, evalue)
            total += len(got)
    assert total > 400


def test_legacy_scalars_are_included(logdir: Logdir, expected: dict[str, Any]) -> None:
    for name, exp in expected.items():
        for tag, points in exp["legacy_scalars"].items():
            if name == "torch_resume":
                # EventAccumulator purges on START: that is the purged view
                series = logdir.runs[name].scalars[tag].purged()
            elif name == "edge_cases/crc_corrupt":
                continue  # TensorBoard drops the records after the damaged one; we keep them
            else:
                series = logdir.runs[name].scalars[tag]
            assert [p[0] for p in points] == series.steps.tolist(), (name, tag)


def test_purged_view_matches_event_accumulator_and_ui(
    logdir: Logdir, expected: dict[str, Any]
) -> None:
    run = logdir.runs["torch_resume"]
    loss = run.scalars["resumed/loss"]
    legacy = expected["torch_resume"]["legacy_scalars"]["resumed/loss"]
    assert [(p[0], p[2]) for p in legacy] == [(s, v) for s, _, v in loss.purged()]
    ui = expected["torch_resume"]["scalars"]["resumed/loss"]
    assert [p[0] for p in ui] == loss.purged(skip_first_start=True).steps.tolist()
    assert [p[0] for p in ui] == loss.steps.tolist()  # raw view = as written
    assert [e.status for e in run.session_logs] == ["START"]
    assert run.purged().scalars["resumed/other"].steps.tolist() == list(range(12))


def test_images(logdir: Logdir, expected: dict[str, Any]) -> None:
    checked = 0
    for name, exp in expected.items():
        run = logdir.runs[name]
        for tag, legacy in exp["images"].items():
            series = run.images[tag]
            got = [(p.step, p.images[0].width, p.images[0].height) for p in series]
            assert got == [tuple(i) for i in legacy["items"]], (name, tag)
            assert all(p.images[0].mime_type == "image/png" for p in series)
            checked += 1
        for tag, blobs in exp["ui"].get("images", {}).items():
            series = run.images[tag]
            # blob sequences are [width, height, image, image, ...]
            assert [(p.step, len(p.images) + 2) for p in series] == [
                tuple(i) for i in blobs["items"]
            ]
            checked += 1
    assert checked > 20
    img = logdir.runs["tf2_summaries"].images["tf2/images"].points[0]
    assert len(img.images) == 2
    arr = img.images[0].to_array()
    assert arr.shape[:2] == (img.images[0].height, img.images[0].width)


def test_audio(logdir: Logdir, expected: dict[str, Any]) -> None:
    for name, exp in expected.items():
        run = logdir.runs[name]
        for tag, legacy in exp["audio"].items():
            got = [
                (p.step, p.clips[0].sample_rate, p.clips[0].length_frames, p.clips[0].content_type)
                for p in run.audio[tag]
            ]
            assert got == [tuple(i) for i in legacy["items"]], (name, tag)
        for tag, blobs in exp["ui"].get("audio", {}).items():
            assert [(p.step, len(p.clips)) for p in run.audio[tag]] == [
                tuple(i) for i in blobs["items"]
            ]
    clip = logdir.runs["tf2_summaries"].audio["tf2/audio"].points[0].clips[0]
    assert clip.sample_rate > 0 and clip.length_frames > 0 and clip.data[:4] == b"RIFF"


def test_histograms(logdir: Logdir, expected: dict[str, Any]) -> None:
    checked = 0
    for name, exp in expected.items():
        run = logdir.runs[name]
        for tag, legacy in exp["histograms"].items():
            series = run.histograms[tag]
            assert series.steps.tolist() == legacy["steps"]
            assert [p.total for p in series] == legacy["num"]
            for p in series:
                assert p.counts.sum() == pytest.approx(p.total)
                # TensorBoard's conversion: first left edge = min, last right edge = max
                assert p.left[0] == p.minimum and p.right[-1] == p.maximum
                np.testing.assert_array_equal(p.left[1:], p.right[:-1])
            checked += 1
        for tag, ui in exp["ui"].get("histograms", {}).items():
            series = run.histograms[tag]
            assert series.steps.tolist() == ui["steps"]
            assert [[p.num_buckets, 3] for p in series] == ui["shape"], (name, tag)
            checked += 1
    assert checked > 10


def test_text(logdir: Logdir, expected: dict[str, Any]) -> None:
    checked = 0
    for name, exp in expected.items():
        run = logdir.runs[name]
        for tag, items in exp["text"].items():
            got = []
            for p in run.texts[tag]:
                got.append([p.step, p.values[0] if p.shape == () else list(p.values)])
            assert got == items, (name, tag)
            checked += 1
    assert checked >= 8


def test_pr_curves(logdir: Logdir, expected: dict[str, Any]) -> None:
    checked = 0
    for name, exp in expected.items():
        for tag, pr in exp["pr_curves"].items():
            series = logdir.runs[name].pr_curves[tag]
            assert series.steps.tolist() == pr["steps"]
            for p in series:
                assert p.num_thresholds == pr["num_thresholds"]
                assert p.thresholds[-1] == 1.0
                assert np.all((p.precision >= 0) & (p.precision <= 1))
            checked += 1
    assert checked >= 3


def test_tensors_all_found(logdir: Logdir, expected: dict[str, Any]) -> None:
    where = {
        "scalars": "scalars",
        "images": "images",
        "histograms": "histograms",
        "text": "texts",
        "audio": "audio",
        "pr_curves": "pr_curves",
        None: "tensors",
    }
    for name, exp in expected.items():
        run = logdir.runs[name]
        for tag, t in exp["tensors"].items():
            if t["plugin"] == "hparams":
                assert run.hparams is not None
                continue
            series = getattr(run, where[t["plugin"]])[tag]
            assert series.steps.tolist() == t["steps"], (name, tag)
    raw = logdir.runs["tf2_summaries"].tensors["tf2/raw_tensor"].points[0]
    assert raw.dtype == "float32" and raw.shape == (2, 2)


def test_float64_tensor_scalars_keep_precision(logdir: Logdir) -> None:
    series = logdir.runs["torch_scalars"].scalars["new_style/float64_tensor"]
    assert series.values[0] == 1 / 3


def test_hparams(logdir: Logdir, expected: dict[str, Any]) -> None:
    checked = 0
    for name, exp in expected.items():
        hp = logdir.runs[name].hparams
        if not exp["hparams"]:
            assert hp is None, name
            continue
        assert hp is not None
        for entry in exp["hparams"].values():
            data = entry["data"]
            if entry["kind"] == "experiment":
                assert [i.name for i in hp.hparam_infos] == [h["name"] for h in data["hparamInfos"]]
                assert [m.tag for m in hp.metric_infos] == [
                    m["name"]["tag"] for m in data["metricInfos"]
                ]
                for info, h in zip(hp.hparam_infos, data["hparamInfos"]):
                    assert (
                        info.type
                        == {
                            "DATA_TYPE_FLOAT64": "float",
                            "DATA_TYPE_STRING": "string",
                            "DATA_TYPE_BOOL": "bool",
                        }[h["type"]]
                    )
                    assert list(info.domain) == h.get("domainDiscrete", [])
            elif entry["kind"] == "session_start_info":
                assert hp.values == data["hparams"]
            else:
                assert hp.status == data["status"]
            checked += 1
    assert checked >= 15
    rows = {r.run: r for r in logdir.hparams_table()}
    assert set(rows) == {
        "torch_hparams/trial_0",
        "torch_hparams/trial_1",
        "torch_hparams/trial_2",
        "tbx_hparams/tbx_trial_0",
        "tbx_hparams/tbx_trial_1",
    }
    trial = rows["torch_hparams/trial_0"]
    assert trial.hparams["optimizer"] == "adam"
    assert trial.metrics == {"hparam/accuracy": 0.5, "hparam/loss": 1.0}
    assert trial.status == "STATUS_SUCCESS"


def test_graphs(logdir: Logdir, expected: dict[str, Any]) -> None:
    for name, exp in expected.items():
        run = logdir.runs[name]
        assert (run.graph is not None) == (exp["graph"] or exp["meta_graph"]), name
        if run.graph is not None:
            assert len(run.graph) == exp["graph_node_count"]
        assert run.run_metadata_tags == exp["run_metadata_tags"]
    graph = logdir.runs["torch_graph"].graph
    assert graph is not None
    node = next(n for n in graph.nodes if n.name == "input/x.1")
    assert node.op == "IO Node" and node.output_shapes == ((2, 1, 14, 14),)
    assert any(n.inputs for n in graph.nodes)
    tf1 = logdir.runs["tf1_graph_mode"].graph
    assert tf1 is not None and tf1.source == "graph_def"
    assert any("dtype" in n.attrs for n in tf1.nodes)


def test_projector(logdir: Logdir) -> None:
    config = logdir.runs["torch_embed"].projector
    assert config is not None
    names = [e.tensor_name for e in config.embeddings]
    assert names == ["features:00000", "multi_col:00001"]
    first = config.embeddings[0]
    assert pathlib.Path(first.tensor_path).is_file()
    assert pathlib.Path(first.sprite_path).is_file()
    assert first.sprite_single_image_dim == (8, 8)
    assert logdir.runs["tbx_basic"].projector is not None


def test_metadata_only_on_first_value_is_remembered(logdir: Logdir) -> None:
    tf2 = logdir.runs["tf2_summaries"]
    assert len(tf2.scalars["tf2/loss"]) == 20  # later values carry no metadata
    assert len(tf2.histograms["tf2/hist"]) == 4
    tbx = logdir.runs["tbx_basic"]
    series = tbx.scalars["tbx/with_display_name"]
    assert series.display_name or series.description


def test_damaged_files_are_warnings(logdir: Logdir) -> None:
    text = "\n".join(str(w) for w in logdir.warnings)
    assert "crc_corrupt" in text and "record 5 (byte 230)" in text
    assert "truncated" in text and "cut short" in text
    assert "empty_file" in text and "garbage_file" in text
    assert all("\n" not in str(w) for w in logdir.warnings)
    crc = logdir.runs["edge_cases/crc_corrupt"]
    assert crc.scalars["edge/value"].steps.tolist() == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    assert crc.files[0].damaged == 1 and crc.files[0].records == 11
    assert len(logdir.runs["edge_cases/truncated"].scalars["edge/value"]) == 10
    assert logdir.runs["edge_cases/empty_file"].kinds() == ()


def test_fast_and_protobuf_paths_agree(
    corpus: pathlib.Path, logdir: Logdir, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = tbreport.load(corpus, use_fast_path=False)
    monkeypatch.setattr(events, "FAST_PATH_MIN_BYTES", 0)  # every file, however small
    fast = tbreport.load(corpus)
    assert list(slow.runs) == list(logdir.runs) == list(fast.runs)
    for name, run in fast.runs.items():
        assert run.kinds() == logdir.runs[name].kinds()
        for kind in ("images", "histograms", "texts", "audio", "pr_curves", "tensors"):
            assert {t: x.steps.tolist() for t, x in getattr(run, kind).items()} == {
                t: x.steps.tolist() for t, x in getattr(slow.runs[name], kind).items()
            }
        other = slow.runs[name]
        assert list(run.scalars) == list(other.scalars)
        for tag, series in run.scalars.items():
            o = other.scalars[tag]
            np.testing.assert_array_equal(series.steps, o.steps)
            np.testing.assert_array_equal(series.wall_times, o.wall_times)
            np.testing.assert_array_equal(series.values, o.values)
            assert series.restarts == o.restarts
    assert [str(w) for w in slow.warnings] == [str(w) for w in fast.warnings]
    assert [str(w) for w in slow.warnings] == [str(w) for w in logdir.warnings]


def test_parallel_load_is_the_same(corpus: pathlib.Path, logdir: Logdir) -> None:
    par = tbreport.load(corpus, workers=2)
    assert list(par.runs) == list(logdir.runs)
    for name, run in logdir.runs.items():
        assert run.point_count() == par.runs[name].point_count()
    assert [str(w) for w in par.warnings] == [str(w) for w in logdir.warnings]


def test_single_event_file_and_several_logdirs(corpus: pathlib.Path) -> None:
    f = next((corpus / "torch_pr").glob("*tfevents*"))
    one = tbreport.load(f)
    assert list(one.runs) == ["."]
    assert one.runs["."].kinds() == ("pr_curves",)
    both = tbreport.load([corpus / "exp1", corpus / "torch_pr"])
    assert list(both.runs) == ["exp1/lr_0.01", "exp1/lr_0.1", "torch_pr"]


def test_run_helpers(logdir: Logdir) -> None:
    run: Run = logdir.runs["torch_scalars"]
    assert run.scalars["edge/negative_and_huge_steps"].step_range() == (-5, 2**40)
    assert run.scalars["loss"].last() is not None


def test_reading_imports_no_rendering_libraries(corpus: pathlib.Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys, tbreport; tbreport.load(sys.argv[1]); "
        "heavy = {'matplotlib', 'jinja2', 'graphviz', 'PIL', 'torch'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(corpus)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_hparams_joined_with_sub_runs_tf_layout(tmp_path: pathlib.Path) -> None:
    """TF's hparams API: the experiment in the logdir root, one session per trial run,
    metrics in the trial's sub-runs named by the metric's group."""
    from google.protobuf import struct_pb2

    from tbreport.proto import event_pb2, hparams_pb2
    from tbreport.record import encode_record

    def write(run: str, *events: event_pb2.Event) -> None:
        (tmp_path / run).mkdir(parents=True, exist_ok=True)
        head = event_pb2.Event(file_version="brain.Event:2")
        data = b"".join(encode_record(e.SerializeToString()) for e in (head, *events))
        (tmp_path / run / "events.out.tfevents.1.h").write_bytes(data)

    def plugin(tag: str, data: hparams_pb2.HParamsPluginData) -> event_pb2.Event:
        e = event_pb2.Event()
        v = e.summary.value.add(tag=tag)
        v.metadata.plugin_data.plugin_name = "hparams"
        v.metadata.plugin_data.content = data.SerializeToString()
        return e

    def scalar(tag: str, step: int, x: float) -> event_pb2.Event:
        e = event_pb2.Event(step=step)
        e.summary.value.add(tag=tag, simple_value=x)
        return e

    exp = hparams_pb2.HParamsPluginData(
        experiment=hparams_pb2.Experiment(
            hparam_infos=[hparams_pb2.HParamInfo(name="lr", type=hparams_pb2.DATA_TYPE_FLOAT64)],
            metric_infos=[
                hparams_pb2.MetricInfo(
                    name=hparams_pb2.MetricName(group="validation", tag="acc"), display_name="Acc"
                )
            ],
        )
    )
    write(".", plugin("_hparams_/experiment", exp))
    for trial, lr, accs in (("t0", 0.1, [0.5, 0.7]), ("t1", 0.01, [0.6])):
        start = hparams_pb2.HParamsPluginData(
            session_start_info=hparams_pb2.SessionStartInfo(
                hparams={"lr": struct_pb2.Value(number_value=lr)}
            )
        )
        end = hparams_pb2.HParamsPluginData(
            session_end_info=hparams_pb2.SessionEndInfo(status=hparams_pb2.STATUS_SUCCESS)
        )
        write(
            trial,
            plugin("_hparams_/session_start_info", start),
            plugin("_hparams_/session_end_info", end),
        )
        write(f"{trial}/validation", *(scalar("acc", i, a) for i, a in enumerate(accs)))
    logdir = tbreport.load(tmp_path)
    rows = {r.run: r for r in logdir.hparams_table()}
    assert set(rows) == {"t0", "t1"}
    assert rows["t0"].hparams == {"lr": 0.1}
    assert rows["t0"].metrics == {"Acc": 0.699999988079071}
    assert rows["t1"].metrics == {"Acc": 0.6000000238418579}
    assert rows["t1"].status == "STATUS_SUCCESS"
    assert logdir.runs["."].hparams is not None
    assert [i.name for i in logdir.runs["."].hparams.hparam_infos] == ["lr"]
