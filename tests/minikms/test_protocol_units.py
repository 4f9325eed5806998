"""Unit tests of the sans-I/O parts of minikms: framing, event names and payloads, sessions,
subscriptions, request cache, object ids, parameter unmarshalling."""

from __future__ import annotations

import json
from typing import Any

import pytest

from minikms.events import KmsVersion, accepted_names, build_data, wire_names
from minikms.objects.base import MediaObject
from minikms.objects.marshal import Param, unmarshal, unmarshal_params
from minikms.protocol import (
    JsonRpcError,
    KurentoError,
    NoReply,
    decode_frame,
    dumps,
    failure,
    on_event,
    parse_request,
    success,
)
from minikms.registry import Registry, make_object_id
from minikms.sessions import RequestCache, SessionTable, Subscriptions

V7 = KmsVersion("7.3.0")
V6 = KmsVersion("6.18.0")


# -- protocol -------------------------------------------------------------------------------------


def test_dumps_is_compact_and_sorted() -> None:
    assert dumps({"result": {"value": 1, "sessionId": "s"}, "jsonrpc": "2.0", "id": 3}) == (
        '{"id":3,"jsonrpc":"2.0","result":{"sessionId":"s","value":1}}'
    )


def test_decode_frame_accepts_text_and_binary_and_rejects_garbage() -> None:
    assert decode_frame('{"a":1}') == {"a": 1}
    assert decode_frame(b'{"a":1}') == {"a": 1}
    with pytest.raises(NoReply):
        decode_frame("{")
    with pytest.raises(NoReply):
        decode_frame(b"\xff\xfe")


@pytest.mark.parametrize(
    "message",
    [
        [],
        {"jsonrpc": "2.0", "id": 1},
        {"jsonrpc": "1.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": [1], "method": "ping"},
        {"jsonrpc": "2.0", "id": {"a": 1}, "method": "ping"},
        {"jsonrpc": "2.0", "id": 1, "method": 7},
    ],
)
def test_parse_request_rejects_bad_envelopes(message: Any) -> None:
    with pytest.raises(JsonRpcError) as info:
        parse_request(message)
    assert info.value.code == -32600
    assert failure(None, info.value) == {
        "error": {"code": -32600, "message": "Invalid JSON-RPC request."},
        "id": None,
        "jsonrpc": "2.0",
    }


def test_parse_request_keeps_id_type_and_notifications() -> None:
    request = parse_request({"jsonrpc": "2.0", "id": "x", "method": "ping", "params": {"interval": 5}})
    assert (request.id, request.method, request.params, request.has_id) == (
        "x",
        "ping",
        {"interval": 5},
        True,
    )
    note = parse_request({"jsonrpc": "2.0", "method": "ping"})
    assert note.has_id is False and note.params is None


def test_kurento_error_carries_data_type() -> None:
    error = KurentoError(40101, "Object 'x' not found")
    assert failure(4, error) == {
        "error": {
            "code": 40101,
            "data": {"type": "MEDIA_OBJECT_NOT_FOUND"},
            "message": "Object 'x' not found",
        },
        "id": 4,
        "jsonrpc": "2.0",
    }
    assert KurentoError(40500, "Requested kmd module doesn't exist").to_json()["data"] == {
        "type": "UNDEFINED"
    }
    assert success(1, {"value": None}) == {"id": 1, "jsonrpc": "2.0", "result": {"value": None}}


def test_on_event_envelope() -> None:
    message = on_event("obj", "Error", {"type": "X"})
    assert message == {
        "jsonrpc": "2.0",
        "method": "onEvent",
        "params": {"value": {"data": {"type": "X"}, "object": "obj", "type": "Error"}},
    }


# -- events ---------------------------------------------------------------------------------------------


def test_accepted_names_per_version() -> None:
    declared = ("IceCandidateFound", "DtlsConnectionStateChange", "MediaFlowInStateChanged", "Error")
    assert accepted_names(declared, V7) == frozenset(declared)
    six = accepted_names(declared, V6)
    assert {"IceCandidateFound", "OnIceCandidate", "MediaFlowInStateChange", "MediaFlowInStateChanged"} <= six
    assert "DtlsConnectionStateChange" not in six


