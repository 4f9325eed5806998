"""The media servers of ``kms.uris`` as a runtime component: embedded minikms children, the Kurento pool, and
the picker that places new sessions.

Placement defaults to the first connected server (OpenVidu CE); a cluster picker (load strategies) can replace
``picker``. Lifecycle notices that mean the media server lost its objects (``Unreachable`` after the reconnect
window, ``ReconnectedEmpty``) are reported to ``on_lost`` with the server id.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from kms_client.errors import KmsError
from kms_client.lifecycle import LifecycleEvent, ReconnectedEmpty, Unreachable
from kms_client.pool import KmsPool, MediaServer
from server.cluster.embedded import EMBEDDED, EmbeddedMediaServer
from server.media.picker import FirstConnectedPicker, MediaServerChoice, MediaServerPicker
from server.settings import Settings

log = logging.getLogger(__name__)

LostCallback = Callable[[str], Awaitable[None]]


class MediaServers:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pool = KmsPool(
            ping_interval=settings.kms_ping_interval,
            ping_timeout=settings.kms_ping_timeout,
            request_timeout=settings.kms_request_timeout,
            connect_timeout=settings.kms_connect_timeout,
            reconnect_window=settings.kms_reconnect_window,
        )
        self.embedded: list[EmbeddedMediaServer] = []
        self.picker: MediaServerPicker = FirstConnectedPicker(self.choices)
        self.on_lost: LostCallback | None = None
        self.pool.add_listener(self._notice)

    def choices(self) -> list[MediaServerChoice]:
        return [MediaServerChoice(server.id, server.connection) for server in self.pool.servers]

    def configured_uris(self) -> tuple[str, ...]:
        """Every ``kms.uris`` entry in cluster mode; only the first one otherwise (OpenVidu CE)."""
        uris = self.settings.kms_uris
        return uris if self.settings.openvidu_pro_cluster else uris[:1]

    async def start(self) -> None:
        for uri in self.configured_uris():
            if uri == EMBEDDED:
                child = EmbeddedMediaServer(address=self.settings.minikms_address)
                self.embedded.append(child)
                uri = await child.start()
            try:
                server = await self.pool.add(uri)
            except KmsError as exc:
                log.error("media server %s is not reachable: %s", uri, exc)
                continue
            log.info("media server %s connected at %s", server.id, uri)

    async def remove(self, server_id: str) -> None:
        """Forget a media server (and stop it if it is an embedded child)."""
        server = await self.pool.remove(server_id)
        if server is None:
            return
        for child in [c for c in self.embedded if c.uri == server.uri]:
            self.embedded.remove(child)
            await child.stop()

    async def stop(self) -> None:
        await self.pool.close()
        for child in self.embedded:
            await child.stop()
        self.embedded.clear()

    async def _notice(self, server: MediaServer, notice: LifecycleEvent) -> None:
        if isinstance(notice, Unreachable | ReconnectedEmpty) and self.on_lost is not None:
            log.warning("media server %s lost its sessions (%s)", server.id, type(notice).__name__)
            await self.on_lost(server.id)
