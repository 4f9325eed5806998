"""A websocket path served without the ASGI layers: uvicorn's sans-I/O websocket protocol, except that an upgrade
to one of ``paths`` is accepted here and handed to a handler directly (no ASGI scope, no Starlette ``WebSocket``,
no middleware frames alive for the life of the socket, no request headers kept).

Everything before the upgrade is unchanged: the same listener, TLS (and its plain-HTTP 400), uvicorn's h11
protocol with ``server.max-connections`` and ``server.header-timeout``, the frame-size limit and compression
setting of the websocket protocol (``ws_max_size``, ``ws_per_message_deflate``) and its closing handshake. The
one difference: no websocket-level keepalive pings on a direct socket (its handler checks liveness itself).
Upgrades to any other path go through the ASGI app as before.

The handler gets the protocol itself as its channel: ``receive()`` (the ASGI-style ``websocket.receive`` /
``websocket.disconnect`` messages of uvicorn's queue), ``send_text``, ``try_send_text`` (write now, without
awaiting, when the transport is not paused) and ``close``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import unquote

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.http11 import Request


class DirectChannel(Protocol):
    """What a direct handler is given: one accepted websocket."""

    async def receive(self) -> Any: ...

    async def send_text(self, data: str) -> None: ...

    def try_send_text(self, data: str) -> bool: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


DirectHandler = Callable[[DirectChannel], Awaitable[None]]


class Inbox:
    """The received-message queue of one websocket, for a single reader: what uvicorn's protocol uses of
    ``asyncio.Queue`` (``put_nowait``, ``get``, ``empty``) without its three deques and its Event (about 3 KB
    per socket)."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class DirectWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol with ``paths`` served by ``handler_of()`` (see the module docstring)."""

    paths: frozenset[str] = frozenset()
    handler_of: Callable[[], DirectHandler | None] = staticmethod(lambda: None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]

    def handle_connect(self, event: Request) -> None:
        raw_path = event.path.partition("?")[0]
        path = unquote(raw_path)
        if len(path) > 1:
            path = path.rstrip("/") or "/"
        handler = self.handler_of() if path in self.paths else None
        if handler is None:
            super().handle_connect(event)
            return
        response = self.conn.accept(event)
        self.handshake_initiated = True
        self.handshake_complete = True
        if response.status_code != 101:
            self.close_sent = True
            self.conn.send_response(response)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.transport.close()
            return
        # The same answer as the ASGI path: the server's default headers replace websockets' Date.
        del response.headers["Date"]
        response.headers.update(
            (name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in self.default_headers
        )
        if self.transport.is_closing():
            return
        self.conn.send_response(response)
        self.transport.write(b"".join(self.conn.data_to_send()))
        # No websocket-level keepalive (uvicorn's ping every 20 s, two timers per socket): the handler's own
        # liveness check (the JSON-RPC ping watchdog, the join timeout) closes a silent socket.
        task = self.loop.create_task(self._run_direct(handler))
        task.add_done_callback(self.on_task_complete)
        self.tasks.add(task)

    async def _run_direct(self, handler: DirectHandler) -> None:
        try:
            await handler(self)
        except ClientDisconnected:
            pass
        except BaseException:
            self.logger.exception("Exception in the websocket handler\n")
        if self.close_timer is None:
            self.transport.close()

    # --- the channel -------------------------------------------------------------------------

    def try_send_text(self, data: str) -> bool:
        """Write one text frame now if the transport takes it without waiting; False otherwise (nothing sent)."""
        if not self.writable.is_set() or self.disconnected or self.close_sent:
            return False
        try:
            self.conn.send_text(data.encode())
        except InvalidState:
            raise ClientDisconnected() from None
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True

    async def send_text(self, data: str) -> None:
        await self.send({"type": "websocket.send", "text": data})

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        with contextlib.suppress(ClientDisconnected):
            await self.send({"type": "websocket.close", "code": code, "reason": reason or ""})


def direct_protocol(
    paths: frozenset[str], handler_of: Callable[[], DirectHandler | None]
) -> type[DirectWebSocketProtocol]:
    """A :class:`DirectWebSocketProtocol` class for uvicorn's ``ws`` option."""
    return type(
        "DirectWebSocketProtocol",
        (DirectWebSocketProtocol,),
        {"paths": paths, "handler_of": staticmethod(handler_of)},
    )
