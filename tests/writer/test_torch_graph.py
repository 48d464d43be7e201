"""Tests for tbreport.writer.torch_graph: our GraphDef against torch's and TensorBoard's.

torch.utils.tensorboard (``_pytorch_graph.graph``) is the reference: for every
model here our GraphDef must have torch's node names, node count, op types,
``attr`` strings and output shapes, with exactly these intended differences
(see the module docstring of ``tbreport.writer.torch_graph``):

1. inputs: torch also lists, on every parameter read (``prim::GetAttr``), the
   module it reads from (``Net/Conv2d[conv1]/weight/conv1``), a node it never
   writes. We drop those dangling names, so every input names a node; all other
   inputs are identical and in the same order.
2. ``prim::GetAttr`` nodes (parameters, buffers) carry the shape of the tensor
   they read; torch gives them no shape.
3. an IO node whose value is not a tensor (a tuple or dict output, a tuple
   argument) has no shape; torch writes the placeholder shape ``[1]``.
4. extra ``dtype`` attribute on tensor nodes.
5. RunMetadata: one NodeExecStats per node (torch: none).
"""

from __future__ import annotations

import logging
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from tbreport._samples import tutorial_cnn  # noqa: E402
from tbreport.errors import GraphTraceError, TbreportError  # noqa: E402
from tbreport.proto import event_pb2, graph_pb2, types_pb2  # noqa: E402
from tbreport.record import encode_record  # noqa: E402
from tbreport.writer.torch_graph import DEVICE, IO_OP, build_graph  # noqa: E402


def Net() -> Any:
    """The seed tutorial's CNN, with a BatchNorm2d after conv1 (one definition: tbreport._samples)."""
    return tutorial_cnn()[0]


class TwoInputs(nn.Module):
    """Long token ids and a float tensor: two inputs of different dtypes."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.proj = nn.Linear(4, 4)

    def forward(self, tokens: Any, scale: Any) -> Any:
        return self.proj(self.embed(tokens)) * scale


class NoInput(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.p = nn.Parameter(torch.ones(3))

    def forward(self) -> Any:
        return self.p * 2


class TupleOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x: Any) -> Any:
        y = self.fc(x)
        return y, y.sum()


class DictOut(nn.Module):
    def forward(self, x: Any) -> Any:
        return {"double": x * 2, "plus": x + 1}


class Nested(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.BatchNorm2d(4))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 6 * 6, 2))

    def forward(self, x: Any) -> Any:
        return self.head(self.features(x))


class Recurrent(nn.Module):
    """aten::lstm has three outputs: one NodeDef each, as torch writes them."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 5, batch_first=True)
        self.fc = nn.Linear(5, 2)

    def forward(self, x: Any) -> Any:
        y, (h, _) = self.lstm(x)
        return self.fc(y[:, -1]) + h[0].sum() + torch.tensor([1.0, 2.0])


class ScriptedInside(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = torch.jit.script(nn.Sequential(nn.Linear(3, 3), nn.ReLU()))

    def forward(self, x: Any) -> Any:
        return self.inner(x) * 2


class PairArgument(nn.Module):
    def forward(self, pair: Any) -> Any:
        return pair[0] + pair[1]


def _sequential() -> Any:
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 2))


def _shapes(node: Any) -> list[list[int]] | None:
    if "_output_shapes" not in node.attr:
        return None
    return [[d.size for d in shape.dim] for shape in node.attr["_output_shapes"].list.shape]


def _by_name(graph: Any) -> dict[str, Any]:
    nodes = {node.name: node for node in graph.node}
    assert len(nodes) == len(graph.node), "node names must be unique"
    return nodes


def _torch_reference(model: Any, args: Any, **kwargs: Any) -> Any:
    from torch.utils.tensorboard._pytorch_graph import graph

    return graph(model, args, **kwargs)


