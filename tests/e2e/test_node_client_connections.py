"""openvidu-node-client 2.10.0/2.11.0 on sessions with real joined participants.

A publisher and a subscriber join over the real /openvidu websocket (the publisher with a real aiortc SDP offer,
negotiated by a real minikms; no media needs to flow), then the official client fetches the session, reads the
webRtcStats variant, force-unpublishes and force-disconnects. Its parsed view is compared with the raw JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.node import node_available, run_node_json
from tests.support.procs import MinikmsProcess
from tests.support.rpc_client import RpcClient
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

SECRET = "NodeConnSecret"
NODE_TIMEOUT = 90.0
NOTIFY_TIMEOUT = 15.0
CLIENTS = ["openvidu-node-client", "openvidu-node-client-2.11"]
DIMENSIONS = '{"width":640,"height":480}'


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    if not node_available():
        pytest.fail("node and tests/e2e/node/node_modules are required for the e2e tests")
    with MinikmsProcess() as kms, ServerProcess({"openvidu.secret": SECRET, "kms.uris": [kms.uri]}) as proc:
        yield proc


async def sdp_offer() -> str:
    from aiortc import RTCConfiguration, RTCPeerConnection

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("audio", direction="sendrecv")
        pc.addTransceiver("video", direction="sendrecv")
        return str((await pc.createOffer()).sdp)
    finally:
        await pc.close()


async def join(
    server: ServerProcess, sid: str, role: str, data: str, meta: str
) -> tuple[RpcClient, dict[str, Any]]:
    with server.client() as api:
        token = api.post("/api/tokens", json={"session": sid, "role": role, "data": data}).json()["token"]
    client = await RpcClient(f"wss://127.0.0.1:{server.port}/openvidu").open()
    await client.ping()
    return client, await client.join(token, sid, metadata=meta)


def publisher_view(raw: dict[str, Any]) -> dict[str, Any]:
    media = raw["mediaOptions"]
    return {
        "streamId": raw["streamId"],
        "createdAt": raw["createdAt"],
        "hasAudio": media["hasAudio"],
        "hasVideo": media["hasVideo"],
        "audioActive": media["audioActive"],
        "videoActive": media["videoActive"],
        "frameRate": media["frameRate"],
        "typeOfVideo": media["typeOfVideo"],
        "videoDimensions": media["videoDimensions"],
    }


def connection_view(raw: dict[str, Any]) -> dict[str, Any]:
    view = {key: raw[key] for key in ("connectionId", "createdAt", "role", "token", "location", "platform")}
    view.update(serverData=raw["serverData"], clientData=raw["clientData"])
    view["publishers"] = [publisher_view(p) for p in raw["publishers"]]
    view["subscribers"] = [s["streamId"] for s in raw["subscribers"]]
    return view


@pytest.mark.parametrize("package", CLIENTS)
async def test_node_client_with_connections(server: ServerProcess, package: str) -> None:
    with server.client() as api:
        sid = api.post("/api/sessions").json()["id"]
    pub, joined_pub = await join(server, sid, "PUBLISHER", "srv-pub", '{"nick":"pub"}')
    sub, joined_sub = await join(server, sid, "SUBSCRIBER", "srv-sub", "sub")
    try:
        published = await pub.call(
            "publishVideo",
            {
                "sdpOffer": await sdp_offer(),
                "doLoopback": False,
                "hasAudio": True,
                "hasVideo": True,
                "audioActive": True,
                "videoActive": False,
                "typeOfVideo": "CAMERA",
                "frameRate": 30,
                "videoDimensions": DIMENSIONS,
            },
        )
        stream_id = published["id"]
        await sub.call("receiveVideoFrom", {"sender": stream_id, "sdpOffer": await sdp_offer()})
        with server.client() as api:
            raw = api.get(f"/api/sessions/{sid}").json()
        expected = sorted(
            (connection_view(c) for c in raw["connections"]["content"]), key=lambda c: c["createdAt"]
        )
        assert [c["connectionId"] for c in expected] == [joined_pub["id"], joined_sub["id"]]
        assert expected[0]["publishers"][0]["videoActive"] is False
        assert expected[1]["subscribers"] == [stream_id]

        out = run_node_json(
            "node_client_connections.js",
            f"https://127.0.0.1:{server.port}",
            SECRET,
            sid,
            package,
            env={"NODE_TLS_REJECT_UNAUTHORIZED": "0"},
            timeout=NODE_TIMEOUT,
        )
        # What the client parsed is exactly what the server sent.
        assert out["connections"] == expected
        webrtc = {c["connectionId"]: c for c in out["webrtc"]}
        assert webrtc[joined_pub["id"]]["publishers"] == [
            {"streamId": stream_id, "endpoint": stream_id, "remoteSdp": "string"}
        ]
        assert webrtc[joined_sub["id"]]["subscribers"] == [
            {
                "streamId": stream_id,
                "publisher": joined_pub["id"],
                "endpoint": f"{joined_sub['id']}_{stream_id}",
            }
        ]
        assert out["forceUnpublish"] == "resolved"
        assert [c["publishers"] for c in out["afterUnpublish"]] == [[], []]
        assert [c["subscribers"] for c in out["afterUnpublish"]] == [[], []]
        assert out["forceUnpublishAgain"] == "404"
        assert out["forceDisconnect"] == "resolved"
        assert out["afterDisconnect"] == [joined_sub["id"]]
        assert [c["connectionId"] for c in out["fetchedAfter"]] == [joined_sub["id"]]
        assert out["fetchedAfter"][0]["subscribers"] == []

        # The browsers were told, as the REST calls promise.
        unpublished = await sub.wait_notification("participantUnpublished", timeout=NOTIFY_TIMEOUT)
        assert unpublished["reason"] == "forceUnpublishByServer"
        evicted = await pub.wait_notification("participantEvicted", timeout=NOTIFY_TIMEOUT)
        assert evicted["reason"] == "forceDisconnectByServer"
    finally:
        await pub.close()
        await sub.close()
        with server.client() as api:
            api.delete(f"/api/sessions/{sid}")
