"""``tbreport email``: the e-mail summary, written as a ``.eml`` file and optionally sent.

Writes the message to ``-o`` (an ``.eml`` file any mail client opens; ``-`` for
standard output) and, with ``--send``, delivers it over SMTP. The password comes only
from the environment variable ``TBREPORT_SMTP_PASSWORD``
(:data:`tbreport.report.smtp.PASSWORD_ENV`).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tbreport.cli import args as _args
from tbreport.errors import UsageError
from tbreport.fmt import shown_name
from tbreport.options import COMPARE_OPTIONS, SELECTION_OPTIONS
from tbreport.report.output import Output

if TYPE_CHECKING:
    from tbreport.options import BuildOptions
    from tbreport.select import Selection

__all__ = ["add_parser", "run"]

logger = logging.getLogger(__name__)

_DESCRIPTION = """\
Write an e-mail summary of TensorBoard logdirs as a standard MIME message (.eml):
a plain-text part and an HTML part (table layout <= 800 px, inline CSS, no script,
no SVG) with one PNG chart per key metric as an inline cid: image. Optionally attach
the full offline report (--attach-report) and send it through SMTP (--send)."""

_EPILOG = (
    _args.GATES_HELP
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
     logdir without event files, an unknown --baseline, (with --strict) damaged
     input, a missing password, an SMTP error (the .eml file is still written)
  3  a gate tripped or could not be checked (the message says so; it is still
     written and sent)
  130  interrupted (Ctrl-C): one line; no partial output
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


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "email",
        help="write (and send) an e-mail summary with charts",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    _args.add_logdirs(p)
    _args.add_output(p, "summary.eml")
    _args.add_options(p, SELECTION_OPTIONS)
    p.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="recipient (repeatable, or comma-separated); needed by --send",
    )
    p.add_argument("--from", dest="sender", metavar="ADDRESS", help="default: tbreport <user@host>")
    p.add_argument("--subject", help="default: the title, the run count and the gate status")
    _args.add_options(p, (*COMPARE_OPTIONS, "strict"))
    _args.add_gate_arguments(p, summary=False)
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
    p.set_defaults(func=run)


def _recipients(values: list[str]) -> list[str]:
    """``--to`` values, each possibly a comma-separated list (``"Doe, J" <j@x>`` stays one)."""
    from email.utils import formataddr, getaddresses  # the email package: only for `email`

    out = []
    for name, address in getaddresses(values):
        if not address or "@" not in address:
            raise UsageError(
                f"--to: {formataddr((name, address)) or 'an empty value'} is not an e-mail address"
            )
        out.append(formataddr((name, address)))
    return out


def _one_line_header(option: str, value: str | None) -> None:
    """``TbreportError`` when a header option holds a line break or another control
    character (``--subject $'a\\r\\nBcc: x@y'`` must not add a header)."""
    if value and any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise UsageError(f"{option} must be one line without control characters (got {value!r})")


def _check_arguments(args: argparse.Namespace) -> str | None:
    """Every argument problem, before any work; the SMTP password (with ``--send``)."""
    # the library: only when run (--help stays light)
    from tbreport.report.smtp import password_from_env

    _one_line_header("--subject", args.subject)
    _one_line_header("--from", args.sender)
    if args.send and not _recipients(args.to):
        raise UsageError("--send needs at least one --to ADDRESS")
    password = password_from_env(args.user) if args.send else None
    if args.user and not args.send:
        logger.warning("--user is only used with --send")
    if args.report and not Path(args.report).is_file():
        raise UsageError(f"--report {args.report}: no such file")
    return password


def _attachment(
    args: argparse.Namespace, selection: Selection, opts: BuildOptions, tmp: str
) -> Path | None:
    """The report to attach: ``--report``, or one built now with the same options."""
    if args.report:
        return Path(args.report)
    if not args.attach_report:
        return None
    from tbreport.report.html import build  # the library: only when run

    path = Path(tmp) / "report.html"
    build(selection, opts, Output(path))
    return path


def run(args: argparse.Namespace) -> int:
    from tbreport.report import mail, smtp  # the library: only when run (--help stays light)
    from tbreport.report.gates import evaluate, parse_gates  # the library: only when run
    from tbreport.report.html import select_for  # the library: only when run
    from tbreport.report.summary import collect_summary  # the library: only when run

    gates = parse_gates(args.fail_if)
    to = _recipients(args.to)
    password = _check_arguments(args)
    opts = _args.options_from(args, progress=False)
    opts.validate()
    out = Output(args.output)
    out.check()

    selection = select_for(_args.load_readable(args.logdirs), opts)
    results = evaluate(gates, selection.runs)
    with tempfile.TemporaryDirectory(prefix="tbreport-mail-") as tmp:
        attach = _attachment(args, selection, opts, tmp)
        data = collect_summary(
            selection,
            title=args.title,
            gates=results,
            limit=mail.MAX_CHARTS,
            report=attach.name if attach is not None else "",
        )
        logger.debug("drawing the e-mail's charts")
        charts = mail.chart_pngs(data, selection, smoothing=args.smoothing)
        built = mail.build_message(
            data, charts, to=to, sender=args.sender or "", subject=args.subject or "", attach=attach
        )
    logger.debug("writing %s", out.given)
    out.write_bytes(built.message.as_bytes())
    quiet = getattr(args, "quiet", False)
    if not quiet:  # what happened: one line each, on stderr as for every command
        _args.wrote(out, built.size.parts(), thing="the message")
    if args.send:
        delivered = smtp.send(
            built.message,
            host=args.smtp_host,
            port=args.smtp_port,
            starttls=args.starttls,
            implicit_tls=args.ssl,
            user=args.user,
            password=password,
        )
        if not quiet:
            line = f"tbreport: sent to {', '.join(delivered)} via {args.smtp_host}:{args.smtp_port}"
            print(shown_name(line), file=sys.stderr)
    return _args.report_gates(results)
