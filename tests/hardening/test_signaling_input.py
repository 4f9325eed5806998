"""Issue 14, signaling side: reproductions over the real /openvidu websocket of a real server with a real minikms.

A refused frame (lone surrogate, NaN/Infinity, a 400-digit integer, nesting deeper than the limit) gets a JSON-RPC
error answer with its id and the socket stays open; nothing reaches the media server, so the media link stays
healthy (a join in a fresh session is answered, ``/pro/media-servers`` says connected, the server log has no
traceback).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.support.participants import media_servers, new_session, new_token, rest, sdp_offer, ws_url
from tests.support.procs import MinikmsProcess
from tests.support.rpc_client import RpcClient
from tests.support.server import ServerProcess

INVALID_REQUEST = -32600


@pytest.fixture(scope="module")
def server(kms: MinikmsProcess) -> Iterator[ServerProcess]:
    overrides = {"kms.uris": [kms.uri], "openvidu.pro.cluster": True, "kms.request-timeout": 3}
    with ServerProcess(overrides) as srv:
        yield srv


@pytest.fixture
async def joined(server: ServerProcess) -> AsyncIterator[RpcClient]:
    client = await joined_client(server)
    yield client
    await client.close()


async def joined_client(server: ServerProcess, session_id: str | None = None) -> RpcClient:
    sid = session_id or await asyncio.to_thread(new_session, server)
    token = await asyncio.to_thread(new_token, server, sid)
    client = await RpcClient(ws_url(server)).open()
    await client.ping()
    await client.join(token, sid)
    return client


async def send_text(client: RpcClient, text: str, req_id: int, timeout: float = 10) -> dict[str, Any]:
    """Send ``text`` as it is (it may hold escapes json.dumps would never write) and wait for answer ``req_id``."""
    fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    client.pending[req_id] = fut
    assert client.ws is not None
    await client.ws.send(text)
    return await asyncio.wait_for(fut, timeout)


def frame(method: str, req_id: int, params_json: str) -> str:
    return f'{{"jsonrpc":"2.0","method":"{method}","id":{req_id},"params":{params_json}}}'


async def healthy(server: ServerProcess) -> None:
    """The media link still works: a fresh session's join is answered; the media server shows connected."""
    client = await joined_client(server)
    try:
        assert (await client.ping()) == {"value": "pong"}
    finally:
        await client.close()
    servers = await asyncio.to_thread(media_servers, server)
    assert servers and all(ms["connected"] for ms in servers)
    assert "Traceback" not in server.log_text()


@pytest.mark.parametrize(
    "method, params_json, field",
    [
        ("publishVideo", '{"sdpOffer":"v=0\\r\\n\\ud800","hasAudio":true,"hasVideo":true}', "sdpOffer"),
        ("publishVideo", '{"sdpOffer":"v=0","typeOfVideo":"\\ud800","hasVideo":true}', "typeOfVideo"),
        ("reconnectStream", '{"stream":"x","sdpOffer":"v=0\\r\\n\\udfff"}', "sdpOffer"),
        ("publishVideo", '{"sdpOffer":"v=0","frameRate":Infinity,"hasVideo":true}', "Infinity"),
        (
            "onIceCandidate",
            '{"endpointName":"e","candidate":"c","sdpMid":"0","sdpMLineIndex":-Infinity}',
            "Infinity",
        ),
        ("sendMessage", '{"message":"' + "[" * 0 + '\\ud800"}', "message"),
    ],
)
async def test_refused_frames_after_a_join_keep_socket_and_media_link(
    server: ServerProcess, joined: RpcClient, method: str, params_json: str, field: str
) -> None:
    answer = await send_text(joined, frame(method, 900, params_json), 900)
    assert answer["error"]["code"] == INVALID_REQUEST, answer
    assert field in answer["error"]["message"]
    # the same socket still answers, and the media link is healthy for everyone
    assert (await joined.ping()) == {"value": "pong"}
    offer = await sdp_offer()
    published = await joined.call(
        "publishVideo",
        {
            "sdpOffer": offer,
            "hasAudio": True,
            "hasVideo": True,
            "doLoopback": False,
            "audioActive": True,
            "videoActive": True,
            "typeOfVideo": "CAMERA",
            "frameRate": 30,
            "videoDimensions": "{}",
        },
        timeout=30,
    )
    assert "sdpAnswer" in published
    await healthy(server)


