"""Sessions through REST and participants through the signaling websocket, against a server process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from aiortc import RTCPeerConnection

from tests.support.rpc_client import RpcClient
from tests.support.server import ServerProcess


def rest(server: ServerProcess, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
    with server.client(timeout=30) as client:
        return client.request(method, path, json=body, **kwargs)


def new_session(server: ServerProcess) -> str:
    response = rest(server, "POST", "/api/sessions", {})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def new_token(server: ServerProcess, session_id: str, role: str = "PUBLISHER") -> str:
    response = rest(server, "POST", "/api/tokens", {"session": session_id, "role": role})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def ws_url(server: ServerProcess) -> str:
    return server.url.replace("https://", "wss://").replace("http://", "ws://") + "/openvidu"


async def join(server: ServerProcess, session_id: str | None = None) -> RpcClient:
    """A participant that joined a (new) session; the session lands on a media server at this join."""
    sid = session_id or await asyncio.to_thread(new_session, server)
    token = await asyncio.to_thread(new_token, server, sid)
    client = await RpcClient(ws_url(server)).open()
    await client.ping()
    await client.join(token, sid)
    return client


async def sdp_offer() -> str:
    """A real browser-like offer (audio + video, send-only) made by aiortc; no media will flow."""
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("audio", direction="sendonly")
        pc.addTransceiver("video", direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        return str(pc.localDescription.sdp)
    finally:
        await pc.close()


def publish_params(offer: str) -> dict[str, Any]:
    """``publishVideo`` parameters as openvidu-browser sends them for a camera, with this SDP offer."""
    return {
        "sdpOffer": offer,
        "doLoopback": False,
        "hasAudio": True,
        "hasVideo": True,
        "audioActive": True,
        "videoActive": True,
        "typeOfVideo": "CAMERA",
        "frameRate": 30,
        "videoDimensions": '{"width":640,"height":480}',
    }


async def publish(client: RpcClient) -> dict[str, Any]:
    params = {**publish_params(await sdp_offer()), "filter": {}}
    result: dict[str, Any] = await client.call("publishVideo", params, timeout=30)
    return result


@contextlib.asynccontextmanager
async def participants() -> AsyncIterator[list[RpcClient]]:
    """Collects clients and closes them all at the end."""
    clients: list[RpcClient] = []
    try:
        yield clients
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


def media_servers(server: ServerProcess, **params: str) -> list[dict[str, Any]]:
    response = rest(server, "GET", "/pro/media-servers", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["numberOfElements"] == len(body["content"])
    return list(body["content"])


def hosted_session_ids(server: ServerProcess) -> dict[str, set[str]]:
    """media server id -> ids of the sessions it hosts (from ``?sessions=true``)."""
    return {
        ms["id"]: {s["sessionId"] for s in ms["sessions"]} for ms in media_servers(server, sessions="true")
    }
