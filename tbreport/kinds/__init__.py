"""The kind registry: every summary kind tbreport knows, each declared once.

Each ``tbreport/kinds/<module>.py`` holds one kind's wire format (plugin name, legacy
field, point type, ``encode`` for the writer, ``decode`` for the reader) and declares
it as ``KIND`` (:class:`tbreport.kinds.base.Kind`): what it claims, where its data lives
in a :class:`~tbreport.model.Run`, how it counts, and its section builder and templates
(``tbreport/render/<module>.py``, ``templates/kinds/<module>*.html.j2``), named by
string so the writer never imports plotting code.

:data:`KINDS` lists them in the order the report shows them. The reader asks
:func:`claim` which kind owns a value, the model and the report loop over
:data:`KINDS`; adding a kind is its module(s), its template and one entry here (plus
the typed ``SummaryWriter.add_*`` delegation and the model's re-exports).
"""

from __future__ import annotations

from tbreport.kinds import (
    audio,
    custom_scalars,
    embedding,
    graph,
    histogram,
    hparams,
    image,
    mesh,
    pr_curve,
    scalar,
    tensor,
    text,
)
from tbreport.kinds.base import Kind

__all__ = ["KINDS", "KIND_NAMES", "by_event_field", "by_name", "claim", "fast_path_kind"]

#: every kind, in the report's order (sections, ``Run.kinds()``, ``tbreport ls``, counts)
KINDS: tuple[Kind, ...] = (
    scalar.KIND,
    custom_scalars.KIND,
    image.KIND,
    audio.KIND,
    graph.KIND,
    histogram.KIND,
    text.KIND,
    pr_curve.KIND,
    mesh.KIND,
    hparams.KIND,
    tensor.KIND,
    embedding.KIND,
)

KIND_NAMES: tuple[str, ...] = tuple(k.name for k in KINDS)

_BY_FIELD = {k.legacy_field: k for k in KINDS if k.legacy_field}
_BY_PLUGIN = {p: k for k in KINDS for p in k.plugin_names}
_BY_EVENT = {f: k for k in KINDS for f in k.event_fields}
_FALLBACK = next(k for k in KINDS if k.fallback)


def claim(which: str | None, plugin: str) -> Kind | None:
    """The kind that owns a ``Summary.Value`` whose data field is ``which`` and whose
    tag's plugin is ``plugin``; ``None`` when no kind does (a value without data, or an
    obsolete field).

    A legacy field (``simple_value``, ``image``, ``histo``, ``audio``) names its kind;
    otherwise the plugin does, for a tensor value (or any value, for a kind such as
    hparams whose data sits in the metadata); any other tensor is kept raw.
    """
    kind = _BY_FIELD.get(which or "")
    if kind is not None:
        return kind
    kind = _BY_PLUGIN.get(plugin)
    if kind is not None and (which == "tensor" or kind.any_value):
        return kind
    return _FALLBACK if which == "tensor" else None


def by_event_field(what: str) -> Kind | None:
    """The kind reading ``Event``\\ s whose ``what`` is ``what`` (``graph_def``, ...)."""
    return _BY_EVENT.get(what)


def by_name(name: str) -> Kind:
    """The kind called ``name`` (as in :data:`KIND_NAMES`)."""
    for kind in KINDS:
        if kind.name == name:
            return kind
    raise KeyError(f"no kind {name!r}; kinds: {', '.join(KIND_NAMES)}")


def fast_path_kind() -> Kind:
    """The kind of the records the reader decodes vectorised (legacy ``simple_value``)."""
    return _BY_FIELD["simple_value"]
