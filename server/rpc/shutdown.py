"""Graceful stop: close every OpenVidu session while the browsers' websockets are still open.

uvicorn closes open websockets (code 1012) before the application's lifespan shutdown runs, which would hide
the ``participantEvicted``/``openviduServerStopped`` notifications. This server subclass closes the sessions
first, then lets uvicorn shut down as usual.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import uvicorn

from server.core.enums import EndReason
from server.http.limits import count_accept_failures
from server.runtime import Runtime

log = logging.getLogger(__name__)


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, runtime: Runtime) -> None:
        super().__init__(config)
        self.runtime = runtime

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        count_accept_failures(asyncio.get_running_loop())
        await super().startup(sockets)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await self.runtime.sessions.close_all(EndReason.OPENVIDU_SERVER_STOPPED)
        except Exception:
            log.exception("closing sessions at shutdown failed")
        await super().shutdown(sockets)
