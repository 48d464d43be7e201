"""The shape of the code, checked: no import circles, the library never imports the
command line, a kind is named only in its own modules, no function over 80 lines, and
every import inside a function says why it is there (docs/architecture.md)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tbreport.kinds import KINDS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tbreport"
MAX_LINES = 80


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name.endswith("_pb2.py"):
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import that runs (module level or in a function), not ``if TYPE_CHECKING:``."""
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in typing_only:
            yield node


def _targets(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    # `from tbreport.x import y` imports the module tbreport.x.y when there is one
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            graph[name].update(t for t in _targets(node) if t in MODULES and t != name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_circles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_library_never_imports_the_command_line() -> None:
    graph = _graph()
    users = sorted(
        name
        for name, deps in graph.items()
        if any(d == "tbreport.cli" or d.startswith("tbreport.cli.") for d in deps)
        and not (name == "tbreport.cli" or name.startswith("tbreport.cli."))
    )
    assert users == ["tbreport.__main__"]


# --------------------------------------------------------------- a kind in one place

#: Files allowed to name every kind: the registry, the model's typed re-exports, and
#: the writer's typed add_* delegations.
EVERY_KIND = ("tbreport/kinds/__init__.py", "tbreport/model.py", "tbreport/writer/")

#: Scalars are the data every metric is computed from, so these read ``Run.scalars``:
#: the metric math, the selection (its tags), the run table, the gates, the summaries'
#: charts, the key-metrics panel (its charts are the scalar section's cards), line charts, the custom-scalar charts (charts of scalar tags), the hparams'
#: metrics (last scalar values), the export command, and the reader's vectorised fast
#: path for the scalar record shape (benchmarks/bench_reader.py keeps it).
SCALAR_CONSUMERS = (
    "tbreport/metrics.py",
    "tbreport/select.py",
    "tbreport/report/comparison.py",
    "tbreport/report/gates.py",
    "tbreport/report/html.py",
    "tbreport/report/mail.py",
    "tbreport/report/verdict.py",
    "tbreport/render/lines.py",
    "tbreport/render/custom_scalars.py",
    "tbreport/kinds/hparams.py",
    "tbreport/cli/scalars.py",
    "tbreport/reader/fast.py",
)


def _own(kind_module: str, rel: str) -> bool:
    return rel in (f"tbreport/kinds/{kind_module}.py", f"tbreport/render/{kind_module}.py") or (
        rel.startswith(f"templates/kinds/{kind_module}")
    )


def _mentions(path: Path, words: set[str], attr: str, modules: set[str]) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        pattern = re.compile(
            rf"\.{re.escape(attr)}\b|" + "|".join(rf"['\"]{re.escape(w)}['\"]" for w in words)
        )
        return [f"line {i}" for i, line in enumerate(text.splitlines(), 1) if pattern.search(line)]
    hits = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Attribute) and node.attr == attr:
            hits.append(f"line {node.lineno}: .{attr}")
        elif isinstance(node, ast.Constant) and node.value in words:
            hits.append(f"line {node.lineno}: {node.value!r}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and modules & set(_targets(node)):
            hits.append(f"line {node.lineno}: import")
    return hits


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.module)
def test_no_file_outside_a_kinds_own_modules_names_it(kind: object) -> None:
    from tbreport.kinds.base import Kind

    assert isinstance(kind, Kind)
    words = {kind.name, kind.attr}
    modules = {f"tbreport.kinds.{kind.module}", f"tbreport.render.{kind.module}"}
    allowed = EVERY_KIND + (SCALAR_CONSUMERS if kind.name == "scalars" else ())
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "templates").rglob("*.j2")]
    found = {}
    for path in sorted(files):
        rel = path.relative_to(ROOT).as_posix()
        if rel.endswith("_pb2.py") or rel.startswith(allowed) or _own(kind.module, rel):
            continue
        hits = _mentions(path, words, kind.attr, modules)
        if hits:
            found[rel] = hits
    assert found == {}, f"{kind.name} is named outside its own modules"


# --------------------------------------------------------------- functions


def _functions() -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, list[str]]]:
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield name, node, lines


def test_no_function_over_80_lines() -> None:
    """Except a measured hot loop, whose first lines name the benchmark keeping it whole."""
    long = []
    for module, node, lines in _functions():
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        head = "\n".join(lines[node.lineno - 1 : node.lineno + 5])
        if length > MAX_LINES and "benchmarks/" not in head:
            long.append(f"{module}.{node.name}: {length} lines")
    assert long == []


#: The writer's files belong to the writer-seams work (#8 item 7), done in parallel.
NOT_YET = ("tbreport/writer/", "tbreport/_samples.py")


def test_imports_inside_functions_say_why() -> None:
    """An import inside a function keeps something heavy (matplotlib, jinja2, Pillow,
    the library from the command line) off the import path; a comment says which."""
    silent = []
    for module, node, lines in _functions():
        rel = MODULES[module].relative_to(ROOT).as_posix()
        if rel.startswith(NOT_YET):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, (ast.Import, ast.ImportFrom)):
                line = lines[inner.lineno - 1]
                above = lines[inner.lineno - 2].strip() if inner.lineno > 1 else ""
                if "#" not in line and not above.startswith("#"):
                    silent.append(f"{rel}:{inner.lineno}: {line.strip()}")
    assert sorted(set(silent)) == []
