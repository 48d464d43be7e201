"""Formatting numbers, times and sizes for people: the one place every output takes them from.

A leaf module (standard library only): the report's templates (as jinja filters), the
markdown summary, the e-mail, the gates' messages and the command line all format
through it, so a value reads the same everywhere.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
from typing import Any

__all__ = [
    "fmt_bytes",
    "fmt_duration",
    "fmt_float",
    "fmt_int",
    "fmt_step",
    "fmt_time",
    "plural",
    "shown_name",
]


def fmt_float(value: Any, digits: int = 4) -> str:
    """A compact float: ``0.1235``, ``1.235e+07``, ``NaN``, ``+inf``, ``-inf``."""
    if value is None:
        return ""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.{digits}g}"


def fmt_int(value: Any) -> str:
    """``12,345``."""
    return f"{int(value):,}"


def fmt_step(value: Any) -> str:
    """A step number, with thousands separators."""
    return f"{int(value):,}"


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def fmt_time(epoch: float) -> str:
    """UTC ISO-like timestamp (``2026-11-26 17:49:34 UTC``); empty for 0 and non-finite.

    Outside the years 1-9999 (a wall time no clock wrote) the seconds are shown as a
    number: ``t = 1.7e+18 s``.
    """
    if not epoch or not math.isfinite(epoch):
        return ""
    try:
        # arithmetic, not fromtimestamp: the C library refuses years past 2038 on some
        # platforms and before 1970 on others
        when = _EPOCH + _dt.timedelta(seconds=float(epoch))
    except OverflowError:
        return f"t = {fmt_float(epoch)} s"
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_duration(seconds: float) -> str:
    """``3.2 s``, ``4 min 05 s``, ``2 h 03 min``, ``3 d 04 h``."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    s = max(0.0, float(seconds))
    if s < 60:
        return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"
    minutes, sec = divmod(round(s), 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours:02d} h"


def fmt_bytes(n: int) -> str:
    """``512 B``, ``1.5 KB``, ``2.3 MB``, ``4.0 GB``, ``670.5 TB``."""
    if n < 1024:
        return f"{n} B"
    size = float(n)
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024:
            return f"{size:.1f} {unit}"
    return f"{size / 1024:,.1f} TB"


def plural(n: int, word: str, many: str = "") -> str:
    """``"1 run"``, ``"3 runs"``, ``"0 runs"`` (``many`` for irregular plurals)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


#: what a spreadsheet reads as the start of a formula in a text cell
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """A text cell of a CSV file that a spreadsheet never runs as a formula (OWASP's CSV
    injection advice): a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a CR
    gets a leading ``'``. Only for text (run names, tags): numbers stay numbers."""
    return "'" + text if text[:1] in CSV_FORMULA_STARTS else text


#: a lone surrogate: what ``os.fsdecode`` (surrogateescape) makes of a byte that is not
#: UTF-8 (U+DC80..U+DCFF), or any other code point no UTF-8 encoder accepts
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def shown_name(name: str | os.PathLike[str] | bytes) -> str:
    """A run, file or directory name as every output shows it: valid Unicode.

    A name that is not UTF-8 on disk reaches Python as surrogate escapes
    (``os.fsdecode(b"caf\\xe9") == "caf\\udce9"``), which no UTF-8 file, mail or page
    can hold; each such byte is shown as ``\\xe9`` (``caf\\xe9``), any other lone
    surrogate as ``\\uXXXX``. Valid names come back unchanged, so this is applied
    wherever a name from the file system is shown: run names (the reader's), file
    paths in warnings and errors, logdir names, log lines.
    """
    text = os.fsdecode(name) if isinstance(name, (bytes, os.PathLike)) else name
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(_escape_surrogate, text)
