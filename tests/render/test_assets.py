from __future__ import annotations

import math

from tbreport.render import assets


def test_templates_are_found_and_autoescape() -> None:
    assert (assets.templates_dir() / "report.html.j2").is_file()
    env = assets.environment()
    assert env.from_string("{{ x }}").render(x="<b>&") == "&lt;b&gt;&amp;"


def test_formatting() -> None:
    assert assets.fmt_float(0.123456) == "0.1235"
    assert assets.fmt_float(math.nan) == "NaN"
    assert assets.fmt_float(-math.inf) == "-inf"
    assert assets.fmt_float(3.0) == "3"
    assert assets.fmt_float(123456789.123) == "1.235e+08"
    assert assets.fmt_step(1234567) == "1,234,567"
    assert assets.fmt_time(0) == ""
    assert assets.fmt_time(1700000000) == "2023-11-14 22:13:20 UTC"
    assert assets.fmt_duration(3.25) == "3.2 s"
    assert assets.fmt_duration(125) == "2 min 05 s"
    assert assets.fmt_duration(7380) == "2 h 03 min"
    assert assets.fmt_duration(3 * 86400 + 3600) == "3 d 01 h"
    assert assets.fmt_bytes(2048) == "2.0 KB"


def test_anchors_are_unique_ascii_and_stable() -> None:
    a = assets.Anchors()
    first = a.make("scalar", "<script>alert(1)</script>")
    assert first.isascii() and "<" not in first and '"' not in first
    assert a.make("scalar", "<script>alert(1)</script>") != first
    assert assets.Anchors().make("scalar", "<script>alert(1)</script>") == first
    assert assets.Anchors().make("训练损失值").startswith("x-")


def test_data_uri() -> None:
    assert assets.data_uri(b"\x89PNG", "image/png") == "data:image/png;base64,iVBORw=="
