"""The e-mail summary: a standard MIME message that survives mail clients.

(Named ``mail`` rather than ``email``, which would shadow the standard library.)

Structure, as :func:`build_message` makes it::

    multipart/mixed                    only with an attached report
    ├── multipart/alternative
    │   ├── text/plain                 the summary as text (tables, sparklines)
    │   └── multipart/related
    │       ├── text/html              table layout <= 800 px, inline CSS, no script, no SVG
    │       └── image/png ...          one chart per key metric, referenced as cid:...
    └── text/html; attachment          report.html (warned about above 10 MB)

Why: mail clients strip ``<script>``, Gmail and Outlook do not show inline SVG, Gmail
clips HTML bodies over ~102 KB (so the HTML is kept under :data:`MAX_HTML_BYTES`, with
fewer table rows when needed), and Outlook 2016 and older do not show ``data:`` images.
Every string from the logs is escaped by the template (jinja autoescape) and isolated
in ``<bdi>`` (a U+202E RIGHT-TO-LEFT OVERRIDE in a run name cannot reorder the text
around it); the text part writes such controls as a visible ``\\u202e``.

:func:`tbreport.report.smtp.send` delivers it; the password only ever comes from the
environment variable :data:`tbreport.report.smtp.PASSWORD_ENV`.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import getpass
import logging
import math
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from tbreport.errors import MailError
from tbreport.fmt import fmt_bytes, fmt_float, plural
from tbreport.metrics import is_value_tag
from tbreport.model import Run, ScalarSeries
from tbreport.render.lines import line_chart, prepare_series, step_origin, with_bands
from tbreport.report.summary import SummaryData, isolated, show_controls
from tbreport.select import Selection

__all__ = [
    "ATTACH_WARN_BYTES",
    "MAX_CHARTS",
    "MAX_HTML_BYTES",
    "BuiltMail",
    "MailChart",
    "MailSize",
    "build_message",
    "chart_pngs",
    "default_sender",
    "default_subject",
    "render_text",
]

logger = logging.getLogger(__name__)

#: Gmail clips HTML bodies above ~102 KB: stay below this.
MAX_HTML_BYTES = 100_000
#: warn when the attached report is bigger than this (base64 adds 34 %; services cap at 20-25 MB)
ATTACH_WARN_BYTES = 10 * 1024 * 1024
#: at most this many charts (one per key metric)
MAX_CHARTS = 6
#: the HTML layout width (px)
WIDTH = 800
CHART_SIZE = (6.4, 2.8)  # inches at 100 dpi: 640 x 280 px


@dataclass(frozen=True)
class MailChart:
    """A PNG chart of one tag, referenced from the HTML as ``cid:<cid>``."""

    tag: str
    png: bytes
    width: int
    height: int
    cid: str  # without the angle brackets
    alt: str
    runs: tuple[tuple[str, str], ...]  # (run or group, colour) for the legend


@dataclass(frozen=True)
class MailSize:
    """Byte counts of the built message (``total`` = the whole ``.eml`` file)."""

    total: int
    html: int
    text: int
    chart_bytes: int  # the PNG charts together
    image_count: int
    attachment: int = 0

    def describe(self) -> str:
        """``48.2 KB (HTML 6.1 KB, text 1.2 KB, 3 charts 40.9 KB)``."""
        return f"{fmt_bytes(self.total)} ({self.parts()})"

    def parts(self) -> str:
        """``HTML 6.1 KB, text 1.2 KB, 3 charts 40.9 KB``: what the message is made of."""
        parts = [f"HTML {fmt_bytes(self.html)}", f"text {fmt_bytes(self.text)}"]
        if self.image_count:
            parts.append(
                f"{self.image_count} chart{'s' if self.image_count != 1 else ''} "
                f"{fmt_bytes(self.chart_bytes)}"
            )
        if self.attachment:
            parts.append(f"report.html {fmt_bytes(self.attachment)} attached")
        return ", ".join(parts)


@dataclass
class BuiltMail:
    message: EmailMessage
    size: MailSize
    html: str
    text: str
    charts: list[MailChart] = field(default_factory=list)
    rows_shown: int = 0  # runs shown in the HTML tables (fewer when it had to shrink)


# --------------------------------------------------------------------------- charts


def _metric_chart(
    index: int,
    tag: str,
    entries: Sequence[tuple[Run, ScalarSeries]],
    data: SummaryData,
    selection: Selection,
    smoothing: float,
) -> MailChart:
    """The PNG chart of one key metric: every run overlaid, the group bands."""
    from tbreport.render.charts import render_chart  # matplotlib: only when drawing

    colors = selection.colors
    origin = step_origin([s.steps for _, s in entries])
    lines = [
        prepare_series(
            s.steps,
            s.wall_times,
            s.values,
            color=colors.get(r.name, "#888888"),
            smoothing=smoothing,
            width_px=560,
            origin=origin,
        )
        for r, s in entries
    ]
    spec = dataclasses.replace(line_chart(lines, origin=origin)[0], size=CHART_SIZE)
    spec = with_bands(
        spec, entries, colors=colors, smoothing=smoothing, group_by=selection.group_by
    )
    rendered = render_chart(spec, "png", salt=f"tbreport-mail-{index}")
    lasts = ", ".join(f"{r.name} {fmt_float(p.last_value)}" for (r, _), p in zip(entries, lines))
    alt = f"Line chart of {tag} over steps, {plural(len(entries), 'run')}; last values: {lasts}"
    if len(alt) > 400:
        alt = alt[:399] + "…"
    legend: dict[str, str] = {}
    owner = {m: g.name for g in data.comparison.groups for m in g.members}
    for r, _ in entries:
        legend.setdefault(owner.get(r.name, r.name), colors.get(r.name, "#888888"))
    return MailChart(
        tag=tag,
        png=base64.b64decode(rendered.data_uri.split(",", 1)[1]),
        width=rendered.width,
        height=rendered.height,
        cid=make_msgid(idstring=f"chart{index}", domain="tbreport.invalid")[1:-1],
        alt=alt,
        runs=tuple(legend.items()),
    )


def chart_pngs(
    data: SummaryData,
    selection: Selection,
    *,
    smoothing: float = 0.6,
    limit: int = MAX_CHARTS,
) -> list[MailChart]:
    """One small PNG line chart per key metric with more than two points in some run
    (every run overlaid, group bands); at most ``limit``."""
    charts: list[MailChart] = []
    for metric in data.comparison.metrics:
        if len(charts) >= limit:
            break
        entries = [
            (r, r.scalars[metric.tag])
            for r in selection.runs
            if metric.tag in r.scalars and len(r.scalars[metric.tag])
        ]
        # a tag of one or two points per run is its numbers in the table, not a chart
        if entries and not is_value_tag([len(s) for _, s in entries]):
            chart = isolated(
                data.warnings,
                f"the chart of {metric.tag}",
                functools.partial(
                    _metric_chart, len(charts), metric.tag, entries, data, selection, smoothing
                ),
                None,
            )
            if chart is not None:
                charts.append(chart)
    return charts


# --------------------------------------------------------------------------- text


def _table(rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for j, row in enumerate(rows):
        cells = [
            c.rjust(w) if right[i] else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))
        ]
        out.append("  ".join(cells).rstrip())
        if j == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _one_line(text: str) -> str:
    """One line, bidi and zero-width controls visible (``\\u202e``): log text in the
    plain-text part cannot reorder what is around it."""
    return show_controls(" ".join(str(text).split()))


def _gate_text(data: SummaryData) -> list[str]:
    if not data.gates:
        return []
    n = len(data.gates)
    lines = [f"GATES: {data.tripped} of {n} FAILED" if data.tripped else f"Gates: all {n} passed"]
    for result in data.gates:
        if result.passed:
            checks = plural(len(result.checks), "run")
            lines.append(f"  ok      {_one_line(str(result.gate))} ({checks})")
        for msg in result.messages():
            lines.append(f"  FAILED  {_one_line(msg)}")
    return [*lines, ""]


def _metric_text(data: SummaryData, max_rows: int | None) -> list[str]:
    cmp = data.comparison
    if not cmp.metrics:
        return []
    rows = cmp.rows if max_rows is None else cmp.rows[:max_rows]
    against = f" (delta: against {_one_line(cmp.baseline)})" if cmp.baseline else ""
    header = ["metric", "run", "last", "step", "best (step)", "trend"]
    if cmp.baseline:
        header.append("delta")
    table = [header]
    for i, m in enumerate(cmp.metrics):
        first = True
        for row in rows:
            last, best = row.last[i], row.best[i]
            if last.value is None:
                continue
            cells = [
                _one_line(m.tag) if first else "",
                _one_line(row.name) + (" (baseline)" if row.is_baseline else ""),
                fmt_float(last.value),
                "" if last.step is None else str(last.step),
                "" if best.value is None else f"{fmt_float(best.value)} ({best.step})",
                last.spark or ("single value" if last.count == 1 else "two values"),
            ]
            if cmp.baseline:
                d = last.delta
                cells.append("" if d is None else d.text() + (f" {d.mark}" if d.mark else ""))
            table.append(cells)
            first = False
    lines = [
        "Key metrics" + against,
        "",
        *_table(table, [False, False, True, True, True, False, True]),
    ]
    if len(rows) < len(cmp.rows):
        lines.append(f"... and {plural(len(cmp.rows) - len(rows), 'more run')} in the full report")
    return [*lines, ""]


def _group_text(data: SummaryData) -> list[str]:
    cmp = data.comparison
    if not cmp.groups:
        return []
    table = [["group", "runs", *[_one_line(m.tag) for m in cmp.metrics]]]
    for g in cmp.groups:
        table.append(
            [
                _one_line(g.name),
                str(len(g.members)),
                *[c.text + (f" ({_one_line(c.note)})" if c.note else "") for c in g.last],
            ]
        )
    title = f"Groups (mean ± std, --group-by {_one_line(cmp.group_by or '')})"
    return [title, "", *_table(table, [False, True, *[True] * len(cmp.metrics)]), ""]


def _hparam_text(data: SummaryData, max_rows: int | None) -> list[str]:
    if not data.hparam_names:
        return []
    table = [["run", *[_one_line(n) for n in data.hparam_names]]]
    for run, values in list(data.hparam_texts.items())[: max_rows or None]:
        table.append([_one_line(run), *[_one_line(values.get(n, "")) for n in data.hparam_names]])
    lines = _table(table, [False] * (len(data.hparam_names) + 1))
    return ["Hyperparameters that differ", "", *lines, ""]


def _health_text(data: SummaryData) -> list[str]:
    restarts = [f"  - restarted: {_one_line(r)}" for r in data.restarts[:100]]
    if not data.warnings:
        return ["Data health: every event file was read completely.", *restarts]
    lines = [f"Data health: {plural(len(data.warnings), 'problem')}"]
    return lines + [f"  - {_one_line(w)}" for w in data.warnings[:100]] + restarts


def render_text(data: SummaryData, *, max_rows: int | None = None) -> str:
    """The summary as plain text (the ``text/plain`` part)."""
    lines = [
        _one_line(data.title),
        "=" * min(78, len(_one_line(data.title))),
        "",
        f"{plural(data.run_count, 'run')} · logdir {', '.join(_one_line(p) for p in data.logdirs)}",
        f"built {data.built_at} by tbreport {data.version}",
        "",
    ]
    parts: list[tuple[str, Callable[[], list[str]]]] = [
        ("the gates", lambda: _gate_text(data)),
        ("the key metrics", lambda: _metric_text(data, max_rows)),
        ("the groups", lambda: _group_text(data)),
        ("the hyperparameters", lambda: _hparam_text(data, max_rows)),
    ]
    for what, part in parts:  # one that fails is named in the data-health lines
        lines += isolated(data.warnings, what, part, [])
    lines += [*_health_text(data), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- message


def _render_html(data: SummaryData, charts: Sequence[MailChart], max_rows: int) -> str:
    from tbreport.render.assets import environment  # jinja2: only when rendering

    template = environment().get_template("email.html.j2")
    return str(
        template.render(
            d=data,
            cmp=data.comparison,
            rows=data.comparison.rows[:max_rows],
            groups=data.comparison.groups[:max_rows],
            hidden=max(0, len(data.comparison.rows) - max_rows),
            hparam_rows=list(data.hparam_texts.items())[:max_rows],
            charts=charts,
            rows_max=max_rows,  # also caps chart legends, gate lines and warnings
            width=WIDTH,
        )
    )


def _fitting_html(data: SummaryData, charts: Sequence[MailChart], max_html: int) -> tuple[str, int]:
    """The HTML with as many table rows as fit in ``max_html`` bytes, and that number."""
    rows = len(data.comparison.rows)
    shown = max(rows, 1)
    html = _render_html(data, charts, shown)
    if len(html.encode("utf-8")) > max_html and shown > 1:
        # the most rows that fit (binary search; the size grows with the rows)
        lo, hi = 1, shown - 1
        best = _render_html(data, charts, 1)
        shown = 1
        while lo <= hi:
            mid = (lo + hi) // 2
            candidate = _render_html(data, charts, mid)
            if len(candidate.encode("utf-8")) <= max_html:
                best, shown, lo = candidate, mid, mid + 1
            else:
                hi = mid - 1
        html = best
    html_bytes = len(html.encode("utf-8"))
    if html_bytes > max_html:
        logger.warning(
            "the e-mail HTML is %d bytes even with one run per table; Gmail clips bodies over ~102 KB",
            html_bytes,
        )
    elif shown < rows:
        logger.warning(
            "the e-mail HTML shows %d of %d runs to stay under %d KB (Gmail clips longer bodies); "
            "the text part and the report have them all",
            shown,
            rows,
            max_html // 1000,
        )
    return html, shown


def _headers(
    msg: EmailMessage, data: SummaryData, to: Sequence[str], sender: str, subject: str, date: float
) -> None:
    try:
        msg["Subject"] = subject or default_subject(data)
        msg["From"] = sender or default_sender()
        if to:
            msg["To"] = ", ".join(to)
    except ValueError as exc:  # a CR or LF in a header value: never a second header
        raise MailError(f"bad e-mail header: {exc}") from None
    msg["Date"] = formatdate(date, usegmt=True)
    msg["Message-ID"] = make_msgid(domain="tbreport.invalid")
    msg["X-Mailer"] = f"tbreport {data.version}"


def _attach(msg: EmailMessage, attach: Path) -> int:
    """Attach the report file; its size (a warning when it is big)."""
    payload = Path(attach).read_bytes()
    if len(payload) > ATTACH_WARN_BYTES:
        logger.warning(
            "the attached report is %s (%s once base64-encoded): above 10 MB; many mail "
            "services cap messages at 20-25 MB and some quarantine .html attachments",
            fmt_bytes(len(payload)),
            fmt_bytes(math.ceil(len(payload) / 3) * 4),
        )
    msg.add_attachment(payload, maintype="text", subtype="html", filename=Path(attach).name)
    return len(payload)


def build_message(
    data: SummaryData,
    charts: Sequence[MailChart] = (),
    *,
    to: Sequence[str] = (),
    sender: str = "",
    subject: str = "",
    attach: Path | None = None,
    date: float | None = None,
    max_html: int = MAX_HTML_BYTES,
) -> BuiltMail:
    """The MIME message of ``data`` (see the module docstring).

    The HTML tables show fewer runs until the HTML is below ``max_html`` bytes (the
    text part and the attached report keep everything). ``attach``: a report file to
    attach (a warning above :data:`ATTACH_WARN_BYTES`). ``date`` defaults to the
    build time of the summary.
    """
    html, shown = _fitting_html(data, charts, max_html)
    text = render_text(data)
    msg = EmailMessage()
    _headers(msg, data, to, sender, subject, data.built if date is None else date)
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    parts = msg.get_payload()
    html_part = parts[1] if isinstance(parts, list) else None
    if not isinstance(html_part, EmailMessage):  # pragma: no cover - set by add_alternative
        raise TypeError("unexpected MIME structure")
    for chart in charts:
        html_part.add_related(
            chart.png,
            maintype="image",
            subtype="png",
            cid=f"<{chart.cid}>",
            filename=f"{_safe_filename(chart.tag)}.png",
            disposition="inline",
        )
    attached = _attach(msg, attach) if attach is not None else 0
    size = MailSize(
        total=len(msg.as_bytes()),
        html=len(html.encode("utf-8")),
        text=len(text.encode("utf-8")),
        chart_bytes=sum(len(c.png) for c in charts),
        image_count=len(charts),
        attachment=attached,
    )
    return BuiltMail(msg, size, html, text, list(charts), shown)


def default_subject(data: SummaryData) -> str:
    status = ""
    if data.gates:
        status = f" · {plural(data.tripped, 'gate')} FAILED" if data.tripped else " · gates passed"
    return _one_line(f"{data.title}: {plural(data.run_count, 'run')}{status}")


def default_sender() -> str:

    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = "tbreport"
    return f"tbreport <{user}@{socket.gethostname() or 'localhost'}>"  # no DNS lookup


def _safe_filename(tag: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", tag).strip("_")[:60] or "chart"