async def test_bad_metadata_does_not_block_its_session(server: ServerProcess) -> None:
    sid = await asyncio.to_thread(new_session, server)
    token = await asyncio.to_thread(new_token, server, sid)
    attacker = await RpcClient(ws_url(server)).open()
    try:
        params = json.dumps(
            {"token": token, "session": sid, "platform": "p", "secret": "", "recorder": False}
        )
        params = params[:-1] + ',"metadata":"\\ud800"}'
        answer = await send_text(attacker, frame("joinRoom", 901, params), 901)
        assert answer["error"]["code"] == INVALID_REQUEST and "metadata" in answer["error"]["message"]
        listing = await asyncio.to_thread(rest, server, "GET", "/api/sessions")
        assert listing.status_code == 200
        one = await asyncio.to_thread(rest, server, "GET", f"/api/sessions/{sid}")
        assert one.status_code == 200
        other = await joined_client(server, sid)  # a later join to that session is answered
        await other.close()
    finally:
        await attacker.close()
    await healthy(server)


@pytest.mark.parametrize(
    "text, answered",
    [
        ('{"jsonrpc":"2.0","method":"ping","id":902,"params":{"interval":Infinity}}', True),
        ('{"jsonrpc":"2.0","method":"ping","id":902,"params":{"interval":' + "9" * 400 + "}}", True),
        ('{"jsonrpc":"2.0","method":"ping","id":902,"params":{"interval":NaN}}', True),
        ('{"jsonrpc":"2.0","method":"ping","id":902,"params":{"a":' + "[" * 500 + "]" * 500 + "}}", True),
        # too deep for even a lenient parse to find the id: dropped, the socket kept
        ('{"jsonrpc":"2.0","method":"ping","id":902,"params":{"a":' + "[" * 5000 + "]" * 5000 + "}}", False),
        ("[" * 5000 + "]" * 5000, False),
        ('{"jsonrpc":"2.0","method":"ping","id":902,"params":{"interval":5000', False),
    ],
    ids=["infinity", "400-digits", "nan", "500-deep", "5000-deep", "5000-deep-array", "not-json"],
)
async def test_bad_frames_before_a_join_keep_the_socket(
    server: ServerProcess, text: str, answered: bool
) -> None:
    client = await RpcClient(ws_url(server)).open()
    try:
        if answered:
            answer = await send_text(client, text, 902)
            assert answer["error"]["code"] == INVALID_REQUEST, answer
        else:
            assert client.ws is not None
            await client.ws.send(text)
        assert (await client.ping()) == {"value": "pong"}
        assert not client.closed.is_set()
    finally:
        await client.close()
    assert "Traceback" not in server.log_text()


async def test_frame_rate_infinity_is_not_answered_minus_one(
    server: ServerProcess, joined: RpcClient
) -> None:
    answer = await send_text(joined, frame("publishVideo", 903, '{"sdpOffer":"v=0","frameRate":1e999}'), 903)
    assert answer["error"]["code"] == INVALID_REQUEST
    assert "Traceback" not in server.log_text()


async def test_inner_json_of_a_signal_is_strict_too(server: ServerProcess, joined: RpcClient) -> None:
    """``sendMessage``'s ``message`` is JSON inside a string: a lone surrogate there is a format error (600), not a
    signal that cannot be delivered."""
    answer = await joined.request("sendMessage", {"message": '{"data":"\\ud800","to":[],"type":"signal:x"}'})
    assert answer["error"]["code"] == 600, answer
    ok = await joined.request("sendMessage", {"message": '{"data":"fine","to":[],"type":"signal:x"}'})
    assert "result" in ok, ok
    assert "Traceback" not in server.log_text()
