"""Unit tests of the signaling handlers, in process and without sockets.

The service runs with the real core (``SessionManager``, event bus) and a fake media session made by the
media side's ``factory``: no media server, made-up SDP answers, every media call recorded. Participants are
``RpcConnection`` objects over an in-memory transport that keeps what the server sends.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.core.enums import EndReason, OpenViduRole
from server.core.events import EventBus
from server.core.manager import LateBackend, ManagerConfig, SessionManager
from server.core.sessions import SessionProperties
from server.media.bandwidth import Bandwidth
from server.media.hosting import MediaBackend, NoRecording, SessionMedias
from server.media.picker import FirstConnectedPicker
from server.media.session import MediaError, MediaListener, MediaSession, MediaTimeouts
from server.rpc import protocol as p
from server.rpc.bindings import SignalingConfig
from server.rpc.connections import RpcConnection, RpcRegistry, RpcTimings
from server.rpc.peers import Peers
from server.rpc.service import SignalingService

SECRET = "s3cret"
BUS_STOP_TIMEOUT = 5.0
FAKE_SERVER_ID = "kms_fake"


class MemoryTransport:
    """A websocket that keeps every text sent and the close."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str | None] | None = None

    def try_send_text(self, data: str) -> bool:
        self.sent.append(json.loads(data))  # always writable, as the direct channel mostly is
        return True

    async def send_text(self, data: str) -> None:
        self.sent.append(json.loads(data))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = (code, reason)


class FakeMediaSession(MediaSession):
    """The media of one session without a media server: answers are made up, calls are recorded."""

    sessions: list[FakeMediaSession] = []

    def __init__(
        self,
        session_id: str,
        picker: Any,
        listener: MediaListener,
        timeouts: MediaTimeouts | None = None,
    ) -> None:
        super().__init__(session_id, picker, listener, timeouts)
        self.calls: list[tuple[str, ...]] = []
        self.publish_error: MediaError | None = None
        FakeMediaSession.sessions.append(self)

    @property
    def server_id(self) -> str | None:
        return FAKE_SERVER_ID if self.pipeline_id is not None else None

    async def start(self) -> None:
        self.pipeline_id = "pipeline"
        self.calls.append(("start",))

    async def publish(
        self,
        connection_id: str,
        stream_id: str,
        sdp_offer: str,
        *,
        bandwidth: Bandwidth,
        loopback: bool = False,
        filter_type: str | None = None,
        filter_options: dict[str, Any] | None = None,
    ) -> str:
        self.calls.append(("publish", connection_id, stream_id))
        if self.publish_error is not None:
            raise self.publish_error
        return f"answer-to-{sdp_offer}"

    async def subscribe(
        self, subscriber_id: str, publisher_id: str, sdp_offer: str, *, bandwidth: Bandwidth
    ) -> str:
        self.calls.append(("subscribe", subscriber_id, publisher_id))
        return f"answer-to-{sdp_offer}"

    async def unsubscribe(self, subscriber_id: str, publisher_id: str) -> bool:
        self.calls.append(("unsubscribe", subscriber_id, publisher_id))
        return True

    async def unpublish(self, connection_id: str) -> list[str]:
        self.calls.append(("unpublish", connection_id))
        return []

    async def remove_participant(self, connection_id: str) -> None:
        self.calls.append(("remove_participant", connection_id))

    async def close(self, *, remote: bool = True) -> None:
        self.calls.append(("close",))
        self.closed = True


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        self.now += 1000
        return self.now


