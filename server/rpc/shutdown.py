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
from server.http.limits import count_accept_failures, count_per_connection_warnings
from server.media.embedded import server_stopping
from server.reexec import abort_idle_http
from server.runtime import Runtime

log = logging.getLogger(__name__)

FIRST_REQUEST_GRACE = 1.0
"""Seconds a connection accepted just before shutdown may take to send its first request (then it is cut)."""


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, runtime: Runtime) -> None:
        super().__init__(config)
        self.runtime = runtime

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        count_accept_failures(asyncio.get_running_loop())
        count_per_connection_warnings()
        await super().startup(sockets)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        server_stopping()
        self.runtime.shutting_down()
        # Stop accepting at once: connections that arrive from now on wait in the kernel's queue (for the next
        # process image on a restart); the ones already accepted are all answered (see below).
        for server in self.servers:
            server.close()
        try:
            await self.runtime.sessions.close_all(EndReason.OPENVIDU_SERVER_STOPPED)
        except Exception:
            log.exception("closing sessions at shutdown failed")
        await self._let_new_connections_ask()
        # Idle keep-alive connections (and any that never asked within the grace) are cut: nothing is in flight
        # on them. Requests in flight are finished by uvicorn's graceful shutdown.
        abort_idle_http(self.server_state.connections)
        await super().shutdown(sockets)

    async def _let_new_connections_ask(self) -> None:
        """A connection accepted just before the listener closed has a client about to send its request: wait
        (at most ``FIRST_REQUEST_GRACE`` seconds) until every such request has been read, so it is answered
        here instead of being closed unanswered."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FIRST_REQUEST_GRACE
        while loop.time() < deadline and any(
            getattr(connection, "awaiting_first_request", False)
            for connection in self.server_state.connections
        ):
            await asyncio.sleep(0.01)
