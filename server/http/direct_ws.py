"""A websocket path served without the ASGI layers: uvicorn's sans-I/O websocket protocol, except that an upgrade
to one of ``paths`` is accepted here and handed to a handler directly (no ASGI scope, no Starlette ``WebSocket``,
no middleware frames alive for the life of the socket, no request headers kept).

Everything before the upgrade is unchanged: the same listener, TLS (and its plain-HTTP 400), uvicorn's h11
protocol with ``server.max-connections`` and ``server.header-timeout``, the frame-size limit and compression
setting of the websocket protocol (``ws_max_size``, ``ws_per_message_deflate``) and its closing handshake. The
one difference: no websocket-level keepalive pings on a direct socket (its handler checks liveness itself).
Upgrades to any other path go through the ASGI app as before.

The handler gets the protocol itself as its channel: ``receive()`` (the ASGI-style ``websocket.receive`` /
``websocket.disconnect`` messages, from an :class:`Inbox` that pauses reading only past ``INBOX_PAUSE_BYTES``),
``send_text``, ``try_send_text`` (write now, without awaiting, when the transport is not paused), ``close``, and
``handle_now``: a text message that arrives while the handler's reader waits with nothing queued is first offered
to it inside the read callback, which saves waking the reader (a future, a task step, one more turn of the loop).
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

    handle_now: Callable[[str], bool] | None
    """Set by the handler: offered each text message that arrives while its reader waits with nothing queued,
    inside the read callback; True when it was handled there (it is then never queued)."""

    def receive(self) -> Awaitable[Any]: ...

    async def send_text(self, data: str) -> None: ...

    def try_send_text(self, data: str) -> bool: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


DirectHandler = Callable[[DirectChannel], Awaitable[None]]


INBOX_PAUSE_BYTES = 64 * 1024
"""A socket stops reading while more than this many bytes of received messages wait for its handler (and reads
again once they are under half of it). uvicorn paused reading after every message and resumed on the next
receive, which cost a scheduled read (a closure, a handle, a failed TLS read) per message."""


class Inbox:
    """The received-message queue of one websocket, for a single reader: what uvicorn's protocol uses of
    ``asyncio.Queue`` (``put_nowait``, ``get``, ``empty``) without its three deques and its Event (about 3 KB
    per socket). ``get`` returns a future, not a coroutine: a message handed to a waiting reader costs one
    future; ``queued_bytes`` counts what waits (the sizes given to ``put_nowait``)."""

    __slots__ = ("_items", "_waiter", "queued_bytes")

    def __init__(self) -> None:
        self._items: list[tuple[Any, int]] = []  # (a deque takes 760 bytes even empty; this holds 0-1 items)
        self._waiter: asyncio.Future[Any] | None = None
        self.queued_bytes = 0

    def put_nowait(self, item: Any, size: int = 0) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():  # a reader waits: hand it over
                waiter.set_result(item)
                return
        self._items.append((item, size))
        self.queued_bytes += size

    def empty(self) -> bool:
        return not self._items

    def idle(self) -> bool:
        """The reader waits and nothing is queued: a message now would be the next one it handles."""
        return self._waiter is not None and not self._waiter.done() and not self._items

    def get(self) -> asyncio.Future[Any]:
        """The next item, as a future (one reader at a time)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self._items:
            item, size = self._items.pop(0)
            self.queued_bytes -= size
            future.set_result(item)
        else:
            self._waiter = future
        return future


class ShutdownSafeProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O websocket protocol whose ``shutdown`` cannot fail.

    At shutdown (a restart, SIGTERM) uvicorn sends close 1012 on every open websocket. On one whose peer had
    already sent its close frame (the closing handshake under way, the TLS close not yet finished) websockets
    raises ``InvalidState``; that aborted the server's shutdown and killed the process instead of re-executing
    it. Such a socket is simply closed."""

    def shutdown(self) -> None:
        try:
            super().shutdown()
        except InvalidState:
            self.transport.close()

    def handle_parser_exception(self) -> None:
        """A frame the parser refuses (over the size limit, malformed). uvicorn closes the socket right after its
        close frame, with the rest of the peer's frame unread: the kernel then resets the connection, so a peer
        still sending fails its send and can lose the close frame (1006 instead of 1009). Where the transport
        can half-close, the close frame is followed by an EOF instead, and what the peer still sends is dropped
        (websockets discards after a failure) until the peer closes too or the close timeout passes."""
        if self.close_timer is not None:  # already failed: the parser keeps its error, the bytes are dropped
            return
        if not self.transport.can_write_eof():
            super().handle_parser_exception()
            return
        assert self.conn.close_sent is not None
        self.queue.put_nowait(
            {
                "type": "websocket.disconnect",
                "code": self.conn.close_sent.code,
                "reason": self.conn.close_sent.reason,
            }
        )
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.transport.write_eof()
        self.transport.resume_reading()
        self.close_timer = self.loop.call_later(self.close_timeout, self.transport.close)


class WritableFlag:
    """What uvicorn's protocol uses of ``asyncio.Event`` for its ``writable`` flag (``is_set``, ``set``,
    ``clear``, ``wait``), with the waiters' list made only when a send has to wait (an Event's deque takes 760
    bytes per socket)."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> None:
        while not self._set:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            await waiter


class DirectWebSocketProtocol(ShutdownSafeProtocol):
    """uvicorn's websocket protocol with ``paths`` served by ``handler_of()`` (see the module docstring)."""

    paths: frozenset[str] = frozenset()
    handler_of: Callable[[], DirectHandler | None] = staticmethod(lambda: None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue: Inbox = Inbox()  # type: ignore[assignment]
        self.writable: WritableFlag = WritableFlag()  # type: ignore[assignment]
        self.handle_now: Callable[[str], bool] | None = None

    def send_receive_event_to_app(self) -> None:
        """A whole message received: queued for the handler; reading pauses only past ``INBOX_PAUSE_BYTES``
        (uvicorn's own pauses after each message)."""
        data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
        self.frames = []
        if self.close_sent:  # past the close the handler asked for: dropped, as uvicorn does
            return
        if self.curr_msg_data_type == "text":
            try:
                text = data.decode()
            except UnicodeDecodeError:
                self.logger.exception("Invalid UTF-8 sequence received from client.")
                self.conn.send_close(1007)
                self.handle_parser_exception()
                return
            if self.handle_now is not None and self.queue.idle() and self._handled_now(self.handle_now, text):
                return
            message: dict[str, Any] = {"type": "websocket.receive", "text": text}
        else:
            message = {"type": "websocket.receive", "bytes": data}
        self.queue.put_nowait(message, len(data))
        if not self.read_paused and self.queue.queued_bytes > INBOX_PAUSE_BYTES:
            self.read_paused = True
            self.transport.pause_reading()

    def _handled_now(self, handle_now: Callable[[str], bool], text: str) -> bool:
        """The handler's read-callback path; a failure there leaves the message to its reader, which meets the
        same failure where it handles failures."""
        try:
            return handle_now(text)
        except Exception:
            return False

    def receive(self) -> asyncio.Future[Any]:  # type: ignore[override]
        """The next message (a future: no coroutine per message); reading resumes once under half the bound."""
        if self.read_paused and self.queue.queued_bytes <= INBOX_PAUSE_BYTES // 2:
            self.read_paused = False
            self.transport.resume_reading()
        return self.queue.get()

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
