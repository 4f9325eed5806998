"""pyopenvidu 0.2.1 (PyPI) against /openvidu/api with a real participant (joined and publishing over the real
/openvidu websocket, media negotiated by a real minikms): every public method, results checked against the raw
JSON and against what the participant receives."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyopenvidu import OpenVidu
from pyopenvidu.exceptions import (
    OpenViduConnectionDoesNotExistsError,
    OpenViduSessionDoesNotExistsError,
    OpenViduSessionExistsError,
)

from tests.support.participants import publish, ws_url
from tests.support.procs import MinikmsProcess
from tests.support.rpc_client import RpcClient
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

SECRET = "PyOpenViduSecret"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    # Plain HTTP: requests lets REQUESTS_CA_BUNDLE override a session's verify=False (psf/requests#3829), and
    # pyopenvidu passes no per-request verify, so a self-signed certificate cannot be accepted.
    settings = {"openvidu.secret": SECRET, "server.ssl.enabled": False}
    with MinikmsProcess() as kms, ServerProcess({**settings, "kms.uris": [kms.uri]}) as proc:
        yield proc


def client(server: ServerProcess) -> OpenVidu:
    return OpenVidu(f"{server.url}/openvidu/api/", SECRET, timeout=30)


async def test_pyopenvidu_every_method(server: ServerProcess) -> None:
    ov = await asyncio.to_thread(client, server)
    assert ov.session_count == 0
    config = await asyncio.to_thread(ov.get_config)
    assert config["OPENVIDU_RECORDING"] is False and "VERSION" in config
    session = await asyncio.to_thread(ov.create_session, "pyovSession", "ROUTED")
    assert (session.id, session.media_mode, session.is_being_recorded) == ("pyovSession", "ROUTED", False)
    with pytest.raises(OpenViduSessionExistsError):
        await asyncio.to_thread(ov.create_session, "pyovSession")
    conn = await asyncio.to_thread(
        session.create_webrtc_connection, "MODERATOR", "srv", 500, None, None, None, ["GStreamerFilter"]
    )
    assert conn.id.startswith("con_") and conn.type == "WEBRTC" and conn.active_at is None
    assert (conn.role, conn.server_data, conn.client_data) == ("MODERATOR", "srv", None)
    assert conn.kurento_options == {"videoMaxRecvBandwidth": 500, "allowedFilters": ["GStreamerFilter"]}
    assert session.connection_count == 1
    with server.client() as api:
        raw = api.get(f"/openvidu/api/sessions/{session.id}/connection/{conn.id}").json()
    assert raw["token"] == conn.token and raw["status"] == "pending"

    participant = await RpcClient(ws_url(server)).open()
    try:
        joined = await participant.join(conn.token, session.id, metadata="cli")
        assert joined["id"] == conn.id
        stream_id = (await publish(participant))["id"]
        assert await asyncio.to_thread(ov.fetch) is True
        [fetched] = ov.sessions
        assert [c.id for c in fetched.connections] == [conn.id]  # pendingConnections=false: only active ones
        active = await asyncio.to_thread(fetched.get_connection, conn.id)
        assert active.active_at is not None and active.client_data == "cli" and active.platform
        assert [p.stream_id for p in active.publishers] == [stream_id]
        assert active.publishers[0].media_options["hasVideo"] is True
        assert await asyncio.to_thread(active.fetch) is False
        with pytest.raises(OpenViduConnectionDoesNotExistsError):
            await asyncio.to_thread(fetched.get_connection, "con_Nope")

        await asyncio.to_thread(fetched.signal, "note", "to-all")
        got = await participant.wait_notification("sendMessage", lambda p: p.get("data") == "to-all")
        assert got == {"data": "to-all", "type": "note"}  # no "from": sent by the server
        await asyncio.to_thread(active.signal, "note", "to-one")
        await participant.wait_notification("sendMessage", lambda p: p.get("data") == "to-one")

        await asyncio.to_thread(active.publishers[0].force_unpublish)
        await asyncio.to_thread(active.fetch)
        assert active.publishers == []
        stream_id = (await publish(participant))["id"]
        await asyncio.to_thread(active.fetch)
        await asyncio.to_thread(active.force_unpublish_all_streams)
        await asyncio.to_thread(active.fetch)
        assert active.publishers == [] and active.publisher_count == 0

        await asyncio.to_thread(active.force_disconnect)
        evicted = await participant.wait_notification("participantEvicted")
        assert evicted["reason"] == "forceDisconnectByServer"
    finally:
        await participant.close()
    # the last participant left: the session is gone, as in 2.32
    with pytest.raises(OpenViduSessionDoesNotExistsError):
        await asyncio.to_thread(session.close)
    other = await asyncio.to_thread(ov.create_session)
    assert other.id.startswith("ses_")
    await asyncio.to_thread(other.close)
    assert not other.is_valid
    assert await asyncio.to_thread(ov.fetch) is True and ov.session_count == 0


@pytest.fixture
def recording_server(tmp_path: Path) -> Iterator[ServerProcess]:
    settings = {
        "openvidu.secret": SECRET,
        "server.ssl.enabled": False,
        "openvidu.recording": True,
        "openvidu.recording.path": str(tmp_path / "recordings"),
    }
    with MinikmsProcess() as kms, ServerProcess({**settings, "kms.uris": [kms.uri]}) as proc:
        yield proc


async def test_pyopenvidu_sees_recordings(recording_server: ServerProcess) -> None:
    """pyopenvidu 0.2.1 has no recording methods: its one recording field, ``Session.is_being_recorded``, follows
    an ALWAYS-mode recording started with the session's 2.32 ``defaultRecordingProperties`` and stopped through
    /openvidu/api."""
    server = recording_server
    ov = await asyncio.to_thread(client, server)
    body = {
        "customSessionId": "pyovAlways",
        "recordingMode": "ALWAYS",
        "defaultRecordingProperties": {"name": "auto", "outputMode": "INDIVIDUAL", "hasAudio": False},
    }
    with server.client() as api:
        created = api.post("/openvidu/api/sessions", json=body)
        assert created.status_code == 200, created.text
        token = api.post("/openvidu/api/sessions/pyovAlways/connection", json={}).json()["token"]
    participant = await RpcClient(ws_url(server)).open()
    try:
        await participant.join(token, "pyovAlways", metadata="cli")
        await publish(participant)
        started = await participant.wait_notification("recordingStarted")
        assert started["name"] == "auto"
        assert await asyncio.to_thread(ov.fetch) is True
        [session] = ov.sessions
        assert session.is_being_recorded is True
        with server.client() as api:
            [recording] = api.get("/openvidu/api/recordings").json()["items"]
            assert (recording["name"], recording["outputMode"], recording["hasAudio"]) == (
                "auto",
                "INDIVIDUAL",
                False,
            )
            assert recording["object"] == "recording" and recording["status"] == "started"
            stopped = api.post(f"/openvidu/api/recordings/stop/{recording['id']}")
        assert stopped.status_code == 200 and stopped.json()["status"] in ("ready", "failed")
        await asyncio.to_thread(session.fetch)
        assert session.is_being_recorded is False
    finally:
        await participant.close()
