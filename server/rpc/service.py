"""The signaling service: every client method of spec/openvidu-signaling.md §2.

Handlers are thin: they parse params (protocol.py), ask ``SessionManager`` for the bookkeeping, ask the
session's ``MediaSession`` for Kurento work, and send the §3 notifications. A handler returns the result
object (the endpoint adds ``sessionId`` and sends it), raises ``RpcError`` for an error answer, or raises
``NoResponse`` where the original server never answers.

The service is put together from parts: the dispatcher (:meth:`SignalingService.handle`, here), the peer
bindings and shared checks (:mod:`.bindings`), and the handlers of :mod:`.room`, :mod:`.publishing`,
:mod:`.subscribing`, :mod:`.signals` and :mod:`.filters`. What is sent to participants outside a request is
:mod:`.peers`; the session's media and the core ``SessionBackend`` are the media side's
(:mod:`server.media.hosting`), and so are media-server resets and losses (:mod:`server.media.server_events`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from server.core.manager import SessionManager
from server.media.hosting import NoRecording, RecordingHooks, SessionMedias
from server.rpc import protocol as p
from server.rpc.bindings import SERVER_STOPPING_CLOSE_CODE, Handler, SignalingConfig
from server.rpc.connections import RpcConnection, close_transport
from server.rpc.filters import FilterHandlers
from server.rpc.peers import Peers
from server.rpc.replies import AnswerThen
from server.rpc.room import RoomHandlers
from server.rpc.signals import SignalHandlers
from server.rpc.subscribing import SubscribingHandlers

log = logging.getLogger(__name__)


class SignalingService(RoomHandlers, SubscribingHandlers, SignalHandlers, FilterHandlers):
    """Every OpenVidu method of a participant's websocket, dispatched to the handler mixins.

    ``on_outcome`` (server/observability/signaling.py) is told each handled request's method and error code
    (None: ok).
    """

    def __init__(
        self,
        manager: SessionManager,
        medias: SessionMedias,
        peers: Peers,
        config: SignalingConfig,
        recording: RecordingHooks | None = None,
        on_outcome: Callable[[str, int | None], None] | None = None,
    ) -> None:
        self.manager = manager
        self.medias = medias
        self.peers = peers
        self.registry = peers.registry
        self.config = config
        self.recording = recording if recording is not None else NoRecording()
        self.on_outcome = on_outcome if on_outcome is not None else _ignore_outcome
        self._handlers: dict[str, Handler] = {
            "joinRoom": self.join_room,
            "leaveRoom": self.leave_room,
            "publishVideo": self.publish_video,
            "unpublishVideo": self.unpublish_video,
            "receiveVideoFrom": self.receive_video_from,
            "prepareReceiveVideoFrom": self.prepare_receive_video_from,
            "unsubscribeFromVideo": self.unsubscribe_from_video,
            "onIceCandidate": self.on_ice_candidate,
            "sendMessage": self.send_message,
            "streamPropertyChanged": self.stream_property_changed,
            "forceDisconnect": self.force_disconnect,
            "forceUnpublish": self.force_unpublish,
            "applyFilter": self.apply_filter,
            "execFilterMethod": self.exec_filter_method,
            "removeFilter": self.remove_filter,
            "addFilterEventListener": self.add_filter_event_listener,
            "removeFilterEventListener": self.remove_filter_event_listener,
            "reconnectStream": self.reconnect_stream,
            "videoData": self.video_data,
            "echo": self.echo,
            "subscribeToSpeechToText": self.speech_to_text,
            "unsubscribeFromSpeechToText": self.speech_to_text,
        }

    # ================================================================ dispatch and sending

    async def handle(self, conn: RpcConnection, req: p.Request) -> None:
        """Run one OpenVidu method and answer it (or not, where the original does not)."""
        handler = self._handlers.get(req.method)
        method = req.method if handler is not None else UNKNOWN_METHOD  # a bounded label for on_outcome
        after: Callable[[], Awaitable[None]] | None = None
        try:
            # The "joinRoom first" check runs before the method is looked up: an unknown method sent before
            # joinRoom gets error 803; once joined it is logged and never answered (RpcHandler.handleRequest).
            if req.method != "joinRoom" and not conn.joined:
                raise p.RpcError(
                    p.ErrorCode.TRANSPORT,
                    f"No connection found for participant with privateId {conn.private_id}. "
                    "Method 'Session.connect()' must be the first operation called in any session",
                )
            if handler is None:
                log.error("Unrecognized request %s", req.method)
                self.on_outcome(method, None)
                return
            result = await handler(conn, req)
            if isinstance(result, AnswerThen):
                after = result.then
                result = result.result
        except p.NoResponse:
            self.on_outcome(method, None)
            return
        except p.RpcError as err:
            self.on_outcome(method, err.code)
            if req.has_id:
                await conn.send(p.error_message(req.id, err, conn.private_id))
            return
        except Exception as exc:
            log.exception("%s failed", req.method)
            uncaught = p.RpcError(
                p.ErrorCode.UNCAUGHT,
                f"{type(exc).__name__}:{exc}",
                data=repr(exc),
            )
            self.on_outcome(method, uncaught.code)
            if req.has_id:
                await conn.send(p.error_message(req.id, uncaught, conn.private_id))
            return
        self.on_outcome(method, None)
        if req.has_id:
            await conn.send(p.result_message(req.id, result, conn.private_id))
        if after is not None:
            await after()

    async def stop(self) -> None:
        """Close every JSON-RPC session (after the manager closed the sessions)."""
        for conn in self.registry.all():
            transport = conn.transport
            self.registry.remove(conn)
            await close_transport(transport, SERVER_STOPPING_CLOSE_CODE, "server stopping")
        self.peers.cancel_tasks()


UNKNOWN_METHOD = "unknown"
"""What ``on_outcome`` reports for a method this service does not handle."""


def _ignore_outcome(method: str, code: int | None) -> None:
    return None
