from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from tbreport.reader import events
from tests.conftest import CORPUS, expected_tbreport


@pytest.fixture(scope="session")
def corpus() -> pathlib.Path:
    return CORPUS


@pytest.fixture(scope="session")
def expected() -> dict[str, Any]:
    runs: dict[str, Any] = json.loads((CORPUS / "expected.json").read_text("utf-8"))["runs"]
    return runs


@pytest.fixture(scope="session", name="expected_tbreport")
def expected_tbreport_fixture() -> dict[str, Any]:
    return expected_tbreport()


@pytest.fixture(scope="module")
def force_fast_path() -> Iterator[None]:
    """Use the vectorised path even for small files (it normally starts at 64 KiB)."""
    saved = events.FAST_PATH_MIN_BYTES
    events.FAST_PATH_MIN_BYTES = 0
    yield
    events.FAST_PATH_MIN_BYTES = saved
