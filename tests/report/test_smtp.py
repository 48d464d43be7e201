"""Sending over SMTP (a real server on 127.0.0.1): delivery, refused recipients, errors as
one MailError line; the password only from the environment."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

pytest.importorskip("aiosmtpd")

from tbreport.errors import MailError, UsageError
from tbreport.report.smtp import PASSWORD_ENV, password_from_env, send
from tests.smtp_server import free_port, smtp_server


def _message(to: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "ci@example.com"
    msg["To"] = to
    msg["Subject"] = "s"
    msg.set_content("body")
    return msg


def test_password_only_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    assert password_from_env(None) is None
    with pytest.raises(UsageError, match=PASSWORD_ENV):
        password_from_env("ci")
    monkeypatch.setenv(PASSWORD_ENV, "pw")
    assert password_from_env("ci") == "pw"


def test_send_delivers_to_every_recipient() -> None:
    with smtp_server() as server:
        delivered = send(
            _message("a@example.com, B <b@example.com>"), host=server.host, port=server.port
        )
    assert delivered == ["a@example.com", "b@example.com"]
    (envelope,) = server.inbox.messages
    assert sorted(envelope.rcpt_tos) == ["a@example.com", "b@example.com"]


def test_no_recipient_and_no_server_are_one_line_errors() -> None:
    with pytest.raises(UsageError, match="no recipient"):
        send(_message(""), host="127.0.0.1", port=1)
    port = free_port()
    with pytest.raises(MailError, match=rf"127\.0\.0\.1:{port}: cannot connect"):
        send(_message("a@example.com"), host="127.0.0.1", port=port, timeout=5)
