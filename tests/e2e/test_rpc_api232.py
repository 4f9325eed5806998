"""The signaling side of 2.32 connections, over the real /openvidu websocket with a real minikms: a ``tok_`` token
joins as its pending ``con_`` id and gets ``record``/``customIceServers`` in the joinRoom result; PATCH sends
``connectionPropertyChanged`` and the server itself refuses a SUBSCRIBER's publishVideo; a token joins once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.procs import MinikmsProcess
from tests.support.rpc_client import RpcClient, RpcFailure
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

API = "/openvidu/api"
ICE = [{"url": "turn:127.0.0.1:3478", "username": "u", "credential": "c"}]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with MinikmsProcess() as kms, ServerProcess({"kms.uris": [kms.uri]}) as proc:
        yield proc


async def test_join_patch_and_refused_publish(server: ServerProcess) -> None:
    with server.client() as api:
        sid = api.post(f"{API}/sessions").json()["id"]
        con = api.post(
            f"{API}/sessions/{sid}/connection", json={"data": "srv", "record": False, "customIceServers": ICE}
        ).json()
    client = await RpcClient(f"wss://127.0.0.1:{server.port}/openvidu?sessionId={sid}").open()
    try:
        joined = await client.join(con["token"], sid, metadata="cli", sdkVersion="2.32.2")
        assert joined["id"] == con["id"] and joined["session"] == sid
        assert (joined["record"], joined["customIceServers"], joined["role"]) == (False, ICE, "PUBLISHER")
        assert joined["metadata"] == "cli%/%srv"
        with server.client() as api:
            patched = api.patch(
                f"{API}/sessions/{sid}/connection/{con['id']}", json={"role": "SUBSCRIBER", "record": True}
            )
            assert patched.status_code == 200 and patched.json()["status"] == "active"
        role = await client.wait_notification("connectionPropertyChanged", lambda p: p["property"] == "role")
        record = await client.wait_notification(
            "connectionPropertyChanged", lambda p: p["property"] == "record"
        )
        assert (role["newValue"], record["newValue"]) == ("SUBSCRIBER", "true")
        with pytest.raises(RpcFailure) as failure:
            await client.call(
                "publishVideo",
                {
                    "sdpOffer": "v=0",
                    "doLoopback": False,
                    "hasAudio": True,
                    "hasVideo": False,
                    "audioActive": True,
                },
            )
        assert failure.value.error["code"] == 401
        second = await RpcClient(f"wss://127.0.0.1:{server.port}/openvidu").open()
        try:
            with pytest.raises(RpcFailure) as reused:
                await second.join(con["token"], sid)
            assert reused.value.error["code"] == 401  # single use
        finally:
            await second.close()
    finally:
        await client.close()
        with server.client() as api:
            api.delete(f"{API}/sessions/{sid}")
