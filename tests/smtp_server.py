"""A real SMTP server on 127.0.0.1 for the e-mail tests (aiosmtpd, a test dependency).

Nothing is ever sent anywhere else: the server listens on the loopback address on a free
port, keeps every message it receives, and can require STARTTLS and a login (with a
self-signed certificate for 127.0.0.1 made by ``openssl`` here).
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


@dataclass
class Inbox:
    """What the server received: envelopes, and the logins it was offered."""

    messages: list[Any] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class Server:
    host: str
    port: int
    inbox: Inbox
    cert: Path | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 (openssl must be installed)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise FileNotFoundError("openssl is not installed")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@contextmanager
def smtp_server(
    tmp: Path | None = None,
    *,
    tls: bool = False,
    implicit_tls: bool = False,
    password: str | None = None,
) -> Iterator[Server]:
    """Run an SMTP server on 127.0.0.1; with ``tls``, STARTTLS is required, with
    ``implicit_tls`` the server speaks TLS from the start (SMTPS), and with ``password``,
    a login (user ``ci``) is required too."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    inbox = Inbox()
    kwargs: dict[str, Any] = {}
    cert = None
    if tls or implicit_tls:
        if tmp is None:
            raise ValueError("TLS needs a directory for the certificate")
        cert, key = self_signed(tmp)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        if implicit_tls:
            # aiosmtpd only counts STARTTLS as TLS for AUTH; here the whole connection is
            # TLS (it warns for each connection: the test filters "Requiring AUTH while not
            # requiring TLS")
            kwargs.update(ssl_context=context, auth_require_tls=False)
        else:
            kwargs.update(tls_context=context, require_starttls=True)
    if password is not None:

        def authenticator(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> Any:
            if isinstance(data, LoginPassword):
                user, given = data.login.decode(), data.password.decode()
                inbox.logins.append((user, given))
                return AuthResult(success=user == "ci" and given == password, handled=False)
            return AuthResult(success=False, handled=False)

        kwargs.update(authenticator=authenticator, auth_required=True)
    port = free_port()
    controller = Controller(inbox, hostname=HOST, port=port, **kwargs)
    controller.start()
    try:
        yield Server(HOST, port, inbox, cert)
    finally:
        controller.stop()
