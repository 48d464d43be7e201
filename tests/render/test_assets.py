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


def test_page_assets_take_each_kinds_own_css_and_js() -> None:
    from tbreport.kinds import KINDS

    modules = {k.module for k in KINDS}
    kind_files = sorted((assets.templates_dir() / "kinds").glob("*.[cj]s*"))
    assert kind_files, "no kind has styling of its own"
    for path in kind_files:
        assert path.stem in modules, f"{path.name} belongs to no registered kind"
    style, script = assets.page_asset("style.css"), assets.page_asset("report.js")
    assert style.startswith(assets.read_asset("style.css").rstrip("\n"))
    for path in kind_files:
        text = path.read_text(encoding="utf-8").rstrip("\n")
        assert text in (style if path.suffix == ".css" else script), path.name
    # the registry's order: a kind's rules come after the page's, in KINDS order
    order = [
        k.module for k in KINDS if (assets.templates_dir() / "kinds" / f"{k.module}.css").is_file()
    ]
    positions = [style.index(assets.read_asset(f"kinds/{m}.css").rstrip("\n")) for m in order]
    assert positions == sorted(positions)
