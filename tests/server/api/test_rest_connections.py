"""REST views of joined participants: connections joined over the real /openvidu websocket (no media published),
seen and evicted through the unchanged REST handlers (spec §3.2-§3.5, §4.2, §10)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.support.procs import MinikmsProcess
from tests.support.rpc_client import RpcClient
from tests.support.server import ServerProcess

CONNECTION_KEYS = [
    "connectionId", "createdAt", "location", "platform", "token", "role", "serverData", "clientData",
    "publishers", "subscribers",
]  # fmt: skip
EVICTION_TIMEOUT = 15.0


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with MinikmsProcess() as kms, ServerProcess({"kms.uris": [kms.uri]}) as proc:
        yield proc


def ws_url(server: ServerProcess) -> str:
    return f"wss://127.0.0.1:{server.port}/openvidu"


async def joined(
    server: ServerProcess, api: httpx.Client, sid: str, role: str, data: str, meta: str
) -> tuple[RpcClient, str]:
    token = api.post("/api/tokens", json={"session": sid, "role": role, "data": data}).json()["token"]
    client = await RpcClient(ws_url(server)).open()
    await client.ping()
    result = await client.join(token, sid, metadata=meta)
    return client, str(result["id"])


async def test_connections_appear_and_are_evicted(server: ServerProcess) -> None:
    with server.client() as api:
        sid = api.post("/api/sessions", json={"customSessionId": "rest-connections"}).json()["id"]
        created_at = api.get(f"/api/sessions/{sid}").json()["createdAt"]
        alice, alice_id = await joined(server, api, sid, "PUBLISHER", "server-a", '{"name":"alice"}')
        bob, bob_id = await joined(server, api, sid, "SUBSCRIBER", "", "bob")
        try:
            body = api.get(f"/api/sessions/{sid}").json()
            assert body["createdAt"] == created_at
            assert body["connections"]["numberOfElements"] == 2
            by_id = {c["connectionId"]: c for c in body["connections"]["content"]}
            assert set(by_id) == {alice_id, bob_id}
            a = by_id[alice_id]
            assert list(a) == CONNECTION_KEYS
            assert isinstance(a["createdAt"], int) and a["createdAt"] >= created_at
            assert (a["location"], a["platform"], a["role"]) == ("unknown", "Python test client", "PUBLISHER")
            assert (a["serverData"], a["clientData"]) == ("server-a", '{"name":"alice"}')
            assert a["token"].startswith(f"wss://localhost:{server.port}?sessionId={sid}&token=")
            assert (a["publishers"], a["subscribers"]) == ([], [])
            assert by_id[bob_id]["role"] == "SUBSCRIBER"
            listed = api.get("/api/sessions", params={"webRtcStats": "true"}).json()["content"]
            assert any(s["sessionId"] == sid and s["connections"]["numberOfElements"] == 2 for s in listed)
            # The token of a joined connection is consumed: a second join with it is refused.
            reuse = await RpcClient(ws_url(server)).open()
            try:
                message = await reuse.request(
                    "joinRoom",
                    {
                        "token": a["token"],
                        "session": sid,
                        "platform": "x",
                        "metadata": "",
                        "secret": "",
                        "recorder": False,
                    },
                )
                assert message["error"]["code"] == 401
            finally:
                await reuse.close()

            # REST eviction of one connection: 204, bob is told, alice's socket is closed, alice leaves the view.
            assert api.delete(f"/api/sessions/{sid}/connection/{alice_id}").status_code == 204
            await bob.wait_notification(
                "participantLeft", lambda p: p.get("connectionId") == alice_id, EVICTION_TIMEOUT
            )
            await alice.wait_notification("participantEvicted", timeout=EVICTION_TIMEOUT)
            assert api.delete(f"/api/sessions/{sid}/connection/{alice_id}").status_code == 404
            remaining = api.get(f"/api/sessions/{sid}").json()["connections"]["content"]
            assert [c["connectionId"] for c in remaining] == [bob_id]

            # The last participant evicted: the session closes and is forgotten (lastParticipantLeft).
            assert api.delete(f"/api/sessions/{sid}/connection/{bob_id}").status_code == 204
            assert api.get(f"/api/sessions/{sid}").status_code == 404
            assert api.delete(f"/api/sessions/{sid}/connection/{bob_id}").status_code == 400
            assert api.post("/api/tokens", json={"session": sid}).status_code == 404
        finally:
            await asyncio.gather(alice.close(), bob.close())


async def test_closing_a_session_evicts_everyone(server: ServerProcess) -> None:
    with server.client() as api:
        sid = api.post("/api/sessions").json()["id"]
        clients = [await joined(server, api, sid, "PUBLISHER", "", str(i)) for i in range(2)]
        try:
            assert api.get(f"/api/sessions/{sid}").json()["connections"]["numberOfElements"] == 2
            assert api.delete(f"/api/sessions/{sid}").status_code == 204
            for client, _cid in clients:
                await client.wait_notification("participantEvicted", timeout=EVICTION_TIMEOUT)
            assert api.get(f"/api/sessions/{sid}").status_code == 404
            assert api.post("/api/sessions", json={"customSessionId": sid}).status_code == 200
        finally:
            await asyncio.gather(*(client.close() for client, _cid in clients))


async def test_the_hidden_recorder_can_be_evicted_by_its_public_id(server: ServerProcess) -> None:
    """RECORDER is absent from the session JSON but DELETE .../connection/RECORDER finds it (2.11): 204, its
    socket is closed, and the other participants hear nothing about it."""
    with server.client() as api:
        sid = api.post("/api/sessions").json()["id"]
        alice, alice_id = await joined(server, api, sid, "PUBLISHER", "", "alice")
        recorder = await RpcClient(ws_url(server)).open()
        try:
            pseudo_token = (
                f"wss://localhost:{server.port}?sessionId={sid}&secret={server.secret}&recorder=true"
            )
            result = await recorder.join(pseudo_token, sid, secret=server.secret, recorder=True)
            assert result["id"] == "RECORDER"
            connections = api.get(f"/api/sessions/{sid}").json()["connections"]["content"]
            assert [c["connectionId"] for c in connections] == [alice_id]
            assert api.delete(f"/api/sessions/{sid}/connection/RECORDER").status_code == 204
            await asyncio.wait_for(recorder.closed.wait(), EVICTION_TIMEOUT)
            assert api.delete(f"/api/sessions/{sid}/connection/RECORDER").status_code == 404
            connections = api.get(f"/api/sessions/{sid}").json()["connections"]["content"]
            assert [c["connectionId"] for c in connections] == [alice_id]
            await alice.ping()
            assert not [n for n in alice.notifications if n.get("method") == "participantLeft"]
            assert api.delete(f"/api/sessions/{sid}").status_code == 204
        finally:
            await asyncio.gather(alice.close(), recorder.close())