def _assert_matches_torch(model: Any, args: Any, **kwargs: Any) -> Any:
    """Build our graph and torch's for the same model; check they agree."""
    torch.manual_seed(0)
    ours, _ = build_graph(model, args, **kwargs)
    theirs, _ = _torch_reference(model, args, **kwargs)
    mine, ref = _by_name(ours), _by_name(theirs)

    assert len(ours.node) == len(theirs.node)
    assert set(mine) == set(ref)
    assert {n.op for n in ours.node} == {n.op for n in theirs.node}
    assert ours.versions.producer == theirs.versions.producer == 22
    for name, theirs_node in ref.items():
        node = mine[name]
        assert node.op == theirs_node.op, name
        assert node.attr["attr"].s == theirs_node.attr["attr"].s, name
        # difference 1: only inputs that name a node are kept, in torch's order
        assert list(node.input) == [i for i in theirs_node.input if i in ref], name
        expected = _shapes(theirs_node)
        if node.op == IO_OP and expected == [[1]] and "dtype" not in node.attr:
            assert _shapes(node) is None, name  # difference 3: torch's placeholder [1]
        elif expected is not None:
            assert _shapes(node) == expected, name
        elif node.op == "prim::GetAttr":
            assert _shapes(node) is not None, name  # difference 2, values checked below
        else:
            assert _shapes(node) is None, name
    # difference 2: a parameter read has the parameter's shape
    params = dict(model.named_parameters())
    params.update(model.named_buffers())
    for node in ours.node:
        if node.op == "prim::GetAttr":
            (shape,) = _shapes(node) or [[-1]]
            assert any(list(p.shape) == shape for p in params.values()), node.name
    return ours


def _assert_well_formed(graph: Any, run_metadata: Any) -> None:
    nodes = _by_name(graph)
    for node in graph.node:
        for name in node.input:
            assert name in nodes, f"{node.name} reads {name}, which is not a node"
    (dev,) = run_metadata.step_stats.dev_stats
    assert dev.device == DEVICE == "/device:CPU:0"
    assert [s.node_name for s in dev.node_stats] == [n.name for n in graph.node]


# --- the seed tutorial's CNN ----------------------------------------------------


def test_net_node_names_ops_and_shapes() -> None:
    torch.manual_seed(0)
    graph, run_metadata = build_graph(Net(), torch.rand(32, 1, 28, 28))
    _assert_well_formed(graph, run_metadata)
    nodes = _by_name(graph)

    assert nodes["input/x.1"].op == IO_OP
    assert _shapes(nodes["input/x.1"]) == [[32, 1, 28, 28]]
    conv = nodes["Net/Conv2d[conv1]/input.1"]
    assert conv.op == "aten::_convolution"
    assert conv.input[:3] == [
        "input/x.1",
        "Net/Conv2d[conv1]/weight/weight.7",
        "Net/Conv2d[conv1]/bias/bias.7",
    ]
    assert _shapes(conv) == [[32, 32, 26, 26]]
    assert conv.attr["dtype"].type == types_pb2.DT_FLOAT
    assert conv.attr["attr"].s == b"{}"
    assert _shapes(nodes["Net/Conv2d[conv1]/weight/weight.7"]) == [[32, 1, 3, 3]]
    assert _shapes(nodes["Net/BatchNorm2d[bn]/running_mean/running_mean"]) == [[32]]
    assert nodes["Net/BatchNorm2d[bn]/162"].attr["attr"].s == b"{ value : 1e-05}"
    assert nodes["Net/Conv2d[conv1]/bias/bias.7"].attr["attr"].s == b"{ name :  bias }"
    assert _shapes(nodes["Net/Linear[fc1]/input.15"]) == [[32, 128]]
    assert nodes["Net/Dropout[dropout1]/x"].op == "aten::dropout"

    ops = {n.op for n in graph.node}
    for op in ("aten::_convolution", "aten::batch_norm", "aten::dropout", "aten::linear"):
        assert op in ops
    (out,) = [n for n in graph.node if n.name.startswith("output/")]
    assert out.name == "output/output.1"
    assert out.op == IO_OP
    assert _shapes(out) == [[32, 10]]
    assert nodes[out.input[0]].op == "aten::log_softmax"

    # every scope is a module path the graph plugin can fold
    scopes = {n.name.rsplit("/", 1)[0] for n in graph.node}
    assert {"Net", "Net/Conv2d[conv1]", "Net/BatchNorm2d[bn]", "Net/Linear[fc2]"} <= scopes


