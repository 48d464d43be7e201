"""Golden files: an encoder's output compared with ``tests/golden/<name>.pbtxt``.

The golden is protobuf text format. It is *parsed* into a message of the same type and
compared message to message, so formatting (field order, float spelling) never matters,
only content. ``pytest --update-goldens`` (``make goldens``) rewrites the files; a
reviewer reads the diff.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from google.protobuf import text_format

from tests.conftest import GOLDEN


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.pbtxt"


def check_golden(name: str, message: Any, *, update: bool) -> None:
    """Assert ``message`` equals the golden ``name`` (or rewrite it when ``update``)."""
    path = golden_path(name)
    text = text_format.MessageToString(message, as_utf8=True)
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"no golden {path.name}: run `make goldens` and review it"
    expected = text_format.Parse(path.read_text(encoding="utf-8"), type(message)())
    if expected != message:
        diff = "\n".join(
            difflib.unified_diff(
                text_format.MessageToString(expected, as_utf8=True).splitlines(),
                text.splitlines(),
                f"golden/{path.name}",
                "encoded now",
                lineterm="",
            )
        )
        raise AssertionError(f"{name}: the encoder's output differs from its golden:\n{diff}")
