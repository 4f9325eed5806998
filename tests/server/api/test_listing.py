"""Session listings (server.api.listing): the cached, sliced listings give exactly the bytes of the serializers,
and every change to a session shows in the next listing."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import replace
from functools import partial

import pytest

from server.api import listing as listing_module
from server.api.listing import ChunkedResponse, Listing, listing_of, listing_response
from server.api232 import serialize as ser232
from server.api232.parse import session_properties
from server.core import serialize as ser211
from server.core.enums import EndReason, OpenViduRole, OutputMode, RecordingLayout, RecordingMode
from server.core.events import EventBus
from server.core.manager import ManagerConfig, SessionManager
from server.core.participants import MediaOptions, Participant
from server.core.sessions import Session, SessionProperties
from server.core.stamps import Stamped
from server.core.tokens import IpcamOptions, KurentoOptions


class HostedOn(Stamped):
    """A session's media as the core sees it (``SessionMedia``): its hosting server, stamped when it changes."""

    def __init__(self, server_id: str | None) -> None:
        self.server_id = server_id


def manager() -> SessionManager:
    return SessionManager(ManagerConfig("wss://ov.example.com:4443", "2.11.0", "x"), EventBus())


def varied(m: SessionManager) -> None:
    """Sessions of every shape: empty, with properties, participants, a publisher with each kind of media
    options, subscribers, recording, broadcasting, pending 2.32 connections, an IP camera."""
    m.create_session(SessionProperties())
    m.create_session(
        SessionProperties(
            recording_mode=RecordingMode.ALWAYS,
            default_output_mode=OutputMode.COMPOSED,
            default_recording_layout=RecordingLayout.CUSTOM,
            default_custom_layout="mine/layout",
            custom_session_id="custom-é",
        )
    )
    m.create_session(SessionProperties(default_output_mode=OutputMode.INDIVIDUAL))
    busy = m.create_session(SessionProperties(custom_session_id="busy"))
    t1 = m.new_token("busy", OpenViduRole.PUBLISHER, 'server "data"', None)
    t2 = m.new_token(
        "busy",
        OpenViduRole.MODERATOR,
        "",
        KurentoOptions(video_max_recv_bandwidth=500, allowed_filters=("F",)),
    )
    t3 = m.new_token("busy", OpenViduRole.SUBSCRIBER, "", None)
    _, alice = m.join("busy", t1.token, "Firefox 68.0 on Ubuntu 64-bit", "alice")
    _, bob = m.join("busy", t2.token, "Chrome 75.0 on Linux 64-bit", "bob\u2028")
    m.join("busy", t3.token, "Safari", "")
    camera = m.publish(
        alice, MediaOptions(True, True, True, False, "CAMERA", 30, '{"width":640,"height":480}')
    )
    screen = m.publish(
        bob, MediaOptions(False, False, True, True, "SCREEN", None, "", {"type": "GStreamerFilter"})
    )
    m.subscribe(bob, camera.stream_id)
    m.subscribe(alice, screen.stream_id)
    m.new_token("busy", OpenViduRole.PUBLISHER, "unused", None)
    busy.recording = True
    m.join("busy", "", "Chrome", "", secret="x", recorder=True)  # the hidden RECORDER
    s232 = m.create_session(
        session_properties({"forcedVideoCodec": "H264", "mediaNode": {"id": "kms_1"}}), ids_232=True
    )
    m.new_connection(s232.session_id, OpenViduRole.PUBLISHER, "pending", None, record=False)
    pending = m.new_connection(s232.session_id, OpenViduRole.SUBSCRIBER, "", None)
    _, carol = m.join(s232.session_id, pending.token, "Edge", "carol")
    m.publish(carol, MediaOptions(True, False, False, False, None))
    s232.broadcasting = True
    s232.media = HostedOn("KMS-1")
    cams = m.create_session(SessionProperties(), ids_232=True)
    _, cam = m.join_ipcam(cams.session_id, "ipc_X", IpcamOptions("rtsp://cam"), "cam", True, "10.0.0.1")
    m.publish(cam, MediaOptions(True, True, True, True, "IPCAM"))
    cams.media = HostedOn(None)


def expected_211(m: SessionManager, with_stats: bool = False) -> bytes:
    return ser211.dumps(ser211.sessions_json(m.sessions(), with_stats))


def expected_232(m: SessionManager, pending: bool, with_stats: bool = False) -> bytes:
    content = [ser232.session_json(s, pending, with_stats) for s in m.sessions() if not s.closing]
    return ser211.dumps({"numberOfElements": len(content), "content": content})