def test_net_matches_torch_utils_tensorboard() -> None:
    graph = _assert_matches_torch(Net(), torch.rand(32, 1, 28, 28))
    assert len(graph.node) == 66


def test_run_metadata_has_one_stat_per_node_with_output_bytes() -> None:
    graph, run_metadata = build_graph(Net(), torch.rand(32, 1, 28, 28))
    _assert_well_formed(graph, run_metadata)
    stats = {s.node_name: s for s in run_metadata.step_stats.dev_stats[0].node_stats}
    conv = stats["Net/Conv2d[conv1]/input.1"]
    assert [(m.allocator_name, m.total_bytes) for m in conv.memory] == [
        ("cpu", 32 * 32 * 26 * 26 * 4)
    ]
    assert stats["Net/Conv2d[conv1]/150"].memory == []  # a bool constant: no tensor
    assert conv.all_start_micros == conv.all_end_rel_micros == 0  # nothing is timed


# --- TensorBoard reads it back ----------------------------------------------------


def _write_event_file(logdir: Path, graph: Any, run_metadata: Any) -> Path:
    events = [
        event_pb2.Event(wall_time=1.0, file_version="brain.Event:2"),
        event_pb2.Event(wall_time=2.0, graph_def=graph.SerializeToString()),
        event_pb2.Event(
            wall_time=2.0,
            tagged_run_metadata=event_pb2.TaggedRunMetadata(
                tag="step1", run_metadata=run_metadata.SerializeToString()
            ),
        ),
    ]
    path = logdir / "events.out.tfevents.1700000000.host.1.0"
    path.write_bytes(b"".join(encode_record(e.SerializeToString()) for e in events))
    return path


def test_tensorboard_event_accumulator_reads_the_graph(tmp_path: Path) -> None:
    ea_module = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    graph, run_metadata = build_graph(Net(), torch.rand(32, 1, 28, 28))
    _write_event_file(tmp_path, graph, run_metadata)

    acc = ea_module.EventAccumulator(str(tmp_path))
    acc.Reload()
    assert acc.Tags()["graph"] is True
    tb_graph = acc.Graph()
    assert [n.name for n in tb_graph.node] == [n.name for n in graph.node]
    assert graph_pb2.GraphDef.FromString(tb_graph.SerializeToString()) == graph
    assert acc.Tags()["run_metadata"] == ["step1"]
    tb_run_metadata = acc.RunMetadata("step1")
    assert tb_run_metadata.step_stats.dev_stats[0].device == DEVICE
    assert len(tb_run_metadata.step_stats.dev_stats[0].node_stats) == len(graph.node)


def test_tensorboard_graph_plugin_serves_the_graph(tmp_path: Path) -> None:
    """The graphs dashboard's own backend path: data provider -> GraphsPlugin."""
    pytest.importorskip("tensorboard")
    from google.protobuf import text_format
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.compat.proto import config_pb2
    from tensorboard.compat.proto import graph_pb2 as tb_graph_pb2
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.graph import graphs_plugin

    graph, run_metadata = build_graph(Net(), torch.rand(32, 1, 28, 28))
    _write_event_file(tmp_path, graph, run_metadata)
    mux = plugin_event_multiplexer.EventMultiplexer()
    mux.AddRunsFromDirectory(str(tmp_path))
    mux.Reload()
    provider = data_provider.MultiplexerDataProvider(mux, str(tmp_path))
    plugin = graphs_plugin.GraphsPlugin(
        base_plugin.TBContext(data_provider=provider, logdir=str(tmp_path))
    )
    ctx = context.RequestContext()

    info = plugin.info_impl(ctx, experiment="")
    assert info["."]["run_graph"] is True
    assert info["."]["tags"]["step1"]["profile"] is True

    body, mime = plugin.graph_impl(ctx, ".", None, False, experiment="")
    assert mime == "text/x-protobuf"
    served = text_format.Parse(body, tb_graph_pb2.GraphDef())
    assert [n.name for n in served.node] == [n.name for n in graph.node]
    served_conv = {n.name: n for n in served.node}["Net/Conv2d[conv1]/input.1"]
    dims = served_conv.attr["_output_shapes"].list.shape[0].dim
    assert [d.size for d in dims] == [32, 32, 26, 26]

    body, _ = plugin.run_metadata_impl(ctx, "", ".", "step1")
    served_md = text_format.Parse(body, config_pb2.RunMetadata())
    assert len(served_md.step_stats.dev_stats[0].node_stats) == len(graph.node)


