"""The test logdirs are what they claim, as TensorBoard reads them, and byte-stable.

TensorBoard's own readers (``EventMultiplexer`` + ``EventAccumulator`` and the
``plugin_event_accumulator`` behind its UI) are the reader of truth; they run in a
child process capped in time and address space (``tests.logdirs._oracle``), so a
hostile logdir can't take the machine down. ``tbreport.load`` must see the same
runs and points on the logdirs made for issue #9 (the healthy real-world
shapes). For the hostile logdirs of issue #12 the tests pin down what TensorBoard
does with them, which is what each builder's docstring records.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tbreport
from tbreport.fmt import shown_name
from tests import logdirs
from tests.logdirs import _models
from tests.logdirs._oracle import tensorboard_reading
from tests.logdirs._write import digests

pytest.importorskip("tensorboard")

ROOT = Path(__file__).resolve().parent.parent
HEALTHY = [name for name, issue in logdirs.FOR_ISSUE.items() if issue == 9]
HOSTILE = [name for name, issue in logdirs.FOR_ISSUE.items() if issue == 12]
SMALL = {"big_images": {"megabytes": 2}, "graph_stress": {"nodes": 5000}}
"""Parameters that keep the slow-to-read logdirs small in tests (defaults elsewhere)."""
SIZE_LIMIT_MB = {"big_images": 2.5, "bad_names": 5.2, "graph_stress": 2.5}
PLUGINS = (
    "scalars",
    "images",
    "histograms",
    "text",
    "pr_curves",
    "audio",
    "hparams",
    "graphs",
    "graph_tagged_run_metadata",
    "graph_keras_model",
    "acme_attention_maps",
    "mesh",
)
LOAD_KINDS = {
    "scalars": "scalars",
    "images": "images",
    "histograms": "histograms",
    "text": "texts",
    "pr_curves": "pr_curves",
    "audio": "audio",
}


TINY = {**SMALL, "realistic": {"steps": 300}, "big_images": {"megabytes": 0.5, "pool": 2}}
"""Parameters for the determinism check: what depends on the process is the same at any size."""
_FOREIGN_BUILD = (
    "import json, sys\n"
    "from pathlib import Path\n"
    "from tests import logdirs\n"
    "from tests.logdirs._write import digests\n"
    "params = json.loads(sys.argv[2])\n"
    "out = {}\n"
    "for name in logdirs.BUILDERS:\n"
    "    root = logdirs.build(name, Path(sys.argv[1]) / name, **params.get(name, {}))\n"
    "    out[name] = digests(root)\n"
    "print(json.dumps(out))\n"
)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every logdir, built once per session (hostile ones at test size)."""
    base = tmp_path_factory.mktemp("logdirs")
    return {
        name: logdirs.build(name, base / name, **SMALL.get(name, {})) for name in logdirs.BUILDERS
    }