def body(listing: Listing, sessions: Callable[[], list[Session]]) -> bytes:
    return b"".join(asyncio.run(listing.chunks(sessions)))


def open_sessions(m: SessionManager) -> Callable[[], list[Session]]:
    return lambda: [s for s in m.sessions() if not s.closing]


def listings(m: SessionManager) -> list[tuple[Listing, Callable[[], list[Session]], Callable[[], bytes]]]:
    """(listing, its session source, the uncached serializer's bytes) for each cached flavour."""
    return [
        (Listing(ser211.session_bytes), m.sessions, lambda: expected_211(m)),
        (
            Listing(partial(ser232.session_bytes, pending=False)),
            open_sessions(m),
            lambda: expected_232(m, False),
        ),
        (
            Listing(partial(ser232.session_bytes, pending=True)),
            open_sessions(m),
            lambda: expected_232(m, True),
        ),
    ]


def test_listings_equal_the_serializers_on_varied_sessions() -> None:
    m = manager()
    varied(m)
    for listing, sessions, expected in listings(m):
        first = body(listing, sessions)
        assert first == expected()
        assert body(listing, sessions) == first  # the kept body
    stats = Listing(partial(ser211.session_bytes, with_stats=True), cached=False)
    assert body(stats, m.sessions) == expected_211(m, with_stats=True)
    empty = manager()
    assert body(Listing(ser211.session_bytes), empty.sessions) == b'{"numberOfElements":0,"content":[]}'


def _mutations(m: SessionManager) -> list[tuple[str, Callable[[], object]]]:
    busy = m.get_session("busy")
    assert busy is not None
    s232 = next(s for s in m.sessions() if s.session_id.startswith("ses_") and s.tokens)
    alice = next(p for p in busy.participants.values() if p.client_data == "alice")
    bob = next(p for p in busy.participants.values() if p.client_data == "bob\u2028")
    assert alice.publisher is not None and bob.publisher is not None
    options = alice.publisher.media_options
    pending = next(iter(s232.tokens.values()))
    cams = next(s for s in m.sessions() if "ipc_X" in s.participants)

    def join() -> object:
        token = m.new_token("busy", OpenViduRole.PUBLISHER, "late", None)
        return m.join("busy", token.token, "Opera", "dave")

    def dave() -> Participant:
        return next(p for p in busy.participants.values() if p.client_data == "dave")

    def leave() -> object:
        return asyncio.run(m.leave("busy", dave().connection_id, EndReason.DISCONNECT))

    def close() -> object:
        return asyncio.run(m.close_session(s232.session_id, EndReason.SESSION_CLOSED_BY_SERVER))

    return [
        ("new session", lambda: m.create_session(SessionProperties())),
        ("join", join),
        ("publish", lambda: m.publish(dave(), MediaOptions(True, True, False, False))),
        ("subscribe", lambda: m.subscribe(alice, bob.publisher.stream_id if bob.publisher else "")),
        ("audio muted", lambda: setattr(options, "audio_active", False)),
        ("video dimensions", lambda: setattr(options, "video_dimensions", '{"width":320,"height":240}')),
        ("filter applied", lambda: setattr(options, "filter", {"type": "FaceOverlayFilter"})),
        (
            "unsubscribe",
            lambda: m.unsubscribe(
                alice, bob.publisher.stream_id if bob.publisher else "", EndReason.UNSUBSCRIBE
            ),
        ),
        ("unpublish", lambda: m.unpublish(alice, EndReason.UNPUBLISH)),
        ("leave", leave),
        ("recording stopped", lambda: setattr(busy, "recording", False)),
        ("broadcasting stopped", lambda: setattr(s232, "broadcasting", False)),
        ("media node", lambda: setattr(cams.media, "server_id", "KMS-2")),
        ("location", lambda: setattr(bob, "location", "Madrid, Spain")),
        (
            "2.32 pending connection",
            lambda: m.new_connection(s232.session_id, OpenViduRole.PUBLISHER, "x", None),
        ),
        (
            "2.32 role changed",
            lambda: m.update_connection(s232.session_id, pending.connection_id, OpenViduRole.MODERATOR, True),
        ),
        (
            "2.32 active role",
            lambda: m.update_connection("busy", bob.connection_id, OpenViduRole.PUBLISHER, None),
        ),
        ("2.32 token replaced", lambda: setattr(bob, "token", replace(bob.token, data="new server data"))),
        ("2.32 pending discarded", lambda: m.discard_pending(s232.session_id, pending.connection_id)),
        ("session closed", close),
    ]


