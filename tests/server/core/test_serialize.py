"""REST JSON of spec §4: key order, presence rules and number types, with real domain objects."""

from __future__ import annotations

import json

from server.core.enums import EndReason, OpenViduRole, OutputMode
from server.core.events import EventBus
from server.core.manager import ManagerConfig, SessionManager
from server.core.participants import EndpointStats, MediaOptions
from server.core.serialize import (
    dumps,
    session_bytes,
    session_json,
    sessions_bytes,
    sessions_json,
    token_json,
)
from server.core.sessions import SessionProperties
from server.core.tokens import KurentoOptions


def populated() -> tuple[SessionManager, str]:
    manager = SessionManager(ManagerConfig("wss://ov.example.com:4443", "2.11.0", "x"), EventBus())
    session = manager.create_session(SessionProperties(custom_session_id="ses1"))
    t1 = manager.new_token("ses1", OpenViduRole.PUBLISHER, "user-42", None)
    t2 = manager.new_token("ses1", OpenViduRole.SUBSCRIBER, "", None)
    _, alice = manager.join("ses1", t1.token, "Firefox 68.0 on Ubuntu 64-bit", "alice")
    _, bob = manager.join("ses1", t2.token, "Chrome 75.0 on Linux 64-bit", "bob")
    publisher = manager.publish(
        alice, MediaOptions(True, True, True, True, "CAMERA", 30, '{"width":640,"height":480}')
    )
    manager.subscribe(bob, publisher.stream_id)
    return manager, session.session_id


def test_session_with_connections() -> None:
    manager, sid = populated()
    session = manager.get_session(sid)
    assert session is not None
    doc = json.loads(dumps(session_json(session)))
    assert list(doc) == [
        "sessionId", "createdAt", "mediaMode", "recordingMode", "defaultOutputMode", "defaultRecordingLayout",
        "customSessionId", "connections", "recording",
    ]  # fmt: skip
    assert doc["connections"]["numberOfElements"] == 2
    alice, bob = doc["connections"]["content"]
    assert list(alice) == [
        "connectionId", "createdAt", "location", "platform", "token", "role", "serverData", "clientData",
        "publishers", "subscribers",
    ]  # fmt: skip
    assert (alice["location"], alice["role"], alice["serverData"], alice["clientData"]) == (
        "unknown",
        "PUBLISHER",
        "user-42",
        "alice",
    )
    pub = alice["publishers"][0]
    assert list(pub) == ["createdAt", "streamId", "mediaOptions"]
    assert pub["mediaOptions"] == {
        "hasAudio": True, "audioActive": True, "hasVideo": True, "videoActive": True, "typeOfVideo": "CAMERA",
        "frameRate": 30, "videoDimensions": '{"width":640,"height":480}', "filter": {},
    }  # fmt: skip
    assert bob["publishers"] == [] and bob["subscribers"] == [
        {"createdAt": bob["subscribers"][0]["createdAt"], "streamId": pub["streamId"]}
    ]
    assert isinstance(bob["subscribers"][0]["createdAt"], int)


def test_recorder_is_hidden_and_audio_only_options() -> None:
    manager, sid = populated()
    session = manager.get_session(sid)
    assert session is not None
    manager.join(sid, "", "Chrome", "", secret="x", recorder=True)
    _, carol = manager.join(sid, manager.new_token(sid, OpenViduRole.PUBLISHER, "", None).token, "Chrome", "")
    manager.publish(carol, MediaOptions(True, False, False, False, None))
    doc = session_json(session)
    assert doc["connections"]["numberOfElements"] == 3
    assert all(c["connectionId"] != "RECORDER" for c in doc["connections"]["content"])
    media = doc["connections"]["content"][2]["publishers"][0]["mediaOptions"]
    assert media == {"hasAudio": True, "audioActive": False, "hasVideo": False, "filter": {}}


def test_webrtc_stats_variant() -> None:
    manager, sid = populated()
    session = manager.get_session(sid)
    assert session is not None
    alice = session.visible_participants()[0]
    assert alice.publisher is not None
    alice.publisher.endpoint = EndpointStats(
        alice.publisher.stream_id, remote_sdp="v=0 remote", local_sdp="v=0 local"
    )
    doc = sessions_json([session], with_stats=True)["content"][0]
    pub = doc["connections"]["content"][0]["publishers"][0]
    assert list(pub) == [
        "createdAt", "webrtcEndpointName", "remoteSdp", "localSdp", "receivedCandidates", "localCandidate",
        "remoteCandidate", "events", "streamId", "mediaOptions",
    ]  # fmt: skip
    assert (pub["remoteSdp"], pub["localSdp"]) == ("v=0 remote", "v=0 local")
    sub = doc["connections"]["content"][1]["subscribers"][0]
    bob_id = doc["connections"]["content"][1]["connectionId"]
    assert sub["webrtcEndpointName"] == f"{bob_id}_{pub['streamId']}"
    assert sub["remoteSdp"] is None and list(sub)[-2:] == ["streamId", "publisher"]
    assert sub["publisher"] == doc["connections"]["content"][0]["connectionId"]


def test_custom_layout_only_with_composed_custom() -> None:
    manager = SessionManager(ManagerConfig("wss://h", "2.11.0", "x"), EventBus())
    individual = manager.create_session(
        SessionProperties(default_output_mode=OutputMode.INDIVIDUAL, default_custom_layout="c")
    )
    assert "defaultRecordingLayout" not in session_json(individual)


def test_token_json() -> None:
    manager = SessionManager(ManagerConfig("wss://h:1", "2.11.0", "x"), EventBus())
    manager.create_session(SessionProperties(custom_session_id="s"))
    token = manager.new_token(
        "s",
        OpenViduRole.SUBSCRIBER,
        "d",
        KurentoOptions(video_max_send_bandwidth=600, allowed_filters=("A",)),
    )
    assert token_json(token) == {
        "id": token.token, "session": "s", "role": "SUBSCRIBER", "data": "d", "token": token.token,
        "kurentoOptions": {"videoMaxSendBandwidth": 600, "allowedFilters": ["A"]},
    }  # fmt: skip
    assert dumps({"a": 1}) == b'{"a":1}'


def test_session_bytes_equal_the_dict_form_and_follow_changes() -> None:
    manager, sid = populated()
    session = manager.get_session(sid)
    assert session is not None
    empty = manager.create_session(SessionProperties(default_output_mode=OutputMode.INDIVIDUAL))
    for s in (session, empty):
        for stats in (False, True):
            assert session_bytes(s, stats) == dumps(session_json(s, stats))
    assert sessions_bytes([session, empty]) == dumps(sessions_json([session, empty]))
    assert sessions_bytes([]) == b'{"numberOfElements":0,"content":[]}'
    # Dynamic parts are never cached: recording flag and connections.
    session.recording = True
    alice = session.visible_participants()[0]
    manager.unpublish(alice, EndReason.UNPUBLISH)
    assert json.loads(session_bytes(session)) == session_json(session)
    assert json.loads(session_bytes(session))["recording"] is True
    assert json.loads(session_bytes(session))["connections"]["content"][0]["publishers"] == []
