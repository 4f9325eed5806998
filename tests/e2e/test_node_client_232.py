"""openvidu-node-client 2.32.2 (npm) against /openvidu/api: every public method of OpenVidu and Session, each
parsed result checked against what was asked and against the raw JSON the server answers to plain HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.node import node_available, run_node_json
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

SECRET = "Node232Secret"
SESSION = "nodeSession232"
ICE = [{"url": "turn:127.0.0.1:3478", "username": "u", "credential": "c"}]
KURENTO = {"videoMaxRecvBandwidth": 600, "allowedFilters": ["GStreamerFilter"]}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    if not node_available():
        pytest.fail("node and tests/e2e/node/node_modules are required for the e2e tests")
    with ServerProcess({"openvidu.secret": SECRET}) as proc:
        yield proc


def pending_view(raw: dict[str, Any]) -> dict[str, Any]:
    """What node-client 2.32 makes of a raw pending Connection JSON (Connection.resetWithJson)."""
    return {
        "connectionId": raw["connectionId"],
        "status": raw["status"],
        "createdAt": raw["createdAt"],
        "activeAt": raw["activeAt"],
        "location": raw["location"],
        "ip": raw["ip"],
        "platform": raw["platform"],
        "clientData": raw["clientData"],
        "token": raw["token"],
        "serverData": raw["serverData"],
        "role": raw["role"],
        "connectionProperties": {
            "type": raw["type"],
            "data": raw["serverData"],
            "record": raw["record"],
            "role": raw["role"],
            "kurentoOptions": raw["kurentoOptions"],
            "rtspUri": raw["rtspUri"],
            "adaptativeBitrate": raw["adaptativeBitrate"],
            "onlyPlayWithSubscribers": raw["onlyPlayWithSubscribers"],
            "networkCache": raw["networkCache"],
            "customIceServers": raw["customIceServers"],
        },
        "publishers": [],
        "subscribers": [],
    }


def test_node_client_232_every_method(server: ServerProcess) -> None:
    out = run_node_json(
        "node_client_232.js",
        server.url,
        SECRET,
        SESSION,
        env={"NODE_TLS_REJECT_UNAUTHORIZED": "0"},
        timeout=90.0,
    )
    created = out["created"]
    assert created["sessionId"] == SESSION and isinstance(created["createdAt"], int)
    assert created["properties"] == {
        "customSessionId": SESSION,
        "recordingMode": "MANUAL",
        "forcedVideoCodec": "VP8",
        "allowTranscoding": False,
        "defaultRecordingProperties": {
            "name": "rec",
            "hasAudio": True,
            "hasVideo": True,
            "outputMode": "INDIVIDUAL",
            "ignoreFailedStreams": False,
        },
        "mediaMode": "ROUTED",
    }
    assert (created["recording"], created["broadcasting"], created["connections"]) == (False, False, [])
    assert out["createdAgain"] == SESSION  # a 409 resolves to the existing session

    conn = out["connection"]
    assert re.fullmatch(r"con_[A-Z][A-Za-z0-9]{9}", conn["connectionId"])
    assert re.fullmatch(rf"wss://[^?]+\?sessionId={SESSION}&token=tok_[A-Z][A-Za-z0-9]{{15}}", conn["token"])
    props = conn["connectionProperties"]
    assert (props["role"], props["data"], props["record"]) == ("MODERATOR", "srv-data", False)
    assert (props["kurentoOptions"], props["customIceServers"]) == (KURENTO, ICE)
    assert conn["status"] == "pending" and conn["activeAt"] is None
    assert re.fullmatch(rf"wss://[^?]+\?sessionId={SESSION}&token=tok_\w{{16}}", out["token"])

    # session.fetch(): both pending connections, parsed exactly as the raw JSON says
    assert out["fetchChanged"] is True
    fetched = {c["connectionId"]: c for c in out["fetched"]["connections"]}
    assert len(fetched) == 2 and out["fetched"]["activeConnections"] == []
    assert fetched[conn["connectionId"]] == conn
    by_token = {c["token"]: c for c in fetched.values()}
    assert by_token[out["token"]]["connectionProperties"]["role"] == "SUBSCRIBER"
    assert by_token[out["token"]]["serverData"] == "tok-data"

    updated = out["updated"]["connectionProperties"]
    assert (updated["role"], updated["record"]) == ("SUBSCRIBER", True)
    assert out["localAfterUpdate"]["connectionProperties"] == out["updated"]["connectionProperties"]

    assert out["ovFetch"] is False and SESSION in out["activeSessions"]
    assert "resolved" in out["fetchWebRtc"]
    assert out["forceDisconnect"] == {"resolved": None}  # a pending connection is invalidated
    assert conn["connectionId"] not in out["afterDisconnect"]
    assert out["forceUnpublish"] == {"rejected": "404"}
    for method in ("startRecording", "stopRecording", "getRecording", "listRecordings", "deleteRecording"):
        assert out[method] == {"rejected": "501"}, method  # OPENVIDU_RECORDING=false
    assert out["close"] == {"resolved": None}
    assert out["closeAgain"] == {"rejected": "404"}
    with server.client() as api:
        assert api.get(f"/openvidu/api/sessions/{SESSION}").status_code == 404


def test_node_client_232_parses_the_raw_connection(server: ServerProcess) -> None:
    """The raw JSON of a pending connection maps onto the client's fields one by one."""
    with server.client() as api:
        sid = api.post("/openvidu/api/sessions", json={"customSessionId": "rawCompare232"}).json()["id"]
        body = {"role": "MODERATOR", "data": "srv-data", "record": False, "kurentoOptions": KURENTO}
        body["customIceServers"] = ICE
        raw = api.post(f"/openvidu/api/sessions/{sid}/connection", json=body).json()
        try:
            view = pending_view(raw)
            assert view["connectionProperties"]["kurentoOptions"] == KURENTO
            assert view["role"] == "MODERATOR" and view["serverData"] == "srv-data"
            listed = api.get(f"/openvidu/api/sessions/{sid}/connection").json()["content"]
            assert [pending_view(c) for c in listed] == [view]
        finally:
            api.delete(f"/openvidu/api/sessions/{sid}")
