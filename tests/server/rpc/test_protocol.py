"""Unit tests of the sans-I/O signaling protocol (server/rpc/protocol.py)."""

from __future__ import annotations

import json

import pytest

from server.rpc import protocol as p


def test_request_id_zero_is_a_request() -> None:
    req = p.parse_frame('{"jsonrpc":"2.0","method":"ping","params":{"interval":5000},"id":0}')
    assert req.has_id is True
    assert req.id == 0
    assert req.method == "ping"
    assert p.PingParams.parse(p.Params(req.method, req.params)).interval_ms == 5000


def test_notification_and_missing_params() -> None:
    req = p.parse_frame('{"jsonrpc":"2.0","method":"ping"}')
    assert req.has_id is False
    assert req.params == {}


def test_session_id_is_stripped_from_params() -> None:
    req = p.parse_frame(
        '{"jsonrpc":"2.0","method":"connect","params":{"sessionId":"abc","reconnect":true},"id":7}'
    )
    assert req.rpc_session_id == "abc"
    assert req.params == {"reconnect": True}


@pytest.mark.parametrize("text", ["not json", "[1,2]", '{"id":1}', '{"method":"x","params":[1]}'])
def test_bad_frames(text: str) -> None:
    with pytest.raises(p.FrameError):
        p.parse_frame(text)


def test_result_gets_session_id_injected() -> None:
    msg = p.result_message(3, {}, session_id="priv")
    assert msg == {"jsonrpc": "2.0", "id": 3, "result": {"sessionId": "priv"}}
    wrapped = p.result_message(4, "reconnection successful", session_id="priv")
    assert wrapped["result"] == {"value": "reconnection successful", "sessionId": "priv"}
    pong = p.result_message(0, p.PONG)
    assert pong == {"jsonrpc": "2.0", "id": 0, "result": {"value": "pong"}}


def test_error_shapes() -> None:
    thrown = p.error_message(5, p.RpcError(401, "Unable to publish video."), session_id="priv")
    assert thrown == {
        "jsonrpc": "2.0",
        "id": 5,
        "error": {"code": 401, "message": "Unable to publish video."},
    }
    missing = p.error_message(6, p.missing_param("joinRoom", "session"), session_id="priv")
    assert missing["error"]["code"] == -1
    assert missing["error"]["message"].startswith(
        "java.lang.RuntimeException:Request element 'session' is missing in method 'joinRoom'"
    )
    # thrown to Kurento's handler: answered by its catch-all, not through the transaction, so no sessionId
    assert "sessionId" not in missing["error"]
    assert "data" in missing["error"]
    answered = p.error_message(7, p.RpcError(102, "x", inject_session_id=True), session_id="priv")
    assert answered["error"] == {"code": 102, "message": "x", "sessionId": "priv"}
    assert p.error_message(1, p.reconnection_error())["error"] == {
        "code": 40007,
        "message": "reconnection error",
    }


def test_join_room_params_required_and_optional() -> None:
    params = {"token": "wss://h?sessionId=s&token=t", "session": "s", "platform": "Chrome", "secret": ""}
    parsed = p.JoinRoomParams.parse(p.Params("joinRoom", params))
    assert parsed.metadata == ""
    assert parsed.recorder is False
    full = p.JoinRoomParams.parse(
        p.Params("joinRoom", {**params, "metadata": '{"n":1}', "recorder": True, "sdkVersion": "2.32.2"})
    )
    assert (full.metadata, full.recorder, full.sdk_version) == ('{"n":1}', True, "2.32.2")
    for key in ("token", "session", "platform", "secret"):
        broken = {k: v for k, v in params.items() if k != key}
        with pytest.raises(p.RpcError) as err:
            p.JoinRoomParams.parse(p.Params("joinRoom", broken))
        assert err.value.code == -1
        assert f"'{key}'" in err.value.message


