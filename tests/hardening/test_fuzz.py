"""Property-based fuzzing (hypothesis) of the three input boundaries against real processes, bounded in time:
REST bodies, browser JSON-RPC frames and Kurento messages. Hostile documents are built from JSON-like values plus
what ``json.loads`` accepts and the server must refuse (lone surrogates, NaN/Infinity, huge numbers, deep
nesting). Afterwards: no 5xx, no traceback in the logs, and the media link healthy (a join in a fresh session
is answered)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection, connect

from tests.hardening.test_signaling_input import joined_client
from tests.support.participants import new_session, new_token, ws_url
from tests.support.procs import MinikmsProcess
from tests.support.server import ServerProcess

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

# Text fragments json.loads accepts that must never reach a handler.
HOSTILE_ATOMS = [
    '"\\ud800"',
    '"a\\udfffb"',
    '"\\u0000"',
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "9" * 40,
    "[" * 200 + "]" * 200,
    '"' + "x" * 3000 + '"',
]
FIELDS = [
    "session",
    "customSessionId",
    "role",
    "data",
    "kurentoOptions",
    "mediaMode",
    "recordingMode",
    "defaultOutputMode",
    "defaultRecordingLayout",
    "defaultCustomLayout",
    "token",
    "metadata",
    "sdpOffer",
    "typeOfVideo",
    "frameRate",
    "interval",
    "candidate",
    "sdpMid",
    "sdpMLineIndex",
    "endpointName",
    "message",
    "stream",
    "hasAudio",
    "hasVideo",
    "videoDimensions",
    "filter",
    "type",
    "options",
    "method",
    "params",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(FIELDS), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def hostile_object(draw: st.DrawFn) -> str:
    """A JSON object text over the known field names, some values replaced by hostile atoms."""
    keys = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=6, unique=True))
    parts = []
    for key in keys:
        value = draw(st.sampled_from(HOSTILE_ATOMS)) if draw(st.booleans()) else json.dumps(draw(json_values))
        parts.append(f'"{key}":{value}')
    return "{" + ",".join(parts) + "}"


@pytest.fixture(scope="module")
def kms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MinikmsProcess]:
    with MinikmsProcess(log_path=tmp_path_factory.mktemp("kms") / "minikms.log") as k:
        yield k


@pytest.fixture(scope="module")
def server(kms: MinikmsProcess) -> Iterator[ServerProcess]:
    with ServerProcess({"kms.uris": [kms.uri], "server.ssl.enabled": False}) as srv:
        yield srv


def assert_healthy(server: ServerProcess, kms: MinikmsProcess) -> None:
    async def fresh_join() -> None:
        client = await joined_client(server)
        await client.close()

    asyncio.run(fresh_join())
    assert "Traceback" not in server.log_text()
    assert kms.log_path is not None and "Traceback" not in kms.log_path.read_text(errors="replace")


REST_POSTS = ["/api/sessions", "/api/tokens", "/api/recordings/start", "/pro/restart", "/pro/media-servers"]


def test_fuzz_rest_bodies(server: ServerProcess, kms: MinikmsProcess) -> None:
    http = httpx.Client(base_url=server.url, headers=server.auth_header, timeout=10)

    @FUZZ
    @given(path=st.sampled_from(REST_POSTS), body=hostile_object())
    def one(path: str, body: str) -> None:
        response = http.post(path, content=body, headers={"Content-Type": "application/json"})
        # 501 is a documented answer (recording module or cluster off), not a failure
        assert response.status_code < 500 or response.status_code == 501, (
            path,
            body[:200],
            response.status_code,
            response.text[:300],
        )

    try:
        one()
    finally:
        http.close()
    assert_healthy(server, kms)


RPC_METHODS = [
    "joinRoom",
    "publishVideo",
    "unpublishVideo",
    "receiveVideoFrom",
    "unsubscribeFromVideo",
    "onIceCandidate",
    "sendMessage",
    "streamPropertyChanged",
    "forceDisconnect",
    "forceUnpublish",
    "applyFilter",
    "execFilterMethod",
    "removeFilter",
    "addFilterEventListener",
    "leaveRoom",
    "ping",
    "connect",
    "reconnectStream",
    "videoData",
]


def test_fuzz_jsonrpc_frames(server: ServerProcess, kms: MinikmsProcess) -> None:
    sid = new_session(server)
    token = new_token(server, sid)
    with connect(ws_url(server), max_size=None) as ws:
        fuzz_one_socket(ws, sid, token)
    assert_healthy(server, kms)


def fuzz_one_socket(ws: ClientConnection, sid: str, token: str) -> None:
    ws.send(
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "joinRoom",
                "params": {
                    "token": token,
                    "session": sid,
                    "platform": "fuzz",
                    "metadata": "",
                    "secret": "",
                    "recorder": False,
                },
            }
        )
    )
    assert "result" in json.loads(ws.recv(timeout=20))
    ids = iter(range(1, 10**6))

    @FUZZ
    @given(method=st.sampled_from(RPC_METHODS), params=hostile_object(), with_id=st.booleans())
    def one(method: str, params: str, with_id: bool) -> None:
        if method in ("leaveRoom", "forceDisconnect", "connect"):
            return  # would end this test's own participant, not fuzz the boundary
        id_part = f'"id":{next(ids)},' if with_id else ""
        ws.send('{"jsonrpc":"2.0",' + id_part + f'"method":"{method}","params":' + params + "}")

    one()
    # the socket survived every frame and is still answered
    ws.send('{"jsonrpc":"2.0","id":-5,"method":"ping","params":{"interval":5000}}')
    while True:
        message: dict[str, Any] = json.loads(ws.recv(timeout=30))
        if message.get("id") == -5:
            assert message["result"] == {"value": "pong"}
            break
        if "error" in message:
            assert message["error"]["code"] != -1 or "java.lang" in message["error"]["message"], message


KMS_METHODS = [
    "create",
    "invoke",
    "release",
    "subscribe",
    "unsubscribe",
    "describe",
    "transaction",
    "ping",
    "connect",
    "keepAlive",
    "ref",
    "unref",
]


def test_fuzz_kurento_messages(server: ServerProcess, kms: MinikmsProcess) -> None:
    with connect(kms.uri, max_size=None) as ws:
        fuzz_kms_socket(ws)
    assert_healthy(server, kms)  # the server's own link to this minikms is unharmed


def fuzz_kms_socket(ws: ClientConnection) -> None:
    ids = iter(range(1, 10**6))

    @FUZZ
    @given(method=st.sampled_from(KMS_METHODS), params=hostile_object())
    def one(method: str, params: str) -> None:
        ws.send(f'{{"jsonrpc":"2.0","id":{next(ids)},"method":"{method}","params":{params}}}')

    one()
    ws.send('{"jsonrpc":"2.0","id":"last","method":"ping","params":{"interval":1000}}')
    while True:
        message = json.loads(ws.recv(timeout=30))
        if message.get("id") == "last":
            assert "result" in message
            break
