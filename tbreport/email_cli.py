"""``tbreport email``: the e-mail summary subcommand, plugged into :mod:`tbreport.cli`.

Writes the message to ``-o`` (an ``.eml`` file any mail client opens) and, with
``--send``, delivers it over SMTP. The password comes only from the environment
variable ``TBREPORT_SMTP_PASSWORD`` (see :data:`tbreport.mail.PASSWORD_ENV`).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from tbreport.ci_cli import (
    GATES_HELP,
    add_compare_arguments,
    add_gate_arguments,
    add_selection_arguments,
)
from tbreport.errors import TbreportError

__all__ = ["add_email_parser"]

logger = logging.getLogger(__name__)

_DESCRIPTION = """\
Write an e-mail summary of TensorBoard logdirs as a standard MIME message (.eml):
a plain-text part and an HTML part (table layout <= 800 px, inline CSS, no script,
no SVG) with one PNG chart per key metric as an inline cid: image. Optionally attach
the full offline report (--attach-report) and send it through SMTP (--send)."""

_EPILOG = (
    GATES_HELP
    + """
sending:
  --send connects to --smtp-host:--smtp-port (default localhost:25), upgrades with
  STARTTLS when --starttls is given (port 587 usually) or speaks TLS from the start
  with --ssl (port 465; certificates are verified either way), and logs in when --user is
  given, with the password from the environment variable TBREPORT_SMTP_PASSWORD
  (never a command-line flag). The message is written to -o first in every case.

exit status:
  0  success (and every gate passed)
  1  an internal error (a bug)
  2  bad arguments (a malformed --fail-if is reported before anything is read), a
     logdir without event files, an unknown --baseline, a missing password, an SMTP
     error (the .eml file is still written)
  3  a gate tripped or could not be checked (the message says so; it is still
     written and sent)
"""
)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"a port is 1..65535, got {text}")
    return value


def add_email_parser(subparsers: Any) -> None:
    """Register ``email`` on the ``tbreport`` command's subparsers."""
    p = subparsers.add_parser(
        "email",
        help="write (and send) an e-mail summary with charts",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_selection_arguments(p)
    p.add_argument(
        "-o", "--output", default="summary.eml", metavar="FILE", help="default: summary.eml"
    )
    p.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="recipient (repeatable, or comma-separated); needed by --send",
    )
    p.add_argument("--from", dest="sender", metavar="ADDRESS", help="default: tbreport <user@host>")
    p.add_argument("--subject", help="default: the title, the run count and the gate status")
    add_compare_arguments(p)
    add_gate_arguments(p, summary=False)
    p.add_argument(
        "--attach-report",
        action="store_true",
        help="attach the full offline report (built now with the same options, or the "
        "--report file); warns above 10 MB",
    )
    p.add_argument(
        "--report",
        metavar="FILE",
        help="attach this report.html instead of building one (implies --attach-report)",
    )
    p.add_argument("--send", action="store_true", help="deliver the message through SMTP")
    p.add_argument("--smtp-host", default="localhost", metavar="HOST", help="default: localhost")
    p.add_argument("--smtp-port", type=_port, default=25, metavar="PORT", help="default: 25")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument(
        "--starttls", action="store_true", help="upgrade the connection with STARTTLS (port 587)"
    )
    tls.add_argument(
        "--ssl", action="store_true", help="connect with TLS from the start (SMTPS, port 465)"
    )
    p.add_argument(
        "--user",
        metavar="USER",
        help="log in as USER; the password is read from $TBREPORT_SMTP_PASSWORD",
    )
    p.add_argument("-q", "--quiet", dest="email_quiet", action="store_true", help="only errors")
    p.set_defaults(func=_cmd_email)


def _recipients(values: list[str]) -> list[str]:
    """``--to`` values, each possibly a comma-separated list (``"Doe, J" <j@x>`` stays one)."""
    from email.utils import formataddr, getaddresses

    out = []
    for name, address in getaddresses(values):
        if not address or "@" not in address:
            raise TbreportError(
                f"--to: {formataddr((name, address)) or 'an empty value'} is not an e-mail address"
            )
        out.append(formataddr((name, address)))
    return out


def _one_line_header(option: str, value: str | None) -> None:
    """``TbreportError`` when a header option holds a line break or another control
    character (``--subject $'a\\r\\nBcc: x@y'`` must not add a header)."""
    if value and any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise TbreportError(f"{option} must be one line without control characters (got {value!r})")


def _cmd_email(args: argparse.Namespace) -> int:
    from tbreport import mail
    from tbreport.ci_cli import check_gates, load_logdir, parse_gates, report_gates
    from tbreport.compare import check_baseline, colors_for, select_runs
    from tbreport.metrics import group_runs
    from tbreport.summary_md import collect_summary

    quiet = args.email_quiet or getattr(args, "quiet", False)
    if args.email_quiet:
        logging.getLogger("tbreport").setLevel(logging.ERROR)
    # every argument problem before any work
    gates = parse_gates(args.fail_if)
    _one_line_header("--subject", args.subject)
    _one_line_header("--from", args.sender)
    to = _recipients(args.to)
    if args.send and not to:
        raise TbreportError("--send needs at least one --to ADDRESS")
    password = mail.password_from_env(args.user) if args.send else None
    if args.user and not args.send:
        logger.warning("--user is only used with --send")
    if args.report and not Path(args.report).is_file():
        raise TbreportError(f"--report {args.report}: no such file")

    logdir = load_logdir(args.logdirs)
    runs = select_runs(logdir, args.runs)
    if not runs:
        raise TbreportError(f"no run matches --runs {args.runs!r} (runs: {', '.join(logdir.runs)})")
    names = [r.name for r in runs]
    if args.baseline:
        groups = group_runs(names, args.group_by) if args.group_by else []
        try:
            check_baseline(args.baseline, names, [g.label for g in groups])
        except ValueError as exc:
            raise TbreportError(str(exc)) from None
    colors = colors_for(names, args.group_by)
    results = check_gates(gates, logdir, args.runs)

    with tempfile.TemporaryDirectory(prefix="tbreport-mail-") as tmp:
        attach: Path | None = None
        report_name = ""
        if args.attach_report or args.report:
            if args.report:
                attach = Path(args.report)
            else:
                from tbreport.report import build_report

                attach = build_report(
                    logdir,
                    Path(tmp) / "report.html",
                    title=args.title,
                    runs=args.runs,
                    tags=args.tags,
                    smoothing=args.smoothing,
                    baseline=args.baseline,
                    group_by=args.group_by,
                    progress=False,
                )
            report_name = attach.name
        data = collect_summary(
            logdir,
            runs,
            colors,
            title=args.title,
            tags=args.tags,
            baseline=args.baseline,
            group_by=args.group_by,
            gates=results,
            limit=mail.MAX_CHARTS,
            report=report_name,
        )
        charts = mail.chart_pngs(
            data, runs, colors, smoothing=args.smoothing, group_by=args.group_by
        )
        built = mail.build_message(
            data,
            charts,
            to=to,
            sender=args.sender or "",
            subject=args.subject or "",
            attach=attach,
        )
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(built.message.as_bytes())
    if not quiet:
        print(f"wrote {out}: {built.size.describe()}")
    if args.send:
        delivered = mail.send(
            built.message,
            host=args.smtp_host,
            port=args.smtp_port,
            starttls=args.starttls,
            implicit_tls=args.ssl,
            user=args.user,
            password=password,
        )
        if not quiet:
            print(f"sent to {', '.join(delivered)} via {args.smtp_host}:{args.smtp_port}")
    sys.stdout.flush()
    return report_gates(results)
