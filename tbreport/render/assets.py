"""Templates and inline assets shared by every section (formatting: :mod:`tbreport.fmt`).

Templates are found in the installed package first (``tbreport/templates``, mapped
there by the wheel build) and then in a source checkout (``<repo>/templates``). One
jinja ``Environment`` renders them all, with autoescaping on for every template:
strings from logs (run names, tags, text, hparams) are escaped by default, and only
markup tbreport produced itself (sanitised markdown, our own SVG) is marked safe.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tbreport.errors import RenderError
from tbreport.fmt import (
    fmt_bytes,
    fmt_duration,
    fmt_float,
    fmt_int,
    fmt_step,
    fmt_time,
    shown_name,
)
from tbreport.kinds import KINDS
from tbreport.render.colors import dark_variant

if TYPE_CHECKING:
    import jinja2

logger = logging.getLogger(__name__)

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def templates_dir() -> Path:
    """Where the templates are: the installed copy first, then the source checkout."""
    for candidate in (_PACKAGE_DIR / "templates", _PACKAGE_DIR.parent / "templates"):
        if (candidate / "report.html.j2").is_file():
            return candidate

    raise RenderError(
        "the report templates are missing (looked in "
        f"{_PACKAGE_DIR / 'templates'} and {_PACKAGE_DIR.parent / 'templates'}); "
        "reinstall tbreport"
    )


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The one jinja environment (autoescape on for every template, undefined is an error)."""
    import jinja2  # jinja2: only when rendering

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_shown,
    )
    env.filters.update(
        fmt_float=fmt_float,
        fmt_int=fmt_int,
        fmt_step=fmt_step,
        fmt_time=fmt_time,
        fmt_duration=fmt_duration,
        fmt_bytes=fmt_bytes,
        data_uri=data_uri,
        wrap_path=wrap_path,
        wrap_name=wrap_name,
        dark_variant=dark_variant,
    )
    return env


def _shown(value: Any) -> Any:
    """Every ``{{ value }}`` a template prints: a string holding a name that is not UTF-8
    on disk (a file path, a logdir) is shown with ``\\xNN`` escapes, never written as a
    surrogate the page's UTF-8 cannot hold (:func:`tbreport.fmt.shown_name`)."""
    if isinstance(value, str):
        shown = shown_name(value)
        return value if shown is value else type(value)(shown)  # Markup stays Markup
    return value


def wrap_path(text: Any) -> Any:
    """Escaped text with a line-break opportunity after each ``/`` (long run names)."""
    from markupsafe import Markup, escape  # jinja2: only when rendering

    return Markup("/<wbr>").join(escape(str(text)).split("/"))


def wrap_name(text: Any) -> Any:
    """Escaped text with a line-break opportunity after each ``/`` and ``_``: a long run
    name or tag in a narrow column breaks between its parts, never inside one
    (``resnet14_adam_lr1e-3`` -> ``resnet14_`` ``adam_`` ``lr1e-3``)."""
    from markupsafe import Markup, escape  # jinja2: only when rendering

    def token(t: str) -> Markup:
        # a browser also breaks after "-" (lr1e-/3): such a token is kept on one line
        return Markup('<span class="nw">{}</span>').format(t) if "-" in t else escape(t)

    parts = [Markup("_<wbr>").join(token(t) for t in p.split("_")) for p in str(text).split("/")]
    return Markup("/<wbr>").join(parts)


def read_asset(name: str) -> str:
    """The text of a static asset next to the templates (``style.css``, ``report.js``)."""
    return (templates_dir() / name).read_text(encoding="utf-8")


def page_asset(base: str) -> str:
    """A page-wide asset and what each kind adds to it: ``base`` (``style.css``,
    ``report.js``) followed by ``kinds/<module>.<ext>`` of every kind that has one, in
    the registry's order. A kind's styling and behaviour live in its own files."""
    ext = base.rsplit(".", 1)[-1]
    parts = [read_asset(base)]
    seen: set[str] = set()
    for kind in KINDS:
        path = templates_dir() / "kinds" / f"{kind.module}.{ext}"
        if kind.module not in seen and path.is_file():
            seen.add(kind.module)
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(part.rstrip("\n") for part in parts) + "\n"


# --------------------------------------------------------------------------- encoding


def data_uri(data: bytes, mime: str) -> str:
    """A ``data:`` URI holding ``data`` (base64)."""
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


_SLUG_BAD = re.compile(r"[^a-z0-9]+")


class Anchors:
    """Unique, stable, ASCII-only HTML ids for arbitrary strings (tags may be anything)."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def make(self, *parts: str) -> str:
        text = "/".join(parts)
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        slug = _SLUG_BAD.sub("-", ascii_text.lower()).strip("-")[:48] or "x"
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]
        anchor = f"{slug}-{digest}"
        n = 2
        base = anchor
        while anchor in self._used:
            anchor = f"{base}-{n}"
            n += 1
        self._used.add(anchor)
        return anchor
