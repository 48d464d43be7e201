"""What tbreport writes equals what torch writes, and TensorBoard reads it back exactly.

The same calls go through ``torch.utils.tensorboard.SummaryWriter`` and
tbreport's; the parsed ``Event`` messages must be equal (images compared by
decoded pixels, since PNG encoders may differ in bytes). Then TensorBoard's own
``EventAccumulator`` and data provider read tbreport's files.
"""

from __future__ import annotations

import io
import math
import sys
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tbreport import SummaryWriter
from tbreport.proto import event_pb2
from tbreport.record import iter_records

torch = pytest.importorskip("torch")
pytest.importorskip("tensorboard")
from PIL import Image  # noqa: E402
from torch.utils.tensorboard import SummaryWriter as TorchWriter  # noqa: E402

WALL = 1700000000.25
rng = np.random.default_rng(0)
IMG_CHW = rng.random((3, 10, 12)).astype(np.float32)
IMG_HWC_U8 = rng.integers(0, 256, (9, 7, 3), dtype=np.uint8)
IMG_HW = rng.random((6, 5))
IMG_RGBA = rng.random((4, 8, 8)).astype(np.float32)
BATCH_NCHW = rng.random((5, 3, 6, 6)).astype(np.float32)
BATCH_NHWC_U8 = rng.integers(0, 256, (3, 4, 4, 1), dtype=np.uint8)
HIST = rng.normal(size=2000)
# A sum of squares whose BLAS dot (torch's) differs in the last bits between kernels
BLAS_HIST = np.random.default_rng(0).normal(size=2000)
LABELS = rng.random(300) > 0.4
PREDS = rng.random(300).astype(np.float32)
AUDIO = np.sin(np.linspace(0, 60, 1600)) * 0.8


def _calls(w: Any) -> None:
    w.add_scalar("loss", 0.5, 1, walltime=WALL)
    w.add_scalar("训练损失值", 1.25, 2, walltime=WALL)
    w.add_scalar("<script>alert(1)</script>", float("nan"), 3, walltime=WALL)
    w.add_scalar("special", float("inf"), 4, walltime=WALL)
    w.add_scalar("special", 1e300, 5, walltime=WALL)
    w.add_scalar("special", 123456789.123, 6, walltime=WALL)
    w.add_scalar("special", -0.0, 7, walltime=WALL)
    w.add_scalar("edge/no_step", 3.0, walltime=WALL)
    w.add_scalar("new_style/f32", 0.125, 8, walltime=WALL, new_style=True)
    w.add_scalar("new_style/f64", 0.125, 8, walltime=WALL, new_style=True, double_precision=True)
    w.add_image("img/chw", IMG_CHW, 1, walltime=WALL)
    w.add_image("img/hwc", IMG_HWC_U8, 1, walltime=WALL, dataformats="HWC")
    w.add_image("img/hw", IMG_HW, 1, walltime=WALL, dataformats="HW")
    w.add_image("img/rgba", IMG_RGBA, 1, walltime=WALL)
    w.add_images("img/batch", BATCH_NCHW, 1, walltime=WALL)
    w.add_images("img/batch_hwc", BATCH_NHWC_U8, 1, walltime=WALL, dataformats="NHWC")
    w.add_histogram("hist/tf", HIST, 1, walltime=WALL)
    w.add_histogram("hist/fd", HIST, 2, bins="fd", walltime=WALL)
    w.add_histogram("hist/ten", HIST, 3, bins=10, walltime=WALL)
    w.add_histogram("hist/max", HIST, 4, bins="auto", max_bins=7, walltime=WALL)
    w.add_histogram("hist/const", np.full(50, 3.0), 5, walltime=WALL)
    w.add_histogram("hist/blas", BLAS_HIST, 6, walltime=WALL)
    w.add_histogram_raw(
        "hist/raw", 0.0, 3.0, 6, 9.0, 17.0, [1.0, 2.0, 3.0], [1, 2, 3], 6, walltime=WALL
    )
    w.add_text("text", "# Title\n\n* a\n* <b>b</b>", 1, walltime=WALL)
    w.add_text("text/中文", "你好", 2, walltime=WALL)
    w.add_pr_curve("pr", LABELS, PREDS, 1, walltime=WALL)
    w.add_pr_curve("pr/few", LABELS, PREDS, 2, num_thresholds=11, walltime=WALL)
    tp = np.array([5.0, 3, 1])
    w.add_pr_curve_raw(
        "pr/raw", tp, tp, tp, tp, tp / 10, tp / 10, 3, num_thresholds=3, walltime=WALL
    )
    w.add_audio("audio", AUDIO, 1, sample_rate=8000, walltime=WALL)
    w.add_custom_scalars(
        {"Losses": {"both": ["Multiline", ["loss", "val"]], "m": ["Margin", ["a", "b", "c"]]}}
    )
    boxes = np.array([[1.0, 1.0, 8.0, 6.0], [3.0, 2.0, 11.0, 9.0]])
    w.add_image_with_boxes("boxes", IMG_CHW, boxes, 1, walltime=WALL)
    w.add_image_with_boxes(
        "boxes/labelled", IMG_CHW, boxes, 2, walltime=WALL, rescale=2, labels=["cat", "dog"]
    )