def test_wire_names_per_version() -> None:
    assert wire_names("IceComponentStateChanged", V7) == ("IceComponentStateChanged",)
    assert wire_names("IceComponentStateChanged", V6) == (
        "IceComponentStateChanged",
        "IceComponentStateChange",
        "OnIceComponentStateChanged",
    )
    assert wire_names("DtlsConnectionStateChange", V6) == ()
    assert wire_names("Recording", V6) == ("Recording",)


def test_build_data_common_fields() -> None:
    now = 1_700_000_000.123
    data7 = build_data("MediaFlowInStateChanged", "src", {"state": "FLOWING"}, V7, [("k", "v")], now)
    assert data7 == {
        "source": "src",
        "state": "FLOWING",
        "tags": [{"__module__": "kurento", "__type__": "Tag", "key": "k", "value": "v"}],
        "timestampMillis": "1700000000123",
        "type": "MediaFlowInStateChanged",
    }
    data6 = build_data("MediaFlowInStateChange", "src", {}, V6, None, now)
    assert data6["timestamp"] == "1700000000" and data6["type"] == "MediaFlowInStateChange"
    created = build_data("ObjectCreated", "manager_ServerManager", {"object": "o"}, V7, None, now)
    assert "type" not in created
    error = build_data("Error", "src", {"type": "RESOURCE_ERROR_OPEN", "errorCode": 1}, V7, None, now)
    assert error["type"] == "RESOURCE_ERROR_OPEN"


# -- sessions, subscriptions, cache -------------------------------------------------------------------


class FakePeer:
    def __init__(self) -> None:
        self.session_id: str | None = None
        self.sent: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def test_binding_is_one_to_one_and_newest_wins() -> None:
    table = SessionTable()
    a, b = FakePeer(), FakePeer()
    table.bind(a, "s1")
    assert table.peer_of("s1") is a
    table.bind(b, "s1")  # stolen by the new socket
    assert table.peer_of("s1") is b and a.session_id is None
    table.bind(b, "s2")  # rebinding orphans s1
    assert table.peer_of("s1") is None and table.peer_of("s2") is b
    table.unbind(b)
    assert table.peer_of("s2") is None and b.session_id is None


def test_gc_expires_sessions_idle_for_a_whole_period() -> None:
    table = SessionTable()
    table.touch("idle")
    table.touch("bound")
    peer = FakePeer()
    table.bind(peer, "bound")
    assert table.collect() == []  # first pass only clears the flags
    table.keep_bound_alive()
    expired = table.collect()
    assert [s.id for s in expired] == ["idle"]
    assert not table.known("idle") and table.known("bound")
    table.touch("bound")
    assert table.collect() == []


def test_subscriptions_dedupe_per_session_object_event() -> None:
    subs = Subscriptions()
    s1 = subs.add("sess", "obj", "Ev")
    s2 = subs.add("sess", "obj", "Ev")
    subs.add("other", "obj", "Ev")
    assert sorted(subs.sessions_for("obj", "Ev")) == ["other", "sess"]
    subs.remove(s1)
    assert "sess" in subs.sessions_for("obj", "Ev")
    subs.remove(s2)
    assert subs.sessions_for("obj", "Ev") == ["other"]
    subs.remove("unknown")
    subs.drop_object("obj")
    assert subs.sessions_for("obj", "Ev") == []


def test_request_cache_keys_on_session_and_typed_id_and_expires() -> None:
    now = [100.0]
    cache = RequestCache(ttl=2, monotonic=lambda: now[0])
    cache.put("s", 1, {"id": 1})
    assert cache.get("s", 1) == {"id": 1}
    assert cache.get("s", "1") is None
    assert cache.get("t", 1) is None
    now[0] += 1
    assert cache.get("s", 1) == {"id": 1}
    now[0] += 1
    assert cache.get("s", 1) is None