# --- other model shapes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_model", "args"),
    [
        pytest.param(_sequential, torch.rand(5, 4), id="sequential"),
        pytest.param(Nested, torch.rand(2, 3, 8, 8), id="nested"),
        pytest.param(TupleOut, torch.rand(5, 3), id="tuple-output"),
        pytest.param(
            TwoInputs, (torch.tensor([[1, 2], [3, 4]]), torch.rand(2, 2, 4)), id="two-inputs"
        ),
        pytest.param(NoInput, (), id="no-input"),
        pytest.param(
            Recurrent,
            torch.rand(2, 6, 4),
            id="lstm-multi-output",
            # torch's own nn.LSTM code warns while being traced; build_graph passes
            # torch's warnings through untouched.
            marks=pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning"),
        ),
        pytest.param(ScriptedInside, torch.rand(2, 3), id="scripted-submodule"),
        pytest.param(PairArgument, ((torch.rand(2), torch.rand(2)),), id="tuple-argument"),
        pytest.param(lambda: nn.Linear(3, 3).double(), torch.rand(1, 3).double(), id="float64"),
    ],
)
def test_other_models_match_torch(make_model: Any, args: Any) -> None:
    torch.manual_seed(0)
    model = make_model()
    graph = _assert_matches_torch(model, args)
    _assert_well_formed(graph, build_graph(model, args)[1])


def test_sequential_scopes() -> None:
    graph, _ = build_graph(_sequential(), torch.rand(5, 4))
    nodes = _by_name(graph)
    assert nodes["Sequential/Linear[0]/weight/weight.1"].op == "prim::GetAttr"
    linear = [n for n in graph.node if n.op == "aten::linear"]
    assert [n.name.rsplit("/", 1)[0] for n in linear] == [
        "Sequential/Linear[0]",
        "Sequential/Linear[3]",
    ]
    (relu,) = [n for n in graph.node if n.op == "aten::relu"]
    assert relu.name.startswith("Sequential/ReLU[1]/")


def test_nested_scopes_name_every_level() -> None:
    graph, _ = build_graph(Nested(), torch.rand(2, 3, 8, 8))
    by_op = {n.op: n for n in graph.node}
    assert by_op["aten::_convolution"].name.startswith("Nested/Sequential[features]/Conv2d[0]/")
    assert by_op["aten::batch_norm"].name.startswith("Nested/Sequential[features]/BatchNorm2d[2]/")
    assert by_op["aten::linear"].name.startswith("Nested/Sequential[head]/Linear[1]/")
    (weight,) = [
        n for n in graph.node if n.name.startswith("Nested/Sequential[features]/Conv2d[0]/weight/")
    ]
    assert weight.op == "prim::GetAttr"
    assert _shapes(weight) == [[4, 3, 3, 3]]


def test_two_inputs_are_io_nodes_with_their_dtypes() -> None:
    tokens = torch.tensor([[1, 2], [3, 4]])
    graph, _ = build_graph(TwoInputs(), (tokens, torch.rand(2, 2, 4)))
    inputs = [n for n in graph.node if n.op == IO_OP and n.name.startswith("input/")]
    assert [_shapes(n) for n in inputs] == [[[2, 2]], [[2, 2, 4]]]
    assert [n.attr["dtype"].type for n in inputs] == [types_pb2.DT_INT64, types_pb2.DT_FLOAT]
    (embedding,) = [n for n in graph.node if n.op == "aten::embedding"]
    assert inputs[0].name in embedding.input
    # a list is taken as the positional arguments, like a tuple
    as_list, _ = build_graph(TwoInputs(), [tokens, torch.rand(2, 2, 4)])
    assert [n.name for n in as_list.node] == [n.name for n in graph.node]