def _normalise(event: event_pb2.Event) -> event_pb2.Event:
    """Replace image bytes by their decoded pixels and drop wall times we did not set."""
    e = event_pb2.Event()
    e.CopyFrom(event)
    for v in e.summary.value:
        if v.HasField("image"):
            px = np.asarray(Image.open(io.BytesIO(v.image.encoded_image_string)))
            v.image.encoded_image_string = px.tobytes() + str(px.shape).encode()
    if (
        e.HasField("summary")
        and e.summary.value
        and e.summary.value[0].tag == "custom_scalars__config__"
    ):
        e.wall_time = 0
    return e


def _events(run_dir: Path) -> list[event_pb2.Event]:
    out: list[event_pb2.Event] = []
    for path in sorted(run_dir.glob("events.out.tfevents.*")):
        out += [event_pb2.Event.FromString(r) for r in iter_records(path.read_bytes())]
    return [_normalise(e) for e in out if not e.file_version]


def _write(
    tmp_path: Path, name: str, writer_cls: Callable[..., Any], calls: Callable[[Any], None]
) -> Path:
    d = tmp_path / name
    w = writer_cls(str(d))
    calls(w)
    w.close()
    return d


def _accept_blas_sum_squares(ours: event_pb2.Event, theirs: event_pb2.Event) -> None:
    """Take torch's histogram ``sum_squares`` as ours when it is within a dot's rounding error.

    torch computes it as ``values.dot(values)``, a BLAS call whose last bits depend on
    the kernel the CPU picks; tbreport sums the rounded squares in one fixed order (the
    same bytes on every CPU). Both are floating-point sums of the same n positive
    terms, so they agree within n * eps * sum (the classic bound for a dot product);
    anything further off is a real difference. Everything else, ``sum`` included
    (numpy's pairwise sum on both sides), must be equal bit for bit.
    """
    for x, y in zip(ours.summary.value, theirs.summary.value):
        if x.HasField("histo") and y.HasField("histo"):
            bound = x.histo.num * sys.float_info.epsilon * x.histo.sum_squares
            assert abs(x.histo.sum_squares - y.histo.sum_squares) <= bound, x.tag
            y.histo.sum_squares = x.histo.sum_squares


def test_same_summaries_as_torch(tmp_path: Path) -> None:
    theirs = _events(_write(tmp_path, "torch", TorchWriter, _calls))
    ours = _events(_write(tmp_path, "ours", SummaryWriter, _calls))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        _accept_blas_sum_squares(a, b)
        assert a == b, f"{a.summary.value[0].tag if a.summary.value else a}"


def test_add_scalars_sub_runs_like_torch(tmp_path: Path) -> None:
    def calls(w: Any) -> None:
        for i in range(3):
            w.add_scalars("train/val", {"train": i, "val": -i}, i, walltime=WALL)

    t = _write(tmp_path, "torch", TorchWriter, calls)
    o = _write(tmp_path, "ours", SummaryWriter, calls)
    assert sorted(p.name for p in t.iterdir() if p.is_dir()) == ["train_val_train", "train_val_val"]
    assert sorted(p.name for p in o.iterdir() if p.is_dir()) == ["train_val_train", "train_val_val"]
    for sub in ("train_val_train", "train_val_val"):
        assert _events(o / sub) == _events(t / sub)