# -- ids and registry -----------------------------------------------------------------------------------


class Stub(MediaObject):
    KMS_TYPE = "Stub"


def test_object_ids_nest_under_parent() -> None:
    pipeline_id = make_object_id("MediaPipeline", None)
    assert pipeline_id.endswith("_kurento.MediaPipeline") and "/" not in pipeline_id
    parent = Stub(None, pipeline_id, None)  # type: ignore[arg-type]
    child_id = make_object_id("PassThrough", parent)
    assert child_id.startswith(pipeline_id + "/") and child_id.endswith("_kurento.PassThrough")


def test_registry_ownership_and_lookup_errors() -> None:
    registry = Registry()
    obj = Stub(None, "id1", None)  # type: ignore[arg-type]
    registry.add(obj)
    registry.ref("a", obj)
    registry.ref("b", obj)
    assert registry.unref("a", obj) is False
    assert registry.unref("b", obj) is True
    registry.remove(obj)
    with pytest.raises(KurentoError) as missing:
        registry.get("id1")
    assert missing.value.code == 40101 and missing.value.message == "Object 'id1' not found"
    with pytest.raises(KurentoError) as newref:
        registry.get("newref:3")
    assert newref.value.code == 40109


# -- unmarshalling --------------------------------------------------------------------------------------


class NoObjects:
    def lookup(self, object_id: str) -> MediaObject:
        raise KurentoError(40101, f"Object '{object_id}' not found")


@pytest.mark.parametrize(
    ("type_name", "value", "expected"),
    [
        ("String", "x", "x"),
        ("int", 5, 5),
        ("int64", "123", 123),
        ("boolean", True, True),
        ("float", 1, 1.0),
        ("MediaType", "VIDEO", "VIDEO"),
        (
            "IceCandidate",
            {
                "__module__": "kurento",
                "__type__": "IceCandidate",
                "candidate": "c",
                "sdpMid": "0",
                "sdpMLineIndex": 0,
            },
            {"candidate": "c", "sdpMid": "0", "sdpMLineIndex": 0},
        ),
        ("String[]", ["a"], ["a"]),
    ],
)
def test_unmarshal_accepts(type_name: str, value: Any, expected: Any) -> None:
    assert unmarshal("p", type_name, value, NoObjects()) == expected


@pytest.mark.parametrize(
    ("type_name", "value", "code"),
    [
        ("String", 1, 40001),
        ("int", True, 40001),
        ("int", "5", 40001),
        ("boolean", 1, 40001),
        ("MediaType", "SMELL", 40001),
        ("IceCandidate", {"candidate": "c"}, 40001),
        ("IceCandidate", {"__type__": "Other", "candidate": "c", "sdpMid": "0", "sdpMLineIndex": 0}, 40003),
        ("MediaElement", "missing", 40101),
    ],
)
def test_unmarshal_rejects(type_name: str, value: Any, code: int) -> None:
    with pytest.raises(KurentoError) as info:
        unmarshal("p", type_name, value, NoObjects())
    assert info.value.code == code


def test_unmarshal_params_defaults_and_required() -> None:
    params = (Param("a", "String"), Param("b", "int", required=False, default=7))
    assert unmarshal_params(params, {"a": "x"}, NoObjects(), "operationParams") == ["x", 7]
    with pytest.raises(KurentoError) as missing_container:
        unmarshal_params(params, None, NoObjects(), "operationParams")
    assert missing_container.value.message == "'operationParams' is required"
    with pytest.raises(KurentoError) as missing_param:
        unmarshal_params(params, {"b": 1}, NoObjects(), "operationParams")
    assert missing_param.value.message == "'a' parameter is required"
    assert unmarshal_params((), None, NoObjects(), "constructorParams") == []
    assert (
        json.dumps(unmarshal_params(params, {"a": "x", "extra": 1}, NoObjects(), "operationParams"))
        == '["x", 7]'
    )
