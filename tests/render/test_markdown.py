from __future__ import annotations

from html.parser import HTMLParser

from tbreport.render.markdown import render_markdown, render_text_tensor, sanitize


def test_script_is_shown_as_text() -> None:
    html = render_markdown("<script>alert('xss')</script> <b>bold?</b> & <i>it</i>")
    assert "<script" not in html
    assert "&lt;script&gt;alert" in html


def test_simple_inline_tags_are_kept() -> None:
    assert render_markdown("TF1 text <i>v1</i>") == "<p>TF1 text <i>v1</i></p>\n"
    assert "<br>" in render_markdown("a <br> b")


def test_markdown_features() -> None:
    html = render_markdown(
        "# Heading\n\n* item **bold**\n* `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    for tag in ("<h1>", "<strong>", "<code>", "<table>", "<td>"):
        assert tag in html


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)


def elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


def test_nothing_loads_or_runs() -> None:
    html = render_markdown(
        "[x](javascript:alert(1)) ![i](https://example.com/a.png) <img src=x onerror=alert(1)> "
        '[ok](https://example.com) <b onclick="x">hi</b>\n\n<div onclick="x">block</div>'
    )
    found = elements(html)
    assert set(found.tags) == {"p", "a"}
    assert found.attrs == [("href", "https://example.com"), ("rel", "noopener noreferrer")]
    assert "[image: i]" in html  # an image becomes its alt text and address


def test_sanitize_is_a_second_line_of_defence() -> None:
    assert sanitize('<script>alert(1)</script><a href="javascript:x" onclick="y">z</a>') == (
        '<a rel="noopener noreferrer">z</a>'
    )


def test_text_tensors() -> None:
    assert render_text_tensor(["**x**"], ()) == "<p><strong>x</strong></p>\n"
    vector = render_text_tensor(["row one", "row two"], (2,))
    assert vector.count("<tr>") == 2
    matrix = render_text_tensor(["a", "b", "c", "d"], (2, 2))
    assert matrix.count("<td>") == 4


def test_text_nested_beyond_the_parser_limit_is_shown_not_dropped() -> None:
    for prefix in ("> ", "- ", "1. "):
        deep = render_markdown(prefix * 60 + "secret <b>x</b> & more")
        assert deep.startswith("<pre>") and "secret &lt;b&gt;x&lt;/b&gt; &amp; more" in deep
        assert "<b>" not in deep
    quoted = render_markdown("> " * 30 + "secret")  # the reviewer's case: within the limit
    assert quoted.count("<blockquote>") == 30 and "secret" in quoted
    listed = render_markdown("- " * 15 + "item")
    assert listed.count("<li>") == 15 and "item" in listed
    for n in range(1, 70):  # at any depth, the text is there
        for prefix in ("> ", "- "):
            assert "secret" in render_markdown(prefix * n + "secret"), (prefix, n)
