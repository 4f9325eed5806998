"""The Inspector's HTTP surface on a real server process (no browser): auth, page and assets, the live push
stream, the signal endpoint (with real signaling clients), the properties list and the console limit."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.procs import MinikmsProcess
from tests.support.rpc_client import RpcClient
from tests.support.server import ServerProcess

PUSH_DEADLINE = 2.0


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    settings = {"openvidu.inspector.max-consoles": 2, "openvidu.pro.stats.monitoring-interval": 1}
    with MinikmsProcess() as kms, ServerProcess({"kms.uris": [kms.uri], **settings}) as proc:
        yield proc


class SseReader:
    """Reads ``event:``/``data:`` messages from an open push stream."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()
        self.latest: dict[str, Any] = {}

    def next(self) -> tuple[str, Any]:
        event, data = "", ""
        for line in self.lines:
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and event:
                value = json.loads(data)
                self.latest[event] = value
                return event, value
        raise EOFError

    def until(self, channel: str, predicate: Any) -> Any:
        while True:
            event, value = self.next()
            if event == channel and predicate(value):
                return value


@pytest.mark.parametrize(
    "path",
    [
        "/inspector",
        "/inspector/",
        "/inspector/events",
        "/inspector/static/inspector.js",
        "/inspector/api/state",
        "/inspector/api/history",
        "/inspector/api/properties",
    ],
)
def test_everything_needs_the_basic_credentials(server: ServerProcess, path: str) -> None:
    with server.client(auth=False) as anonymous:
        answer = anonymous.get(path)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Basic realm="Realm"'
    with server.client(auth=False) as anonymous:
        wrong = anonymous.get(path, auth=("OPENVIDUAPP", "wrong"))
    assert wrong.status_code == 401


def test_page_and_assets_are_served_from_the_package(api: httpx.Client) -> None:
    page = api.get("/inspector")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    # Every script and style the page names is served, and nothing comes from another origin.
    html = page.text
    assets = [part.split('"')[0] for part in html.split('src="')[1:]] + [
        part.split('"')[0] for part in html.split('href="')[1:] if part.startswith("/inspector")
    ]
    assert len(assets) >= 8
    for asset in assets:
        assert asset.startswith("/inspector/static/"), asset
        assert api.get(asset).status_code == 200, asset
    assert "http://" not in html and "https://" not in html
    assert api.get("/inspector/static/nothing.js").status_code == 404


