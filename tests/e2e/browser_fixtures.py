"""Shared pieces of the browser end-to-end tests: a server with a minikms, tokens through REST, pages."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support.browser import Browser, Page, StaticServer
from tests.support.procs import MinikmsProcess
from tests.support.server import ServerProcess

MEDIA_TIMEOUT = 60.0
EVENT_TIMEOUT = 30.0
PLAYBACK_WINDOW = 2.0


@contextmanager
def media_server_stack(
    extra: dict[str, Any] | None = None, kms_count: int = 1
) -> Iterator[tuple[ServerProcess, list[MinikmsProcess]]]:
    kmss = [MinikmsProcess().start() for _ in range(kms_count)]
    try:
        cluster = {"openvidu.pro.cluster": True} if kms_count > 1 else {}
        server = ServerProcess({"kms.uris": [k.uri for k in kmss], **cluster, **(extra or {})})
        server.overrides.setdefault("openvidu.publicurl", f"https://127.0.0.1:{server.port}")
        with server:
            yield server, kmss
    finally:
        for kms in kmss:
            kms.stop()


def hosting_uri(server: ServerProcess, session_id: str) -> str:
    """The URI of the media server hosting a session (Pro API, cluster mode)."""
    with server.client() as http:
        listed = http.get("/pro/media-servers?sessions=true").json()
    for media_server in listed["content"]:
        if any(s["sessionId"] == session_id for s in media_server.get("sessions", [])):
            return str(media_server["uri"])
    raise AssertionError(f"no media server hosts {session_id}: {listed}")


def new_session(server: ServerProcess, custom_id: str = "") -> str:
    with server.client() as http:
        resp = http.post("/api/sessions", json={"customSessionId": custom_id} if custom_id else {})
        assert resp.status_code in (200, 409), resp.text
        return custom_id or str(resp.json()["id"])


def new_token(server: ServerProcess, session_id: str, role: str = "PUBLISHER", data: str = "") -> str:
    with server.client() as http:
        resp = http.post("/api/tokens", json={"session": session_id, "role": role, "data": data})
        assert resp.status_code == 200, resp.text
        return str(resp.json()["token"])


def join(page: Page, token: str, metadata: str) -> str:
    connection_id = page.eval(f"ovJoin({token!r}, {metadata!r})", timeout=MEDIA_TIMEOUT)
    assert isinstance(connection_id, str) and connection_id, page.log_text()
    return connection_id


def connect(page: Page, token: str, metadata: str) -> str:
    """Join without subscribing (the recorder is the only consumer: keeps the two cores free)."""
    connection_id = page.eval(f"ovJoin({token!r}, {metadata!r}, {{subscribe: false}})", timeout=MEDIA_TIMEOUT)
    assert isinstance(connection_id, str) and connection_id, page.log_text()
    return connection_id


def wait_event(
    page: Page, event_type: str, where: str = "true", timeout: float = EVENT_TIMEOUT
) -> dict[str, Any]:
    """The first openvidu-browser event of ``event_type`` the page recorded for which ``where`` (JS) holds."""
    expr = f"ovEvents.find(e => e.type === {event_type!r} && ({where})) || false"
    try:
        found: dict[str, Any] = page.wait_for(expr, timeout=timeout)
    except Exception as exc:
        raise AssertionError(
            f"no {event_type} event: {page.eval('ovEvents')}\n{page.log_text()[-3000:]}"
        ) from exc
    return found


def close_pages(*pages_: Page) -> None:
    for page in pages_:
        with contextlib.suppress(Exception):
            page.close()


def wait_remote_playing(page: Page, count: int, timeout: float = MEDIA_TIMEOUT) -> list[dict[str, Any]]:
    """Wait until ``count`` remote videos have frames and their currentTime advances; returns the last sample."""
    expr = (
        f"(() => {{ const v = ovRemoteVideos(); "
        f"return v.length >= {count} && v.every(x => x.videoWidth > 0 && x.currentTime > 0) ? v : false; }})()"
    )
    try:
        first = page.wait_for(expr, timeout=timeout)
    except Exception as exc:
        raise AssertionError(
            f"remote videos did not play: {exc}\n{page.eval('ovRemoteVideos()')}\n{page.log_text()[-4000:]}"
        ) from exc
    time.sleep(PLAYBACK_WINDOW)
    later = page.eval("ovRemoteVideos()")
    by_stream = {v["streamId"]: v for v in later}
    for video in first:
        now = by_stream.get(video["streamId"])
        assert now is not None, later
        assert now["currentTime"] > video["currentTime"], (video, now)
        assert now["videoWidth"] > 0
    return list(later)


__all__ = [
    "Browser",
    "StaticServer",
    "join",
    "media_server_stack",
    "new_session",
    "new_token",
    "wait_remote_playing",
]
