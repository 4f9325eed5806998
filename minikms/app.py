"""Wiring of one minikms process: media engine, object server, websocket transport, shutdown."""

from __future__ import annotations

import asyncio
import logging

from minikms.server import MiniKms
from minikms.settings import Settings
from minikms.transport import KurentoTransport

log = logging.getLogger("minikms")


class MiniKmsApp:
    """Start and stop everything a minikms process runs (usable in-process by tests and the server)."""

    def __init__(self, settings: Settings) -> None:
        from minikms.media import MediaEngine

        self.settings = settings
        self.engine = MediaEngine(settings.address)
        self.kms = MiniKms(settings, self.engine)
        self.transport = KurentoTransport(self.kms)

    async def start(self) -> None:
        await self.transport.start()
        self.kms.start()

    async def close(self) -> None:
        timeout = self.settings.shutdown_timeout
        try:
            await asyncio.wait_for(self.transport.close(), timeout)
        except TimeoutError:
            log.warning("sockets did not close within %.1f s", timeout)
        try:
            await asyncio.wait_for(self.kms.close(), timeout)
            await asyncio.wait_for(self.engine.close(), timeout)
        except TimeoutError:
            log.warning("media did not close within %.1f s", timeout)


async def run(settings: Settings, stop: asyncio.Event) -> None:
    app = MiniKmsApp(settings)
    await app.start()
    try:
        await stop.wait()
    finally:
        log.info("minikms shutting down")
        await app.close()
