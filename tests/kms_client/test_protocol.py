"""kms_client.protocol, structs, events and errors: message building and parsing, no I/O."""

from __future__ import annotations

import json

import pytest

from kms_client import errors, protocol
from kms_client.events import (
    ErrorEvent,
    GenericEvent,
    IceCandidateFound,
    IceComponentStateChanged,
    NewCandidatePairSelected,
    ObjectCreated,
    ObjectDestroyed,
    canonical_event_name,
    parse_event,
    wire_event_name,
)
from kms_client.structs import (
    IceCandidate,
    IceCandidatePair,
    OfferOptions,
    ServerInfo,
    Tag,
    from_wire_value,
    version_tuple,
)

SID = "5f0e6d7c-8b9a-4c1d-9e2f-3a4b5c6d7e8f"


def test_connect_without_and_with_session() -> None:
    assert json.loads(protocol.connect_request(1).encode()) == {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "connect",
    }
    assert json.loads(protocol.connect_request(13, SID).encode()) == {
        "jsonrpc": "2.0",
        "id": 13,
        "method": "connect",
        "params": {"sessionId": SID},
    }


def test_create_carries_type_params_properties_and_session() -> None:
    req = protocol.create_request(5, SID, "WebRtcEndpoint", {"mediaPipeline": "p_kurento.MediaPipeline"})
    assert json.loads(req.encode()) == {
        "jsonrpc": "2.0",
        "id": 5,
        "method": "create",
        "params": {
            "type": "WebRtcEndpoint",
            "constructorParams": {"mediaPipeline": "p_kurento.MediaPipeline"},
            "properties": {},
            "sessionId": SID,
        },
    }


def test_invoke_encodes_structs_with_module_and_type() -> None:
    cand = IceCandidate("candidate:3 1 udp 2113937151 192.0.2.44 55000 typ host", "0", 0)
    req = protocol.invoke_request(10, SID, "x", "addIceCandidate", {"candidate": cand})
    params = json.loads(req.encode())["params"]
    assert params["operationParams"] == {
        "candidate": {
            "__module__": "kurento",
            "__type__": "IceCandidate",
            "candidate": "candidate:3 1 udp 2113937151 192.0.2.44 55000 typ host",
            "sdpMid": "0",
            "sdpMLineIndex": 0,
        }
    }
    assert params["operation"] == "addIceCandidate"
    assert params["object"] == "x"
    assert params["sessionId"] == SID


def test_invoke_without_params_omits_operation_params() -> None:
    params = protocol.invoke_request(3, SID, protocol.SERVER_MANAGER_ID, "getInfo").to_wire()["params"]
    assert params == {"object": "manager_ServerManager", "operation": "getInfo", "sessionId": SID}


def test_optional_struct_fields_are_omitted() -> None:
    assert OfferOptions(offer_to_receive_audio=False).to_wire() == {
        "__module__": "kurento",
        "__type__": "OfferOptions",
        "offerToReceiveAudio": False,
    }


def test_other_builders() -> None:
    assert protocol.ping_request(2, SID, 240000).to_wire()["params"] == {"interval": 240000, "sessionId": SID}
    assert protocol.ping_request(2, None).to_wire()["params"] == {}
    assert protocol.subscribe_request(7, SID, "o", "IceCandidateFound").to_wire()["params"] == {
        "object": "o",
        "type": "IceCandidateFound",
        "sessionId": SID,
    }
    assert protocol.unsubscribe_request(8, SID, "o", "s").to_wire()["params"] == {
        "object": "o",
        "subscription": "s",
        "sessionId": SID,
    }
    assert protocol.release_request(11, SID, "o").to_wire() == {
        "jsonrpc": "2.0",
        "id": 11,
        "method": "release",
        "params": {"object": "o", "sessionId": SID},
    }
    assert protocol.describe_request(4, SID, "o").to_wire()["method"] == "describe"


def test_transaction_numbers_inner_requests_from_zero() -> None:
    req = protocol.transaction_request(
        30,
        SID,
        [
            ("create", {"type": "MediaPipeline", "constructorParams": {}}),
            ("create", {"type": "PassThrough", "constructorParams": {"mediaPipeline": "newref:0"}}),
        ],
    )
    ops = req.to_wire()["params"]["operations"]
    assert [op["id"] for op in ops] == [0, 1]
    assert ops[1]["params"]["constructorParams"]["mediaPipeline"] == "newref:0"
    assert all(op["jsonrpc"] == "2.0" for op in ops)
    results = protocol.parse_transaction_results(
        [
            {"id": 0, "jsonrpc": "2.0", "result": {"value": "p"}},
            {"error": {"code": 40101, "message": "gone"}, "id": 1, "jsonrpc": "2.0"},
        ]
    )
    assert isinstance(results[0], protocol.Response) and results[0].value == "p"
    assert isinstance(results[1], protocol.ErrorResponse) and results[1].code == 40101


