"""A real S3 API server on 127.0.0.1 for the remote-logdir tests (moto's server mode).

The server is ``python -m moto.server`` in a child process on a free loopback port;
:class:`Proxy` sits in front of it and can "go away": stop forwarding after a number
of response bytes (mid-response) and refuse every later connection, the way a server
that dies during a download looks to its client. :func:`s3_env` points the AWS SDK
at it (endpoint, fake credentials, no instance-metadata lookups) so nothing ever
leaves this machine.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """Start moto's S3 server; yields its URL."""
    pytest.importorskip("moto.server", reason="moto[server] is not installed")
    pytest.importorskip("s3fs", reason="s3fs is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.05)
        yield f"http://{HOST}:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class Proxy:
    """A TCP proxy to ``target_port`` that can die mid-response (``limit`` bytes served)."""

    def __init__(self, target_port: int, limit: int | None = None) -> None:
        self.target_port = target_port
        self.limit = limit
        self.served = 0
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, 0))
        self._sock.listen(64)
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://{HOST}:{self.port}"
        self._conns: list[socket.socket] = []
        self._dead = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._dead.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            if self._dead.is_set():
                client.close()
                return
            upstream = socket.create_connection((HOST, self.target_port))
            with self._lock:
                self._conns += [client, upstream]
                self.active += 1
                self.max_active = max(self.max_active, self.active)
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, counted: bool) -> None:
        try:
            while not self._dead.is_set():
                data = src.recv(65536)
                if not data:
                    break
                if counted and self.limit is not None:
                    with self._lock:
                        room = self.limit - self.served
                        self.served += len(data)
                    if room <= len(data):
                        dst.sendall(data[: max(room, 0)])
                        self.die()
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            if counted:
                with self._lock:
                    self.active -= 1
            for s in (src, dst):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.die()

    def die(self) -> None:
        """Drop every connection and refuse new ones, as a server that went away.

        Every socket the proxy opened is closed here, so none is left for the
        garbage collector to find (an unclosed socket is a ResourceWarning, which
        pytest turns into an error in whichever later test the collector runs)."""
        self._dead.set()
        with self._lock:
            conns = list(self._conns)
        for s in [self._sock, *conns]:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


def clear_fs_cache() -> None:
    """fsspec caches filesystems by their arguments, not the environment they read."""
    import fsspec

    with contextlib.suppress(ImportError):  # without s3fs nothing is cached
        fsspec.get_filesystem_class("s3").clear_instance_cache()


def s3_env(monkeypatch: pytest.MonkeyPatch, endpoint: str, *, credentials: bool = True) -> None:
    """Point the AWS SDK (boto3, s3fs) at ``endpoint`` only."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask 169.254.169.254
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    if credentials:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    clear_fs_cache()


def boto_client(endpoint: str) -> Any:
    boto3 = pytest.importorskip("boto3")
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