def test_hparams_like_torch(tmp_path: Path) -> None:
    def calls(w: Any) -> None:
        w.add_hparams(
            {"lr": 0.01, "batch_size": 32, "optimizer": "adam"},
            {"hparam/accuracy": 0.9, "hparam/loss": 0.1},
            hparam_domain_discrete={"optimizer": ["adam", "sgd"]},
            run_name="trial_0",
        )

    from tbreport.proto import hparams_pb2

    def parsed(events: list[event_pb2.Event]) -> list[tuple[int, str, Any]]:
        out = []
        for e in events:
            (v,) = e.summary.value
            if v.metadata.plugin_data.plugin_name == "hparams":
                content = hparams_pb2.HParamsPluginData.FromString(v.metadata.plugin_data.content)
                out.append((e.step, v.tag, content))
            else:
                out.append((e.step, v.tag, v.simple_value))
        return out

    t = _events(_write(tmp_path, "torch", TorchWriter, calls) / "trial_0")
    o = _events(_write(tmp_path, "ours", SummaryWriter, calls) / "trial_0")
    assert parsed(o) == parsed(t)


def test_bool_hparam_keeps_its_type(tmp_path: Path) -> None:
    """torch stores True as 1.0 (its int check catches bools first); we keep DATA_TYPE_BOOL."""
    from tbreport.proto import hparams_pb2

    d = _write(
        tmp_path,
        "ours",
        SummaryWriter,
        lambda w: w.add_hparams({"bn": True}, {"m": 1.0}, run_name="r"),
    )
    start = _events(d / "r")[1].summary.value[0]
    data = hparams_pb2.HParamsPluginData.FromString(start.metadata.plugin_data.content)
    assert data.session_start_info.hparams["bn"].bool_value is True


