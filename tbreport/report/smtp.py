"""Delivering the e-mail over SMTP, with the password only from the environment.

``starttls`` upgrades a plain connection (port 587); ``implicit_tls`` speaks TLS from
the start (SMTPS, port 465); certificates are always verified. Every SMTP problem is
one :class:`~tbreport.errors.MailError` line naming the server, the code and the reason.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import getaddresses

from tbreport.errors import MailError, UsageError

__all__ = ["PASSWORD_ENV", "password_from_env", "send"]

logger = logging.getLogger(__name__)

#: the only place the SMTP password is read from
PASSWORD_ENV = "TBREPORT_SMTP_PASSWORD"


def password_from_env(user: str | None) -> str | None:
    """The SMTP password for ``user`` from :data:`PASSWORD_ENV`; an error if it is unset."""
    if not user:
        return None
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        raise UsageError(
            f"--user {user} needs the password in the environment variable {PASSWORD_ENV} "
            "(it is never taken from the command line)"
        )
    return password


def send(
    message: EmailMessage,
    *,
    host: str,
    port: int,
    starttls: bool = False,
    implicit_tls: bool = False,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 60.0,
    context: ssl.SSLContext | None = None,
) -> list[str]:
    """Deliver ``message`` to its ``To`` recipients; returns them.

    ``starttls`` upgrades a plain connection (port 587); ``implicit_tls`` speaks TLS from
    the start (SMTPS, port 465). Certificates are verified (``context`` defaults to
    :func:`ssl.create_default_context`). SMTP problems raise
    :class:`~tbreport.errors.MailError` with one line (server, code, reason)."""

    recipients = [addr for _, addr in getaddresses([str(message.get("To", ""))]) if addr]
    if not recipients:
        raise UsageError("the message has no recipient: pass --to ADDRESS")
    if starttls and implicit_tls:
        raise ValueError("use STARTTLS or implicit TLS, not both")
    where = f"{host}:{port}"
    tls = (context or ssl.create_default_context()) if (starttls or implicit_tls) else None
    try:
        smtp = (
            smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls)
            if implicit_tls
            else smtplib.SMTP(host, port, timeout=timeout)
        )
        with smtp:
            smtp.ehlo()
            if starttls:
                smtp.starttls(context=tls)
                smtp.ehlo()
            if user:
                smtp.login(user, password or "")
            refused = smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            f"{where}: authentication failed for {user}: {exc.smtp_code} {_reason(exc.smtp_error)}"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(
            f"{where}: every recipient was refused: {', '.join(exc.recipients)}"
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"{where}: {exc.smtp_code} {_reason(exc.smtp_error)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise MailError(f"{where}: {exc}") from None
    except smtplib.SMTPException as exc:
        raise MailError(f"{where}: {exc}") from None
    except ssl.SSLError as exc:
        raise MailError(f"{where}: TLS failed: {exc}") from None
    except OSError as exc:
        raise MailError(f"{where}: cannot connect: {exc.strerror or exc}") from None
    for address, (code, reason) in refused.items():
        logger.warning("%s refused %s: %s %s", where, address, code, _reason(reason))
    return [r for r in recipients if r not in refused]


def _reason(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())
