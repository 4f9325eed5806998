"""Kurento JSON-RPC rules of a real minikms process, checked with raw frames over a websocket
(kurento-protocol.md sections 1 and 2)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import websockets

from tests.minikms.kms_wire import RawKms
from tests.support.procs import MinikmsProcess

MANAGER = "manager_ServerManager"


def assert_compact_sorted(frame: str | bytes) -> None:
    text = frame.decode() if isinstance(frame, bytes) else frame
    parsed = json.loads(text)
    assert text == json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# -- framing -----------------------------------------------------------------------------------------


async def test_text_and_binary_frames_get_compact_sorted_text_replies(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        text_reply = await c.request("ping", {"interval": 240000})
        binary_reply = await c.request("ping", binary=True)
        assert text_reply["result"] == {"value": "pong"}
        assert binary_reply["result"] == {"value": "pong"}
        assert len(c.frames) == 2
        for frame in c.frames:
            assert isinstance(frame, str)
            assert_compact_sorted(frame)


async def test_wrong_path_is_closed_with_1002_invalid_path(kms: MinikmsProcess) -> None:
    uri = f"ws://127.0.0.1:{kms.port}/notkurento"
    async with websockets.connect(uri) as ws:
        with pytest.raises(websockets.ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), 10)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1002
    assert info.value.rcvd.reason == "Invalid path"


async def test_query_string_is_ignored_by_the_path_check(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri + "?access_token=abc") as c:
        assert (await c.result("ping"))["value"] == "pong"


async def test_invalid_envelopes_get_minus_32600_with_null_id(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        for bad in ({"jsonrpc": "1.0", "id": 5, "method": "ping"}, {"jsonrpc": "2.0", "id": 6}, [1, 2]):
            await c.send_frame(json.dumps(bad))
            reply = await asyncio.wait_for(c.unmatched.get(), 10)
            assert reply == {
                "error": {"code": -32600, "message": "Invalid JSON-RPC request."},
                "id": None,
                "jsonrpc": "2.0",
            }


async def test_unparseable_json_gets_no_reply_and_the_socket_keeps_working(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        await c.send_frame("{not json")
        assert (await c.result("ping"))["value"] == "pong"
        assert len(c.frames) == 1


async def test_unknown_method_is_minus_32601(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        reply = await c.request("frobnicate", {}, request_id="abc")
        assert reply == {
            "error": {"code": -32601, "message": "Method not found."},
            "id": "abc",
            "jsonrpc": "2.0",
        }


async def test_missing_params_on_unbound_socket_is_minus_32602(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        error = await c.error("create")
        assert error == {
            "code": -32602,
            "data": {"type": "INVALID_PARAMS"},
            "message": "'params' is required",
        }


async def test_missing_top_level_param_is_minus_32000(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        assert await c.error("invoke", {"operation": "getName"}) == {
            "code": -32000,
            "message": "'object' parameter is required",
        }
        assert await c.error("transaction", {"operations": {}}) == {
            "code": -32000,
            "message": "'operations' parameter should be an array",
        }


async def test_notification_is_executed_and_answered_with_minus_32000(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        await c.send_frame(json.dumps({"jsonrpc": "2.0", "method": "ping"}))
        reply = await asyncio.wait_for(c.unmatched.get(), 10)
        assert reply["id"] is None
        assert reply["error"]["code"] == -32000
        assert reply["error"]["message"] == "Ignoring response because of a notification request"
        assert reply["error"]["data"] == {"value": "pong"}


# -- sessions ------------------------------------------------------------------------------------------


async def test_connect_creates_session_and_server_id_is_stable_per_process(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as a, RawKms(kms.uri) as b:
        ra = await a.result("connect")
        rb = await b.result("connect")
        assert set(ra) == {"serverId", "sessionId"}
        assert ra["serverId"] == rb["serverId"]
        assert ra["sessionId"] != rb["sessionId"]
        uuid.UUID(ra["serverId"])
        uuid.UUID(ra["sessionId"])


async def test_session_id_is_created_bound_and_injected(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        assert await c.result("ping") == {"value": "pong"}  # no session yet: none in the reply
        created = await c.result("create", {"type": "MediaPipeline"})
        session = created["sessionId"]
        uuid.UUID(session)
        # Later requests omit sessionId: the bound one is injected into params and echoed.
        assert await c.result("ping") == {"sessionId": session, "value": "pong"}
        name = await c.result("invoke", {"object": created["value"], "operation": "getName"})
        assert name == {"sessionId": session, "value": created["value"]}
        # A request with no params at all gets params created on a bound socket (no -32602).
        described = await c.result("describe", {"object": created["value"]})
        assert described["sessionId"] == session
        await c.result("release", {"object": created["value"]})


async def test_client_chosen_session_id_is_accepted(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        mine = f"my-own-{uuid.uuid4()}"
        created = await c.result("create", {"type": "MediaPipeline", "sessionId": mine})
        assert created["sessionId"] == mine
        await c.result("release", {"object": created["value"], "sessionId": mine})


async def test_reconnect_with_known_session_keeps_objects_and_subscriptions(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as first:
        hello = await first.result("connect")
        session, server = hello["sessionId"], hello["serverId"]
        pipeline = await first.value("create", {"type": "MediaPipeline"})
        await first.value("subscribe", {"object": MANAGER, "type": "ObjectCreated"})
    # Request ids continue across the reconnect: (sessionId, id) pairs are cached for 20 s.
    async with RawKms(kms.uri, first_id=100) as second:
        again = await second.result("connect", {"sessionId": session})
        assert again == {"serverId": server, "sessionId": session}
        assert await second.invoke(pipeline, "getName") == pipeline
        # The subscription made on the old socket delivers on the new one (no re-subscribe).
        other = await second.value("create", {"type": "MediaPipeline"})
        event = await second.event_of("ObjectCreated")
        assert event["data"]["object"] == other
        await second.result("release", {"object": pipeline})
        await second.result("release", {"object": other})


async def test_connect_with_unknown_or_unused_session_is_40007(kms: MinikmsProcess) -> None:
    expected = {"code": 40007, "data": {"type": "INVALID_SESSION"}, "message": "Invalid session"}
    async with RawKms(kms.uri) as c:
        assert await c.error("connect", {"sessionId": str(uuid.uuid4())}) == expected
        # A session from a bare connect that never touched an object is unknown too.
        bare = (await c.result("connect"))["sessionId"]
    async with RawKms(kms.uri) as d:
        assert await d.error("connect", {"sessionId": bare}) == expected
        assert await d.error("keepAlive", {"sessionId": bare}) == expected
        # Then a connect without params gives a new session.
        fresh = await d.result("connect")
        assert fresh["sessionId"] != bare


async def test_keepalive_of_a_known_session(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        session = (await c.result("describe", {"object": MANAGER}))["sessionId"]
        assert await c.result("keepAlive", {"sessionId": session}) == {"sessionId": session}


async def test_binding_same_session_from_new_socket_steals_event_routing(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as a, RawKms(kms.uri, first_id=100) as b:
        session = (await a.result("subscribe", {"object": MANAGER, "type": "ObjectCreated"}))["sessionId"]
        await b.result("connect", {"sessionId": session})
        pipeline = await b.value("create", {"type": "MediaPipeline"})
        event = await b.event_of("ObjectCreated")
        assert event["data"]["object"] == pipeline
        assert await a.drain_events() == []
        await b.result("release", {"object": pipeline})


# -- request cache -----------------------------------------------------------------------------------


async def test_duplicate_request_returns_cached_reply_without_reexecuting(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        session = (await c.result("connect"))["sessionId"]
        params = {"type": "MediaPipeline", "sessionId": session}
        first = await c.request("create", params, request_id=500)
        second = await c.request("create", params, request_id=500)
        assert first == second
        pipelines = await c.invoke(MANAGER, "getPipelines")
        assert pipelines.count(first["result"]["value"]) == 1
        # A different id executes again.
        third = await c.request("create", params, request_id=501)
        assert third["result"]["value"] != first["result"]["value"]
        # Errors are cached too.
        e1 = await c.request("invoke", {"object": "nope", "operation": "getName"}, request_id=502)
        pipe = first["result"]["value"]
        e2 = await c.request("invoke", {"object": pipe, "operation": "getName"}, request_id=502)
        assert e1 == e2 and e1["error"]["code"] == 40101
        for p in (first["result"]["value"], third["result"]["value"]):
            await c.result("release", {"object": p})


async def test_cache_is_per_session(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as a, RawKms(kms.uri) as b:
        pa = await a.result("create", {"type": "MediaPipeline"}, request_id=900)
        pb = await b.result("create", {"type": "MediaPipeline"}, request_id=900)
        assert pa["value"] != pb["value"]
        await a.result("release", {"object": pa["value"]})
        await b.result("release", {"object": pb["value"]})


# -- create / invoke / errors ----------------------------------------------------------------------


async def test_object_ids_follow_kurento_format_with_hubport_nested(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        pipeline = await c.create("MediaPipeline")
        head, _, tail = pipeline.partition("_")
        uuid.UUID(head)
        assert tail == "kurento.MediaPipeline"
        element = await c.create("PassThrough", mediaPipeline=pipeline)
        assert element.startswith(pipeline + "/") and element.endswith("_kurento.PassThrough")
        composite = await c.create("Composite", mediaPipeline=pipeline)
        port = await c.create("HubPort", hub=composite)
        assert port.startswith(composite + "/") and port.endswith("_kurento.HubPort")
        assert len(port.split("/")) == 3
        assert await c.invoke(port, "getParent") == composite
        assert await c.invoke(port, "getMediaPipeline") == pipeline
        assert await c.invoke(pipeline, "getParent") is None
        assert sorted(await c.invoke(pipeline, "getChildren")) == sorted([element, composite])
        assert await c.invoke(composite, "getChildren") == [port]
        await c.result("release", {"object": pipeline})


async def test_error_codes_and_messages(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        pipeline = await c.create("MediaPipeline")
        assert await c.error("create", {"type": "NoSuchThing", "constructorParams": {}}) == {
            "code": 40108,
            "data": {"type": "MEDIA_OBJECT_NOT_AVAILABLE"},
            "message": "Factory 'NoSuchThing' not found",
        }
        missing = f"{uuid.uuid4()}_kurento.MediaPipeline"
        assert await c.error("invoke", {"object": missing, "operation": "getName"}) == {
            "code": 40101,
            "data": {"type": "MEDIA_OBJECT_NOT_FOUND"},
            "message": f"Object '{missing}' not found",
        }
        assert await c.error(
            "invoke", {"object": pipeline, "operation": "fly", "operationParams": {"a": 1}}
        ) == {
            "code": 40008,
            "data": {"type": "MALFORMED_TRANSACTION"},
            "message": "Method 'fly' with 1 parameters not found",
        }
        assert await c.error("subscribe", {"object": pipeline, "type": "IceCandidateFound"}) == {
            "code": 40106,
            "data": {"type": "MEDIA_OBJECT_EVENT_NOT_SUPPORTED"},
            "message": "Event 'IceCandidateFound' not supported",
        }
        # 6.x-only names are unknown to a 7.x server.
        element = await c.create("WebRtcEndpoint", mediaPipeline=pipeline)
        assert (await c.error("subscribe", {"object": element, "type": "OnIceCandidate"}))["code"] == 40106
        # Marshalling: missing constructor params, wrong types, bad enums.
        no_ctor = await c.error("create", {"type": "PassThrough"})
        assert no_ctor == {
            "code": 40001,
            "data": {"type": "MARSHALL_ERROR"},
            "message": "'constructorParams' is required",
        }
        wrong = await c.error(
            "create", {"type": "RecorderEndpoint", "constructorParams": {"mediaPipeline": pipeline, "uri": 7}}
        )
        assert wrong["code"] == 40001 and wrong["message"] == "'uri' parameter should be a string"
        enum = await c.error(
            "invoke",
            {"object": element, "operation": "getSinkConnections", "operationParams": {"mediaType": "SMELL"}},
        )
        assert enum["code"] == 40001
        # Setters of read-only properties do not exist.
        assert (
            await c.error("invoke", {"object": element, "operation": "setId", "operationParams": {"id": "x"}})
        )["code"] == 40008
        # Referencing a dead object in params is 40101.
        dead = f"{pipeline}/{uuid.uuid4()}_kurento.PassThrough"
        ref_error = await c.error(
            "invoke", {"object": element, "operation": "connect", "operationParams": {"sink": dead}}
        )
        assert ref_error["code"] == 40101
        # connect across pipelines is 40004.
        other = await c.create("MediaPipeline")
        far = await c.create("PassThrough", mediaPipeline=other)
        cross = await c.error(
            "invoke", {"object": element, "operation": "connect", "operationParams": {"sink": far}}
        )
        assert cross == {
            "code": 40004,
            "data": {"type": "CONNECT_ERROR"},
            "message": "Media elements do not share pipeline",
        }
        # getTag of a missing key.
        assert (
            await c.error(
                "invoke", {"object": pipeline, "operation": "getTag", "operationParams": {"key": "k"}}
            )
        )["code"] == 40110
        # Error replies never carry sessionId.
        for frame in c.frames:
            message = json.loads(frame)
            if "error" in message:
                assert "sessionId" not in json.dumps(message["error"])
                assert "result" not in message
        for p in (pipeline, other):
            await c.result("release", {"object": p})


async def test_properties_get_set_and_void_value_null(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        pipeline = await c.create("MediaPipeline")
        webrtc = await c.create("WebRtcEndpoint", mediaPipeline=pipeline)
        reply = await c.result(
            "invoke",
            {
                "object": webrtc,
                "operation": "setMaxVideoRecvBandwidth",
                "operationParams": {"maxVideoRecvBandwidth": 600},
            },
        )
        assert "value" in reply and reply["value"] is None
        assert await c.invoke(webrtc, "getMaxVideoRecvBandwidth") == 600
        for name, value in (
            ("MinVideoRecvBandwidth", 150),
            ("MaxVideoSendBandwidth", 900),
            ("MinVideoSendBandwidth", 120),
            ("StunServerAddress", "127.0.0.1"),
            ("StunServerPort", 3479),
            ("TurnUrl", "user:pass@127.0.0.1:3478"),
            ("ExternalIPv4", "127.0.0.1"),
        ):
            prop = name[0].lower() + name[1:]
            await c.invoke(webrtc, f"set{name}", **{prop: value})
            assert await c.invoke(webrtc, f"get{name}") == value
        assert await c.invoke(webrtc, "getName") == webrtc
        await c.invoke(webrtc, "setName", name="stream-1")
        assert await c.invoke(webrtc, "getName") == "stream-1"
        assert await c.invoke(webrtc, "getId") == webrtc
        created = await c.invoke(webrtc, "getCreationTime")
        assert isinstance(created, int) and created > 1_600_000_000
        assert await c.invoke(webrtc, "getMediaState") == "DISCONNECTED"
        assert await c.invoke(webrtc, "getConnectionState") == "DISCONNECTED"
        assert await c.invoke(webrtc, "getIceConnectionState") == []
        assert await c.invoke(webrtc, "getLocalSessionDescriptor") is None
        assert await c.invoke(webrtc, "getEncoderBitrate") > 0
        # 6.x-only accessors are unknown to a 7.x server.
        assert (await c.error("invoke", {"object": webrtc, "operation": "getChilds"}))["code"] == 40008
        assert (await c.error("invoke", {"object": webrtc, "operation": "getExternalAddress"}))[
            "code"
        ] == 40008
        # Tags.
        await c.invoke(webrtc, "addTag", key="a", value="1")
        await c.invoke(webrtc, "addTag", key="b", value="2")
        assert await c.invoke(webrtc, "getTag", key="a") == "1"
        await c.invoke(webrtc, "removeTag", key="a")
        assert await c.invoke(webrtc, "getTags") == [
            {"__module__": "kurento", "__type__": "Tag", "key": "b", "value": "2"}
        ]
        await c.result("release", {"object": pipeline})


async def test_describe_gives_type_and_ancestors(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        pipeline = await c.create("MediaPipeline")
        webrtc = await c.create("WebRtcEndpoint", mediaPipeline=pipeline)
        described = await c.result("describe", {"object": webrtc})
        assert described["type"] == "WebRtcEndpoint"
        assert described["qualifiedType"] == "kurento.WebRtcEndpoint"
        assert described["hierarchy"] == [
            "kurento.BaseRtpEndpoint",
            "kurento.SdpEndpoint",
            "kurento.SessionEndpoint",
            "kurento.Endpoint",
            "kurento.MediaElement",
            "kurento.MediaObject",
        ]
        manager = await c.result("describe", {"object": MANAGER})
        assert manager["type"] == "ServerManager" and manager["hierarchy"] == ["kurento.MediaObject"]
        assert (await c.result("describe", {"object": pipeline}))["hierarchy"] == ["kurento.MediaObject"]
        await c.result("release", {"object": pipeline})
        assert (await c.error("describe", {"object": pipeline}))["code"] == 40101


# -- subscriptions and events --------------------------------------------------------------------


async def test_duplicate_subscriptions_deliver_once_until_all_unsubscribed(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        pipeline = await c.create("MediaPipeline")
        source = await c.create("PassThrough", mediaPipeline=pipeline)
        sink = await c.create("PassThrough", mediaPipeline=pipeline)
        s1 = await c.value("subscribe", {"object": source, "type": "ElementConnected"})
        s2 = await c.value("subscribe", {"object": source, "type": "ElementConnected"})
        assert s1 != s2
        await c.invoke(source, "connect", sink=sink, mediaType="VIDEO")
        events = await c.drain_events()
        assert len(events) == 1
        value = events[0]["params"]["value"]
        assert value["object"] == source and value["type"] == "ElementConnected"
        data = value["data"]
        assert data["sink"] == sink and data["mediaType"] == "VIDEO" and data["type"] == "ElementConnected"
        assert data["source"] == source and data["tags"] == []
        assert data["sourceMediaDescription"] == "default" and data["sinkMediaDescription"] == "default"
        assert isinstance(data["timestampMillis"], str) and data["timestampMillis"].isdigit()
        assert "timestamp" not in data  # 7.x dropped it
        assert "sessionId" not in json.dumps(events[0]) and "id" not in events[0]
        await c.result("unsubscribe", {"object": source, "subscription": s1})
        await c.invoke(source, "connect", sink=sink, mediaType="AUDIO")
        assert len(await c.drain_events()) == 1
        await c.result("unsubscribe", {"object": source, "subscription": s2})
        # Unknown subscription ids are silently accepted.
        await c.result("unsubscribe", {"object": source, "subscription": str(uuid.uuid4())})
        await c.invoke(source, "connect", sink=sink, mediaType="DATA")
        assert await c.drain_events() == []
        await c.result("release", {"object": pipeline})


async def test_connect_without_media_type_gives_three_connections(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        pipeline = await c.create("MediaPipeline")
        source = await c.create("PassThrough", mediaPipeline=pipeline)
        sink = await c.create("PassThrough", mediaPipeline=pipeline)
        await c.value("subscribe", {"object": source, "type": "ElementConnected"})
        await c.value("subscribe", {"object": source, "type": "ElementDisconnected"})
        await c.invoke(source, "connect", sink=sink)
        events = [e["params"]["value"] for e in await c.drain_events()]
        assert sorted(e["data"]["mediaType"] for e in events if e["type"] == "ElementConnected") == [
            "AUDIO",
            "DATA",
            "VIDEO",
        ]
        sinks = await c.invoke(source, "getSinkConnections")
        assert sorted(conn["type"] for conn in sinks) == ["AUDIO", "DATA", "VIDEO"]
        assert all(conn["__type__"] == "ElementConnectionData" and conn["sink"] == sink for conn in sinks)
        assert len(await c.invoke(sink, "getSourceConnections", mediaType="VIDEO")) == 1
        await c.invoke(source, "disconnect", sink=sink, mediaType="AUDIO")
        events = [e["params"]["value"] for e in await c.drain_events()]
        assert [(e["type"], e["data"]["mediaType"]) for e in events] == [("ElementDisconnected", "AUDIO")]
        assert sorted(conn["type"] for conn in await c.invoke(sink, "getSourceConnections")) == [
            "DATA",
            "VIDEO",
        ]
        await c.result("release", {"object": pipeline})


async def test_send_tags_in_events(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        pipeline = await c.create("MediaPipeline")
        source = await c.create("PassThrough", mediaPipeline=pipeline)
        sink = await c.create("PassThrough", mediaPipeline=pipeline)
        await c.invoke(source, "addTag", key="room", value="r1")
        await c.invoke(source, "setSendTagsInEvents", sendTagsInEvents=True)
        assert await c.invoke(source, "getSendTagsInEvents") is True
        await c.value("subscribe", {"object": source, "type": "ElementConnected"})
        await c.invoke(source, "connect", sink=sink, mediaType="VIDEO")
        event = await c.event_of("ElementConnected")
        assert event["data"]["tags"] == [
            {"__module__": "kurento", "__type__": "Tag", "key": "room", "value": "r1"}
        ]
        await c.result("release", {"object": pipeline})


async def test_release_is_recursive_idempotent_and_fires_object_destroyed(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        await c.value("subscribe", {"object": MANAGER, "type": "ObjectDestroyed"})
        await c.value("subscribe", {"object": MANAGER, "type": "ObjectCreated"})
        pipeline = await c.create("MediaPipeline")
        element = await c.create("PassThrough", mediaPipeline=pipeline)
        composite = await c.create("Composite", mediaPipeline=pipeline)
        port = await c.create("HubPort", hub=composite)
        created = [e["params"]["value"] for e in await c.drain_events()]
        assert [e["data"]["object"] for e in created] == [pipeline, element, composite, port]
        assert all(e["type"] == "ObjectCreated" and "type" not in e["data"] for e in created)
        assert all(e["data"]["source"] == MANAGER for e in created)
        await c.result("release", {"object": pipeline})
        destroyed = [e["params"]["value"] for e in await c.drain_events()]
        ids = [e["data"]["objectId"] for e in destroyed]
        assert sorted(ids) == sorted([pipeline, element, composite, port])
        assert ids[-1] == pipeline  # children first
        assert ids.index(port) < ids.index(composite)
        for obj in (pipeline, element, composite, port):
            assert (await c.error("invoke", {"object": obj, "operation": "getName"}))["code"] == 40101
        # Releasing again, or releasing an unknown id, succeeds.
        assert set(await c.result("release", {"object": pipeline})) == {"sessionId"}
        await c.result("release", {"object": "never-existed"})
        assert await c.drain_events() == []


# -- transactions ------------------------------------------------------------------------------------


def op(index: int, method: str, params: dict[str, object]) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": index, "method": method, "params": params}


async def test_transaction_with_newref(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        result = await c.result(
            "transaction",
            {
                "operations": [
                    op(0, "create", {"type": "MediaPipeline", "constructorParams": {}}),
                    op(
                        1,
                        "create",
                        {"type": "PassThrough", "constructorParams": {"mediaPipeline": "newref:0"}},
                    ),
                    op(
                        2,
                        "create",
                        {"type": "PassThrough", "constructorParams": {"mediaPipeline": "newref:0"}},
                    ),
                    op(
                        3,
                        "invoke",
                        {
                            "object": "newref:1",
                            "operation": "connect",
                            "operationParams": {"sink": "newref:2"},
                        },
                    ),
                    op(4, "invoke", {"object": "newref:2", "operation": "getSourceConnections"}),
                ]
            },
        )
        session = result["sessionId"]
        replies = result["value"]
        assert [r["id"] for r in replies] == [0, 1, 2, 3, 4]
        assert all(r["jsonrpc"] == "2.0" and "error" not in r for r in replies)
        pipeline = replies[0]["result"]["value"]
        assert replies[1]["result"]["value"].startswith(pipeline + "/")
        assert replies[3]["result"] == {"sessionId": session, "value": None}
        assert len(replies[4]["result"]["value"]) == 3
        await c.result("release", {"object": pipeline})


async def test_transaction_stops_at_first_failure(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        result = await c.result(
            "transaction",
            {
                "operations": [
                    op(0, "create", {"type": "MediaPipeline"}),
                    op(1, "create", {"type": "NotAType", "constructorParams": {}}),
                    op(2, "create", {"type": "MediaPipeline"}),
                ]
            },
        )
        replies = result["value"]
        assert len(replies) == 2
        assert replies[1]["error"]["code"] == 40108 and replies[1]["id"] == 1
        pipelines = await c.invoke(MANAGER, "getPipelines")
        assert replies[0]["result"]["value"] in pipelines
        await c.result("release", {"object": replies[0]["result"]["value"]})


async def test_transaction_ids_must_be_their_index(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        error = await c.error(
            "transaction", {"operations": [op(0, "create", {"type": "MediaPipeline"}), op(5, "ping", {})]}
        )
        assert error["code"] == 40008 and error["data"] == {"type": "MALFORMED_TRANSACTION"}
        assert "should be '1'" in error["message"]
        before = set(await c.invoke(MANAGER, "getPipelines"))
        await c.error("transaction", {"operations": [op(1, "create", {"type": "MediaPipeline"})]})
        assert set(await c.invoke(MANAGER, "getPipelines")) == before


async def test_newref_outside_a_transaction_is_40109(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        error = await c.error("invoke", {"object": "newref:0", "operation": "getName"})
        assert error["code"] == 40109
        assert error["data"] == {"type": "MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT"}


# -- ref / unref / closeSession -----------------------------------------------------------------------


async def test_unref_by_last_owner_releases_and_ref_adds_an_owner(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as a, RawKms(kms.uri) as b:
        pipeline = await a.create("MediaPipeline")
        session_a = (await a.result("ping"))["sessionId"]
        session_b = (await b.result("describe", {"object": MANAGER}))["sessionId"]
        assert await b.result("ref", {"object": pipeline, "sessionId": session_b}) == {"sessionId": session_b}
        await a.result("unref", {"object": pipeline, "sessionId": session_a})
        assert await b.invoke(pipeline, "getName") == pipeline  # b still owns it
        await b.result("unref", {"object": pipeline, "sessionId": session_b})
        assert (await b.error("invoke", {"object": pipeline, "operation": "getName"}))["code"] == 40101


async def test_second_session_on_a_socket_rebinds_it_and_orphans_the_first(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        first = (await c.result("subscribe", {"object": MANAGER, "type": "ObjectCreated"}))["sessionId"]
        second = f"second-{uuid.uuid4()}"
        await c.result("subscribe", {"object": MANAGER, "type": "ObjectDestroyed", "sessionId": second})
        # The socket is now bound to `second`: requests without sessionId get it injected ...
        assert (await c.result("ping"))["sessionId"] == second
        # ... and events of `first` have nowhere to go.
        pipeline = await c.create("MediaPipeline")
        await c.result("release", {"object": pipeline})
        events = [e["params"]["value"] for e in await c.drain_events()]
        assert [(e["type"], e["data"]["objectId"]) for e in events] == [("ObjectDestroyed", pipeline)]
        assert first != second


async def test_releasing_a_sink_disconnects_it_from_its_sources(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        pipeline = await c.create("MediaPipeline")
        source = await c.create("PassThrough", mediaPipeline=pipeline)
        sink = await c.create("PassThrough", mediaPipeline=pipeline)
        await c.invoke(source, "connect", sink=sink, mediaType="VIDEO")
        await c.value("subscribe", {"object": source, "type": "ElementDisconnected"})
        await c.result("release", {"object": sink})
        event = await c.event_of("ElementDisconnected")
        assert event["data"]["sink"] == sink and event["data"]["mediaType"] == "VIDEO"
        assert await c.invoke(source, "getSinkConnections") == []
        # A new sink for the same pad replaces the old source's link.
        first = await c.create("PassThrough", mediaPipeline=pipeline)
        second = await c.create("PassThrough", mediaPipeline=pipeline)
        target = await c.create("PassThrough", mediaPipeline=pipeline)
        await c.invoke(first, "connect", sink=target, mediaType="AUDIO")
        await c.invoke(second, "connect", sink=target, mediaType="AUDIO")
        sources = await c.invoke(target, "getSourceConnections", mediaType="AUDIO")
        assert [conn["source"] for conn in sources] == [second]
        assert await c.invoke(first, "getSinkConnections") == []
        await c.result("release", {"object": pipeline})