class Peer:
    """One participant's JSON-RPC session over a memory transport."""

    def __init__(self, service: SignalingService) -> None:
        self.service = service
        self.transport = MemoryTransport()
        self.conn: RpcConnection = service.registry.new()
        self.conn.transport = self.transport
        self._next_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one request; the answer (result or error) sent back to it."""
        self._next_id += 1
        request_id = self._next_id
        await self.service.handle(self.conn, p.Request(method, params, request_id, True))
        answers = [m for m in self.transport.sent if m.get("id") == request_id]
        assert len(answers) == 1, self.transport.sent
        return answers[0]

    def notifications(self, method: str) -> list[dict[str, Any]]:
        return [m["params"] for m in self.transport.sent if m.get("method") == method]


@pytest.fixture
async def service() -> AsyncIterator[SignalingService]:
    bus = EventBus()
    await bus.start()
    backend = LateBackend()
    manager = SessionManager(ManagerConfig("wss://localhost:4443", "2.11.0", SECRET), bus, Clock(), backend)
    FakeMediaSession.sessions.clear()
    peers = Peers(manager, RpcRegistry(RpcTimings()))
    recording = NoRecording()
    medias = SessionMedias(FirstConnectedPicker(list), peers, recording, factory=FakeMediaSession)
    backend.bind(MediaBackend(medias, peers))
    signaling = SignalingService(manager, medias, peers, SignalingConfig(version="2.11.0"), recording)
    yield signaling
    await signaling.stop()
    await bus.stop(BUS_STOP_TIMEOUT)


async def join(
    service: SignalingService, session_id: str = "room", role: OpenViduRole = OpenViduRole.PUBLISHER
) -> tuple[Peer, dict[str, Any]]:
    manager = service.manager
    if manager.get_session(session_id) is None:
        manager.create_session(SessionProperties(custom_session_id=session_id))
    token = manager.new_token(session_id, role, "server-data", None)
    peer = Peer(service)
    answer = await peer.call(
        "joinRoom",
        session=session_id,
        token=token.token,
        secret="",
        platform="Chrome",
        metadata='{"client":"data"}',
        sdkVersion="2.11.0",
    )
    assert "result" in answer, answer
    return peer, answer["result"]


def media() -> FakeMediaSession:
    assert len(FakeMediaSession.sessions) == 1
    return FakeMediaSession.sessions[0]


async def publish(peer: Peer) -> dict[str, Any]:
    return await peer.call(
        "publishVideo",
        sdpOffer="offer-a",
        hasAudio=True,
        hasVideo=True,
        doLoopback=False,
        audioActive=True,
        videoActive=True,
        typeOfVideo="CAMERA",
        frameRate=30,
        videoDimensions='{"width":640,"height":480}',
    )


async def test_join_room_lists_the_peers_and_announces_the_newcomer(service: SignalingService) -> None:
    first, first_result = await join(service)
    second, second_result = await join(service)
    assert first_result["value"] == [] and first_result["session"] == "room"
    assert [peer["id"] for peer in second_result["value"]] == [first_result["id"]]
    assert second_result["value"][0]["metadata"] == '{"client":"data"}%/%server-data'
    assert first.notifications("participantJoined") == [
        {
            "id": second_result["id"],
            "createdAt": second_result["createdAt"],
            "metadata": '{"client":"data"}%/%server-data',
        }
    ]
    assert second.notifications("participantJoined") == []
    assert media().calls == [("start",), ("start",)]
    session = service.manager.get_session("room")
    assert session is not None and session.media_server_id == FAKE_SERVER_ID


async def test_a_method_before_join_room_is_refused(service: SignalingService) -> None:
    peer = Peer(service)
    answer = await peer.call("publishVideo", sdpOffer="x")
    assert answer["error"]["code"] == p.ErrorCode.TRANSPORT


async def test_publish_answers_then_announces_the_stream(service: SignalingService) -> None:
    watcher, _ = await join(service)
    publisher, joined = await join(service)
    answer = await publish(publisher)
    result = answer["result"]
    assert result["sdpAnswer"] == "answer-to-offer-a"
    session = service.manager.get_session("room")
    assert session is not None
    stream = session.participants[joined["id"]].publisher
    assert stream is not None and result["id"] == stream.stream_id
    assert result["sessionId"] == publisher.conn.private_id
    published = watcher.notifications("participantPublished")
    assert [(n["id"], [s["id"] for s in n["streams"]]) for n in published] == [(joined["id"], [result["id"]])]
    # the answer goes out before the notification that makes others subscribe
    assert publisher.transport.sent[-1]["id"] == answer["id"]
    assert ("publish", joined["id"], result["id"]) in media().calls


async def test_a_subscriber_cannot_publish(service: SignalingService) -> None:
    peer, _ = await join(service, role=OpenViduRole.SUBSCRIBER)
    answer = await publish(peer)
    assert answer["error"]["code"] == p.ErrorCode.USER_UNAUTHORIZED
    assert [c for c in media().calls if c[0] == "publish"] == []


async def test_a_media_error_while_publishing_leaves_no_stream(service: SignalingService) -> None:
    watcher, _ = await join(service)
    publisher, joined = await join(service)
    media().publish_error = MediaError(p.ErrorCode.MEDIA_SDP, "bad offer")
    answer = await publish(publisher)
    assert answer["error"]["code"] == p.ErrorCode.MEDIA_SDP and answer["error"]["message"] == "bad offer"
    session = service.manager.get_session("room")
    assert session is not None and session.participants[joined["id"]].publisher is None
    assert watcher.notifications("participantPublished") == []


async def test_receive_video_from_subscribes_through_the_media_session(service: SignalingService) -> None:
    publisher, pub_joined = await join(service)
    stream_id = (await publish(publisher))["result"]["id"]
    viewer, viewer_joined = await join(service)
    answer = await viewer.call("receiveVideoFrom", sender=stream_id, sdpOffer="offer-b")
    assert answer["result"] == {"sdpAnswer": "answer-to-offer-b", "sessionId": viewer.conn.private_id}
    assert ("subscribe", viewer_joined["id"], pub_joined["id"]) in media().calls
    unknown = await viewer.call("receiveVideoFrom", sender="str_CAM_none_con_X", sdpOffer="offer-c")
    assert "error" in unknown


async def test_leave_room_tells_the_others_and_closes_the_socket(service: SignalingService) -> None:
    stayer, _ = await join(service)
    leaver, joined = await join(service)
    answer = await leaver.call("leaveRoom")
    assert answer["result"] == {"sessionId": leaver.conn.private_id}
    assert leaver.transport.closed == (1000, "leaveRoom")
    assert stayer.notifications("participantLeft") == [{"connectionId": joined["id"], "reason": "disconnect"}]
    assert ("remove_participant", joined["id"]) in media().calls


async def test_rest_eviction_goes_through_the_service(service: SignalingService) -> None:
    stayer, _ = await join(service)
    evicted, joined = await join(service)
    await service.manager.evict_connection("room", joined["id"], EndReason.FORCE_DISCONNECT_BY_SERVER)
    assert stayer.notifications("participantLeft") == [
        {"connectionId": joined["id"], "reason": "forceDisconnectByServer"}
    ]
    assert evicted.notifications("participantEvicted") == [
        {"connectionId": joined["id"], "reason": "forceDisconnectByServer"}
    ]
    assert evicted.transport.closed is not None


async def test_send_message_reaches_the_chosen_participants(service: SignalingService) -> None:
    sender, sender_joined = await join(service)
    to, to_joined = await join(service)
    bystander, _ = await join(service)
    message = json.dumps({"to": [to_joined["id"]], "data": "hi", "type": "signal:chat"})
    answer = await sender.call("sendMessage", message=message)
    assert "result" in answer
    assert to.notifications("sendMessage") == [
        {"data": "hi", "from": sender_joined["id"], "type": "signal:chat"}
    ]
    assert bystander.notifications("sendMessage") == []
