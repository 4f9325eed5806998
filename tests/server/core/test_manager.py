"""SessionManager lifecycle (spec §10) with a recording backend fake and the event bus."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.core.enums import EndReason, OpenViduRole, RecordingMode
from server.core.events import (
    Event,
    EventBus,
    ParticipantJoined,
    ParticipantLeft,
    SessionCreated,
    SessionDestroyed,
    WebrtcConnectionCreated,
    WebrtcConnectionDestroyed,
)
from server.core.manager import (
    JoinError,
    ManagerConfig,
    Outcome,
    SessionConflict,
    SessionManager,
    SessionNotFound,
)
from server.core.participants import MediaOptions, Participant
from server.core.sessions import Session, SessionProperties

SECRET = "s3cret"
WS_URL = "wss://localhost:4443"
BUS_STOP_TIMEOUT = 5.0


class RecordingBackend:
    """Records which side effects the manager asked for, and sees the state at call time."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    async def evict_participant(self, session: Session, participant: Participant, reason: EndReason) -> None:
        assert participant.connection_id in session.participants
        self.calls.append(("evict", participant.connection_id, reason.value))

    async def unpublish_stream(self, session: Session, participant: Participant, reason: EndReason) -> None:
        assert participant.publisher is not None
        self.calls.append(("unpublish", participant.publisher.stream_id, reason.value))

    async def close_session(self, session: Session, reason: EndReason) -> None:
        self.calls.append(("close", session.session_id, reason.value))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        self.now += 1000
        return self.now


@pytest.fixture
async def env() -> AsyncIterator[tuple[SessionManager, list[Event], RecordingBackend]]:
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    await bus.start()
    backend = RecordingBackend()
    manager = SessionManager(ManagerConfig(WS_URL, "2.11.0", SECRET), bus, Clock(), backend)
    yield manager, events, backend
    await bus.stop(BUS_STOP_TIMEOUT)


def camera() -> MediaOptions:
    return MediaOptions(True, True, True, True, "CAMERA", 30, '{"width":640,"height":480}')


async def test_create_conflict_and_token(env: tuple[SessionManager, list[Event], RecordingBackend]) -> None:
    manager, _events, _ = env
    session = manager.create_session(SessionProperties(custom_session_id="room"))
    with pytest.raises(SessionConflict):
        manager.create_session(SessionProperties(custom_session_id="room"))
    token = manager.new_token("room", OpenViduRole.MODERATOR, "d", None)
    assert token.token.startswith(f"{WS_URL}?sessionId=room&token=")
    assert token.token.endswith("&role=MODERATOR&version=2.11.0")
    assert session.tokens[token.token] is token
    with pytest.raises(SessionNotFound):
        manager.new_token("nope", OpenViduRole.PUBLISHER, "", None)


async def test_join_consumes_the_token_once(
    env: tuple[SessionManager, list[Event], RecordingBackend],
) -> None:
    manager, events, _ = env
    session = manager.create_session(SessionProperties())
    token = manager.new_token(session.session_id, OpenViduRole.PUBLISHER, "server-data", None)
    _, participant = manager.join(session.session_id, token.token, "Chrome", "client-data")
    assert participant.full_metadata == "client-data%/%server-data"
    assert session.active and token.token not in session.tokens
    with pytest.raises(JoinError) as info:
        manager.join(session.session_id, token.token, "Chrome", "")
    assert info.value.code == 401
    with pytest.raises(JoinError):
        manager.join("unknown", token.token, "Chrome", "")
    await manager.bus.drain()
    assert [type(e) for e in events] == [SessionCreated, ParticipantJoined]
    assert events[0].timestamp == session.created_at