def test_parse_result_with_value_and_void() -> None:
    msg = protocol.parse_message('{"id":4,"jsonrpc":"2.0","result":{"sessionId":"s","value":"obj"}}')
    assert isinstance(msg, protocol.Response)
    assert (msg.id, msg.value, msg.session_id) == (4, "obj", "s")
    void = protocol.parse_message('{"id":6,"jsonrpc":"2.0","result":{"sessionId":"s","value":null}}')
    assert isinstance(void, protocol.Response) and void.value is None
    absent = protocol.parse_message('{"id":11,"jsonrpc":"2.0","result":{"sessionId":"s"}}')
    assert isinstance(absent, protocol.Response) and absent.value is None
    null_result = protocol.parse_message('{"id":12,"jsonrpc":"2.0","result":null}')
    assert (
        isinstance(null_result, protocol.Response)
        and null_result.value is None
        and null_result.session_id is None
    )


def test_parse_error_maps_to_typed_exception() -> None:
    msg = protocol.parse_message(
        '{"error":{"code":40101,"data":{"type":"MEDIA_OBJECT_NOT_FOUND"},"message":"Object \'x\' not found"},'
        '"id":12,"jsonrpc":"2.0"}'
    )
    assert isinstance(msg, protocol.ErrorResponse)
    exc = msg.to_exception()
    assert isinstance(exc, errors.MediaObjectNotFoundError)
    assert exc.code == 40101
    assert exc.message == "Object 'x' not found"
    assert exc.error_type == "MEDIA_OBJECT_NOT_FOUND"


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (40007, errors.InvalidSessionError),
        (40008, errors.MalformedTransactionError),
        (40106, errors.MediaObjectEventNotSupportedError),
        (40108, errors.MediaObjectNotAvailableError),
        (40001, errors.MarshallError),
        (40208, errors.SdpAlreadyNegotiatedError),
        (40209, errors.SdpError),
        (40401, errors.IceAddCandidateError),
        (40450, errors.IceError),
        (-32601, errors.MethodNotFoundError),
        (-32001, errors.JsonRpcError),
        (49001, errors.KurentoRpcError),
    ],
)
def test_error_codes(code: int, cls: type[errors.KurentoRpcError]) -> None:
    exc = errors.error_from_wire(code, "m", None)
    assert type(exc) is cls
    assert exc.code == code and exc.message == "m" and exc.error_type is None


def test_parse_event_notification() -> None:
    frame = (
        '{"jsonrpc":"2.0","method":"onEvent","params":{"value":{"data":{"candidate":{"__module__":"kurento",'
        '"__type__":"IceCandidate","candidate":"candidate:1 1 UDP 2015363327 10.0.0.21 40321 typ host",'
        '"sdpMLineIndex":0,"sdpMid":"0"},"source":"ep","tags":[],"timestampMillis":"1718000000123",'
        '"type":"IceCandidateFound"},"object":"ep","type":"IceCandidateFound"}}}'
    )
    msg = protocol.parse_message(frame)
    assert isinstance(msg, protocol.EventNotification)
    assert (msg.object_id, msg.type) == ("ep", "IceCandidateFound")
    event = parse_event("IceCandidateFound", msg.data)
    assert isinstance(event, IceCandidateFound)
    assert event.candidate == IceCandidate("candidate:1 1 UDP 2015363327 10.0.0.21 40321 typ host", "0", 0)
    assert event.source == "ep"
    assert event.timestamp_millis == 1718000000123


def test_6x_event_timestamp_in_seconds_only() -> None:
    event = parse_event("IceGatheringDone", {"source": "ep", "tags": [], "timestamp": "1718000000"})
    assert event.timestamp_millis == 1718000000000


def test_error_object_created_destroyed_fields() -> None:
    err = parse_event(
        "Error",
        {
            "description": "d",
            "errorCode": 7,
            "type": "RESOURCE_ERROR_OPEN",
            "source": "r",
            "timestampMillis": "5",
        },
    )
    assert isinstance(err, ErrorEvent)
    assert (err.description, err.error_code, err.error_type) == ("d", 7, "RESOURCE_ERROR_OPEN")
    created = parse_event("ObjectCreated", {"object": "o1", "source": "manager_ServerManager"})
    assert isinstance(created, ObjectCreated) and created.object_id == "o1"
    destroyed = parse_event("ObjectDestroyed", {"objectId": "o2", "source": "manager_ServerManager"})
    assert isinstance(destroyed, ObjectDestroyed) and destroyed.object_id == "o2"


