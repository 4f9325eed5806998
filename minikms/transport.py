"""The WebSocket side: ``ws://ADDRESS:PORT/kurento``, path check, text and binary frames, one
request at a time per socket (as KMS), events and replies written in order through one queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from minikms.methods import ServerMethods
from minikms.protocol import dumps
from minikms.server import MiniKms

log = logging.getLogger("minikms")

INVALID_PATH_CODE = 1002
INVALID_PATH_REASON = "Invalid path"


def path_matches(request_path: str, expected: str) -> bool:
    """KMS's check: strip one leading '/', drop the query string, compare with the configured path."""
    path = request_path.split("?", 1)[0]
    if path.startswith("/"):
        path = path[1:]
    return path == expected


class ClientSocket:
    """One client connection; the ``Peer`` the session layer binds sessions to."""

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.session_id: str | None = None
        self.outgoing: asyncio.Queue[str] = asyncio.Queue()

    def send(self, message: dict[str, Any]) -> None:
        self.outgoing.put_nowait(dumps(message))

    async def write_loop(self) -> None:
        while True:
            text = await self.outgoing.get()
            try:
                await self.ws.send(text)
            except ConnectionClosed:
                return


class KurentoTransport:
    def __init__(self, kms: MiniKms) -> None:
        self.kms = kms
        self.methods = ServerMethods(kms)
        self.server: Server | None = None

    async def start(self) -> None:
        settings = self.kms.settings
        self.server = await serve(
            self.handle,
            settings.address,
            settings.port,
            max_size=settings.max_frame,
            ping_interval=None,
            compression=None,
        )
        log.info(
            "minikms %s listening on ws://%s:%d/%s",
            settings.kms_version,
            settings.address,
            settings.port,
            settings.path,
        )

    async def handle(self, ws: ServerConnection) -> None:
        if not path_matches(ws.request.path if ws.request else "", self.kms.settings.path):
            await ws.close(INVALID_PATH_CODE, INVALID_PATH_REASON)
            return
        peer = ClientSocket(ws)
        writer = asyncio.create_task(peer.write_loop())
        try:
            async for frame in ws:
                reply = await self.methods.handle_frame(peer, frame)
                if reply is not None:
                    peer.send(reply)
        except ConnectionClosed:
            pass
        finally:
            self.kms.sessions.unbind(peer)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
