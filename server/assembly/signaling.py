"""Wire browser signaling and media into the app: the ``/openvidu`` websocket route, the media servers, the
signaling service as the session manager's backend, and the CDR file and webhook event sinks."""

from __future__ import annotations

import asyncio
import asyncio.sslproto
import sys
from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from server.events import install_event_sinks
from server.media.bandwidth import Bandwidth
from server.media.picker import MediaServerPicker
from server.media.servers import MediaServers
from server.rpc.bindings import SignalingConfig
from server.rpc.connections import RpcRegistry, RpcTimings
from server.rpc.endpoint import RpcEndpoint, openvidu_websocket
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


def install_signaling(
    app: Starlette, runtime: Runtime, media: MediaServers, picker: MediaServerPicker
) -> SignalingService:
    settings = runtime.settings
    shrink_tls_read_buffer()
    share_tls_read_buffer()
    timings = RpcTimings(
        ping_timeout_factor=settings.openvidu_rpc_ping_timeout / CLIENT_HEARTBEAT_SECONDS,
        reconnect_window=settings.openvidu_rpc_reconnect_window,
    )
    config = SignalingConfig(
        version=OPENVIDU_VERSION,
        bandwidth=Bandwidth(
            max_recv=settings.openvidu_streams_video_max_recv_bandwidth,
            min_recv=settings.openvidu_streams_video_min_recv_bandwidth,
            max_send=settings.openvidu_streams_video_max_send_bandwidth,
            min_send=settings.openvidu_streams_video_min_send_bandwidth,
        ),
        recording_notification=settings.openvidu_recording_notification,
        max_ice_candidates=settings.openvidu_rpc_max_ice_candidates,
        max_ice_candidate_size=settings.openvidu_rpc_max_ice_candidate_size,
    )
    service = SignalingService(runtime.sessions, picker, RpcRegistry(timings), config)
    media.on_lost = service.media_server_lost
    media.on_reset = service.media_server_reset
    runtime.sessions.backend = service
    # Media servers start first and stop last (components stop in reverse order, after sessions are closed).
    runtime.add_component(media)
    runtime.add_component(_SignalingComponent(service))
    app.state.signaling = service
    app.state.media_servers = media
    app.state.rpc_endpoint = RpcEndpoint(service, join_timeout=settings.openvidu_rpc_join_timeout)
    app.router.routes.append(WebSocketRoute("/openvidu", openvidu_websocket))
    app.state.event_sinks = install_event_sinks(runtime.bus, settings)
    return service
