from __future__ import annotations

from tbreport.render import assets


def test_templates_are_found_and_autoescape() -> None:
    assert (assets.templates_dir() / "report.html.j2").is_file()
    env = assets.environment()
    assert env.from_string("{{ x }}").render(x="<b>&") == "&lt;b&gt;&amp;"


def test_anchors_are_unique_ascii_and_stable() -> None:
    a = assets.Anchors()
    first = a.make("scalar", "<script>alert(1)</script>")
    assert first.isascii() and "<" not in first and '"' not in first
    assert a.make("scalar", "<script>alert(1)</script>") != first
    assert assets.Anchors().make("scalar", "<script>alert(1)</script>") == first
    assert assets.Anchors().make("训练损失值").startswith("x-")


def test_data_uri() -> None:
    assert assets.data_uri(b"\x89PNG", "image/png") == "data:image/png;base64,iVBORw=="
