"""The exception tree is true: drawn in errors.py's docstring, exported, and every class
is raised somewhere in the package (never the bare base class)."""

from __future__ import annotations

import ast
from pathlib import Path

import tbreport
from tbreport import errors

PACKAGE = Path(tbreport.__file__).parent


def _raised() -> dict[str, list[str]]:
    """Class name -> places where the package raises (or returns for raising) it."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name.endswith("_pb2.py") or path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value = node.exc if isinstance(node, ast.Raise) else None
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Call):
                value = node.value  # a factory of errors, such as select.strict_error
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
                found.setdefault(value.func.id, []).append(where)
    return found


def test_every_exported_class_is_drawn_and_exported() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        assert name in doc, f"{name} is missing from the tree in errors.py's docstring"
        assert name in tbreport.__all__
        assert issubclass(getattr(errors, name), errors.TbreportError)


def test_every_class_is_raised_somewhere() -> None:
    raised = _raised()
    never = [n for n in errors.__all__ if n != "TbreportError" and n not in raised]
    assert never == [], f"exported but never raised: {never}"


def test_the_base_class_is_never_raised_bare() -> None:
    assert _raised().get("TbreportError", []) == []


def test_the_damage_classes_carry_the_issues() -> None:
    e = errors.CorruptRecordError("m", path="p", offset=3, index=1, issues=["w"])
    assert isinstance(e, errors.DamagedInputError) and e.issues == ["w"]
    assert (e.path, e.offset, e.index) == ("p", 3, 1)
    assert isinstance(errors.UsageError("x"), ValueError)
