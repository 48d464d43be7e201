"""Formatting numbers, times and sizes."""

from __future__ import annotations

import math

from tbreport.fmt import fmt_bytes, fmt_duration, fmt_float, fmt_step, fmt_time, plural


def test_formatting() -> None:
    assert fmt_float(0.123456) == "0.1235"
    assert fmt_float(math.nan) == "NaN"
    assert fmt_float(-math.inf) == "-inf"
    assert fmt_float(3.0) == "3"
    assert fmt_float(123456789.123) == "1.235e+08"
    assert fmt_step(1234567) == "1,234,567"
    assert fmt_time(0) == ""
    assert fmt_time(1700000000) == "2023-11-14 22:13:20 UTC"
    assert fmt_duration(3.25) == "3.2 s"
    assert fmt_duration(125) == "2 min 05 s"
    assert fmt_duration(7380) == "2 h 03 min"
    assert fmt_duration(3 * 86400 + 3600) == "3 d 01 h"
    assert fmt_bytes(2048) == "2.0 KB"


def test_plural() -> None:
    assert [plural(n, "run") for n in (0, 1, 2)] == ["0 runs", "1 run", "2 runs"]
    assert plural(1, "level") == "1 level" and plural(3, "entry", "entries") == "3 entries"
