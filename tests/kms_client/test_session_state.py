"""kms_client.session_state (and the sans-I/O parts of kms_client.lifecycle) without any socket, task or clock.

The waiters are plain strings: the state never looks inside them, it only hands them back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kms_client import errors, protocol
from kms_client.lifecycle import (
    Connected,
    ConnectionState,
    LifecycleEvent,
    Listeners,
    ReconnectedEmpty,
    ReconnectedSame,
    ReconnectPolicy,
    resumed_notice,
)
from kms_client.protocol import EventNotification
from kms_client.session_state import (
    DEFAULT_MAX_PENDING,
    Answered,
    EventRouted,
    Failed,
    Inbound,
    Malformed,
    ResumeOutcome,
    SessionState,
    Unmatched,
)
from kms_client.structs import ServerInfo

SERVER = "server-1"
INFO = {
    "__module__": "kurento",
    "__type__": "ServerInfo",
    "version": "7.3.0",
    "modules": [],
    "type": "KMS",
    "capabilities": ["transactions"],
}


def _reply(request_id: object, result: Any) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result})


def _error(request_id: object, code: int, message: str = "boom") -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})


def _event(object_id: str, event_type: str) -> str:
    value = {"object": object_id, "type": event_type, "data": {"source": object_id, "type": event_type}}
    return json.dumps({"jsonrpc": "2.0", "method": "onEvent", "params": {"value": value}})


def _invoke(state: SessionState[str], waiter: str, operation: str = "echo", *, resend: bool = True) -> int:
    request_id, _text = state.send(
        lambda rid, sid: protocol.invoke_request(rid, sid, "pipe", operation), waiter, resend=resend
    )
    assert isinstance(request_id, int)
    return request_id


def _connected(session: str = "s-1", server: str = SERVER) -> SessionState[str]:
    """A state whose first handshake (connect, getInfo) is done."""
    state: SessionState[str] = SessionState()
    rid, _ = state.send(lambda r, _s: protocol.connect_request(r), "connect", resend=False)
    got = state.receive(_reply(rid, {"sessionId": session, "serverId": server}))
    assert isinstance(got, Answered)
    assert state.accept_connect(got.response, None) is ResumeOutcome.NEW
    rid, _ = state.send(state.info_request, "info", resend=False)
    got = state.receive(_reply(rid, {"value": INFO}))
    assert isinstance(got, Answered)
    state.accept_info(got.response)
    return state


def _answered(got: Inbound[str]) -> Answered[str]:
    assert isinstance(got, Answered), got
    return got


# --- requests and replies ----------------------------------------------------------------------------------


def test_send_numbers_requests_and_carries_the_session() -> None:
    state = _connected()
    request_id, text = state.send(lambda rid, sid: protocol.invoke_request(rid, sid, "pipe", "echo"), "w")
    wire = json.loads(text)
    assert wire == {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "invoke",
        "params": {"object": "pipe", "operation": "echo", "sessionId": "s-1"},
    }
    assert request_id == 3  # connect was 1, getInfo 2
    assert state.pending_count == 1
    assert [p.waiter for p in state.pending()] == ["w"]


def test_replies_are_matched_to_their_request_in_any_order() -> None:
    state = _connected()
    ids = {f"w{i}": _invoke(state, f"w{i}") for i in range(50)}
    for waiter, request_id in reversed(list(ids.items())):
        got = _answered(state.receive(_reply(request_id, {"value": waiter})))
        assert got.pending.waiter == waiter
        assert got.pending.request.id == request_id
        assert got.response.value == waiter
    assert state.pending_count == 0


def test_an_error_reply_fails_its_request_with_the_typed_error() -> None:
    state = _connected()
    first, second = _invoke(state, "a"), _invoke(state, "b")
    got = state.receive(_error(second, 40101, "object not found"))
    assert isinstance(got, Failed)
    assert got.pending.waiter == "b"
    assert isinstance(got.error, errors.MediaObjectNotFoundError)
    assert (got.error.code, got.error.message) == (40101, "object not found")
    assert [p.request.id for p in state.pending()] == [first]  # the other request still waits


def test_a_refused_reply_fails_the_request_it_names() -> None:
    state = _connected()
    request_id = _invoke(state, "w")
    got = state.receive('{"jsonrpc":"2.0","id":' + str(request_id) + ',"result":{"value":NaN}}')
    assert isinstance(got, Failed)
    assert got.pending.waiter == "w"
    assert isinstance(got.error, errors.KmsProtocolError)
    assert state.pending_count == 0
    assert state.bad_frames == 0  # answered a request: not counted as a stray bad frame


@pytest.mark.parametrize("frame", [_reply(999, {"value": 1}), _error(999, 40101), _reply("x", None)])
def test_replies_with_unknown_ids_change_nothing(frame: str) -> None:
    state = _connected()
    request_id = _invoke(state, "w")
    got = state.receive(frame)
    assert isinstance(got, Unmatched)
    assert got.orphan_error is None
    assert [p.request.id for p in state.pending()] == [request_id]


def test_duplicate_and_late_replies_are_unmatched() -> None:
    state = _connected()
    answered = _invoke(state, "a")
    expired = _invoke(state, "b")
    assert _answered(state.receive(_reply(answered, {"value": 1}))).pending.waiter == "a"
    duplicate = state.receive(_reply(answered, {"value": 1}))
    assert isinstance(duplicate, Unmatched)
    # the driver's deadline passed: it takes the request out; the reply that comes later finds nothing
    taken = state.pop(expired)
    assert taken is not None and taken.waiter == "b"
    assert state.pop(expired) is None
    assert isinstance(state.receive(_reply(expired, {"value": 2})), Unmatched)
    assert isinstance(state.receive(_error(expired, 40101)), Unmatched)


def test_an_error_without_id_is_an_orphan_error() -> None:
    state = _connected()
    _invoke(state, "w")
    got = state.receive(_error(None, -32600, "Invalid request"))
    assert isinstance(got, Unmatched)
    assert got.orphan_error is not None and got.orphan_error.code == -32600
    assert state.pending_count == 1


def test_a_server_request_is_unmatched() -> None:
    got = _connected().receive('{"jsonrpc":"2.0","id":1,"method":"hello","params":{}}')
    assert isinstance(got, Unmatched)
    assert isinstance(got.message, protocol.ServerRequest)


def test_malformed_frames_are_counted_and_reported_on_powers_of_two() -> None:
    state = _connected()
    request_id = _invoke(state, "w")
    reports = []
    for _ in range(9):
        got = state.receive("not json")
        assert isinstance(got, Malformed)
        reports.append((got.count, got.report))
    assert reports == [(n, n in (1, 2, 4, 8)) for n in range(1, 10)]
    assert isinstance(state.receive('{"id":1}'), Malformed)  # neither request, result nor error
    assert state.bad_frames == 10
    assert [p.request.id for p in state.pending()] == [request_id]


def test_a_request_the_wire_cannot_carry_is_not_registered() -> None:
    state = _connected()
    with pytest.raises(errors.KmsProtocolError):
        state.send(lambda rid, sid: protocol.invoke_request(rid, sid, "p", "op", {"x": float("nan")}), "w")
    assert state.pending_count == 0
    assert _invoke(state, "next") == 4  # the id was used; the counter goes on


def test_take_all_and_take_handshake() -> None:
    state: SessionState[str] = SessionState()
    state.send(lambda r, _s: protocol.connect_request(r), "connect", resend=False)
    _invoke(state, "call")
    assert [p.waiter for p in state.take_handshake()] == ["connect"]
    assert [p.waiter for p in state.pending()] == ["call"]
    assert [p.waiter for p in state.take_all()] == ["call"]
    assert state.take_all() == []


def test_only_the_first_ping_tells_the_interval() -> None:
    state: SessionState[str] = SessionState()
    assert state.next_ping_interval_ms(5.0) == 5000
    assert state.next_ping_interval_ms(5.0) is None
    assert SessionState[str]().next_ping_interval_ms(None) is None


# --- bounds ------------------------------------------------------------------------------------------------


def test_pending_requests_are_bounded() -> None:
    assert SessionState[str]().max_pending == DEFAULT_MAX_PENDING == 10_000
    state = _connected()
    state.max_pending = 3
    ids = [_invoke(state, f"w{i}") for i in range(3)]
    with pytest.raises(errors.KmsTooManyRequestsError):
        _invoke(state, "one too many")
    assert state.pending_count == 3
    _answered(state.receive(_reply(ids[0], None)))
    assert _invoke(state, "fits again") == ids[-1] + 1  # the refused request used no id
    with pytest.raises(ValueError):
        SessionState[str](max_pending=0)


# --- events ------------------------------------------------------------------------------------------------


def _recorder(seen: list[tuple[str, EventNotification]], name: str) -> Any:
    return lambda event: seen.append((name, event))


def test_events_are_routed_by_object_and_canonical_name() -> None:
    state = _connected()
    seen: list[tuple[str, EventNotification]] = []
    a, b, c = _recorder(seen, "a"), _recorder(seen, "b"), _recorder(seen, "c")
    state.add_route("ep1", "IceCandidateFound", a)
    state.add_route("ep1", "IceCandidateFound", b)
    state.add_route("ep2", "IceCandidateFound", c)
    state.add_route("ep1", "MediaStateChanged", c)
    routed = state.receive(_event("ep1", "OnIceCandidate"))  # the 6.x name of IceCandidateFound
    assert isinstance(routed, EventRouted)
    assert routed.event.object_id == "ep1" and routed.event.type == "OnIceCandidate"
    assert routed.callbacks == (a, b)
    other = state.receive(_event("ep2", "IceCandidateFound"))
    assert isinstance(other, EventRouted) and other.callbacks == (c,)
    nobody = state.receive(_event("ep3", "IceCandidateFound"))
    assert isinstance(nobody, EventRouted) and nobody.callbacks == ()
    assert seen == []  # the state calls nothing: the driver runs the callbacks


def test_routes_are_removed_dropped_with_their_children_and_lost_with_the_session() -> None:
    state = _connected()
    keep, gone = _recorder([], "keep"), _recorder([], "gone")
    state.add_route("pipe/ep", "E", keep)
    state.add_route("pipe/ep", "E", gone)
    state.remove_route("pipe/ep", "E", gone)
    state.remove_route("pipe/ep", "E", gone)  # twice: nothing more happens
    state.remove_route("nothing", "E", gone)
    assert state.routes() == {("pipe/ep", "E"): 1}
    state.add_route("pipe", "F", keep)
    state.add_route("pipeline2", "F", keep)
    state.drop_routes("pipe")
    assert state.routes() == {("pipeline2", "F"): 1}  # "pipeline2" is not a child of "pipe"
    state.remove_route("pipeline2", "F", keep)
    assert state.routes() == {}
    state.add_route("x", "E", keep)
    _invoke(state, "w")
    lost = state.session_lost()
    assert [p.waiter for p in lost] == ["w"]
    assert state.routes() == {} and state.pending_count == 0


# --- handshake and resume ----------------------------------------------------------------------------------


def _connect_reply(session: object, server: object = SERVER) -> protocol.Response:
    return protocol.Response(1, {"sessionId": session, "serverId": server})


def test_first_handshake_is_new_and_needs_info() -> None:
    state: SessionState[str] = SessionState()
    outcome = state.accept_connect(_connect_reply("s-1"), None)
    assert outcome is ResumeOutcome.NEW
    assert (state.session_id, state.server_id) == ("s-1", SERVER)
    assert state.needs_info(outcome)
    info = state.accept_info(protocol.Response(2, {"value": INFO}))
    assert isinstance(info, ServerInfo) and info.major == 7
    assert state.server_info is info


def test_resume_of_the_same_session_on_the_same_server_is_same() -> None:
    state = _connected()
    outcome = state.accept_connect(_connect_reply("s-1"), "s-1")
    assert outcome is ResumeOutcome.SAME
    assert not state.needs_info(outcome)


@pytest.mark.parametrize(
    ("reply", "requested"),
    [
        (_connect_reply("s-2"), "s-1"),  # the server answered with another session
        (_connect_reply("s-1", "server-2"), "s-1"),  # same session id from another process
        (_connect_reply("s-2", "server-2"), None),  # resume refused (40007), then a fresh session
    ],
    ids=["other-session", "other-server", "fresh-after-refusal"],
)
def test_a_session_that_did_not_survive_is_empty(reply: protocol.Response, requested: str | None) -> None:
    state = _connected()
    outcome = state.accept_connect(reply, requested)
    assert outcome is ResumeOutcome.EMPTY
    assert state.needs_info(outcome)
    assert state.session_id == reply.result["sessionId"]
    assert state.server_id == reply.result["serverId"]


@pytest.mark.parametrize("result", [{"serverId": SERVER}, {"sessionId": 5}, None])
def test_a_connect_reply_without_session_is_refused(result: Any) -> None:
    state = _connected()
    with pytest.raises(errors.KmsProtocolError):
        state.accept_connect(protocol.Response(1, result), "s-1")
    assert state.session_id == "s-1"  # unchanged


def test_a_get_info_reply_that_is_not_server_info_is_refused() -> None:
    state: SessionState[str] = SessionState()
    with pytest.raises(errors.KmsProtocolError):
        state.accept_info(protocol.Response(2, {"value": "7.3.0"}))
    assert state.server_info is None


def test_after_same_resume_requests_are_resent_with_their_ids() -> None:
    state = _connected()
    first, second = _invoke(state, "a"), _invoke(state, "b")
    state.send(lambda r, _s: protocol.connect_request(r, "s-1"), "handshake", resend=False)
    texts = [json.loads(text) for text in state.resend_texts()]
    assert [t["id"] for t in texts] == [first, second]  # not the handshake's
    assert all(t["params"]["sessionId"] == "s-1" for t in texts)
    assert state.pending_count == 3  # still waiting for their replies
    assert _answered(state.receive(_reply(first, None))).pending.waiter == "a"


def test_ids_never_restart_across_sessions() -> None:
    state = _connected()
    before = _invoke(state, "a")
    state.session_lost()
    state.accept_connect(_connect_reply("s-2", "server-2"), None)
    assert _invoke(state, "b") == before + 1


# --- lifecycle decisions (kms_client.lifecycle) ------------------------------------------------------------


def test_reconnect_policy_reports_unreachable_after_the_window() -> None:
    policy = ReconnectPolicy(window=3.0, interval=0.5, retry_interval=2.0)
    assert policy.after_failure(ConnectionState.RECONNECTING, 1.0) == (ConnectionState.RECONNECTING, 0.5)
    assert policy.after_failure(ConnectionState.RECONNECTING, 3.0) == (ConnectionState.UNREACHABLE, 2.0)
    assert policy.after_failure(ConnectionState.UNREACHABLE, 0.1) == (ConnectionState.UNREACHABLE, 2.0)


def test_resumed_notice_for_each_outcome() -> None:
    new = resumed_notice(ResumeOutcome.NEW, "ws://k", 10, "s", "srv", None)
    assert new == Connected("ws://k", 10, "s", "srv")
    same = resumed_notice(ResumeOutcome.SAME, "ws://k", 11, "s", "srv", "srv")
    assert same == ReconnectedSame("ws://k", 11, "s", "srv")
    restarted = resumed_notice(ResumeOutcome.EMPTY, "ws://k", 12, "s2", "srv2", "srv")
    assert restarted == ReconnectedEmpty("ws://k", 12, "s2", "srv2", "srv", True)
    forgotten = resumed_notice(ResumeOutcome.EMPTY, "ws://k", 13, "s2", "srv", "srv")
    assert forgotten == ReconnectedEmpty("ws://k", 13, "s2", "srv", "srv", False)
    assert {o.value for o in ResumeOutcome} == {"new", "same", "empty"}


def test_listeners_are_called_and_async_results_handed_back() -> None:
    seen: list[LifecycleEvent] = []

    def failing(_event: LifecycleEvent) -> None:
        raise RuntimeError("listener bug")

    async def later(event: LifecycleEvent) -> None:
        seen.append(event)

    listeners = Listeners()
    listeners.add(failing)
    listeners.add(seen.append)
    listeners.add(later)
    notice = Connected("ws://k", 1, "s", "srv")
    started = listeners.notify(notice)
    assert seen == [notice]  # the failing one was skipped, the sync one ran
    assert len(started) == 1  # the async one's coroutine, for the caller to run
    coroutine = started[0]
    with pytest.raises(StopIteration):
        coroutine.send(None)  # type: ignore[attr-defined]
    assert seen == [notice, notice]
    listeners.remove(later)
    listeners.remove(later)
    assert listeners.notify(notice) == []
