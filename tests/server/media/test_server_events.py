"""Media-server resets and losses applied to the sessions they host (``MediaServerEvents``), with a fake media
session, fake peers and fake recording hooks: no media server, no sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from kms_client.lifecycle import Disconnected, ReconnectedEmpty, Unreachable
from server.core.enums import EndReason, OpenViduRole
from server.core.manager import SessionManager
from server.core.participants import MediaOptions
from server.core.sessions import Session, SessionProperties
from server.media.hosting import SessionMedias
from server.media.server_events import MediaServerEvents
from tests.server.media.fakes import FakeMediaFactory, Log, media_side

LOST = EndReason.MEDIA_SERVER_DISCONNECT


@dataclass
class Env:
    manager: SessionManager
    medias: SessionMedias
    factory: FakeMediaFactory
    events: MediaServerEvents
    log: Log


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with media_side() as side:
        events = MediaServerEvents(side.manager, side.medias, side.peers, side.recording)
        yield Env(side.manager, side.medias, side.factory, events, side.log)


async def room(env: Env, session_id: str, host: str) -> tuple[Session, str, str]:
    """A session on ``host`` with a publisher and a subscriber to it."""
    manager = env.manager
    manager.create_session(SessionProperties(custom_session_id=session_id))
    ids = []
    for _ in range(2):
        token = manager.new_token(session_id, OpenViduRole.PUBLISHER, "", None)
        session, participant = manager.join(session_id, token.token, "Chrome", "")
        ids.append(participant.connection_id)
    env.factory.host = host
    await env.medias.ensure(session).start()
    publisher = manager.publish(session.participants[ids[0]], MediaOptions(True, True, True, True))
    manager.subscribe(session.participants[ids[1]], publisher.stream_id)
    return session, ids[0], ids[1]


async def test_a_reset_server_rebuilds_its_sessions_media_in_place(env: Env) -> None:
    session, owner, viewer = await room(env, "room", "kms_a")
    other, _, _ = await room(env, "elsewhere", "kms_b")
    old = env.medias.of(session)
    env.factory.host = "kms_c"  # the fresh pipeline lands where the picker says
    env.log.clear()
    await env.events.media_server_reset("kms_a")
    assert env.log == [
        ("recording.media_lost", "room"),
        ("media.close", "room", "kms_a", False),
        ("unpublished", owner, LOST, True),
        ("media.start", "room", "kms_c"),
    ]
    fresh = env.medias.of(session)
    assert fresh is not None and fresh is not old and session.media_server_id == "kms_c"
    assert session.participants[owner].publisher is None and session.participants[viewer].subscribers == {}
    assert set(session.participants) == {owner, viewer}  # participants stay connected
    other_media = env.medias.of(other)
    assert other_media is not None and not other_media.closed and other.media_server_id == "kms_b"
    assert all(p.publisher is not None or p.subscribers for p in other.participants.values())


async def test_a_session_that_cannot_get_a_new_pipeline_is_closed(env: Env) -> None:
    _, owner, viewer = await room(env, "room", "kms_a")
    env.factory.fail_start = True
    env.log.clear()
    await env.events.media_server_reset("kms_a")
    assert env.manager.get_session("room") is None
    assert ("evicted", owner, LOST) in env.log and ("evicted", viewer, LOST) in env.log
    assert ("recording.closing", "room", LOST) in env.log


async def test_a_lost_server_closes_only_the_sessions_it_hosted(env: Env) -> None:
    await room(env, "room", "kms_a")
    other, _, _ = await room(env, "elsewhere", "kms_b")
    env.log.clear()
    await env.events.media_server_lost("kms_a")
    assert env.manager.get_session("room") is None
    assert env.manager.get_session("elsewhere") is other and other.media_server_id == "kms_b"
    assert env.log[:2] == [("recording.media_lost", "room"), ("media.close", "room", "kms_a", False)]
    assert ("recording.closing", "room", LOST) in env.log
    assert all(entry[1] != "elsewhere" for entry in env.log if len(entry) > 1)


def notice(kind: type[Any], **fields: Any) -> Any:
    return kind(uri="ws://kms", at=0, **fields)


async def test_pool_notices_choose_reset_or_loss(env: Env) -> None:
    await room(env, "reset", "kms_a")
    await room(env, "lost", "kms_b")
    await room(env, "kept", "kms_c")
    env.factory.host = "kms_a"
    server_a: Any = SimpleNamespace(id="kms_a")
    server_b: Any = SimpleNamespace(id="kms_b")
    server_c: Any = SimpleNamespace(id="kms_c")
    await env.events.on_pool_notice(
        server_a,
        notice(ReconnectedEmpty, session_id="x", server_id="y", previous_server_id=None, restarted=True),
    )
    await env.events.on_pool_notice(server_b, notice(Unreachable, disconnected_at=0))
    await env.events.on_pool_notice(server_c, notice(Disconnected, reason="closed"))
    assert env.manager.get_session("reset") is not None
    assert env.manager.get_session("lost") is None
    kept = env.manager.get_session("kept")
    assert kept is not None and kept.media_server_id == "kms_c"
