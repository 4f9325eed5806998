"""The benchmark's websocket JSON-RPC client: websockets' sans-I/O client protocol on a bare asyncio protocol.

``tests.support.rpc_client.RpcClient`` (websockets' asyncio client: a reader task, locks, an assembler per
socket) costs its process about 3 ms of CPU per join; on a 2-core machine four such processes took more CPU than
the server they measured, and their own loop delays went into the latencies they reported. This one keeps the
same wire (TLS, the upgrade offering permessage-deflate as browsers do, masked text frames, ids from 0, a ping
with its interval first) with one protocol object per socket and no task: answers resolve futures directly from
``data_received``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import ssl
from typing import Any, cast

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

OPEN_TIMEOUT = 10.0
REQUEST_TIMEOUT = 10.0


class LeanFailure(Exception):
    pass


class _Socket(asyncio.Protocol):
    def __init__(self, client: LeanClient) -> None:
        self.client = client

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.client._connected(cast(asyncio.Transport, transport))  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.client._received(data)

    def eof_received(self) -> bool | None:
        self.client._eof()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.client._lost()


class LeanClient:
    """One websocket to ``url``; ``request`` sends a JSON-RPC request and returns its answer."""

    def __init__(self, url: str, ctx: ssl.SSLContext | None) -> None:
        self.uri = parse_uri(url)
        self.ctx = ctx
        self.protocol = ClientProtocol(self.uri, extensions=[ClientPerMessageDeflateFactory()], max_size=None)
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = asyncio.Event()
        self.ids = itertools.count(0)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}

    async def open(self) -> LeanClient:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(OPEN_TIMEOUT):
            await loop.create_connection(
                lambda: _Socket(self),
                self.uri.host,
                self.uri.port,
                ssl=self.ctx,
                server_hostname=self.uri.host if self.ctx else None,
            )
            await self.opened
        return self

    # --- events from the socket -------------------------------------------------------------------

    def _connected(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.protocol.send_request(self.protocol.connect())
        self._flush()

    def _received(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if event.status_code == 101 and self.protocol.handshake_exc is None:
                    self.opened.set_result(None)
                else:
                    self.opened.set_exception(LeanFailure(f"upgrade answered {event.status_code}"))
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                message = json.loads(event.data)
                future = self.pending.pop(message.get("id", -1), None)
                if future is not None and not future.done():
                    future.set_result(message)
        self._flush()  # pongs, the closing handshake

    def _eof(self) -> None:
        self.protocol.receive_eof()
        self._flush()

    def _lost(self) -> None:
        self.closed.set()
        if not self.opened.done():
            self.opened.set_exception(LeanFailure("closed before the upgrade"))
        for future in self.pending.values():
            if not future.done():
                future.set_exception(LeanFailure("closed"))
        self.pending.clear()

    def _flush(self) -> None:
        transport = self.transport
        if transport is None:
            return
        data = self.protocol.data_to_send()
        if data:
            chunks = [chunk for chunk in data if chunk]
            if chunks:
                transport.write(b"".join(chunks))
            if not data[-1] and not transport.is_closing():  # an empty chunk: close the TCP connection
                transport.close()

    # --- requests ---------------------------------------------------------------------------------

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        request_id = next(self.ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": request_id}
        if params is not None:
            message["params"] = params
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        self.protocol.send_text(json.dumps(message).encode())
        self._flush()
        timer = asyncio.get_running_loop().call_later(REQUEST_TIMEOUT, self._timed_out, request_id)
        try:
            answer = await future
        finally:
            timer.cancel()
        if "error" in answer:
            raise LeanFailure(f"{method}: {answer['error']}")
        return answer

    def _timed_out(self, request_id: int) -> None:
        future = self.pending.pop(request_id, None)
        if future is not None and not future.done():
            future.set_exception(TimeoutError(f"no answer in {REQUEST_TIMEOUT} s"))

    async def ping(self, interval: int | None = 5000) -> Any:
        return (await self.request("ping", {"interval": interval} if interval is not None else None))[
            "result"
        ]

    async def join(self, token: str, session: str) -> Any:
        params = {
            "token": token,
            "session": session,
            "platform": "Python benchmark client",
            "metadata": "",
            "secret": "",
            "recorder": False,
        }
        return (await self.request("joinRoom", params))["result"]

    async def close(self) -> None:
        if self.transport is None or self.closed.is_set():
            return
        self.protocol.send_close(1000)
        self._flush()
        await self.closed.wait()