def test_no_input_model_has_only_an_output_io_node() -> None:
    graph, run_metadata = build_graph(NoInput())
    _assert_well_formed(graph, run_metadata)
    io = [n for n in graph.node if n.op == IO_OP]
    assert [n.name for n in io] == ["output/output.1"]
    assert _shapes(io[0]) == [[3]]
    (param,) = [n for n in graph.node if n.op == "prim::GetAttr"]
    assert param.name == "NoInput/p/p"
    assert _shapes(param) == [[3]]


def test_tuple_output_goes_through_tuple_construct() -> None:
    graph, _ = build_graph(TupleOut(), torch.rand(5, 3))
    nodes = _by_name(graph)
    (out,) = [n for n in graph.node if n.name.startswith("output/")]
    assert nodes[out.input[0]].op == "prim::TupleConstruct"
    assert _shapes(out) is None  # difference 3: a tuple has no tensor shape (torch: [1])
    (total,) = [n for n in graph.node if n.op == "aten::sum"]
    assert _shapes(total) == [[]]  # a 0-d tensor has a scalar shape (as in torch)
    assert nodes[out.input[0]].input[1] == total.name


def test_dict_output_needs_non_strict_trace() -> None:
    with pytest.raises(RuntimeError, match=r"input_to_model.*strict=False") as excinfo:
        build_graph(DictOut(), torch.rand(2))
    assert isinstance(excinfo.value.__cause__, RuntimeError)  # torch's error, chained
    graph, run_metadata = build_graph(DictOut(), torch.rand(2), use_strict_trace=False)
    _assert_well_formed(graph, run_metadata)
    nodes = _by_name(graph)
    (out,) = [n for n in graph.node if n.name.startswith("output/")]
    assert nodes[out.input[0]].op == "prim::DictConstruct"
    _assert_matches_torch(DictOut(), torch.rand(2), use_strict_trace=False)


class DictIn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.fc(batch["x"]) * batch["scale"]


def test_dict_input_is_one_positional_argument_as_in_torch() -> None:
    inputs = {"x": torch.rand(4, 3), "scale": torch.rand(4, 1)}
    graph, run_metadata = build_graph(DictIn(), inputs)
    _assert_well_formed(graph, run_metadata)
    assert [n.name for n in graph.node if n.name.startswith("input/")] == ["input/batch"]
    assert any(n.op == "aten::linear" for n in graph.node)
    _assert_matches_torch(DictIn(), inputs)
    with pytest.raises(GraphTraceError, match=r"input_to_model \(\{'x': Tensor\[4, 3\]\}\)"):
        build_graph(DictIn(), {"x": torch.rand(4, 3)})  # KeyError 'scale' inside forward


# --- errors, modes, logging -----------------------------------------------------------


@pytest.mark.parametrize("model", [object(), "Net", lambda x: x, None])
def test_non_module_is_a_type_error(model: Any) -> None:
    with pytest.raises(TypeError, match=r"^model must be a torch.nn.Module, got "):
        build_graph(model, torch.rand(1))


@pytest.mark.parametrize("bad", [3, "x", {1, 2}])
def test_bad_input_type_is_a_type_error(bad: Any) -> None:
    with pytest.raises(TypeError, match=r"^input_to_model must be"):
        build_graph(Net(), bad)


def test_failed_trace_is_one_line_runtime_error_with_torch_message() -> None:
    # RuntimeError as in torch and tensorboardX (`except RuntimeError:` keeps working),
    # and a TbreportError like every error tbreport raises for data and environment.
    with pytest.raises(GraphTraceError) as excinfo:
        build_graph(Net(), torch.rand(32, 3, 28, 28))  # 3 channels, conv1 wants 1
    message = str(excinfo.value)
    assert "\n" not in message
    assert message.startswith(
        "could not trace model (Net) with input_to_model (Tensor[32, 3, 28, 28]): RuntimeError: "
    )
    assert isinstance(excinfo.value, RuntimeError) and isinstance(excinfo.value, TbreportError)
    cause = excinfo.value.__cause__
    assert isinstance(cause, RuntimeError)
    assert " ".join(str(cause).split()) in message  # torch's message, not swallowed


