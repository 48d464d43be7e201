"""The scope tree and its views: what each picture of a graph shows, and that building
them is linear and bounded (issue 12 item 5)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from tbreport.errors import RenderError
from tbreport.kinds.graph import decode_graph_def, decode_keras_model
from tbreport.model import GraphNode
from tbreport.render import graphtree as gt
from tests.logdirs import graph_stress, keras
from tests.logdirs._graphs import tf1_lstm_graph

TRACE = re.compile(r"(^|\W)(input|out)\.\d+\b|^\d+$")


def torch_resnet(blocks: tuple[int, ...] = (2, 2, 2)) -> list[GraphNode]:
    """A graph named as torch's tracer names it (``Sequential[layer1]/BasicBlock[0]/...``),
    with its constant and attribute plumbing, for a ResNet of ``blocks``."""
    nodes: list[GraphNode] = [GraphNode("input/x", "IO Node", output_shapes=((2, 3, 32, 32),))]
    counter = [100]

    def op(scope: str, kind: str, inputs: tuple[str, ...], shape: tuple[int, ...]) -> str:
        counter[0] += 1
        const = f"{scope}/{counter[0]}"
        nodes.append(GraphNode(const, "prim::Constant"))
        weight = f"{scope}/weight/weight.{counter[0]}"
        nodes.append(GraphNode(weight, "prim::GetAttr"))
        name = f"{scope}/input.{counter[0]}"
        nodes.append(GraphNode(name, kind, (*inputs, weight, const), output_shapes=(shape,)))
        return name

    prev = op("ResNet/Conv2d[conv1]", "aten::_convolution", ("input/x",), (2, 16, 32, 32))
    prev = op("ResNet/BatchNorm2d[bn1]", "aten::batch_norm", (prev,), (2, 16, 32, 32))
    prev = op("ResNet", "aten::relu", (prev,), (2, 16, 32, 32))
    width = 16
    for layer, count in enumerate(blocks, start=1):
        for b in range(count):
            s = f"ResNet/Sequential[layer{layer}]/BasicBlock[{b}]"
            shape = (2, width, 32 >> (layer - 1), 32 >> (layer - 1))
            x = op(f"{s}/Conv2d[conv1]", "aten::_convolution", (prev,), shape)
            x = op(f"{s}/BatchNorm2d[bn1]", "aten::batch_norm", (x,), shape)
            x = op(s, "aten::relu", (x,), shape)
            x = op(f"{s}/Conv2d[conv2]", "aten::_convolution", (x,), shape)
            x = op(f"{s}/BatchNorm2d[bn2]", "aten::batch_norm", (x,), shape)
            short = prev
            if b == 0 and layer > 1:
                short = op(
                    f"{s}/Sequential[shortcut]/Conv2d[0]", "aten::_convolution", (prev,), shape
                )
                short = op(
                    f"{s}/Sequential[shortcut]/BatchNorm2d[1]", "aten::batch_norm", (short,), shape
                )
            x = op(s, "aten::add", (x, short), shape)
            prev = op(s, "aten::relu", (x,), shape)
        width *= 2
    prev = op(
        "ResNet/AdaptiveAvgPool2d[avgpool]", "aten::adaptive_avg_pool2d", (prev,), (2, 64, 1, 1)
    )
    prev = op("ResNet", "aten::flatten", (prev,), (2, 64))
    prev = op("ResNet/Linear[fc]", "aten::linear", (prev,), (2, 10))
    nodes.append(GraphNode("output/output.1", "IO Node", (prev,), output_shapes=((2, 10),)))
    return nodes


def _texts(tree: gt.GraphTree, view: gt.View) -> list[str]:
    out = []
    for b in view.boxes:
        lab = gt.label(tree, b)
        out += [lab.title, lab.subtitle, lab.detail]
    out += [gt.stub_text(tree, item, incoming) for item, incoming in view.stubs]
    return [t for t in out if t]


def _chain(n: int, blocks: int = 100) -> list[GraphNode]:
    """``n`` ops in a line under ``blocks`` scopes, listed consumer first (as graph
    converters may emit them)."""
    per = max(1, n // blocks)

    def name(k: int) -> str:
        return f"b{k // per:02d}/n{k}"

    return [
        GraphNode(name(k), "Identity", (name(k - 1),)) if k else GraphNode(name(0), "Placeholder")
        for k in range(n - 1, -1, -1)
    ]


# --------------------------------------------------------------------------- torch


def test_torch_overview_shows_modules_by_name_not_trace_names() -> None:
    tree = gt.build_tree(torch_resnet())
    plan = gt.plan_views(tree)
    assert tree.flavor == "torch" and tree.folded == tree.folded > 0
    boxes = plan.overview.boxes
    assert len(boxes) <= gt.BUDGET
    titles = [gt.label(tree, b).text for b in boxes]
    assert "Conv2d conv1" in titles and "BatchNorm2d bn1" in titles and "Linear fc" in titles
    assert "BasicBlock layer2.0" in titles  # the blocks, collapsed, by module path
    assert "input x" in titles and "output" in titles
    assert [t for b in plan.views.values() for t in _texts(tree, b) if TRACE.search(t)] == []
    layer2 = next(b for b in boxes if gt.label(tree, b).text == "BasicBlock layer2.0")
    assert isinstance(layer2, gt.Scope) and gt.label(tree, layer2).detail == "2×32×16×16 · 9 ops"


def test_a_block_view_shows_the_residual_and_where_its_data_comes_from() -> None:
    tree = gt.build_tree(torch_resnet())
    plan = gt.plan_views(tree)
    block = next(
        s for s in plan.views.values() if gt.label(tree, s.root).text == "BasicBlock layer2.0"
    )
    names = {k: gt.label(tree, b).text for k, b in enumerate(block.boxes)}
    add = next(k for k, t in names.items() if t == "add")
    into_add = {names[e.src] for e in block.edges if e.dst == add and e.src >= 0}
    assert into_add == {"BatchNorm2d layer2.0.bn2", "BatchNorm2d layer2.0.shortcut.1"}
    stubs = {gt.stub_text(tree, item, inc) for item, inc in block.stubs}
    assert stubs == {"from layer1.1", "to layer2.1"}
    assert any(
        s is not block.root and gt.label(tree, s).text.startswith("Sequential")
        for s in block.clusters
    )


# --------------------------------------------------------------------------- TF and Keras


def test_tf1_lstm_overview_fits_and_sets_bookkeeping_apart() -> None:
    graph = decode_graph_def(tf1_lstm_graph().SerializeToString())
    tree = gt.build_tree(graph.nodes)
    plan = gt.plan_views(tree)
    ov = plan.overview
    assert tree.flavor == "tf" and len(ov.boxes) <= gt.BUDGET
    titles = {gt.label(tree, b).title for b in ov.boxes}
    assert {"rnn", "gradients", "dropout", "sequence_loss", "Adam"} <= titles
    aux = {gt.label(tree, ov.boxes[k]).title for k in ov.aux}
    assert {"save", "summaries"} <= aux
    assert all(e.src not in ov.aux and e.dst not in ov.aux for e in ov.edges)
    # every view fits a screen, stubs aside
    assert max(len(v.boxes) for v in plan.views.values()) <= gt.BUDGET


def test_keras_model_view() -> None:
    graph = decode_keras_model(keras.keras3_json())
    tree = gt.build_tree(graph.nodes, source=graph.source)
    plan = gt.plan_views(tree)
    assert tree.flavor == "keras" and tree.folded == 0
    labels = {gt.label(tree, b).text: gt.label(tree, b) for b in plan.overview.boxes}
    conv = labels["Conv2D conv2d"]
    assert conv.detail == "64 · 3×3 · ?×28×28×64" and conv.category == "conv"
    assert labels["Dense dense"].detail == "512 · relu · ?×512"
    assert len(plan.overview.edges) == 12


# --------------------------------------------------------------------------- the tree


def test_scopes_chains_merge_and_a_node_named_like_a_scope_goes_inside() -> None:
    nodes = [
        GraphNode("a/b/c/x", "Placeholder"),
        GraphNode("a/b/c/y", "Relu", ("a/b/c/x",)),
        GraphNode("Adam", "NoOp", ("^Adam/update",)),
        GraphNode("Adam/update", "ApplyAdam", ("a/b/c/y",)),
    ]
    tree = gt.build_tree(nodes)
    tops = {"/".join(s.parts): s for s in tree.root.children}
    assert set(tops) == {"a/b/c", "Adam"}
    assert sorted(tree.nodes[i].name for i in tops["Adam"].ops) == ["Adam", "Adam/update"]
    assert tree.ctrl.sum() == 1


def test_constant_folding_is_one_pass_even_consumer_first() -> None:
    chain = graph_stress.chain_constants(2000)  # consumer first: the old fixpoint was quadratic
    graph = decode_graph_def(chain.SerializeToString())
    tree = gt.build_tree(graph.nodes)
    assert tree.folded == 0 and tree.kept == 2000  # nothing but constants: all stay
    nodes = [
        GraphNode("c1", "prim::Constant"),
        GraphNode("c2", "prim::Constant"),
        GraphNode("lst", "prim::ListConstruct", ("c1", "c2")),
        GraphNode("x", "IO Node"),
        GraphNode("conv", "aten::_convolution", ("x", "lst")),
    ][::-1]
    tree = gt.build_tree(nodes)
    assert (tree.kept, tree.folded) == (2, 3)
    conv = next(i for i, n in enumerate(tree.nodes) if n.name == "conv")
    assert tree.feeds[conv] == 1 and "+1 constant/parameter inputs" in gt.label(tree, conv).tooltip


def test_a_wide_scope_is_split_into_ordered_groups_that_each_fit() -> None:
    graph = decode_graph_def(graph_stress.wide_fan(2000).SerializeToString())
    tree = gt.build_tree(graph.nodes)
    plan = gt.plan_views(tree)
    assert all(len(v.boxes) <= gt.BUDGET for v in plan.views.values())
    fan = next(b for b in plan.overview.boxes if isinstance(b, gt.Scope))
    groups = fan.items
    assert 2 <= len(groups) <= gt.BUDGET and all(
        isinstance(g, gt.Scope) and g.chunk for g in groups
    )
    assert gt.label(tree, groups[0]).title == "relu_0 … relu_49"
    assert sum(g.size for g in groups if isinstance(g, gt.Scope)) == 2000


def test_stubs_are_capped() -> None:
    nodes = [GraphNode(f"src{k}/x", "Placeholder") for k in range(30)]
    nodes.append(GraphNode("sink/a", "AddN", tuple(f"src{k}/x" for k in range(30))))
    nodes += [GraphNode(f"sink/r{k}", "Relu", ("sink/a",)) for k in range(20)]
    tree = gt.build_tree(nodes)
    plan = gt.plan_views(tree)
    sink = next(v for v in plan.views.values() if v.root.parts == ("sink",))
    assert len(sink.stubs) == gt.MAX_STUBS and sink.more_stubs == (30 - gt.MAX_STUBS, 0)


def test_labels_make_control_and_bidi_characters_visible() -> None:
    assert gt.visible("a\nb\u202ec\u200b") == "a\\nb\\u202ec\\u200b"
    assert len(gt.visible("x" * 500, 40)) == 40 and "…" in gt.visible("x" * 500, 40)


# --------------------------------------------------------------------------- bounded


def _seconds(work: Callable[[], object], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def _layout(nodes: list[GraphNode]) -> gt.Plan:
    return gt.plan_views(gt.build_tree(nodes))


def test_a_100k_chain_is_laid_out_in_near_linear_time() -> None:
    small, big = _chain(10_000), _chain(100_000)
    t_small = _seconds(lambda: _layout(small), repeat=3)
    t_big = _seconds(lambda: _layout(big), repeat=2)
    # linear gives ~10x, the old quadratic paths 100x; generous for a loaded 2-core box
    assert t_big / max(t_small, 1e-3) < 30, (t_small, t_big)
    assert t_big < 30
    plan = _layout(big)
    assert len(plan.overview.boxes) <= gt.BUDGET and len(plan.full.boxes) <= 250


def test_3000_deep_scopes_do_not_recurse() -> None:
    graph = decode_graph_def(graph_stress.deep_scopes().SerializeToString())
    seconds = _seconds(lambda: _layout(graph.nodes))
    assert seconds < 20  # was a RecursionError; tens of milliseconds here
    plan = _layout(graph.nodes)
    deepest = max(s.depth for s in plan.full.clusters) - plan.full.root.depth
    assert deepest <= gt.FULL_NESTING
    tree = gt.build_tree(graph.nodes)
    assert all(len(gt.scope_path(s, tree)) <= 120 for s in tree.scopes)


def test_the_deadline_bounds_the_layout() -> None:
    with pytest.raises(RenderError, match="longer than"):
        gt.build_tree(_chain(20_000), deadline=gt.Deadline(0.0))
    tree = gt.build_tree(_chain(20_000))
    with pytest.raises(RenderError, match="longer than"):
        gt.plan_views(tree, deadline=gt.Deadline(0.0))