def test_push_stream_sends_the_state_then_changes(server: ServerProcess, api: httpx.Client) -> None:
    with (
        server.client(timeout=10) as stream_client,
        stream_client.stream("GET", "/inspector/events") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = SseReader(response)
        first = {reader.next()[0] for _ in range(4)}
        assert first == {"sessions", "mediaServers", "stats", "recordings"}
        servers = reader.latest["mediaServers"]
        rest = api.get("/pro/media-servers").status_code
        assert rest == 501 and servers["cluster"] is False and servers["numberOfElements"] == 1
        assert servers["content"][0]["connected"] is True

        # A session created through REST is pushed within 2 s, as REST shows it.
        started = time.monotonic()
        api.post("/api/sessions", json={"customSessionId": "pushed"})
        doc = reader.until("sessions", lambda d: any(s["sessionId"] == "pushed" for s in d["content"]))
        assert time.monotonic() - started < PUSH_DEADLINE
        pushed = next(s for s in doc["content"] if s["sessionId"] == "pushed")
        rest_doc = api.get("/api/sessions/pushed").json()
        assert {k: v for k, v in pushed.items() if k not in ("active", "mediaServer")} == rest_doc
        assert pushed["active"] is False and pushed["mediaServer"] is None

        # Host samples arrive on the stats channel (1 s monitoring interval here).
        stats = reader.until("stats", lambda d: len(d["host"]) >= 1)
        assert stats["monitoringInterval"] == 1 and len(stats["host"][0]) == 6

        api.delete("/api/sessions/pushed")
        reader.until("sessions", lambda d: all(s["sessionId"] != "pushed" for s in d["content"]))


def test_state_once_has_every_channel(api: httpx.Client) -> None:
    state = api.get("/inspector/api/state").json()
    assert set(state) == {"sessions", "mediaServers", "stats", "recordings"}
    assert state["sessions"]["numberOfElements"] == api.get("/api/sessions").json()["numberOfElements"]


def test_console_limit(server: ServerProcess) -> None:
    with server.client(timeout=10) as a, server.client(timeout=10) as b, server.client(timeout=10) as c:
        with a.stream("GET", "/inspector/events") as one, b.stream("GET", "/inspector/events") as two:
            assert one.status_code == two.status_code == 200
            assert c.get("/inspector/events").status_code == 503
        # Closed consoles free their places.
        deadline = time.monotonic() + 5
        while c.get("/inspector/api/state").status_code == 200:
            with c.stream("GET", "/inspector/events") as again:
                if again.status_code == 200:
                    break
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_properties_are_the_restartable_ones_with_current_values(api: httpx.Client) -> None:
    listed = api.get("/inspector/api/properties").json()
    by_name = {p["name"]: p for p in listed["content"]}
    assert listed["numberOfElements"] == len(by_name)
    assert by_name["openvidu.cdr"]["type"] == "boolean" and by_name["openvidu.cdr"]["value"] is False
    assert by_name["openvidu.recording.notification"]["choices"] == [
        "none",
        "moderator",
        "publisher_moderator",
        "all",
    ]
    assert by_name["openvidu.webhook.events"]["type"] == "array"
    assert by_name["openvidu.pro.stats.monitoring-interval"]["value"] == 1
    assert "server.port" not in by_name  # not restartable
    assert by_name["openvidu.secret"]["value"] is None and by_name["openvidu.secret"]["secret"] is True


def test_history_query_is_bounded(api: httpx.Client) -> None:
    answer = api.get("/inspector/api/history", params={"sessionId": "x" * 201})
    assert answer.status_code == 400 and "200" in answer.json()["message"]
    empty = api.get("/inspector/api/history").json()
    assert empty == {"sessions": [], "truncated": False, "cdr": False}


def ws_url(server: ServerProcess) -> str:
    return f"wss://127.0.0.1:{server.port}/openvidu"


async def test_signal_reaches_the_participants(server: ServerProcess, api: httpx.Client) -> None:
    sid = api.post("/api/sessions", json={"customSessionId": "signalled"}).json()["id"]
    clients: list[RpcClient] = []
    ids: list[str] = []
    try:
        for name in ("a", "b"):
            token = api.post("/api/tokens", json={"session": sid}).json()["token"]
            client = await RpcClient(ws_url(server)).open()
            await client.ping()
            ids.append(str((await client.join(token, sid, metadata=name))["id"]))
            clients.append(client)
        path = f"/inspector/api/sessions/{sid}/signal"
        sent = await asyncio.to_thread(api.post, path, json={"type": "note", "data": "to b", "to": [ids[1]]})
        assert sent.status_code == 200 and sent.json() == {"recipients": [ids[1]], "type": "signal:note"}
        got = await clients[1].wait_notification("sendMessage", lambda p: p["data"] == "to b")
        assert got == {"data": "to b", "type": "signal:note"}  # no "from": the server sent it
        everyone = await asyncio.to_thread(api.post, path, json={"data": "all"})
        assert everyone.json()["type"] == "signal"
        for client in clients:
            await client.wait_notification("sendMessage", lambda p: p["data"] == "all")
        assert not [n for n in clients[0].notifications_of("sendMessage") if n["data"] == "to b"]

        bad: list[tuple[Any, int]] = [
            ({"to": "x"}, 400),
            ({"data": 5}, 400),
            ({"type": "t" * 101}, 400),
            ([1], 400),
            ({"to": ["nobody"]}, 406),
        ]
        for body, status in bad:
            answer = await asyncio.to_thread(api.post, path, json=body)
            assert answer.status_code == status, (body, answer.text)
        assert (await asyncio.to_thread(api.post, path, content=b"{}")).status_code == 415
        big = json.dumps({"data": "x" * 70000})
        answer = await asyncio.to_thread(
            api.post, path, content=big, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 413
        nowhere = await asyncio.to_thread(api.post, "/inspector/api/sessions/none/signal", json={})
        assert nowhere.status_code == 404
    finally:
        for client in clients:
            await client.close()
        api.delete(f"/api/sessions/{sid}")
    lonely = api.post("/api/sessions", json={"customSessionId": "lonely"}).json()["id"]
    assert api.post(f"/inspector/api/sessions/{lonely}/signal", json={}).status_code == 406


def test_shutdown_ends_open_push_streams() -> None:
    """A console left open must not hold the graceful shutdown: its stream ends cleanly at SIGTERM."""
    server = ServerProcess({"server.ssl.enabled": False}).start()
    ended: list[str] = []
    streaming = threading.Event()

    def read() -> None:
        try:
            with server.client(timeout=None) as client, client.stream("GET", "/inspector/events") as response:
                for _ in response.iter_raw():
                    streaming.set()
            ended.append("clean end")
        except httpx.HTTPError as exc:
            ended.append(type(exc).__name__)

    try:
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert streaming.wait(10)
        assert server.stop() == 0
        reader.join(5)
        assert ended == ["clean end"]
        assert "timeout graceful shutdown exceeded" not in server.log_text()
    finally:
        server.cleanup()