@pytest.fixture(scope="session")
def readings(built: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """TensorBoard's reading of each logdir (computed lazily, once)."""

    class Lazy(dict):  # type: ignore[type-arg]
        def __missing__(self, name: str) -> dict[str, Any]:
            detail = name != "mutations"
            self[name] = tensorboard_reading(
                built[name], timeout=120, memory_mb=2048, detail=detail
            )
            return self[name]

    return Lazy()


def _tb_runs(reading: dict[str, Any]) -> dict[str, Any]:
    assert reading["status"] == "ok", reading.get("stderr_tail")
    return reading["runs"]


def _check_run(name: str, run: dict[str, Any], claim: dict[str, Any]) -> None:
    """One run of TensorBoard's reading against the builder's claim."""
    plugins = run.get("plugins", {})
    for plugin in PLUGINS:
        if plugin in claim:
            assert plugins.get(plugin) == claim[plugin], (name, plugin)
    if claim.get("empty"):
        assert plugins == {}, name
    if "only" in claim:
        assert sorted(plugins) == claim["only"], name
    if "graph_nodes" in claim:
        assert run["graph"] == {"nodes": claim["graph_nodes"]}, name
    if "legacy_scalars" in claim:
        assert {t: s["n"] for t, s in run["scalars"].items()} == claim["legacy_scalars"], name
    for key in ("max", "last"):
        for tag, value in claim.get(key, {}).items():
            assert run["scalars"][tag][key] == pytest.approx(value, rel=1e-6), (name, tag, key)
    for tag, size in claim.get("image_sizes", {}).items():
        assert tuple(run["images"][tag]["first"][:2]) == tuple(size), (name, tag)
    if "keras_graph" in claim:
        assert run["tensors"]["keras"]["keras_graph"] == claim["keras_graph"], name


# ------------------------------------------------------------------ issue 9: healthy shapes


@pytest.mark.parametrize("name", HEALTHY)
def test_tensorboard_reads_what_the_builder_claims(
    name: str, built: dict[str, Path], readings: dict[str, Any]
) -> None:
    runs = _tb_runs(readings[name])
    claims = logdirs.claims(name, **SMALL.get(name, {}))
    assert sorted(runs) == sorted(claims)
    for run, claim in claims.items():
        _check_run(run, runs[run], claim)
    assert not readings[name].get("discovery_error")


@pytest.mark.parametrize("name", HEALTHY)
def test_tbreport_reads_the_same_points(
    name: str, built: dict[str, Path], readings: dict[str, Any]
) -> None:
    runs = _tb_runs(readings[name])
    loaded = tbreport.load(built[name])
    assert set(loaded.runs) == set(runs)  # symlinked: runs/latest too, as TensorBoard lists it
    for run_name, run in loaded.runs.items():
        plugins = runs[run_name].get("plugins", {})
        for plugin, attr in LOAD_KINDS.items():
            got = {
                t: len(s) if attr == "scalars" else len(s.points)
                for t, s in getattr(run, attr).items()
            }
            assert got == plugins.get(plugin, {}), (run_name, plugin)
        assert (run.hparams is not None) == ("hparams" in plugins), run_name
        tb_graph = runs[run_name]["graph"]
        got_nodes = len(run.graph.nodes) if run.graph is not None else None
        assert got_nodes == (tb_graph["nodes"] if tb_graph else None), run_name


def test_realistic_verdict_is_clear(built: dict[str, Path], readings: dict[str, Any]) -> None:
    runs = _tb_runs(readings["realistic"])
    best = {name: run["scalars"]["val/acc"]["max"] for name, run in runs.items()}
    ranked = sorted(best, key=best.__getitem__)
    assert ranked[-1] == "resnet14_sgd_lr0.1_bs128_cosine"
    assert best[ranked[-1]] - best[ranked[-2]] > 0.015
    for run in runs.values():
        assert run["scalars"]["hparam/val_acc"]["last"] == pytest.approx(
            run["scalars"]["val/acc"]["last"]
        )
    lr = [run["scalars"]["train/lr"] for run in runs.values()]
    assert max(s["max"] for s in lr) / min(s["min"] for s in lr) >= 1e3
    grad = runs["resnet14_adam_lr1e-3_bs128"]["scalars"]["train/grad_norm"]
    assert grad["max"] > 10 * grad["last"]  # spikes well above the trend


@pytest.mark.skipif(not _models.torch_available(), reason="the graph needs torch")
def test_realistic_graph_is_torchs_own(built: dict[str, Path]) -> None:
    run = tbreport.load(built["realistic"]).runs["resnet14_adam_lr1e-3_bs128"]
    assert run.graph is not None and len(run.graph.nodes) == 228
    assert run.run_metadata_tags == ["step1"]
    assert any(n.name.startswith("ResNet/Sequential[layer2]") for n in run.graph.nodes)


@pytest.mark.parametrize("name", ["realistic", "hf_trainer"])
def test_without_torch_tbreports_writer_writes_the_same_shapes(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_models, "torch_available", lambda: False)
    params = {"steps": 200} if name == "realistic" else {}
    root = logdirs.build(name, tmp_path / name, **params)
    runs = _tb_runs(tensorboard_reading(root, timeout=120, memory_mb=2048))
    claims = logdirs.claims(name, **params)
    assert sorted(runs) == sorted(claims)
    for run, claim in claims.items():
        _check_run(run, runs[run], claim)
        assert runs[run]["graph"] is None, run
    writers = {f.writer for run in tbreport.load(root).runs.values() for f in run.files}
    assert writers == {"tbreport"}


def test_keras_images_are_shaped_as_keras_logs_them(built: dict[str, Path]) -> None:
    import numpy as np

    from tests.logdirs.keras import weight_images

    assert [i.shape for i in weight_images(np.zeros(512))] == [(512, 1)]
    assert [i.shape for i in weight_images(np.zeros((64, 512)))] == [(64, 512)]
    assert [i.shape for i in weight_images(np.zeros((512, 10)))] == [(10, 512)]
    assert [i.shape for i in weight_images(np.zeros((3, 3, 1, 64)))] == [(3, 3)] * 3
    assert weight_images(np.zeros((3, 3, 64, 64))) is None
    run = tbreport.load(built["keras"]).runs["20260101-010000/train"]
    sizes = {
        tag: [(i.width, i.height) for i in s.points[0].images] for tag, s in run.images.items()
    }
    assert sizes["dense/bias_0/image"] == [(1, 512)]
    assert sizes["dense/kernel_0/image"] == [(512, 64)]
    assert sizes["dense_1/kernel_0/image"] == [(512, 10)]
    assert sizes["conv2d/kernel_0/image"] == [(3, 3)] * 3


def test_keras_experiments_differ_as_keras_versions_do(readings: dict[str, Any]) -> None:
    runs = _tb_runs(readings["keras"])
    k3 = runs["20260101-000000/train"]["plugins"]["histograms"]
    assert k3["kernel/histogram"] == 4 * 20  # four kernels share one tag per epoch
    k2 = runs["20260101-010000/train"]["plugins"]["histograms"]
    assert "conv2d/kernel_0/histogram" in k2 and "kernel/histogram" not in k2


def test_restarted_gate_value(readings: dict[str, Any]) -> None:
    run = _tb_runs(readings["restarted"])["HalfCheetah-v4_ppo"]["scalars"]["Eval_AverageReturn"]
    assert run["max"] == pytest.approx(280.4) and run["last"] == pytest.approx(195.4)
    assert run["steps_back"] == 4  # five restarts, one of them purged by TensorBoard's reader


def test_restarted_naive_last_value_per_step_trips_the_gate(built: dict[str, Path]) -> None:
    series = (
        tbreport.load(built["restarted"]).runs["HalfCheetah-v4_ppo"].scalars["Eval_AverageReturn"]
    )
    later = dict(zip(series.steps.tolist(), series.values.tolist()))  # later value per step wins
    assert max(later.values()) == pytest.approx(195.4)
    assert max(series.values) == pytest.approx(280.4)


def test_many_runs_half_empty(readings: dict[str, Any]) -> None:
    runs = _tb_runs(readings["many_runs"])
    assert len(runs) == 78
    assert sum(1 for r in runs.values() if not r["plugins"]) == 20
    assert sum(1 for r in runs.values() if set(r["plugins"]) == {"hparams"}) == 18
    assert sorted(runs) == sorted(logdirs.many_runs.colour_order())
    assert sorted(runs).index("resnet20_adam_lr1e-3_bs128_seed10") < sorted(runs).index(
        "resnet20_adam_lr1e-3_bs128_seed2"
    )


def test_monai_gifs_declare_a_size_they_do_not_have(built: dict[str, Path]) -> None:
    from PIL import Image

    run = tbreport.load(built["small_images"]).runs["monai_unet"]
    for series in run.images.values():
        image = series.points[0].images[0]
        assert (image.width, image.height) == (10, 10)
        with Image.open(io.BytesIO(image.data)) as decoded:
            assert decoded.format == "GIF" and decoded.size == (96, 96) and decoded.n_frames == 24


def test_hf_trainer_texts_are_whole_json_documents(built: dict[str, Path]) -> None:
    run = tbreport.load(built["hf_trainer"]).runs["runs/Jan01_00-00-00_tbhost"]
    args = json.loads(run.texts["args/text_summary"].points[0].values[0])
    assert len(args) == 103 and args["logging_steps"] == 50
    config = json.loads(run.texts["model_config/text_summary"].points[0].values[0])
    assert config["id2label"] == {"0": "not_equivalent", "1": "equivalent"}


def test_tf1_graph_is_deep_and_shaped(built: dict[str, Path]) -> None:
    run = tbreport.load(built["tf1_graph"]).runs["ptb_lstm"]
    assert run.graph is not None and len(run.graph.nodes) == 625
    names = [n.name for n in run.graph.nodes]
    assert max(n.count("/") for n in names) >= 8
    assert any(n.startswith("rnn/while/rnn/multi_rnn_cell/cell_1/lstm_cell/") for n in names)
    assert any(n.startswith("save/") for n in names) and any(n.endswith("/Adam_1") for n in names)
    from tests.logdirs._graphs import tf1_lstm_graph

    assert all("_output_shapes" in n.attr for n in tf1_lstm_graph().node)  # add_shapes=True


# ------------------------------------------------------------------ issue 12: hostile input


def test_huge_claims_blow_up_tensorboards_make_ndarray(readings: dict[str, Any]) -> None:
    runs = _tb_runs(readings["huge_claims"])
    assert sorted(runs) == sorted(logdirs.claims("huge_claims"))
    for name, run in runs.items():
        assert run["plugins"]["scalars"]["ok/loss"] == 1, name  # loading itself is safe
    memory = {
        name
        for name, run in runs.items()
        if any("MemoryError" in t.get("ndarray_error", "") for t in run["tensors"].values())
    }
    assert memory == {
        "text_shape_huge",
        "image_tensor_batch",
        "audio_tensor",
        "histogram_tensor",
        "pr_curve_thresholds",
        "scalar_tensor_shape",
    }
    assert runs["text_shape_large"]["tensors"]["text"]["ndarray_shape"] == [10_000, 1_000]
    assert runs["image_claimed_size"]["images"]["image"]["first"][:2] == [2**31 - 1, 2**31 - 1]
    assert runs["graph_claims"]["graph"] == {"nodes": 3}


def test_huge_claims_are_tiny_on_disk(built: dict[str, Path]) -> None:
    for run in logdirs.claims("huge_claims"):
        if run in ("hparams_counts", "graph_claims"):
            continue
        (event_file,) = (built["huge_claims"] / run).iterdir()
        assert event_file.stat().st_size < 300, run  # header + ok/loss + the ~170-byte claim


def test_extreme_values_load_in_tensorboard(readings: dict[str, Any]) -> None:
    runs = _tb_runs(readings["extreme_values"])
    claims = logdirs.claims("extreme_values")
    assert sorted(runs) == sorted(claims)
    for name, claim in claims.items():
        _check_run(name, runs[name], claim)
    assert runs["walltime_ns"]["scalars"]["loss"]["first_wall"] == pytest.approx(1.7672256e18)
    steps = runs["steps_int64"]["scalars"]
    assert steps["steps/near_max"]["last_step"] == 2**63 - 1 and steps["steps/min"][
        "first_step"
    ] == -(2**63)
    assert runs["float32_edges"]["scalars"]["float32/edges"]["non_finite"] == 1  # 1e39 -> inf
    assert runs["histograms_tf1"]["histograms"]["hist/neg_inf"]["min"] == "-inf"


def test_bad_names_break_tensorboards_discovery(
    built: dict[str, Path], readings: dict[str, Any]
) -> None:
    reading = readings["bad_names"]
    assert "UnicodeEncodeError" in reading["discovery_error"]
    runs = _tb_runs(reading)
    assert sorted(runs) == logdirs.bad_names.run_names()
    for name, run in runs.items():
        if name in logdirs.bad_names.NON_UTF8_RUNS:
            assert "UnicodeEncodeError" in run["legacy_error"], name
        else:
            _check_run(name, run, logdirs.claims("bad_names")[name])
    # tbreport reads every run TensorBoard lists; a name that is not UTF-8 is keyed as
    # shown (\xNN escapes), the path it came from kept as it is
    loaded = tbreport.load(built["bad_names"]).runs
    assert sorted(loaded) == sorted(shown_name(name) for name in runs)
    assert {Path(r.path).name for r in loaded.values() if r.name != "."} <= {
        Path(name).name for name in runs
    }


def test_bad_names_without_non_utf8_load_in_tensorboard(tmp_path: Path) -> None:
    root = logdirs.build_bad_names(tmp_path / "bad", non_utf8=False)
    reading = tensorboard_reading(root, timeout=120, memory_mb=2048, detail=False)
    assert reading["status"] == "ok" and "discovery_error" not in reading
    assert sorted(reading["runs"]) == logdirs.bad_names.run_names(non_utf8=False)


def test_graph_stress_node_counts(readings: dict[str, Any]) -> None:
    runs = _tb_runs(readings["graph_stress"])
    for name, claim in logdirs.claims("graph_stress", **SMALL["graph_stress"]).items():
        _check_run(name, runs[name], claim)


def test_big_images_reach_their_size(built: dict[str, Path], readings: dict[str, Any]) -> None:
    runs = _tb_runs(readings["big_images"])
    claims = logdirs.claims("big_images", **SMALL["big_images"])
    for name in ("gan_celeba", "unet_val"):
        _check_run(name, runs[name], claims[name])
    assert 2.0 <= _size_mb(built["big_images"]) <= 2.5
    stamped = [
        i.images[0].data
        for i in tbreport.load(built["big_images"])
        .runs["unet_val"]
        .images["val/predictions"]
        .points
    ]
    assert len(set(stamped)) == len(stamped)  # every step has its own bytes


def test_mutants_are_deterministic_and_varied(built: dict[str, Path], tmp_path: Path) -> None:
    again = logdirs.build_mutations(tmp_path / "again")
    assert digests(again) == digests(built["mutations"])
    names = sorted(os.listdir(built["mutations"]))
    assert len(names) == 60 and {n.split("_", 2)[2] for n in names} == set(logdirs.mutations.KINDS)


def test_tensorboard_survives_mutants_bounded(readings: dict[str, Any]) -> None:
    reading = readings["mutations"]
    runs = _tb_runs(reading)  # the child finished within its time and memory limits
    assert len(runs) == 60
    failed = {n for n, r in runs.items() if "legacy_error" in r}
    # TensorBoard's EventAccumulator gives up on a whole run at a record protobuf refuses
    # (DecodeError) and tries to allocate a lying length field (MemoryError/OverflowError).
    assert failed and all(
        n.split("_", 2)[2]
        in {
            "payload_bytes",
            "huge_varint",
            "nested_lie",
            "bad_utf8",
            "length_lie",
            "bitflip",
            "splice",
            "field_values",
        }
        for n in failed
    )


# ------------------------------------------------------------------ every logdir


@pytest.mark.parametrize("name", list(logdirs.BUILDERS))
def test_small_on_disk(name: str, built: dict[str, Path]) -> None:
    assert _size_mb(built[name]) <= SIZE_LIMIT_MB.get(name, 4.0)


def test_same_bytes_in_another_process(built: dict[str, Path], tmp_path: Path) -> None:
    """Names and bytes do not depend on the process (pid, hash seeds, writer counters)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="12345")
    proc = subprocess.run(
        [sys.executable, "-c", _FOREIGN_BUILD, str(tmp_path / "theirs"), json.dumps(TINY)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    theirs = json.loads(proc.stdout)
    for name in logdirs.BUILDERS:
        if TINY.get(name) == SMALL.get(name):
            ours = built[name]  # already built with these parameters
        else:
            ours = logdirs.build(name, tmp_path / "ours" / name, **TINY[name])
        assert theirs[name] == digests(ours), name


def test_cli_writes_one_logdir(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "tests.logdirs", "one_value_tags", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    assert "one_value_tags" in proc.stdout
    assert sorted(os.listdir(tmp_path / "o")) == ["baseline", "wider"]


def _size_mb(root: Path) -> float:
    total = 0
    for dirpath, _dirs, files in os.walk(os.fsencode(root)):
        for name in files:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                total += os.path.getsize(path)
    return total / 1e6
