"""The media side of the core's lifecycle, alone: ``SessionMedias`` and ``MediaBackend`` with a fake media
session, fake peers and fake recording hooks (no media server, no sockets)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from server.core.enums import EndReason, OpenViduRole
from server.core.manager import LateBackend, NoBackend, SessionManager
from server.core.participants import MediaOptions
from server.core.sessions import Session, SessionProperties
from server.media.hosting import MediaBackend
from tests.server.media.fakes import MediaSide, media_side


@dataclass(frozen=True, slots=True)
class HostedOn:
    """Some other ``SessionMedia`` (what the core sees): not this media side's."""

    server_id: str | None


Env = MediaSide


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with media_side() as side:
        yield side


def joined(manager: SessionManager, session_id: str = "room") -> tuple[Session, str]:
    if manager.get_session(session_id) is None:
        manager.create_session(SessionProperties(custom_session_id=session_id))
    token = manager.new_token(session_id, OpenViduRole.PUBLISHER, "", None)
    session, participant = manager.join(session_id, token.token, "Chrome", "")
    return session, participant.connection_id


def camera() -> MediaOptions:
    return MediaOptions(True, True, True, True)


async def test_a_session_gets_its_media_once_and_the_core_sees_its_server(env: Env) -> None:
    session, _ = joined(env.manager)
    assert env.medias.of(session) is None and session.media_server_id is None
    media = env.medias.ensure(session)
    assert env.medias.ensure(session) is media and session.media is media
    assert env.peers.listeners == ["room"]
    await media.start()
    assert session.media_server_id == "kms_a"


async def test_media_the_media_side_did_not_make_is_not_narrowed(env: Env) -> None:
    session, _ = joined(env.manager)
    session.media = HostedOn("kms_x")
    assert env.medias.of(session) is None
    assert session.media_server_id == "kms_x"


async def test_eviction_releases_media_then_tells_the_peers(env: Env) -> None:
    session, cid = joined(env.manager)
    await env.medias.ensure(session).start()
    env.manager.publish(session.participants[cid], camera())
    env.log.clear()
    await env.manager.evict_connection("room", cid, EndReason.FORCE_DISCONNECT_BY_SERVER)
    assert env.log[:3] == [
        ("recording.unpublishing", cid),
        ("media.remove_participant", cid),
        ("evicted", cid, EndReason.FORCE_DISCONNECT_BY_SERVER),
    ]


async def test_rest_unpublish_releases_the_stream_and_tells_everyone(env: Env) -> None:
    session, cid = joined(env.manager)
    joined(env.manager)
    await env.medias.ensure(session).start()
    publisher = env.manager.publish(session.participants[cid], camera())
    env.log.clear()
    await env.manager.unpublish_stream("room", publisher.stream_id, EndReason.FORCE_UNPUBLISH_BY_SERVER)
    assert env.log == [
        ("recording.unpublishing", cid),
        ("media.unpublish", cid),
        ("unpublished", cid, EndReason.FORCE_UNPUBLISH_BY_SERVER, True),
    ]
    assert session.participants[cid].publisher is None


async def test_closing_a_session_tells_recording_and_drops_its_pipeline(env: Env) -> None:
    session, cid = joined(env.manager)
    await env.medias.ensure(session).start()
    env.log.clear()
    await env.manager.close_session("room", EndReason.SESSION_CLOSED_BY_SERVER)
    assert env.log == [
        ("media.remove_participant", cid),
        ("evicted", cid, EndReason.SESSION_CLOSED_BY_SERVER),
        ("recording.closing", "room", EndReason.SESSION_CLOSED_BY_SERVER),
        (
            "media.close",
            "room",
            "kms_a",
            False,
        ),  # no live media-server connection: nothing to release remotely
    ]
    assert session.media is None and env.manager.get_session("room") is None


async def test_a_session_without_media_closes_without_media_calls(env: Env) -> None:
    _, cid = joined(env.manager)
    await env.manager.close_session("room", EndReason.SESSION_CLOSED_BY_SERVER)
    assert env.log == [
        ("evicted", cid, EndReason.SESSION_CLOSED_BY_SERVER),
        ("recording.closing", "room", EndReason.SESSION_CLOSED_BY_SERVER),
    ]
    assert env.factory.made == []


async def test_the_late_backend_forwards_once_bound_and_binds_once(env: Env) -> None:
    link = LateBackend()
    session, cid = joined(env.manager)
    participant = session.participants[cid]
    await link.evict_participant(session, participant, EndReason.DISCONNECT)  # unbound: nothing happens
    assert env.log == []
    link.bind(MediaBackend(env.medias, env.peers))
    await link.evict_participant(session, participant, EndReason.DISCONNECT)
    assert env.log == [("evicted", cid, EndReason.DISCONNECT)]
    with pytest.raises(RuntimeError):
        link.bind(NoBackend())
