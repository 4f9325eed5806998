"""Headless Chromium for the end-to-end tests, driven through tests/e2e/node/scripts/browser_driver.js.

``Browser`` starts one Chromium (fake camera and mic, loopback ICE, self-signed certificates accepted) and
``Browser.open(url)`` returns a ``Page`` on which JavaScript can be evaluated and awaited. The calls are
blocking; async tests should run them with ``asyncio.to_thread``. Console lines and page errors of every page
are collected in ``Page.console`` / ``Page.errors`` for assertions and failure reports.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import queue
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

NODE_DIR = Path(__file__).resolve().parents[1] / "e2e" / "node"
DRIVER = NODE_DIR / "scripts" / "browser_driver.js"

LAUNCH_TIMEOUT = 60.0
COMMAND_TIMEOUT = 60.0
# Extra time given to the driver on top of a page-side timeout before the Python side gives up.
DRIVER_SLACK = 15.0


class BrowserError(RuntimeError):
    """A driver command failed (JavaScript exception, timeout, closed page...)."""


@dataclass
class ConsoleLine:
    type: str
    text: str


@dataclass
class Page:
    browser: Browser
    id: str
    url: str
    console: list[ConsoleLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def eval(self, expr: str, timeout: float = COMMAND_TIMEOUT) -> Any:
        """Evaluate a JavaScript expression in the page; a promise is awaited. Returns its JSON value."""
        return self.browser.command("eval", timeout=timeout, page=self.id, expr=expr)

    def wait_for(self, expr: str, timeout: float = 30.0) -> Any:
        """Poll a JavaScript expression until it is truthy and return that value (BrowserError on timeout)."""
        return self.browser.command(
            "wait_for",
            timeout=timeout + DRIVER_SLACK,
            page=self.id,
            expr=expr,
            timeout_ms=int(timeout * 1000),
        )

    def screenshot(self, path: str | Path, full_page: bool = False) -> Path:
        self.browser.command("screenshot", page=self.id, path=str(path), full_page=full_page)
        return Path(path)

    def viewport(self, width: int, height: int) -> None:
        self.browser.command("viewport", page=self.id, width=width, height=height)

    def close(self) -> None:
        self.browser.command("close", page=self.id)

    def log_text(self) -> str:
        lines = [f"[{line.type}] {line.text}" for line in self.console]
        lines += [f"[pageerror] {err}" for err in self.errors]
        return "\n".join(lines)


class Browser:
    """One headless Chromium process (through the Node driver)."""

    def __init__(self, chromium_path: str | None = None) -> None:
        self.chromium_path = chromium_path
        self.proc: subprocess.Popen[str] | None = None
        self.pages: dict[str, Page] = {}
        self.stderr_lines: list[str] = []
        self._next_id = 0
        self._lock = threading.Lock()
        self._waiters: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._ready: queue.Queue[dict[str, Any]] = queue.Queue()

    def start(self) -> Browser:
        env = dict(os.environ)
        if self.chromium_path:
            env["CHROMIUM_PATH"] = self.chromium_path
        self.proc = subprocess.Popen(
            ["node", str(DRIVER)],
            cwd=NODE_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        try:
            first = self._ready.get(timeout=LAUNCH_TIMEOUT)
        except queue.Empty:
            self.close()
            raise BrowserError("chromium did not start\n" + "\n".join(self.stderr_lines[-30:])) from None
        if first.get("event") != "ready":
            self.close()
            raise BrowserError(f"chromium failed to start: {first}\n" + "\n".join(self.stderr_lines[-30:]))
        return self

    def open(self, url: str, timeout: float = 30.0) -> Page:
        page_id = self.command(
            "open", timeout=timeout + DRIVER_SLACK, url=url, timeout_ms=int(timeout * 1000)
        )
        page = self.pages.get(page_id)
        if page is None:
            page = Page(self, page_id, url)
            self.pages[page_id] = page
        page.url = url
        return page

    def command(self, cmd: str, timeout: float = COMMAND_TIMEOUT, **params: Any) -> Any:
        proc = self.proc
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise BrowserError("browser driver is not running\n" + "\n".join(self.stderr_lines[-30:]))
        with self._lock:
            self._next_id += 1
            req_id = self._next_id
            waiter: queue.Queue[dict[str, Any]] = queue.Queue()
            self._waiters[req_id] = waiter
            proc.stdin.write(json.dumps({"id": req_id, "cmd": cmd, **params}) + "\n")
            proc.stdin.flush()
        try:
            answer = waiter.get(timeout=timeout)
        except queue.Empty:
            raise BrowserError(f"driver command {cmd} got no answer in {timeout} s") from None
        finally:
            self._waiters.pop(req_id, None)
        if not answer.get("ok"):
            raise BrowserError(f"{cmd} failed: {answer.get('error')}")
        return answer.get("result")

    def _read_stdout(self) -> None:
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        for line in proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                self.stderr_lines.append(line.rstrip())
                continue
            if "id" in msg:
                waiter = self._waiters.get(int(msg["id"]))
                if waiter is not None:
                    waiter.put(msg)
                continue
            event = msg.get("event")
            if event in ("ready", "fatal"):
                self._ready.put(msg)
            elif event in ("console", "pageerror"):
                page_id = str(msg.get("page"))
                page = self.pages.get(page_id)
                if page is None:
                    page = Page(self, page_id, "")
                    self.pages[page_id] = page
                if event == "console":
                    page.console.append(ConsoleLine(str(msg.get("type")), str(msg.get("text"))))
                else:
                    page.errors.append(str(msg.get("text")))
        # The driver is gone: wake up anyone still waiting.
        for waiter in list(self._waiters.values()):
            waiter.put({"ok": False, "error": "browser driver exited"})
        self._ready.put({"event": "exited"})

    def _read_stderr(self) -> None:
        proc = self.proc
        assert proc is not None and proc.stderr is not None
        for line in proc.stderr:
            self.stderr_lines.append(line.rstrip())
            del self.stderr_lines[:-200]

    def close(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(BrowserError):
                self.command("quit", timeout=15.0)
            try:
                proc.wait(15.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5.0)
        self.proc = None

    def __enter__(self) -> Browser:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


PAGES_DIR = Path(__file__).resolve().parents[1] / "e2e" / "pages"
OPENVIDU_BROWSER_BUNDLES = {
    "2.10": NODE_DIR
    / "node_modules"
    / "openvidu-browser-2.10"
    / "static"
    / "js"
    / "openvidu-browser-2.10.0.js",
    "2.11": NODE_DIR
    / "node_modules"
    / "openvidu-browser-2.11"
    / "static"
    / "js"
    / "openvidu-browser-2.11.0.js",
    "2.32": NODE_DIR
    / "node_modules"
    / "openvidu-browser-2.32"
    / "static"
    / "js"
    / "openvidu-browser-2.32.2.js",
}
BUNDLE_VERSIONS = {"2.10": "2.10.0", "2.11": "2.11.0", "2.32": "2.32.2"}


class _PageHandler(http.server.SimpleHTTPRequestHandler):
    """Serves tests/e2e/pages/ and the openvidu-browser bundles under /lib/openvidu-browser-<v>.js."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(PAGES_DIR), **kwargs)

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        prefix = "/lib/openvidu-browser-"
        if clean.startswith(prefix) and clean.endswith(".js"):
            bundle = OPENVIDU_BROWSER_BUNDLES.get(clean[len(prefix) : -len(".js")])
            if bundle is not None:
                return str(bundle)
        return super().translate_path(path)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class StaticServer:
    """A plain-HTTP static file server on 127.0.0.1 (a secure context for getUserMedia)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.httpd = http.server.ThreadingHTTPServer((host, port), _PageHandler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def page_url(self, version: str, page: str = "ov.html") -> str:
        return f"{self.base_url}/{page}?v={version}"

    def start(self) -> StaticServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> StaticServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
