"""The kind registry: every kind module is registered once, with its template, its
section builder, its golden, its test modules; and values are claimed as TensorBoard does."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import tbreport.kinds as registry
from tbreport.kinds import KIND_NAMES, KINDS, by_event_field, by_name, claim, fast_path_kind
from tbreport.model import Run

ROOT = Path(__file__).resolve().parents[2]
KIND_MODULES = sorted(
    p.stem
    for p in (ROOT / "tbreport" / "kinds").glob("*.py")
    if p.stem not in ("__init__", "base") and not p.stem.startswith("_")
)


def test_every_kind_module_is_registered_once() -> None:
    assert sorted(k.module for k in KINDS) == KIND_MODULES
    for kind in KINDS:
        assert getattr(registry, kind.module).KIND is kind  # declared in its own module
    assert len(set(KIND_NAMES)) == len(KINDS)
    plugins = [p for k in KINDS for p in k.plugin_names]
    assert len(set(plugins)) == len(plugins)
    fields = [k.legacy_field for k in KINDS if k.legacy_field]
    assert len(set(fields)) == len(fields)
    assert [k.name for k in KINDS if k.fallback] == ["tensors"]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.module)
def test_a_kind_has_its_template_builder_golden_and_tests(kind: registry.Kind) -> None:
    assert kind.attr in {f.name for f in dataclasses.fields(Run)}
    assert kind.sections, f"{kind.name} has no section builder"
    for spec in kind.sections:
        assert spec.builder.startswith(f"tbreport.render.{kind.module}:")
        assert callable(spec.load())
        for template in spec.templates:
            assert template.startswith(f"kinds/{kind.module}")
            assert (ROOT / "templates" / template).is_file(), f"missing template {template}"
    assert list((ROOT / "tests" / "golden").glob(f"{kind.module}*.pbtxt")), "no golden"
    for tests in ("kinds", "render"):
        assert (ROOT / "tests" / tests / f"test_{kind.module}.py").is_file()


def test_every_kind_template_belongs_to_a_kind() -> None:
    declared = {t for k in KINDS for s in k.sections for t in s.templates}
    on_disk = {f"kinds/{p.name}" for p in (ROOT / "templates" / "kinds").glob("*.html.j2")}
    assert on_disk == declared


@pytest.mark.parametrize(
    ("which", "plugin", "kind"),
    [
        ("simple_value", "", "scalars"),
        ("simple_value", "images", "scalars"),  # the legacy field wins
        ("tensor", "scalars", "scalars"),
        ("image", "", "images"),
        ("tensor", "images", "images"),
        ("histo", "", "histograms"),
        ("audio", "", "audio"),
        ("tensor", "text", "texts"),
        ("tensor", "pr_curves", "pr_curves"),
        ("tensor", "custom_scalars", "custom_scalars"),
        ("tensor", "mesh", "meshes"),
        ("tensor", "hparams", "hparams"),
        (None, "hparams", "hparams"),  # hparams data lives in the metadata
        ("tensor", "", "tensors"),
        ("tensor", "some_plugin", "tensors"),  # unknown plugins are kept raw
        ("tensor", "tensor", "tensors"),
        (None, "text", None),  # a value holding no data
        ("obsolete_old_style_histogram", "", None),
    ],
)
def test_claims(which: str | None, plugin: str, kind: str | None) -> None:
    got = claim(which, plugin)
    assert (got.name if got is not None else None) == kind


def test_event_fields_fast_path_and_lookup() -> None:
    graph = by_event_field("graph_def")
    assert graph is not None and graph.name == "graph"
    assert by_event_field("meta_graph_def") is graph
    assert by_event_field("session_log") is None
    assert fast_path_kind().name == "scalars"
    assert by_name("images").module == "image"
    with pytest.raises(KeyError, match="no kind 'nope'"):
        by_name("nope")


def test_the_model_iterates_the_registry() -> None:
    run = Run("r", "r")
    assert run.kinds() == () and run.tag_count() == 0 and run.step_range() is None
    assert Run.kinds.__doc__ and "KIND_NAMES" in Run.kinds.__doc__
