"""Wire browser signaling and media into the app: the participants' peers, the sessions' media and the core's
``SessionBackend`` (the media side's), media-server resets and losses, the signaling service and its
``/openvidu`` websocket route.

:func:`build_peers` runs before recording (its notifier); :func:`build_media_side` after recording (its hooks)."""

from __future__ import annotations

import asyncio
import asyncio.sslproto
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from server.core.manager import LateBackend
from server.media.bandwidth import Bandwidth
from server.media.hosting import MediaBackend, RecordingHooks, SessionMedias
from server.media.picker import MediaServerPicker
from server.media.server_events import MediaServerEvents
from server.media.servers import MediaServers
from server.parts import SIGNALING, parts_of_app
from server.rpc.bindings import SignalingConfig
from server.rpc.connections import RpcRegistry, RpcTimings
from server.rpc.endpoint import RPC_ENDPOINT, RpcEndpoint, openvidu_websocket
from server.rpc.peers import Peers
from server.rpc.service import SignalingService
from server.runtime import Runtime
from server.version import OPENVIDU_VERSION

TLS_READ_BUFFER_BYTES = 17 * 1024
"""Per-connection read buffer of asyncio's TLS transport. The default (256 KiB, zero-filled at accept) made
every idle browser websocket cost about 280 KiB of resident memory; one TLS record carries at most 16 KiB of
plaintext, so a buffer of one record (17 KiB) loses nothing for signaling frames (larger frames take a few reads)."""

CLIENT_HEARTBEAT_SECONDS = 5.0
"""openvidu-browser pings every 5 s; ``openvidu.rpc.ping-timeout`` is expressed against that heartbeat."""


class _SignalingComponent:
    def __init__(self, service: SignalingService) -> None:
        self.service = service

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.service.stop()


def shrink_tls_read_buffer(size: int = TLS_READ_BUFFER_BYTES) -> None:
    """Lower asyncio's per-connection TLS read buffer (process-wide; only ever made smaller)."""
    current = int(getattr(asyncio.sslproto.SSLProtocol, "max_size", size))
    if size < current:
        asyncio.sslproto.SSLProtocol.max_size = size


_SHARED_TLS_BUFFER: list[memoryview] = []


def share_tls_read_buffer() -> None:
    """One TLS read buffer for the whole process instead of one per connection (17 KiB each, resident).

    asyncio's TLS transport (selector event loop) receives ciphertext into the protocol's buffer and hands it to
    the protocol's incoming memory BIO in the same call (``get_buffer``, ``recv_into``, ``buffer_updated``), so
    the buffer never holds data between two event-loop steps and one buffer can serve every connection. Not on
    Windows (the proactor loop receives into the buffer asynchronously). Process-wide, idempotent."""
    protocol_class: Any = asyncio.sslproto.SSLProtocol
    if sys.platform == "win32" or getattr(protocol_class.__init__, "shares_read_buffer", False):
        return
    original_init = protocol_class.__init__

    def shared_view() -> memoryview:
        size = int(protocol_class.max_size)
        if not _SHARED_TLS_BUFFER or len(_SHARED_TLS_BUFFER[0]) < size:
            _SHARED_TLS_BUFFER[:] = [memoryview(bytearray(size))]
        return _SHARED_TLS_BUFFER[0]

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._ssl_buffer_view = shared_view()
        self._ssl_buffer = self._ssl_buffer_view.obj

    def get_buffer(self: Any, n: int) -> memoryview:
        view = shared_view()
        self._ssl_buffer_view = view
        return view

    init.shares_read_buffer = True  # type: ignore[attr-defined]
    protocol_class.__init__ = init
    protocol_class.get_buffer = get_buffer


def build_peers(runtime: Runtime) -> Peers:
    """The participants' JSON-RPC sessions (made before recording and the media side, which notify through it)."""
    settings = runtime.settings
    shrink_tls_read_buffer()
    share_tls_read_buffer()
    timings = RpcTimings(
        ping_timeout_factor=settings.openvidu_rpc_ping_timeout / CLIENT_HEARTBEAT_SECONDS,
        reconnect_window=settings.openvidu_rpc_reconnect_window,
    )
    return Peers(runtime.sessions, RpcRegistry(timings), settings.openvidu_recording_notification)


@dataclass(frozen=True, slots=True)
class MediaSide:
    """The sessions' media and the media-server events, made once the picker, peers and recording exist."""

    medias: SessionMedias
    server_events: MediaServerEvents


def build_media_side(
    runtime: Runtime,
    backend: LateBackend,
    media: MediaServers,
    picker: MediaServerPicker,
    peers: Peers,
    recording: RecordingHooks,
) -> MediaSide:
    """The sessions' media; the core's backend bound to the media side; resets and losses heard from the pool."""
    medias = SessionMedias(picker, peers, recording)
    backend.bind(MediaBackend(medias, peers))
    server_events = MediaServerEvents(runtime.sessions, medias, peers, recording)
    media.pool.add_listener(server_events.on_pool_notice)
    return MediaSide(medias, server_events)


def install_signaling(
    app: Starlette,
    runtime: Runtime,
    media: MediaServers,
    side: MediaSide,
    peers: Peers,
    recording: RecordingHooks,
    on_outcome: Callable[[str, int | None], None],
) -> SignalingService:
    settings = runtime.settings
    config = SignalingConfig(
        version=OPENVIDU_VERSION,
        bandwidth=Bandwidth(
            max_recv=settings.openvidu_streams_video_max_recv_bandwidth,
            min_recv=settings.openvidu_streams_video_min_recv_bandwidth,
            max_send=settings.openvidu_streams_video_max_send_bandwidth,
            min_send=settings.openvidu_streams_video_min_send_bandwidth,
        ),
        max_ice_candidates=settings.openvidu_rpc_max_ice_candidates,
        max_ice_candidate_size=settings.openvidu_rpc_max_ice_candidate_size,
    )
    service = SignalingService(runtime.sessions, side.medias, peers, config, recording, on_outcome)
    # Media servers start first and stop last (components stop in reverse order, after sessions are closed).
    runtime.add_component(media)
    runtime.add_component(_SignalingComponent(service))
    parts = parts_of_app(app)
    parts.put(SIGNALING, service)
    parts.put(RPC_ENDPOINT, RpcEndpoint(service, join_timeout=settings.openvidu_rpc_join_timeout))
    app.router.routes.append(WebSocketRoute("/openvidu", openvidu_websocket))
    return service