def test_publish_video_params() -> None:
    raw = {
        "sdpOffer": "v=0",
        "doLoopback": False,
        "hasAudio": True,
        "hasVideo": True,
        "audioActive": True,
        "videoActive": False,
        "typeOfVideo": "CAMERA",
        "frameRate": 30,
        "videoDimensions": '{"width":640,"height":480}',
        "filter": {"type": "GStreamerFilter", "options": {"command": "videobalance saturation=0.0"}},
    }
    parsed = p.PublishVideoParams.parse(p.Params("publishVideo", raw))
    assert parsed.video_active is False
    assert parsed.frame_rate == 30
    assert parsed.filter == p.FilterSpec("GStreamerFilter", {"command": "videobalance saturation=0.0"})
    minimal = p.PublishVideoParams.parse(
        p.Params(
            "publishVideo", {"sdpOffer": "v=0", "doLoopback": False, "hasAudio": True, "hasVideo": False}
        )
    )
    assert minimal.filter is None and minimal.video_dimensions is None and minimal.audio_active is True
    with pytest.raises(p.RpcError):
        p.PublishVideoParams.parse(p.Params("publishVideo", {"sdpOffer": "v=0", "hasAudio": True}))


def test_on_ice_candidate_accepts_empty_candidate_and_string_index() -> None:
    parsed = p.OnIceCandidateParams.parse(
        p.Params(
            "onIceCandidate", {"endpointName": "c", "candidate": "", "sdpMid": "0", "sdpMLineIndex": "1"}
        )
    )
    assert parsed.candidate == "" and parsed.sdp_m_line_index == 1
    with pytest.raises(p.RpcError) as err:
        p.OnIceCandidateParams.parse(
            p.Params(
                "onIceCandidate", {"endpointName": "c", "candidate": "", "sdpMid": "0", "sdpMLineIndex": "x"}
            )
        )
    assert err.value.code == -1


def test_signal_message_decoding() -> None:
    msg = p.SendMessageParams(json.dumps({"to": ["a", "b"], "data": "hi", "type": "signal:chat"})).signal()
    assert msg == p.SignalMessage(to=["a", "b"], data="hi", type="signal:chat")
    everyone = p.SendMessageParams(json.dumps({"to": [], "type": "signal"})).signal()
    assert everyone.to == [] and everyone.data == ""
    with pytest.raises(p.RpcError) as err:
        p.SendMessageParams("nope").signal()
    assert (err.value.code, err.value.message) == (
        600,
        "Provided signal object 'nope' has not a valid JSON format",
    )
    not_array = json.dumps({"to": "abc"})
    with pytest.raises(p.RpcError) as err:
        p.SendMessageParams(not_array).signal()
    assert (err.value.code, err.value.message) == (
        600,
        f"Provided signal object '{not_array}' has not a valid JSON format",
    )
    with pytest.raises(p.RpcError) as err:
        p.SendMessageParams(json.dumps({"to": ["a", None]})).signal()
    assert (err.value.code, err.value.message) == (601, 'Signal "to" field invalid format: null')
    # a number is read as a string (Gson getAsString) and then fails as an unknown connection
    assert p.SendMessageParams(json.dumps({"to": [5], "type": "signal"})).signal().to == ["5"]


def test_filter_options_must_be_json_object() -> None:
    ok = p.ApplyFilterParams.parse(
        p.Params("applyFilter", {"streamId": "s", "type": "GStreamerFilter", "options": '{"command":"x"}'})
    )
    assert ok.options == {"command": "x"}
    with pytest.raises(p.RpcError) as err:
        p.ApplyFilterParams.parse(p.Params("applyFilter", {"streamId": "s", "type": "T", "options": "{bad"}))
    assert err.value.code == 406


def test_reconnect_stream_variants() -> None:
    old = p.ReconnectStreamParams.parse(p.Params("reconnectStream", {"stream": "s", "sdpOffer": "o"}))
    new = p.ReconnectStreamParams.parse(p.Params("reconnectStream", {"stream": "s", "sdpString": "x"}))
    assert old.sdp == "o" and new.sdp == "x" and new.sdp_offer is None


