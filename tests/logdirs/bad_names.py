"""``bad_names``: run directories, file names, tags and node names that break naive code.

Written with tbreport's ``SummaryWriter`` (paths given as ``os.fsdecode`` of the
bytes, i.e. surrogate escapes), raw records for the event file whose own name is
not UTF-8. Every run holds ``loss`` (5 points), so each name can be found in the
output. Runs (as ``os.fsencode`` bytes on disk):

- not UTF-8: ``latin1_caf\\xe9`` (Latin-1 "café"), ``bytes_\\xff\\xfe_run``, and
  ``nonutf8_file/`` whose event file is named
  ``events.out.tfevents.1767225600.h\\xf6st.4242.0``;
- control and invisible characters: ``line1\\nline2``, ``tab\\there``,
  ``\\u202eexe.txt`` (RIGHT-TO-LEFT OVERRIDE), ``\\u2066isolate\\u2069d``,
  ``zero\\u200bwidth``, ``trailing space ``;
- markup and mentions: ``<script>alert(1)</script>`` (two directories, as the
  ``/`` makes it), ``<img src=x onerror=alert(1)>``, ``a&b&amp;c``,
  ``quote"d'run``, ``@org/team``, ``#123``, ``[x](javascript:alert(1))``;
- length: a 255-byte name (the longest ext4 allows) and a path of 14 nested
  250-byte directories (3,5xx-character run name);
- unicode: ``训练/运行``, ``🔥run``, ``e\\u0301`` (decomposed é) beside ``\\u00e9``
  (composed): two runs that look the same.

Run ``tags`` (a plain name) holds the hostile tags: a 5,000,000-byte tag
(``"t" * 5_000_000``, ~5 MB on disk), ``new\\nline``, ``tab\\tag``,
``rtl/\\u202eevil``, ``<b>bold</b>``, ``a&b&amp;c``, ``nul\\x00byte``, ``@here``,
``#42``, ``[x](javascript:alert(1))``; a text summary with HTML, a
``javascript:`` link and an ``<iframe>``; a graph whose node names are
``a&b&amp;c``, ``<b>bold</b>``, ``quote"d``, ``new\\nline``, ``ünïcødé/op``,
``🔥/op`` (with an edge between each).

What TensorBoard reads: every run, including the non-UTF-8 ones (its walk uses
``str`` paths, so their names come back with surrogate escapes such as
``\\udce9``), every tag; ``tests/test_logdirs.py`` checks the count.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tbreport import SummaryWriter
from tbreport.proto import event_pb2
from tests.logdirs._graphs import GraphBuilder
from tests.logdirs._write import START, RawEventFile, finish, fresh, frozen, simple_value

LONG = "L" * 255
DEEP = "/".join(f"{k:02d}" + "d" * 248 for k in range(14))
RUN_NAMES: tuple[bytes, ...] = (
    b"latin1_caf\xe9",
    b"bytes_\xff\xfe_run",
    b"line1\nline2",
    b"tab\there",
    "\u202eexe.txt".encode(),
    "\u2066isolate\u2069d".encode(),
    "zero\u200bwidth".encode(),
    b"trailing space ",
    b"<script>alert(1)</script>",
    b"<img src=x onerror=alert(1)>",
    b"a&b&amp;c",
    b"quote\"d'run",
    b"@org/team",
    b"#123",
    b"[x](javascript:alert(1))",
    LONG.encode(),
    f"deep/{DEEP}".encode(),
    "训练/运行".encode(),
    "🔥run".encode(),
    "e\u0301".encode(),
    "\u00e9".encode(),
)
NONUTF8_FILE = b"events.out.tfevents.1767225600.h\xf6st.4242.0"
HUGE_TAG = "t" * 5_000_000
TAGS = (
    "new\nline",
    "tab\tag",
    "rtl/\u202eevil",
    "<b>bold</b>",
    "a&b&amp;c",
    "nul\x00byte",
    "@here",
    "#42",
    "[x](javascript:alert(1))",
)
NODE_NAMES = ("a&b&amp;c", "<b>bold</b>", 'quote"d', "new\nline", "ünïcødé/op", "🔥/op")
TEXT = (
    '<script>alert("text")</script> <iframe src="https://example.com"></iframe> '
    "[click](javascript:alert(1)) <img src=x onerror=alert(2)> **bold** &amp; &lt;"
)


def _graph() -> Any:
    g = GraphBuilder(producer=1645)
    prev: list[str] = []
    for name in NODE_NAMES:
        prev = [g.node(name, "Identity" if prev else "Placeholder", prev, dtype_attr="T")]
    return g.graph


def _loss(w: SummaryWriter, t0: float) -> None:
    for step in range(5):
        w.add_scalar("loss", 1.0 / (step + 1), step, walltime=t0 + step)


def _names(non_utf8: bool) -> tuple[bytes, ...]:
    return tuple(n for n in RUN_NAMES if non_utf8 or _is_utf8(n))


def _is_utf8(name: bytes) -> bool:
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def build_bad_names(root: Path | str, *, non_utf8: bool = True, scale: int = 1) -> Path:
    """Write the ``bad_names`` logdir into ``root`` (replaced); ``scale`` is unused.

    ``non_utf8=False`` leaves out the three runs whose names are not UTF-8 (a
    variant TensorBoard can load).
    """
    del scale
    out = fresh(root)
    base = os.fsencode(out)
    with frozen() as clock:
        for k, name in enumerate(_names(non_utf8)):
            clock.now = START + k
            with SummaryWriter(os.fsdecode(os.path.join(base, name)), flush_secs=3600) as w:
                _loss(w, START + k)
        clock.now = START + 100
        with SummaryWriter(out / "tags", flush_secs=3600) as w:
            _loss(w, START + 100)
            w.add_scalar(HUGE_TAG, 1.0, 0, walltime=START + 101)
            for tag in TAGS:
                w.add_scalar(tag, 2.0, 0, walltime=START + 101)
            w.add_text("injection", TEXT, 0, walltime=START + 102)
            w.add_event(event_pb2.Event(graph_def=_graph().SerializeToString()), 0, START + 103)
    if non_utf8:
        with RawEventFile(os.path.join(base, b"nonutf8_file"), START, name=NONUTF8_FILE) as f:
            for step in range(5):
                f.summary(step, START + step, simple_value("loss", 1.0 / (step + 1)))
    return finish(out)


def run_names(*, non_utf8: bool = True) -> list[str]:
    """Every run's name as ``os.fsdecode`` gives it (surrogate escapes for non-UTF-8 bytes)."""
    extra = ["tags", "nonutf8_file"] if non_utf8 else ["tags"]
    return sorted([os.fsdecode(n) for n in _names(non_utf8)] + extra)


NON_UTF8_RUNS = ("bytes_\udcff\udcfe_run", "latin1_caf\udce9", "nonutf8_file")
"""The runs TensorBoard cannot read (names as ``os.fsdecode`` gives them)."""


def claims(*, non_utf8: bool = True, scale: int = 1) -> dict[str, Any]:
    del scale
    out: dict[str, Any] = {name: {"scalars": {"loss": 5}} for name in run_names(non_utf8=non_utf8)}
    out["tags"] = {
        "scalars": {"loss": 5, HUGE_TAG: 1, **dict.fromkeys(TAGS, 1)},
        "text": {"injection/text_summary": 1},
        "graph_nodes": len(NODE_NAMES),
    }
    return out