async def test_publish_subscribe_and_rest_unpublish(
    env: tuple[SessionManager, list[Event], RecordingBackend],
) -> None:
    manager, events, backend = env
    session = manager.create_session(SessionProperties())
    _, pub = manager.join(
        session.session_id,
        manager.new_token(session.session_id, OpenViduRole.PUBLISHER, "", None).token,
        "A",
        "",
    )
    _, sub = manager.join(
        session.session_id,
        manager.new_token(session.session_id, OpenViduRole.SUBSCRIBER, "", None).token,
        "B",
        "",
    )
    publisher = manager.publish(pub, camera())
    assert publisher.stream_id.startswith(pub.connection_id + "_CAMERA_")
    manager.subscribe(sub, publisher.stream_id)
    with pytest.raises(KeyError):
        manager.subscribe(sub, "nobody_CAMERA_XXXXX")
    assert (
        await manager.unpublish_stream(
            session.session_id, "nobody_CAMERA_XXXXX", EndReason.FORCE_UNPUBLISH_BY_SERVER
        )
        is Outcome.NOT_FOUND
    )
    assert (
        await manager.unpublish_stream("nope", publisher.stream_id, EndReason.FORCE_UNPUBLISH_BY_SERVER)
        is Outcome.NO_SESSION
    )
    outcome = await manager.unpublish_stream(
        session.session_id, publisher.stream_id, EndReason.FORCE_UNPUBLISH_BY_SERVER
    )
    assert outcome is Outcome.DONE
    assert backend.calls == [("unpublish", publisher.stream_id, "forceUnpublishByServer")]
    assert pub.publisher is None and sub.subscribers == {}
    await manager.bus.drain()
    webrtc = [e for e in events if isinstance(e, WebrtcConnectionCreated | WebrtcConnectionDestroyed)]
    assert [(type(e).__name__, e.connection) for e in webrtc] == [
        ("WebrtcConnectionCreated", "OUTBOUND"),
        ("WebrtcConnectionCreated", "INBOUND"),
        ("WebrtcConnectionDestroyed", "INBOUND"),
        ("WebrtcConnectionDestroyed", "OUTBOUND"),
    ]


async def test_last_participant_leaving_closes_and_forgets(
    env: tuple[SessionManager, list[Event], RecordingBackend],
) -> None:
    manager, events, backend = env
    session = manager.create_session(SessionProperties())
    spare = manager.new_token(session.session_id, OpenViduRole.PUBLISHER, "", None)
    _, p = manager.join(
        session.session_id,
        manager.new_token(session.session_id, OpenViduRole.PUBLISHER, "", None).token,
        "A",
        "",
    )
    manager.publish(p, camera())
    assert (
        await manager.evict_connection(session.session_id, "nobody", EndReason.FORCE_DISCONNECT_BY_SERVER)
        is Outcome.NOT_FOUND
    )
    outcome = await manager.evict_connection(
        session.session_id, p.connection_id, EndReason.FORCE_DISCONNECT_BY_SERVER
    )
    assert outcome is Outcome.DONE
    assert manager.get_session(session.session_id) is None
    assert backend.calls == [
        ("evict", p.connection_id, "forceDisconnectByServer"),
        ("close", session.session_id, "lastParticipantLeft"),
    ]
    with pytest.raises(SessionNotFound):
        manager.new_token(session.session_id, OpenViduRole.PUBLISHER, "", None)
    with pytest.raises(JoinError):
        manager.join(session.session_id, spare.token, "A", "")
    await manager.bus.drain()
    assert (
        isinstance(events[-2], ParticipantLeft) and events[-2].reason is EndReason.FORCE_DISCONNECT_BY_SERVER
    )
    destroyed = events[-1]
    assert isinstance(destroyed, SessionDestroyed) and destroyed.reason is EndReason.LAST_PARTICIPANT_LEFT
    assert destroyed.start_time == session.created_at


async def test_recording_session_survives_its_last_participant(
    env: tuple[SessionManager, list[Event], RecordingBackend],
) -> None:
    manager, _events, _ = env
    session = manager.create_session(SessionProperties())
    _, p = manager.join(
        session.session_id,
        manager.new_token(session.session_id, OpenViduRole.PUBLISHER, "", None).token,
        "A",
        "",
    )
    session.recording = True
    await manager.leave(session.session_id, p.connection_id, EndReason.DISCONNECT)
    assert manager.get_session(session.session_id) is session