def test_stream_property_changed_reserialization() -> None:
    assert p.reserialize_property_value(True) == "true"
    dims = p.reserialize_property_value('{"width":640,"height":480}')
    assert json.loads(json.loads(dims)) == {"width": 640, "height": 480}
    track = p.reserialize_property_value({"label": "cam"})
    assert json.loads(track) == {"label": "cam"}
    note = p.stream_property_changed("c", "s", "audioActive", "false", "publishAudio")
    assert note == {
        "jsonrpc": "2.0",
        "method": "streamPropertyChanged",
        "params": {
            "connectionId": "c",
            "streamId": "s",
            "property": "audioActive",
            "newValue": "false",
            "reason": "publishAudio",
        },
    }


def test_notification_shapes() -> None:
    stream = p.StreamInfo("c_CAMERA_ABCDE", 5, True, True, True, True, "CAMERA", 30, '{"width":1,"height":2}')
    pub = p.participant_published("c", stream)
    assert "id" not in pub and pub["method"] == "participantPublished"
    assert list(pub["params"]["streams"][0]) == [
        "id", "createdAt", "hasAudio", "hasVideo", "audioActive", "videoActive",
        "typeOfVideo", "frameRate", "videoDimensions", "filter",
    ]  # fmt: skip
    assert pub["params"]["streams"][0]["filter"] == {}
    assert p.participant_left("c", "disconnect")["params"] == {"connectionId": "c", "reason": "disconnect"}
    assert p.participant_evicted("c", "forceDisconnectByUser")["params"]["reason"] == "forceDisconnectByUser"
    assert p.participant_unpublished("c", "unpublish")["method"] == "participantUnpublished"
    assert p.participant_joined("c", 1, "m")["params"] == {"id": "c", "createdAt": 1, "metadata": "m"}
    ice = p.ice_candidate("c", "s", 1, "1", "candidate:1")["params"]
    assert list(ice) == ["senderConnectionId", "endpointName", "sdpMLineIndex", "sdpMid", "candidate"]
    assert p.signal("d", "c", "signal:x")["params"] == {"data": "d", "from": "c", "type": "signal:x"}
    assert p.media_error("MEDIA_OBJECT_NOT_FOUND", "gone", 40101)["params"]["error"] == (
        "MEDIA_OBJECT_NOT_FOUND: gone(errCode=40101)"
    )
    assert p.recording_stopped("r", "n", "automaticStop")["params"] == {
        "id": "r",
        "name": "n",
        "reason": "automaticStop",
    }


def test_join_room_result_superset() -> None:
    peer = p.PeerInfo(
        "b", 1, "bob", p.StreamInfo("b_CAMERA_XYZAB", 2, True, False, True, False, None, None, None)
    )
    res = p.JoinRoomResult(
        "a", 3, "ann", [peer, p.PeerInfo("c", 4, "")], "ses", "PUBLISHER", "2.11.0"
    ).to_json()
    assert res["value"][0]["streams"][0]["id"] == "b_CAMERA_XYZAB"
    assert "typeOfVideo" not in res["value"][0]["streams"][0]
    assert "streams" not in res["value"][1]
    assert res["mediaServer"] == "kurento" and res["version"] == "2.11.0" and res["session"] == "ses"
    assert res["role"] == "PUBLISHER" and res["videoSimulcast"] is False
    assert "life" not in res
    text = p.dumps(p.result_message(1, res, session_id="priv"))
    assert json.loads(text)["result"]["sessionId"] == "priv"


def test_number_format_error_quotes_the_value_as_gson_reads_it() -> None:
    with pytest.raises(p.RpcError) as err:
        p.OnIceCandidateParams.parse(
            p.Params(
                "onIceCandidate", {"endpointName": "e", "candidate": "", "sdpMid": "0", "sdpMLineIndex": True}
            )
        )
    assert err.value.code == -1
    assert err.value.message == 'java.lang.NumberFormatException:For input string: "true"'
