"""A tiny Chrome DevTools Protocol client for the report's browser tests (stdlib only).

Chromium runs headless with ``--remote-debugging-pipe``: it reads JSON commands,
NUL-terminated, from file descriptor 3 and writes answers and events to fd 4. Every
request the page makes is paused (``Fetch.enable``); ``file:`` and ``data:`` go on,
anything else is failed *before it leaves the browser* and recorded. Console errors,
uncaught exceptions and JavaScript dialogs (``alert`` from a log that got executed)
are recorded too.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCAL_SCHEMES = ("file:", "data:", "about:")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageReport:
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @property
    def non_local(self) -> list[str]:
        return sorted(
            {u for u in self.requests if not u.startswith(LOCAL_SCHEMES)} | set(self.blocked)
        )


class Browser:
    """One headless Chromium with one page, driven over the DevTools pipe."""

    def __init__(self, width: int = 1280, height: int = 900, timeout: float = 60.0) -> None:
        exe = find_chromium()
        if exe is None:
            raise FileNotFoundError("chromium is not installed")
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="tbreport-chromium-")
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def wire_fds() -> None:  # in the child: dup first so 3 and 4 can't clobber each other
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [
                exe,
                *FLAGS,
                f"--user-data-dir={self._profile.name}",
                "--remote-debugging-pipe",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            preexec_fn=wire_fds,
            pass_fds=(3, 4),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self.session: str | None = None
        self.report = PageReport()
        self.width, self.height = width, height
        targets = self.send("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send(
            "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}, session=False
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    # ----------------------------------------------------------------- protocol
    def _post(self, method: str, params: dict[str, Any] | None, session: bool | str | None) -> int:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        sid = self.session if session is None or session is True else session
        if session is not False and sid:
            msg["sessionId"] = sid
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        return self._next_id

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: bool | str | None = None,
    ) -> dict[str, Any]:
        wanted = self._post(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._read(deadline)
            if msg.get("id") == wanted:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result
            if "method" in msg:
                self._event(msg)

    def wait(self, event: str, timeout: float | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            msg = self._read(deadline)
            if "method" in msg:
                self._event(msg)
                if msg["method"] == event:
                    return msg

    def _event(self, msg: dict[str, Any]) -> None:
        method, p = msg["method"], msg.get("params", {})
        r = self.report
        if method == "Fetch.requestPaused":
            url = p["request"]["url"]
            if url.startswith(LOCAL_SCHEMES):
                self._post("Fetch.continueRequest", {"requestId": p["requestId"]}, None)
            else:
                r.blocked.append(url)
                self._post(
                    "Fetch.failRequest",
                    {"requestId": p["requestId"], "errorReason": "BlockedByClient"},
                    None,
                )
        elif method == "Page.javascriptDialogOpening":
            r.dialogs.append(f"{p.get('type')}: {p.get('message', '')}"[:200])
            self._post("Page.handleJavaScriptDialog", {"accept": False}, None)
        elif method == "Network.requestWillBeSent":
            r.requests.append(p["request"]["url"])
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            r.console_errors.append(
                " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
            )
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            r.console_errors.append(f"{p['entry'].get('text')} {p['entry'].get('url', '')}".strip())
        elif method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            r.exceptions.append(str(d.get("exception", {}).get("description") or d.get("text")))

    # ----------------------------------------------------------------- actions
    def open(
        self, path: Path, *, javascript: bool = True, dark: bool = False, settle: float = 0.3
    ) -> None:
        self.send("Emulation.setScriptExecutionDisabled", {"value": not javascript})
        self.send(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]},
        )
        self.send("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait("Page.loadEventFired")
        end = time.monotonic() + settle
        while time.monotonic() < end:  # let late events arrive
            self.send("Runtime.evaluate", {"expression": "0"})
            time.sleep(0.05)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def evaluate_json(self, body: str) -> Any:
        """The value of a function ``body`` (``return …``), passed back as JSON."""
        return json.loads(self.evaluate(f"JSON.stringify((() => {{ {body} }})())"))

    def screenshot(self, out: Path, *, full_page: bool = True, max_height: int = 16000) -> None:
        clip = None
        if full_page:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            clip = {
                "x": 0,
                "y": 0,
                "width": max(self.width, size["width"]),
                "height": min(size["height"], max_height),
                "scale": 1,
            }
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if clip:
            params["clip"] = clip
        data = self.send("Page.captureScreenshot", params)["data"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))

    def pdf(self, out: Path) -> None:
        self.send("Emulation.setEmulatedMedia", {"media": "print"})
        data = self.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": False})[
            "data"
        ]
        self.send("Emulation.setEmulatedMedia", {"media": ""})
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("Browser.close", session=False)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._w, self._r):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
