"""Request bodies of /openvidu/api parsed with 2.32's rules and error texts."""

from __future__ import annotations

import pytest

from server.api232.parse import InvalidParams, connection_properties, recording_properties, session_properties
from server.core.enums import OpenViduRole, RecordingMode


def test_session_defaults_and_values() -> None:
    props = session_properties(None)
    assert props.recording_mode is RecordingMode.MANUAL and props.default_recording is None
    props = session_properties(
        {
            "recordingMode": "ALWAYS",
            "customSessionId": "a_b-C",
            "mediaNode": {"id": "KMS-1"},
            "forcedVideoCodec": "H264",
        }
    )
    assert (props.custom_session_id, props.media_node, props.forced_video_codec) == ("a_b-C", "KMS-1", "H264")
    assert props.default_recording is not None and props.default_recording.frame_rate == 25


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"recordingMode": "NEVER"},
            "Some parameter is not valid. No enum constant io.openvidu.java.client.RecordingMode.NEVER",
        ),
        (
            {"allowTranscoding": "yes"},
            "Type error in some parameter: class java.lang.String cannot be cast to class java.lang.Boolean",
        ),
        (
            {"defaultRecordingProperties": {"resolution": "50x50"}},
            "Some parameter is not valid. Parameter 'defaultRecordingProperties' is not valid: Wrong 'resolution' parameter",
        ),
        (
            {"defaultRecordingProperties": []},
            "Some parameter is not valid. Error in parameter 'defaultRecordingProperties'. It is not a valid JSON object",
        ),
        (
            {"mediaNode": {"id": 3}},
            "Some parameter is not valid. Type error in parameter 'mediaNode.id': not a String",
        ),
    ],
)
def test_session_errors(body: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidParams) as err:
        session_properties(body)
    assert err.value.message.startswith(message)


def test_connection_properties() -> None:
    spec = connection_properties(None)
    assert (spec.kind, spec.role, spec.record, spec.data) == ("WEBRTC", OpenViduRole.PUBLISHER, True, "")
    cam = connection_properties({"type": "IPCAM", "rtspUri": "rtsp://cam/x", "networkCache": 100.0})
    assert (cam.kind, cam.rtsp_uri, cam.network_cache, cam.adaptative_bitrate) == (
        "IPCAM",
        "rtsp://cam/x",
        100,
        True,
    )
    for body, message in [
        ({"type": "SIP"}, "Parameter 'type' SIP is not defined"),
        ({"role": "BOSS"}, "Parameter role BOSS is not defined"),
        ({"record": "no"}, "Type error in parameter 'record': "),
        ({"kurentoOptions": 1}, "Error in parameter 'kurentoOptions'. It is not a valid JSON object"),
        ({"customIceServers": [{"username": "u"}]}, "Type error in some parameter of 'customIceServers'"),
        (
            {"type": "IPCAM", "rtspUri": "udp://x"},
            "Error in parameter 'rtspUri': RTSP URI does not contain a valid protocol",
        ),
    ]:
        with pytest.raises(InvalidParams) as err:
            connection_properties(body)
        assert err.value.message.startswith(message), body


def test_recording_properties_merge_defaults() -> None:
    base = recording_properties({"outputMode": "INDIVIDUAL", "name": "x"}, None)
    merged = recording_properties({"hasAudio": False}, base)
    assert (merged.output_mode, merged.name, merged.has_audio, merged.has_video) == (
        "INDIVIDUAL",
        "x",
        False,
        True,
    )
    with pytest.raises(InvalidParams):
        recording_properties({"frameRate": 500}, None)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"hasAudio": False, "hasVideo": False}, 422, 'Cannot start a recording with both "hasAudio"'),
        ({"resolution": "99x100"}, 422, "Wrong 'resolution' parameter"),
        ({"frameRate": 0}, 422, "Wrong 'frameRate' parameter. Acceptable values are within range [1,120]"),
        ({"shmSize": 1000}, 422, "Wrong 'shmSize' parameter"),
        ({"name": "a b"}, 400, "Parameter 'name' is wrong"),
        ({"outputMode": "X"}, 400, "Type error in parameter 'outputMode'"),
        ({"recordingLayout": "X"}, 400, "Type error in parameter 'recordingLayout'"),
        ({"frameRate": "25"}, 400, "Type error in some parameter: "),
    ],
)
def test_recording_start_statuses(body: dict[str, object], status: int, message: str) -> None:
    """``RecordingProperties.fromJson``: IllegalStateException cases are 422, the others 400."""
    with pytest.raises(InvalidParams) as err:
        recording_properties(body, None)
    assert err.value.status == status and err.value.message.startswith(message)


def test_recording_composed_checks_skip_individual() -> None:
    """Layout, resolution and frameRate are looked at only for a COMPOSED recording (as 2.32)."""
    individual = recording_properties({"outputMode": "INDIVIDUAL", "resolution": "1x1", "frameRate": 0}, None)
    assert individual.output_mode == "INDIVIDUAL" and individual.resolution == "1280x720"
    quick = recording_properties({"outputMode": "COMPOSED_QUICK_START"}, None)
    session_default = recording_properties({"outputMode": "COMPOSED_QUICK_START"}, None)
    assert (
        recording_properties({"outputMode": "COMPOSED"}, session_default).output_mode
        == "COMPOSED_QUICK_START"
    )
    assert quick.frame_rate == 25 and quick.media_node is None
    custom = recording_properties({"recordingLayout": "CUSTOM", "customLayout": "x", "mediaNode": "m1"}, None)
    assert (custom.custom_layout, custom.media_node) == ("x", "m1")
