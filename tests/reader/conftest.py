from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "data" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> pathlib.Path:
    return CORPUS


@pytest.fixture(scope="session")
def expected() -> dict[str, Any]:
    runs: dict[str, Any] = json.loads((CORPUS / "expected.json").read_text("utf-8"))["runs"]
    return runs


@pytest.fixture(scope="session")
def expected_tbreport() -> dict[str, Any]:
    runs: dict[str, Any] = json.loads((CORPUS / "expected_tbreport.json").read_text("utf-8"))[
        "runs"
    ]
    return runs
