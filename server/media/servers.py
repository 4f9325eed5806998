"""The media servers of ``kms.uris`` as a runtime component: embedded minikms children, the Kurento pool, and
the picker that places new sessions.

Placement defaults to the first connected server (OpenVidu CE); in cluster mode the assembly places sessions with
a cluster picker instead. What a lost or reset media server means for its sessions is
:mod:`server.media.server_events`, a listener of ``pool``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal

from kms_client.errors import KmsError
from kms_client.pool import KmsPool, MediaServer
from server.media.embedded import EMBEDDED, EmbeddedMediaServer, hand_over, handed_over
from server.media.picker import FirstConnectedPicker, MediaServerChoice, MediaServerPicker
from server.settings import Settings

log = logging.getLogger(__name__)


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
        # Media nodes set apart by the 2.32 Pro API (``waiting-idle-to-terminate``): no new sessions go there.
        self.quarantined: set[str] = set()
        self.hand_over_on_stop = (
            False  # set by the restart: the next image of this process adopts the children
        )

    def placeable_servers(self) -> list[MediaServer]:
        """The media servers that may host new sessions (all but the quarantined ones)."""
        return [server for server in self.pool.servers if server.id not in self.quarantined]

    def choices(self) -> list[MediaServerChoice]:
        return [MediaServerChoice(server.id, server.connection) for server in self.placeable_servers()]

    def configured_uris(self) -> tuple[str, ...]:
        """Every ``kms.uris`` entry in cluster mode; only the first one otherwise (OpenVidu CE)."""
        uris = self.settings.kms_uris
        return uris if self.settings.openvidu_pro_cluster else uris[:1]

    async def _start_embedded(self, handed: list[tuple[int, int]]) -> str:
        """A new embedded child, or one the previous image of this process handed over."""
        address = self.settings.minikms_address
        while handed:
            port, pid = handed.pop(0)
            child = EmbeddedMediaServer(address=address, port=port)
            try:
                uri = await child.adopt(pid)
            except (OSError, RuntimeError, TimeoutError) as exc:
                log.warning("could not adopt embedded media server pid %s: %s", pid, exc)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                continue
            self.embedded.append(child)
            return uri
        child = EmbeddedMediaServer(address=address)
        self.embedded.append(child)
        return await child.start()

    async def start(self) -> None:
        handed = handed_over(os.environ)
        for uri in self.configured_uris():
            if uri == EMBEDDED:
                uri = await self._start_embedded(handed)
            try:
                # A configured media server that is down now (e.g. a Kurento container still starting) is
                # listed as disconnected and connected in the background as soon as it answers.
                server = await self.pool.add(uri, wait=False)
            except KmsError as exc:
                log.error("media server %s cannot be used: %s", uri, exc)
                continue
            if server.connected:
                log.info("media server %s connected at %s", server.id, uri)
            else:
                log.warning(
                    "media server %s (%s) is not reachable yet; retrying in the background", server.id, uri
                )

    async def remove(self, server_id: str) -> None:
        """Forget a media server (and stop it if it is an embedded child)."""
        server = await self.pool.remove(server_id)
        if server is None:
            return
        for child in [c for c in self.embedded if c.uri == server.uri]:
            self.embedded.remove(child)
            await child.stop()

    async def stop(self) -> None:
        """Close the pool; stop the embedded children, or hand them over when the process restarts."""
        await self.pool.close()
        entries = []
        for child in self.embedded:
            if self.hand_over_on_stop:
                entry = await child.detach()
                if entry is not None:
                    entries.append(entry)
            else:
                await child.stop()
        self.embedded.clear()
        if self.hand_over_on_stop:
            hand_over(os.environ, entries)
