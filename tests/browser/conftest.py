"""Browsers shared by the browser tests of a module: a 1280 px desktop and a 390 px phone
(headless Chromium through tests/browser/cdp.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.cdp import Browser


@pytest.fixture(scope="module")
def desktop() -> Iterator[Browser]:
    b = Browser(width=1280, height=900)
    yield b
    b.close()


@pytest.fixture(scope="module")
def phone() -> Iterator[Browser]:
    b = Browser(width=390, height=844)
    yield b
    b.close()