async def test_close_session_evicts_everyone(
    env: tuple[SessionManager, list[Event], RecordingBackend],
) -> None:
    manager, events, backend = env
    never_joined = manager.create_session(SessionProperties())
    assert await manager.close_session(never_joined.session_id, EndReason.SESSION_CLOSED_BY_SERVER)
    assert backend.calls == [("close", never_joined.session_id, "sessionClosedByServer")]
    backend.calls.clear()
    session = manager.create_session(SessionProperties())
    joined = [
        manager.join(
            session.session_id,
            manager.new_token(session.session_id, OpenViduRole.PUBLISHER, "", None).token,
            n,
            "",
        )[1]
        for n in ("A", "B")
    ]
    assert await manager.close_session(session.session_id, EndReason.SESSION_CLOSED_BY_SERVER)
    assert not await manager.close_session(session.session_id, EndReason.SESSION_CLOSED_BY_SERVER)
    assert backend.calls == [
        ("evict", joined[0].connection_id, "sessionClosedByServer"),
        ("evict", joined[1].connection_id, "sessionClosedByServer"),
        ("close", session.session_id, "sessionClosedByServer"),
    ]
    await manager.bus.drain()
    destroyed = [e for e in events if isinstance(e, SessionDestroyed)]
    # A never-joined session disappears silently (no sessionDestroyed).
    assert [(e.session_id, e.reason) for e in destroyed] == [
        (session.session_id, EndReason.SESSION_CLOSED_BY_SERVER)
    ]


async def test_insecure_join_creates_an_always_session_and_a_hidden_recorder(
    env: tuple[SessionManager, list[Event], RecordingBackend],
) -> None:
    manager, events, _ = env
    session, participant = manager.join("adhoc", "", "Chrome", "", secret=SECRET)
    assert session.properties.recording_mode is RecordingMode.ALWAYS
    assert participant.role is OpenViduRole.PUBLISHER
    _, recorder = manager.join("adhoc", "", "Chrome", "", secret=SECRET, recorder=True)
    assert recorder.connection_id == "RECORDER" and recorder.recorder
    assert [p.connection_id for p in session.visible_participants()] == [participant.connection_id]
    with pytest.raises(JoinError):
        manager.join("other", "", "Chrome", "", secret="wrong")
    await manager.bus.drain()
    assert sum(isinstance(e, ParticipantJoined) for e in events) == 1


async def test_rest_eviction_finds_the_hidden_recorder(
    env: tuple[SessionManager, list[Event], RecordingBackend],
) -> None:
    """2.11 looks connections up with Session#getParticipantByPublicId, which includes RECORDER: 204, not 404."""
    manager, events, backend = env
    session, participant = manager.join("rec-evict", "", "Chrome", "", secret=SECRET)
    manager.join("rec-evict", "", "Chrome", "", secret=SECRET, recorder=True)
    outcome = await manager.evict_connection("rec-evict", "RECORDER", EndReason.FORCE_DISCONNECT_BY_SERVER)
    assert outcome is Outcome.DONE
    assert backend.calls == [("evict", "RECORDER", "forceDisconnectByServer")]
    assert list(session.participants) == [participant.connection_id]
    await manager.bus.drain()
    # The RECORDER never produces participant events.
    assert [type(e).__name__ for e in events].count("ParticipantLeft") == 0
    assert (
        await manager.evict_connection("rec-evict", "RECORDER", EndReason.FORCE_DISCONNECT_BY_SERVER)
        is Outcome.NOT_FOUND
    )


async def test_insecure_join_secret_is_compared_in_constant_time(
    env: tuple[SessionManager, list[Event], RecordingBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14 #8: the join secret goes through ``hmac.compare_digest``, never ``==`` (which returns at the
    first differing character); a secret with a lone surrogate is compared too, not a crash."""
    import hmac

    import server.core.manager as manager_module

    manager, _, _ = env
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def recording_compare(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(manager_module.hmac, "compare_digest", recording_compare)
    with pytest.raises(JoinError):
        manager.join("timing", "", "Chrome", "", secret="s3creX")
    with pytest.raises(JoinError):
        manager.join("timing", "", "Chrome", "", secret="\ud800")
    manager.join("timing", "", "Chrome", "", secret=SECRET)
    assert [a for a, _ in compared] == [b"s3creX", "\ud800".encode("utf-8", "surrogatepass"), SECRET.encode()]