def test_figure_like_torch(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    def fig(seed: int) -> Figure:
        f = Figure(figsize=(2, 1.5), dpi=50)
        f.add_subplot().plot(np.random.default_rng(seed).random(10))
        return f

    def calls(w: Any) -> None:
        w.add_figure("fig", fig(1), 1, close=False, walltime=WALL)
        w.add_figure("figs", [fig(2), fig(3)], 1, close=False, walltime=WALL)

    assert _events(_write(tmp_path, "ours", SummaryWriter, calls)) == _events(
        _write(tmp_path, "torch", TorchWriter, calls)
    )


def test_embedding_like_torch(tmp_path: Path) -> None:
    mat = np.arange(12.0).reshape(4, 3)

    def calls(w: Any) -> None:
        w.add_embedding(torch.tensor(mat), metadata=["a", "b", "c", "d"], global_step=2, tag="emb")

    t = _write(tmp_path, "torch", TorchWriter, calls)
    o = _write(tmp_path, "ours", SummaryWriter, calls)
    for name in ("tensors.tsv", "metadata.tsv"):
        tv = (t / "00002" / "emb" / name).read_text().split()
        ov = (o / "00002" / "emb" / name).read_text().split()
        if name == "tensors.tsv":
            assert [float(x) for x in ov] == [float(x) for x in tv]
        else:
            assert ov == tv
    from google.protobuf import text_format
    from tensorboard.plugins.projector import projector_config_pb2 as tb

    ours = text_format.Parse((o / "projector_config.pbtxt").read_text(), tb.ProjectorConfig())
    theirs = text_format.Parse((t / "projector_config.pbtxt").read_text(), tb.ProjectorConfig())
    assert ours.embeddings[0].tensor_path == theirs.embeddings[0].tensor_path
    assert ours.embeddings[0].metadata_path == theirs.embeddings[0].metadata_path


def test_tensor_inputs_like_torch(tmp_path: Path) -> None:
    """Torch tensors where torch's own suite passes them: a one-element scalar, histograms of
    bfloat16 and int64 tensors, and raw histograms whose counts are a float tensor's list."""
    gen = torch.Generator().manual_seed(3)
    floats = torch.rand(60, generator=gen)
    ints = torch.randint(0, 50, (60,), generator=gen)
    halves = torch.rand(60, generator=gen, dtype=torch.bfloat16)
    ramp = torch.arange(40).float()
    counts = torch.histc(ramp, bins=8, min=0, max=39)

    def calls(w: Any) -> None:
        w.add_scalar("one_element", torch.tensor([0.8125]), 1, walltime=WALL)
        w.add_histogram("hist/float", floats, 1, walltime=WALL)
        w.add_histogram("hist/int64", ints, 1, walltime=WALL)
        w.add_histogram("hist/bfloat16", halves, 1, walltime=WALL)
        w.add_histogram_raw(
            "hist/raw_float_counts",
            min=ramp.min().item(),
            max=ramp.max().item(),
            num=40,
            sum=ramp.sum().item(),
            sum_squares=ramp.dot(ramp).item(),
            bucket_limits=torch.arange(8).tolist(),
            bucket_counts=counts.tolist(),
            global_step=1,
            walltime=WALL,
        )

    theirs = _events(_write(tmp_path, "torch", TorchWriter, calls))
    ours = _events(_write(tmp_path, "ours", SummaryWriter, calls))
    assert len(ours) == len(theirs) == 5
    for a, b in zip(ours, theirs):
        _accept_blas_sum_squares(a, b)
        assert a == b, a.summary.value[0].tag


def test_mesh_like_torch(tmp_path: Path) -> None:
    """add_mesh: the vertex, face and colour tensors and their plugin metadata, as torch writes
    them (float vertices, int colours and faces, with and without a scene config)."""
    verts = np.array([[[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]], dtype=float)
    colours = np.array([[[10, 20, 30], [250, 0, 0], [0, 250, 0], [0, 0, 250], [9, 9, 9]]])
    faces = np.array([[[0, 1, 2], [0, 1, 3], [1, 2, 4]]])

    def calls(w: Any) -> None:
        w.add_mesh("mesh/full", vertices=verts, colors=colours, faces=faces, global_step=1)
        w.add_mesh("mesh/points", vertices=verts * 2, global_step=2)
        w.add_mesh(
            "mesh/config",
            vertices=verts,
            faces=faces,
            config_dict={"camera": {"cls": "PerspectiveCamera", "fov": 75}},
            global_step=3,
            walltime=WALL,
        )

    def no_wall(events: list[event_pb2.Event]) -> list[event_pb2.Event]:
        for e in events:
            e.wall_time = 0  # add_mesh takes walltime; the first two calls use the clock
        return events

    theirs = no_wall(_events(_write(tmp_path, "torch", TorchWriter, calls)))
    ours = no_wall(_events(_write(tmp_path, "ours", SummaryWriter, calls)))
    assert [v.tag for e in ours for v in e.summary.value] == [
        "mesh/full_VERTEX",
        "mesh/full_FACE",
        "mesh/full_COLOR",
        "mesh/points_VERTEX",
        "mesh/config_VERTEX",
        "mesh/config_FACE",
    ]
    assert ours == theirs


def test_embedding_files_like_torch(tmp_path: Path) -> None:
    """Every projector file as torch writes it, for the calls of torch's own suite: metadata
    as (tensor, str) pairs under a header, float64 label images, a second call to the same
    step and tag. tbreport adds ``tensor_shape`` to the config (a field the projector reads);
    every other config field is torch's."""
    from google.protobuf import text_format
    from tensorboard.plugins.projector import projector_config_pb2 as tb

    feats = torch.tensor([[0.5, 1.0, 2.0, 4.0], [3.0, 1.5, 0.25, 8.0], [7.0, 6.0, 5.0, 4.0]])
    labels = torch.tensor([1.0, 22.0, 333.0])
    thumbs = torch.linspace(0, 1, 3 * 3 * 4 * 4, dtype=torch.float64).reshape(3, 3, 4, 4)

    def calls(w: Any) -> None:
        w.add_embedding(feats, metadata=labels, label_img=thumbs, global_step=7)
        pairs = list(zip(labels, ["a", "b", "c"]))
        w.add_embedding(
            feats, metadata=pairs, label_img=thumbs, metadata_header=["n", "set"], global_step=7
        )
        w.add_embedding(feats * 2, metadata=["x", "y", "z"], tag="other", global_step=8)

    t = _write(tmp_path, "torch", TorchWriter, calls)
    o = _write(tmp_path, "ours", SummaryWriter, calls)
    files = sorted(
        str(p.relative_to(t)) for p in t.rglob("*") if p.is_file() and ".tfevents." not in p.name
    )
    assert (
        sorted(
            str(p.relative_to(o))
            for p in o.rglob("*")
            if p.is_file() and ".tfevents." not in p.name
        )
        == files
    )
    for name in files:
        if name.endswith(".png"):
            ours_px = np.asarray(Image.open(o / name))
            assert np.array_equal(ours_px, np.asarray(Image.open(t / name))), name
        elif name.endswith("tensors.tsv"):
            rows = [
                [float(x) for x in line.split("\t")] for line in (t / name).read_text().splitlines()
            ]
            assert [
                [float(x) for x in line.split("\t")] for line in (o / name).read_text().splitlines()
            ] == rows
        elif name.endswith(".pbtxt"):
            ours_cfg = text_format.Parse((o / name).read_text(), tb.ProjectorConfig())
            for e in ours_cfg.embeddings:
                assert list(e.tensor_shape) == [3, 4]
                e.ClearField("tensor_shape")
            assert ours_cfg == text_format.Parse((t / name).read_text(), tb.ProjectorConfig())
        else:
            assert (o / name).read_text() == (t / name).read_text(), name


# -- TensorBoard reads what we wrote -------------------------------------------


@pytest.fixture(scope="module")
def our_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tb") / "run"
    with SummaryWriter(d) as w:
        _calls(w)
        w.add_video("video", rng.random((1, 4, 3, 8, 8)), 1, fps=5, walltime=WALL)
        w.add_hparams({"lr": 0.1, "opt": "sgd", "bn": True}, {"hparam/acc": 0.75}, same_run=True)
    return d


def _accumulator(path: Path) -> Any:
    from tensorboard.backend.event_processing import event_accumulator as ea

    acc = ea.EventAccumulator(str(path), size_guidance={k: 0 for k in ea.DEFAULT_SIZE_GUIDANCE})
    acc.Reload()
    return acc


def test_event_accumulator_reads_everything(our_run: Path) -> None:
    acc = _accumulator(our_run)
    tags = acc.Tags()
    loss = acc.Scalars("loss")
    assert [(s.step, s.value, s.wall_time) for s in loss] == [(1, 0.5, WALL)]
    assert acc.Scalars("训练损失值")[0].value == 1.25
    assert math.isnan(acc.Scalars("<script>alert(1)</script>")[0].value)
    special = [s.value for s in acc.Scalars("special")]
    assert special[:2] == [math.inf, math.inf]
    assert special[2] == float(np.float32(123456789.123)) == 123456792.0
    assert acc.Scalars("edge/no_step")[0].step == 0

    img = acc.Images("img/chw")[0]
    assert (img.width, img.height) == (12, 10)
    px = np.asarray(Image.open(io.BytesIO(img.encoded_image_string)))
    assert np.array_equal(px, (IMG_CHW.transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8))
    hwc = np.asarray(Image.open(io.BytesIO(acc.Images("img/hwc")[0].encoded_image_string)))
    assert np.array_equal(hwc, IMG_HWC_U8)
    batch = acc.Images("img/batch")[0]
    assert (batch.width, batch.height) == (6 * 5, 6)
    rgba = np.asarray(Image.open(io.BytesIO(acc.Images("img/rgba")[0].encoded_image_string)))
    assert rgba.shape == (8, 8, 4)
    gif = Image.open(io.BytesIO(acc.Images("video")[0].encoded_image_string))
    assert gif.format == "GIF" and gif.n_frames == 4

    h = acc.Histograms("hist/tf")[0].histogram_value
    assert h.num == 2000 and h.min == HIST.min() and h.max == HIST.max()
    assert sum(h.bucket) == 2000
    assert math.isclose(h.sum, HIST.sum()) and math.isclose(h.sum_squares, HIST.dot(HIST))
    raw = acc.Histograms("hist/raw")[0].histogram_value
    assert list(raw.bucket_limit) == [1.0, 2.0, 3.0] and list(raw.bucket) == [1.0, 2.0, 3.0]

    snd = acc.Audio("audio")[0]
    assert snd.sample_rate == 8000 and snd.length_frames == 1600 and snd.content_type == "audio/wav"
    with wave.open(io.BytesIO(snd.encoded_audio_string)) as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    assert np.array_equal(frames, (AUDIO * 32767).astype("<i2"))

    text = acc.Tensors("text/text_summary")[0].tensor_proto
    assert text.string_val == [b"# Title\n\n* a\n* <b>b</b>"]
    assert acc.SummaryMetadata("text/text_summary").plugin_data.plugin_name == "text"
    pr = acc.Tensors("pr")[0].tensor_proto
    assert [d.size for d in pr.tensor_shape.dim] == [6, 127]
    assert set(tags["tensors"]) >= {"new_style/f32", "new_style/f64", "pr/few", "pr/raw"}


def test_data_provider_sees_scalars_text_hparams_pr(our_run: Path) -> None:
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins.hparams import metadata as hp_meta

    mux = plugin_event_multiplexer.EventMultiplexer()
    mux.AddRunsFromDirectory(str(our_run.parent))
    mux.Reload()
    dp = data_provider.MultiplexerDataProvider(mux, str(our_run.parent))
    from tensorboard import context

    ctx = context.RequestContext()
    scalars = dp.read_scalars(ctx, experiment_id="", plugin_name="scalars", downsample=10**6)
    run = scalars["run"]
    assert [p.value for p in run["new_style/f32"]] == [0.125]
    assert [p.value for p in run["new_style/f64"]] == [0.125]
    assert [p.value for p in run["hparam/acc"]] == [0.75]
    assert [p.step for p in run["special"]] == [4, 5, 6, 7]
    text = dp.read_tensors(ctx, experiment_id="", plugin_name="text", downsample=100)
    assert set(text["run"]) == {"text/text_summary", "text/中文/text_summary"}
    pr = dp.read_tensors(ctx, experiment_id="", plugin_name="pr_curves", downsample=100)
    assert pr["run"]["pr/few"][0].numpy.shape == (6, 11)
    hp = dp.list_tensors(ctx, experiment_id="", plugin_name=hp_meta.PLUGIN_NAME)
    assert set(hp["run"]) == {
        hp_meta.EXPERIMENT_TAG,
        hp_meta.SESSION_START_INFO_TAG,
        hp_meta.SESSION_END_INFO_TAG,
    }
    content = hp["run"][hp_meta.SESSION_START_INFO_TAG].plugin_content
    start = hp_meta.parse_session_start_info_plugin_data(content)
    assert dict(start.hparams)["opt"].string_value == "sgd"
    assert dict(start.hparams)["bn"].bool_value is True
    images = dp.list_blob_sequences(ctx, experiment_id="", plugin_name="images")
    assert "img/batch" in images["run"]


def test_graph_is_read_by_tensorboard(tmp_path: Path) -> None:
    from tbreport._samples import tutorial_cnn

    model, example = tutorial_cnn()
    import warnings

    with SummaryWriter(tmp_path) as w, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        w.add_graph(model, example)
    acc = _accumulator(tmp_path)
    graph = acc.Graph()
    ops = {n.op for n in graph.node}
    assert {"aten::_convolution", "aten::batch_norm", "aten::dropout", "aten::linear"} <= ops
    names = {n.name for n in graph.node}
    assert any(n.startswith("Net/Conv2d[conv1]/") for n in names)
    assert acc.Tags()["run_metadata"] == ["step1"]
    out = next(n for n in graph.node if n.name.startswith("output/"))
    shape = out.attr["_output_shapes"].list.shape[0]
    assert [d.size for d in shape.dim] == [32, 10]
