"""The ``/openvidu`` websocket (any query string): one receive loop per socket.

The Kurento JSON-RPC layer lives here: ``ping`` is answered at once (never queued behind media work),
``connect`` re-binds a JSON-RPC session after a drop, and every OpenVidu method runs in its own task so a slow
media server delays neither pings nor the other requests. On the direct path a ping or a method that arrives
while the loop waits is handled inside the socket's read callback (:meth:`RpcEndpoint._handle_now`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from server.parts import PartKey, part
from server.ratelog import FailureLog
from server.rpc import protocol as p
from server.rpc.connections import PING_TIMEOUT_CLOSE_REASON, RpcConnection, Transport, close_transport
from server.rpc.service import SignalingService

RPC_ENDPOINT: PartKey[RpcEndpoint] = PartKey("rpc_endpoint")

if TYPE_CHECKING:
    from server.http.direct_ws import DirectChannel

log = logging.getLogger(__name__)
_refused_frames = FailureLog(log, "refused browser frames")
_loop_failures = FailureLog(log, "websocket receive loops failed")
_join_timeouts = FailureLog(log, "websockets closed without a joinRoom within openvidu.rpc.join-timeout")

PING_TIMEOUT_CLOSE_CODE = 1000
REPLACED_CLOSE_CODE = 4104
JOIN_TIMEOUT_CLOSE_CODE = 1008
JOIN_TIMEOUT_CLOSE_REASON = "No joinRoom within openvidu.rpc.join-timeout"


class StarletteTransport:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    def try_send_text(self, data: str) -> bool:
        return False  # Starlette's websocket only sends by awaiting

    async def send_text(self, data: str) -> None:
        await self.websocket.send_text(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self.websocket.close(code, reason)


class _ReadCallback:
    """One socket's ``DirectChannel.handle_now``: the JSON-RPC session the socket is bound to (its receive loop
    re-binds it on ``connect``) and the socket's method tasks (one small object: a partial and a holder for the
    session took 0.2 KB more per participant)."""

    __slots__ = ("conn", "endpoint", "tasks")

    def __init__(self, endpoint: RpcEndpoint, conn: RpcConnection, tasks: set[asyncio.Task[Any]]) -> None:
        self.endpoint = endpoint
        self.conn = conn
        self.tasks = tasks

    def __call__(self, text: str) -> bool:
        return self.endpoint._handle_now(self.conn, self.tasks, text)


class RpcEndpoint:
    """Serves one websocket for the signaling service."""

    def __init__(self, service: SignalingService, join_timeout: float = 30.0) -> None:
        self.service = service
        self.registry = service.registry
        self.join_timeout = join_timeout

    async def serve(self, websocket: WebSocket) -> None:
        """The ASGI path (``openvidu.rpc.direct-websocket=false``)."""
        await websocket.accept()
        await self.run(websocket.receive, StarletteTransport(websocket))

    async def serve_direct(self, channel: DirectChannel) -> None:
        """The direct path: the websocket protocol itself is the channel (:mod:`server.http.direct_ws`)."""
        await self.run(channel.receive, channel, channel)

    async def run(
        self,
        receive: Callable[[], Awaitable[Any]],
        transport: Transport,
        channel: DirectChannel | None = None,
    ) -> None:
        conn = self.registry.new()
        conn.transport = transport
        tasks: set[asyncio.Task[Any]] = set()
        callback = None
        if channel is not None:
            callback = channel.handle_now = _ReadCallback(self, conn, tasks)
        loop = asyncio.get_running_loop()
        # One timer per socket for the join timeout (not one per message received before the join).
        join_timer: asyncio.TimerHandle | None = None

        def join_deadline_passed() -> None:
            nonlocal join_timer
            join_timer = None
            if conn.joined or conn.transport is not transport:
                return
            if tasks:  # a request (joinRoom) is being handled: give it its time
                join_timer = loop.call_later(self.join_timeout, join_deadline_passed)
                return
            _join_timeouts.hit()
            self.service.spawn(close_transport(transport, JOIN_TIMEOUT_CLOSE_CODE, JOIN_TIMEOUT_CLOSE_REASON))

        join_timer = loop.call_later(self.join_timeout, join_deadline_passed)
        try:
            while True:
                after = await self._dispatch(conn, transport, await receive(), tasks)
                if after is None:
                    break
                conn = after
                if callback is not None:
                    callback.conn = conn
        except WebSocketDisconnect:
            pass
        except Exception as exc:
            _loop_failures.hit(repr(exc)[:200])
        finally:
            if channel is not None:
                channel.handle_now = None
            if join_timer is not None:
                join_timer.cancel()
            self._socket_closed(conn, transport)

    async def _dispatch(
        self, conn: RpcConnection, transport: Transport, message: Any, tasks: set[asyncio.Task[Any]]
    ) -> RpcConnection | None:
        """Handle one received message; the connection the socket is bound to after it (``connect`` may re-bind
        it), None once the socket is closed. A method of its own so that nothing of the message stays referenced
        while the loop waits for the next one (objects kept between messages would be walked by a collection)."""
        if message["type"] == "websocket.disconnect":
            return None
        text = message.get("text")
        if text is None:
            raw = message.get("bytes")
            if raw is None:
                return conn
            text = raw.decode("utf-8", "replace")
        try:
            req = p.parse_frame(text)
        except p.FrameError as exc:
            _refused_frames.hit(str(exc)[:200])
            if exc.has_id:
                await conn.send(p.frame_error_message(exc))
            return conn
        if req.method == "ping":
            await self._ping(conn, req)
        elif req.method == "connect":
            return await self._connect(conn, transport, req)
        elif req.method == "closeSession":
            await conn.send(p.result_message(req.id, "bye", conn.private_id))
        else:
            self._start(conn, req, tasks)
        return conn

    def _start(self, conn: RpcConnection, req: p.Request, tasks: set[asyncio.Task[Any]]) -> None:
        task = asyncio.create_task(self.service.handle(conn, req))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def _handle_now(self, conn: RpcConnection, tasks: set[asyncio.Task[Any]], text: str) -> bool:
        """A message handled inside the socket's read callback (the direct path offers it only while the receive
        loop waits with nothing queued, so the socket's order holds): a ping whose answer the socket takes at once,
        or an OpenVidu method, started in its task as the loop would. False for the rest (a frame error,
        ``connect``, ``closeSession``, a ping whose answer would wait): the loop handles those."""
        try:
            req = p.parse_frame(text)
        except p.FrameError:
            return False
        if req.method == "ping":
            self._pinged(conn, req)  # recorded again if the loop answers it: a ping only stamps a time
            return not req.has_id or conn.try_send(p.result_message(req.id, p.PONG))
        if req.method in ("connect", "closeSession"):
            return False
        self._start(conn, req, tasks)
        return True

    async def _ping(self, conn: RpcConnection, req: p.Request) -> None:
        self._pinged(conn, req)
        if req.has_id:
            await conn.send(p.result_message(req.id, p.PONG))

    def _pinged(self, conn: RpcConnection, req: p.Request) -> None:
        interval = p.PingParams.parse(p.Params(req.method, req.params)).interval_ms
        conn.pinged(interval, lambda: self._ping_timeout(conn))

    def _ping_timeout(self, conn: RpcConnection) -> None:
        """Kurento's watchdog closes the socket; like any closed socket, the JSON-RPC session then waits the
        reconnection window (ProtocolManager.closeSessionIfTimeout) before the participant is evicted with
        networkDisconnect, so a client that reconnects in time (``connect {sessionId}``) keeps its place."""
        log.info("no ping from %s: closing its socket", conn.private_id)
        transport = conn.transport
        conn.transport = None
        self.service.spawn(close_transport(transport, PING_TIMEOUT_CLOSE_CODE, PING_TIMEOUT_CLOSE_REASON))
        if conn.closed:
            return
        if not conn.joined:
            self.registry.remove(conn)
            return
        conn.start_grace(lambda: self.service.spawn(self.service.network_disconnect(conn)))

    async def _connect(self, conn: RpcConnection, transport: Transport, req: p.Request) -> RpcConnection:
        """Kurento ``connect``: re-bind an existing JSON-RPC session to this socket."""
        wanted = req.rpc_session_id
        if wanted is None:
            await conn.send(p.result_message(req.id, "OK", conn.private_id))
            return conn
        if wanted == conn.private_id:
            await conn.send(p.result_message(req.id, p.RECONNECTION_SUCCESSFUL, conn.private_id))
            return conn
        old = self.registry.get(wanted)
        if old is None or old.closed:
            await conn.send(p.error_message(req.id, p.reconnection_error()))
            return conn
        # This socket now belongs to the old session; its fresh one is dropped.
        self.registry.remove(conn)
        previous = old.transport
        old.cancel_grace()
        old.transport = transport
        if previous is not None and previous is not transport:
            self.service.spawn(
                close_transport(previous, REPLACED_CLOSE_CODE, "Connection closed for reconnection")
            )
        await old.send(p.result_message(req.id, p.RECONNECTION_SUCCESSFUL, old.private_id))
        return old

    def _socket_closed(self, conn: RpcConnection, transport: Transport) -> None:
        if conn.transport is not transport:
            return  # already re-bound elsewhere, or closed on purpose
        conn.transport = None
        conn.cancel_watchdog()
        if conn.closed:
            return
        if not conn.joined:
            self.registry.remove(conn)
            return
        conn.start_grace(lambda: self.service.spawn(self.service.network_disconnect(conn)))


async def openvidu_websocket(websocket: WebSocket) -> None:
    endpoint = part(websocket, RPC_ENDPOINT)
    await endpoint.serve(websocket)