def test_wrong_argument_count_is_a_runtime_error() -> None:
    with pytest.raises(GraphTraceError, match=r"input_to_model \(\(Tensor\[2\],\)\): TypeError: "):
        build_graph(TwoInputs(), (torch.rand(2),))


def test_train_modes_are_restored_and_running_stats_untouched() -> None:
    model = Net()
    model.train()
    model.dropout2.eval()  # a mixed tree must come back exactly as it was
    before = {name: m.training for name, m in model.named_modules()}
    running_mean = model.bn.running_mean.clone()
    graph, _ = build_graph(model, torch.rand(32, 1, 28, 28) + 5)
    assert {name: m.training for name, m in model.named_modules()} == before
    assert torch.equal(model.bn.running_mean, running_mean)  # traced in eval mode
    dropout_train_flag = _by_name(graph)["Net/Dropout[dropout1]/181"]
    assert dropout_train_flag.attr["attr"].s == b"{ value : 0}"
    # modes are restored even when tracing fails
    with pytest.raises(RuntimeError):
        build_graph(model, torch.rand(1, 3, 28, 28))
    assert {name: m.training for name, m in model.named_modules()} == before


def test_verbose_logs_the_traced_graph(caplog: pytest.LogCaptureFixture) -> None:
    logger_name = "tbreport.writer.torch_graph"
    with caplog.at_level(logging.INFO, logger=logger_name):
        build_graph(_sequential(), torch.rand(5, 4))
    assert not caplog.records
    with caplog.at_level(logging.INFO, logger=logger_name):
        build_graph(_sequential(), torch.rand(5, 4), verbose=True)
    (record,) = caplog.records
    assert record.name == logger_name
    assert record.levelno == logging.INFO
    assert "aten::linear" in record.getMessage()


def test_graph_def_bytes_are_a_plain_graph_def() -> None:
    """The bytes parse as TensorBoard's own GraphDef (same field numbers)."""
    tb_graph_pb2 = pytest.importorskip("tensorboard.compat.proto.graph_pb2")
    graph, _ = build_graph(Net(), torch.rand(32, 1, 28, 28))
    theirs = tb_graph_pb2.GraphDef.FromString(graph.SerializeToString())
    assert theirs.versions.producer == 22
    assert len(theirs.node) == len(graph.node)
    total = sum(
        math.prod(d.size for d in s.dim)
        for n in theirs.node
        if n.op == "prim::GetAttr"
        for s in n.attr["_output_shapes"].list.shape
    )
    assert total == sum(t.numel() for t in Net().state_dict().values() if t.dim() > 0)


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
def test_multi_output_op_is_one_node_per_output() -> None:
    graph, _ = build_graph(Recurrent(), torch.rand(2, 6, 4))
    lstm = [n for n in graph.node if n.op == "aten::lstm"]
    assert [n.name for n in lstm] == [
        "Recurrent/LSTM[lstm]/y",
        "Recurrent/LSTM[lstm]/h",
        lstm[2].name,
    ]
    assert [_shapes(n) for n in lstm] == [[[2, 6, 5]], [[1, 2, 5]], [[1, 2, 5]]]
    assert lstm[0].input == lstm[1].input == lstm[2].input


def test_scripted_submodule_parameters_are_found() -> None:
    graph, _ = build_graph(ScriptedInside(), torch.rand(2, 3))
    reads = {n.name: _shapes(n) for n in graph.node if n.op == "prim::GetAttr"}
    assert reads == {
        "ScriptedInside/Sequential[inner]/Linear[0]/weight/weight": [[3, 3]],
        "ScriptedInside/Sequential[inner]/Linear[0]/bias/bias": [[3]],
    }


def test_failed_trace_describes_a_list_input() -> None:
    with pytest.raises(
        GraphTraceError, match=r"input_to_model \(\[Tensor\[2\], \(Tensor\[1\],\)\]\)"
    ):
        build_graph(NoInput(), [torch.rand(2), (torch.rand(1),)])


def test_importing_the_module_does_not_import_torch() -> None:
    code = "import sys, tbreport.writer.torch_graph; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "False"
