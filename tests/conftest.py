"""Shared test configuration: Hypothesis profiles, the corpus location, ``--update-goldens``."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"
GOLDEN = Path(__file__).parent / "golden"


def expected_tbreport() -> dict[str, Any]:
    """What tbreport reads from the corpus, run by run (``expected_tbreport.json``)."""
    runs: dict[str, Any] = json.loads((CORPUS / "expected_tbreport.json").read_text("utf-8"))[
        "runs"
    ]
    return runs


def same_float(a: float, b: float) -> bool:
    """Equal, or both NaN."""
    return a == b or (math.isnan(a) and math.isnan(b))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*.pbtxt and the report snapshot from the current code "
        "(make goldens); review the diff before committing",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    """Whether this run rewrites goldens instead of comparing with them."""
    return bool(request.config.getoption("--update-goldens"))