def test_every_change_shows_in_the_next_listing() -> None:
    m = manager()
    varied(m)
    flavours = listings(m)
    for listing, sessions, _ in flavours:
        body(listing, sessions)
    for name, change in _mutations(m):
        before = [expected() for _, _, expected in flavours]
        change()
        changed = False
        for (listing, sessions, expected), old in zip(flavours, before, strict=True):
            now = expected()
            assert body(listing, sessions) == now, name
            changed = changed or now != old
        assert changed, f"{name} changed no listing: the test would not see a stale cache"


def test_other_managers_and_unchanged_sessions_are_not_mixed_up() -> None:
    one, two = manager(), manager()
    varied(one)
    two.create_session(SessionProperties(custom_session_id="only"))
    a = listing_of(one, "api", ser211.session_bytes)
    b = listing_of(two, "api", ser211.session_bytes)
    assert a is listing_of(one, "api", ser211.session_bytes) and a is not b
    assert body(a, one.sessions) == expected_211(one)
    assert body(b, two.sessions) == expected_211(two)
    assert json.loads(body(b, two.sessions))["content"][0]["sessionId"] == "only"


def test_big_listings_come_in_chunks_and_yield_to_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listing_module, "CHUNK_BYTES", 2000)
    monkeypatch.setattr(listing_module, "SINGLE_BYTES", 4000)
    monkeypatch.setattr(listing_module, "SLICE_SECONDS", 0.0)
    m = manager()
    varied(m)
    for _ in range(300):
        m.create_session(SessionProperties())
    listing = Listing(ser211.session_bytes)

    async def run() -> tuple[list[bytes], int]:
        turns = 0
        done = asyncio.Event()

        async def other() -> None:
            nonlocal turns
            while not done.is_set():
                turns += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(other())
        await asyncio.sleep(0)
        chunks = await listing.chunks(m.sessions)
        done.set()
        await task
        return chunks, turns

    chunks, turns = asyncio.run(run())
    assert len(chunks) > 10 and max(len(c) for c in chunks[:-1]) < 2000 + 1000
    assert b"".join(chunks) == expected_211(m)
    assert turns >= len(m.sessions()) // listing_module.CHECK_EVERY  # another task ran between the slices
    response = listing_response(chunks)
    assert isinstance(response, ChunkedResponse)
    assert response.headers["content-length"] == str(len(expected_211(m)))
    assert response.headers["content-type"] == "application/json"

    async def send_all() -> list[dict[str, object]]:
        sent: list[dict[str, object]] = []

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        async def receive() -> dict[str, object]:
            return {"type": "http.disconnect"}

        await response({"type": "http"}, receive, send)  # type: ignore[arg-type]
        return sent

    sent = asyncio.run(send_all())
    assert sent[0]["type"] == "http.response.start"
    assert b"".join(m["body"] for m in sent[1:]) == expected_211(m)  # type: ignore[misc]
    assert [m.get("more_body") for m in sent[1:]] == [True] * (len(chunks) - 1) + [False]


def test_a_chunked_body_is_sent_one_chunk_per_loop_step() -> None:
    """The send of a chunk returns without yielding while the socket takes the bytes; a 10 MB listing then held
    the loop for its whole write (another request waited 13-27 ms behind two of them at 20,000 sessions)."""
    chunks = [b'{"numberOfElements":0,"content":[', *([b"x" * 10] * 8), b"]}"]
    response = ChunkedResponse(chunks)

    async def run() -> list[str]:
        order: list[str] = []
        done = False

        async def other() -> None:
            while not done:
                order.append("other")
                await asyncio.sleep(0)

        async def send(message: dict[str, object]) -> None:  # a socket that takes everything at once
            if message["type"] == "http.response.body":
                order.append("chunk")

        async def receive() -> dict[str, object]:
            return {"type": "http.disconnect"}

        task = asyncio.create_task(other())
        await asyncio.sleep(0)
        await response({"type": "http"}, receive, send)  # type: ignore[arg-type]
        done = True
        await task
        return order

    order = asyncio.run(run())
    sent = [i for i, what in enumerate(order) if what == "chunk"]
    assert len(sent) == len(chunks)
    assert all("other" in order[a:b] for a, b in itertools.pairwise(sent))


def test_entries_of_gone_sessions_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listing_module, "PRUNE_SLACK", 0)
    m = manager()
    made = [m.create_session(SessionProperties()) for _ in range(20)]
    listing = Listing(ser211.session_bytes)
    body(listing, m.sessions)
    for session in made[:15]:
        asyncio.run(m.close_session(session.session_id, EndReason.SESSION_CLOSED_BY_SERVER))
    assert body(listing, m.sessions) == expected_211(m)
    assert len(listing._entries) == 5