def test_candidate_pair_accepts_6x_and_7x_spellings() -> None:
    v7 = {"streamId": "1", "componentId": 1, "localCandidate": "l", "remoteCandidate": "r"}
    v6 = {"streamID": "1", "componentID": 1, "localCandidate": "l", "remoteCandidate": "r"}
    expected = IceCandidatePair("1", 1, "l", "r")
    assert IceCandidatePair.from_wire(v7) == expected
    assert IceCandidatePair.from_wire(v6) == expected
    event = parse_event("NewCandidatePairSelected", {"candidatePair": {"__type__": "IceCandidatePair", **v6}})
    assert isinstance(event, NewCandidatePairSelected) and event.candidate_pair == expected


def test_tags_and_generic_events() -> None:
    data = {
        "source": "f",
        "tags": [{"__module__": "kurento", "__type__": "Tag", "key": "k", "value": "v"}],
        "timestampMillis": "9",
        "codeType": "QR",
    }
    event = parse_event("MyFilterEvent", data)
    assert isinstance(event, GenericEvent)
    assert event.name == "MyFilterEvent"
    assert event.tags == [Tag("k", "v")]
    assert event.raw["codeType"] == "QR"


def test_event_names_per_major_version() -> None:
    assert wire_event_name("IceComponentStateChanged", 7) == "IceComponentStateChanged"
    assert wire_event_name("IceComponentStateChanged", 6) == "IceComponentStateChange"
    assert wire_event_name("MediaFlowInStateChanged", 6) == "MediaFlowInStateChange"
    assert wire_event_name("DataChannelOpened", 6) == "DataChannelOpen"
    assert wire_event_name("IceCandidateFound", 6) == "IceCandidateFound"
    assert canonical_event_name("IceComponentStateChange") == "IceComponentStateChanged"
    assert canonical_event_name("OnIceCandidate") == "IceCandidateFound"
    assert canonical_event_name("MediaFlowOutStateChange") == "MediaFlowOutStateChanged"
    event = parse_event(
        canonical_event_name("IceComponentStateChange"),
        {"source": "e", "streamId": 1, "componentId": 1, "state": "CONNECTED", "timestampMillis": "1"},
    )
    assert isinstance(event, IceComponentStateChanged) and event.state == "CONNECTED"


def test_server_info_decoding() -> None:
    value = {
        "__module__": "kurento",
        "__type__": "ServerInfo",
        "capabilities": ["transactions"],
        "modules": [
            {
                "__module__": "kurento",
                "__type__": "ModuleInfo",
                "factories": ["HubPort", "MediaPipeline", "PassThrough"],
                "generationTime": "Jan  1 2024 00:00:00",
                "name": "core",
                "version": "6.18.0",
            }
        ],
        "type": "KMS",
        "version": "6.18.0",
    }
    info = from_wire_value(value)
    assert isinstance(info, ServerInfo)
    assert info.major == 6
    assert info.capabilities == ["transactions"]
    assert info.modules[0].factories == ["HubPort", "MediaPipeline", "PassThrough"]
    assert info.to_wire() == value


def test_unknown_structs_lose_markers_and_stay_dicts() -> None:
    stats = {
        "s1": {"__module__": "kurento", "__type__": "RTCInboundRTPStreamStats", "ssrc": "1", "jitter": 0.1}
    }
    assert from_wire_value(stats) == {"s1": {"ssrc": "1", "jitter": 0.1}}


def test_version_tuple() -> None:
    assert version_tuple("7.3.0") == (7, 3, 0)
    assert version_tuple("6.18.0-dev") == (6, 18, 0)
    assert version_tuple("garbage") == (0, 0, 0)


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1,2]",
        '{"id":1,"jsonrpc":"2.0"}',
        '{"jsonrpc":"2.0","method":"onEvent","params":{}}',
        '{"id":[1],"jsonrpc":"2.0","result":{}}',
        '{"error":{"code":"x","message":"m"},"id":1,"jsonrpc":"2.0"}',
    ],
)
def test_malformed_frames_raise_protocol_error(frame: str) -> None:
    with pytest.raises(errors.KmsProtocolError):
        protocol.parse_message(frame)


def test_server_request_is_parsed_not_rejected() -> None:
    msg = protocol.parse_message('{"jsonrpc":"2.0","id":1,"method":"somethingElse","params":{}}')
    assert isinstance(msg, protocol.ServerRequest) and msg.method == "somethingElse"
