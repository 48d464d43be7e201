"""Markdown from logs, rendered and sanitised (text summaries, descriptions).

Text summaries are markdown, as in TensorBoard. Raw HTML inside them is where a log
could attack the reader of a report, so it is handled in two layers:

1. markdown-it-py renders CommonMark + tables + strikethrough. Raw HTML tokens are
   escaped and shown as text (a ``<script>`` in a log appears literally), except a
   handful of harmless inline tags written bare (``<b>``, ``<i>``, ``<br>``, ...), which
   TensorBoard also honours. Link targets are limited to http(s)/mailto/#anchors by
   markdown-it's own validation; images become their alt text plus address, so a log
   can never make the report load anything.
2. nh3 (the ammonia HTML sanitiser) cleans the result against an allow-list anyway,
   so a bug in layer 1 cannot let a script or an event handler through.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

logger = logging.getLogger(__name__)

#: bare inline tags a log may use (no attributes): kept as markup.
_SAFE_INLINE = re.compile(
    r"^</?(b|i|em|strong|u|s|del|ins|sub|sup|code|kbd|mark|small|br|wbr)\s*/?>$", re.I
)

_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "wbr",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "span": {"class"},
    "th": {"style"},
    "td": {"style"},
    "ol": {"start"},
}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # markdown-it: only when a text is rendered

    md = MarkdownIt(
        "commonmark",
        # maxNesting: commonmark's 20 is only 10 nested list levels; deeper still falls
        # back to plain text (render_markdown)
        {"html": True, "linkify": False, "typographer": False, "maxNesting": 40},
    )
    md.enable(["table", "strikethrough"])

    def html_inline(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        content = str(tokens[idx].content)
        if _SAFE_INLINE.match(content.strip()):
            return content.strip()
        return html.escape(content)

    def html_block(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        return "<p>" + html.escape(str(tokens[idx].content)).rstrip("\n") + "</p>\n"

    def image(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        alt = "".join(str(child.content) for child in (token.children or []))
        src = str(token.attrGet("src") or "")
        return html.escape(f"[image: {alt}]" + (f" ({src})" if src else ""))

    md.add_render_rule("html_inline", html_inline)
    md.add_render_rule("html_block", html_block)
    md.add_render_rule("image", image)
    return md


def sanitize(markup: str) -> str:
    """nh3 with tbreport's allow-list; links get ``rel="noopener noreferrer"``."""
    import nh3  # nh3: only when a text is rendered

    return str(
        nh3.clean(
            markup,
            tags=_TAGS,
            attributes={k: set(v) for k, v in _ATTRIBUTES.items()},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer",
            strip_comments=True,
            filter_style_properties={"text-align"},
        )
    )


#: block tokens whose content markdown-it parses one nesting level deeper
_CONTAINERS = frozenset({"blockquote_open", "list_item_open"})


def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML (a string safe to insert into the page).

    markdown-it silently drops whatever is nested deeper than its ``maxNesting`` (e.g.
    30 ``> `` quotes). Text from a log is never dropped: such a text is shown escaped, as
    written, in a ``<pre>``.
    """
    md = _parser()
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    limit = int(md.options["maxNesting"])
    if any(t.type in _CONTAINERS and t.level + 1 >= limit for t in tokens):
        logger.debug("markdown nested %d+ levels deep: shown as plain text", limit)
        return sanitize(f"<pre>{html.escape(text)}</pre>\n")
    return sanitize(md.renderer.render(tokens, md.options, env))


def render_text_tensor(values: Sequence[str], shape: Sequence[int]) -> str:
    """A string tensor as TensorBoard shows it: a scalar as markdown, a vector or a
    matrix as a table of markdown cells; higher ranks are flattened to a vector."""
    if len(shape) == 0 or (len(values) == 1 and all(d == 1 for d in shape)):
        return render_markdown(values[0] if values else "")
    if len(shape) == 2:
        rows, cols = int(shape[0]), int(shape[1])
    else:
        rows, cols = len(values), 1
    out = ['<table class="text-tensor"><tbody>']
    for r in range(rows):
        out.append("<tr>")
        for c in range(cols):
            k = r * cols + c
            cell = values[k] if k < len(values) else ""
            out.append(f"<td>{render_markdown(cell)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return sanitize("".join(out))
