"""``GET /pro/config`` and ``POST /pro/restart`` of a server process, and waiting for the restarted image."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx

from tests.support.server import ServerProcess

RESTART_TIMEOUT = 30.0


def get_config(server: ServerProcess, secret: str | None = None) -> httpx.Response:
    token = base64.b64encode(f"OPENVIDUAPP:{secret or server.secret}".encode()).decode()
    with httpx.Client(base_url=server.url, verify=False, timeout=10) as client:
        return client.get("/pro/config", headers={"Authorization": f"Basic {token}"})


def restart(server: ServerProcess, body: Any) -> httpx.Response:
    with server.client(timeout=10) as client:
        return client.post("/pro/restart", json=body)


def wait_restarted(server: ServerProcess, secret: str, before: float) -> dict[str, Any]:
    """Poll until the restarted server answers /pro/config with ``secret``; the process must stay the same."""
    deadline = time.monotonic() + RESTART_TIMEOUT
    pid = server.proc.pid if server.proc else None
    while time.monotonic() < deadline:
        assert server.proc is not None and server.proc.poll() is None, server.log_text()
        try:
            response = get_config(server, secret)
        except httpx.HTTPError:
            time.sleep(0.05)
            continue
        if response.status_code == 200 and "restarting with the new configuration" in server.log_text():
            # the 200 must come from the new image: it logged its start after the restart line
            log = server.log_text()
            if log.rfind("OpenVidu server ready") > log.rfind("restarting with the new configuration"):
                assert server.proc.pid == pid
                body: dict[str, Any] = response.json()
                return body
        time.sleep(0.05)
    raise AssertionError(f"not restarted within {RESTART_TIMEOUT} s\n{server.log_text()}")
