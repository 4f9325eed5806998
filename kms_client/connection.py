"""One WebSocket to one media server, carrying one Kurento session.

:class:`KmsConnection` owns the socket, the ``sessionId`` handshake, request/reply correlation
(many requests in flight), a deadline on every request, ``onEvent`` routing by
``(object id, canonical event name)``, the keepalive ``ping`` and reconnection.

Request ids come from one counter per connection that never restarts, so a request that was in
flight when the socket dropped is re-sent with the *same* id after a ``connect {sessionId}``
to the same server: the media server's duplicate-request cache answers it without running it
twice. When the session cannot be resumed (media server restarted), such requests fail with
:class:`~kms_client.errors.KmsSessionLostError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from . import protocol
from .errors import (
    InvalidSessionError,
    KmsClosedError,
    KmsConnectionError,
    KmsConnectionLostError,
    KmsError,
    KmsProtocolError,
    KmsSessionLostError,
    KmsTimeoutError,
    KmsUnreachableError,
    KurentoRpcError,
)
from .events import canonical_event_name
from .lifecycle import (
    Connected,
    ConnectionState,
    Disconnected,
    LifecycleEvent,
    ReconnectedEmpty,
    ReconnectedSame,
    Unreachable,
)
from .protocol import EventNotification, Request, RequestId
from .structs import ServerInfo, from_wire_value

log = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT = 3.0
"""Seconds to open the socket and complete the ``connect`` handshake."""
DEFAULT_REQUEST_TIMEOUT = 10.0
"""Seconds before a request without reply fails with ``KmsTimeoutError`` (OpenVidu uses 10 s)."""
DEFAULT_PING_INTERVAL = 5.0
"""Seconds between keepalive pings; ``None`` disables them."""
DEFAULT_PING_TIMEOUT = 5.0
"""Failure window: a ping without pong within this many seconds marks the socket dead."""
DEFAULT_RECONNECT_WINDOW = 3.0
"""Seconds of failed reconnection after which ``Unreachable`` is reported (OpenVidu: ~3 s)."""
DEFAULT_RECONNECT_INTERVAL = 0.5
"""Seconds between reconnection attempts inside the reconnect window (OpenVidu: 500 ms)."""
DEFAULT_RETRY_INTERVAL = 2.0
"""Seconds between reconnection attempts once the media server is reported unreachable."""
DEFAULT_CLOSE_TIMEOUT = 1.0
"""Seconds granted to the WebSocket closing handshake before the socket is aborted."""
DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024
"""Largest accepted frame (``getKmd`` answers are large)."""

EventCallback = Callable[[EventNotification], None]
LifecycleListener = Callable[[LifecycleEvent], Awaitable[None] | None]


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class _Pending:
    request: Request
    future: asyncio.Future[protocol.Response]
    resend: bool = True


@dataclass(slots=True)
class _Route:
    callbacks: list[EventCallback] = field(default_factory=list)


class KmsConnection:
    """A Kurento JSON-RPC connection with its own session.

    All timings are constructor parameters (seconds); see the ``DEFAULT_*`` constants.
    ``ping_interval=None`` disables keepalive pings (used for the ``getUsedCpu`` socket).
    ``ssl_context`` is used for ``wss://`` URIs (e.g. one trusting a KMS self-signed certificate).
    """

    def __init__(
        self,
        uri: str,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        ping_interval: float | None = DEFAULT_PING_INTERVAL,
        ping_timeout: float = DEFAULT_PING_TIMEOUT,
        reconnect_window: float = DEFAULT_RECONNECT_WINDOW,
        reconnect_interval: float = DEFAULT_RECONNECT_INTERVAL,
        retry_interval: float = DEFAULT_RETRY_INTERVAL,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.uri = uri
        self.ssl_context = ssl_context
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.reconnect_window = reconnect_window
        self.reconnect_interval = reconnect_interval
        self.retry_interval = retry_interval
        self.close_timeout = close_timeout
        self.max_message_size = max_message_size

        self.session_id: str | None = None
        self.server_id: str | None = None
        self.server_info: ServerInfo | None = None
        self.connection_time: int | None = None
        self.disconnection_time: int | None = None

        self._state = ConnectionState.CONNECTING
        self._state_waiter = asyncio.Event()
        self._ws: ClientConnection | None = None
        self._ids = itertools.count(1)
        self._pending: dict[RequestId, _Pending] = {}
        self._routes: dict[tuple[str, str], _Route] = {}
        self._listeners: list[LifecycleListener] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._recv_task: asyncio.Task[None] | None = None
        self._ping_task: asyncio.Task[None] | None = None
        self._reconnect_task: asyncio.Task[None] | None = None
        self._first_ping = True
        self._bad_frames = 0

    # --- public state --------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def connected(self) -> bool:
        return self._state is ConnectionState.CONNECTED

    @property
    def closed(self) -> bool:
        return self._state is ConnectionState.CLOSED

    @property
    def server_major(self) -> int:
        """Major version of the media server (from ``getInfo``), 0 before it is known."""
        return self.server_info.major if self.server_info is not None else 0

    def add_listener(self, listener: LifecycleListener) -> None:
        """Be told of :mod:`~kms_client.lifecycle` notices (sync or async callables)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: LifecycleListener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    # --- open / close --------------------------------------------------------------------

    async def open(self, *, retry: bool = False) -> None:
        """Open the socket, run ``connect`` and ``getInfo``.

        Raises ``KmsUnreachableError`` when that fails, unless ``retry`` is true: then the
        connection reports :class:`Unreachable` and keeps trying every ``retry_interval``; the
        first success is reported as :class:`Connected`.
        """
        if self._state is not ConnectionState.CONNECTING or self._ws is not None:
            raise KmsError("connection already opened")
        try:
            await asyncio.wait_for(self._establish(None), self.connect_timeout)
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI, ConnectionClosed, KmsError) as exc:
            await self._drop_socket()
            if isinstance(exc, InvalidURI) or not retry:
                self._set_state(ConnectionState.CLOSED)
                raise KmsUnreachableError(f"cannot connect to {self.uri}: {exc!r}") from exc
            log.info("media server %s unreachable, retrying: %r", self.uri, exc)
            now = self.disconnection_time = _now_ms()
            self._set_state(ConnectionState.UNREACHABLE)
            self._notify(Unreachable(self.uri, now, now))
            self._reconnect_task = asyncio.create_task(self._reconnect_loop())
            return
        if self.closed:  # close() ran while the handshake was in progress
            await self._drop_socket()
            raise KmsClosedError(f"connection to {self.uri} closed while opening")
        self.connection_time = _now_ms()
        self._set_state(ConnectionState.CONNECTED)
        self._start_ping()

    def _start_ping(self) -> None:
        if self.ping_interval is not None and self._ping_task is None:
            self._ping_task = asyncio.create_task(self._ping_loop(self.ping_interval))

    async def close(self) -> None:
        """Close the socket and fail every pending request; bounded by ``close_timeout``."""
        if self._state is ConnectionState.CLOSED:
            return
        self._set_state(ConnectionState.CLOSED)
        current = asyncio.current_task()
        for task in (self._ping_task, self._reconnect_task, *self._tasks):
            if task is not None and task is not current:
                task.cancel()
        self._fail_pending(KmsClosedError("connection closed"))
        ws = self._ws
        self._ws = None
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(), self.close_timeout)
            except (TimeoutError, OSError, ConnectionClosed):
                ws.transport.abort()
        if self._recv_task is not None and self._recv_task is not current:
            self._recv_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._recv_task
        self._routes.clear()

    async def __aenter__(self) -> KmsConnection:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- requests ------------------------------------------------------------------------

    async def call(
        self,
        build: Callable[[RequestId, str | None], Request],
        *,
        timeout: float | None = None,
    ) -> protocol.Response:
        """Send the request made by ``build(id, sessionId)`` and wait for its reply.

        Raises the typed :class:`~kms_client.errors.KurentoRpcError` for error replies,
        ``KmsTimeoutError`` when no reply comes within ``timeout`` (default
        ``request_timeout``), ``KmsUnreachableError``/``KmsSessionLostError``/``KmsClosedError``
        when the media server cannot answer it.
        """
        loop = asyncio.get_running_loop()
        limit = self.request_timeout if timeout is None else timeout
        deadline = loop.time() + limit
        if self._state is not ConnectionState.CONNECTED:
            await self._wait_connected(deadline, limit)
        return await self._send_and_wait(build, deadline, limit)

    async def _send_and_wait(
        self,
        build: Callable[[RequestId, str | None], Request],
        deadline: float,
        limit: float,
        *,
        resend: bool = True,
    ) -> protocol.Response:
        loop = asyncio.get_running_loop()
        request = build(next(self._ids), self.session_id)
        text = request.encode()  # a value that cannot be sent fails this request here, not the link
        future: asyncio.Future[protocol.Response] = loop.create_future()
        self._pending[request.id] = _Pending(request, future, resend)
        timer = loop.call_at(deadline, self._expire, request.id, limit)
        try:
            ws = self._ws
            if ws is not None:
                # on failure the request stays pending: re-sent after reconnection, or failed by it
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(text)
            return await future
        finally:
            timer.cancel()
            self._pending.pop(request.id, None)

    def _expire(self, request_id: RequestId, limit: float) -> None:
        pending = self._pending.get(request_id)
        if pending is not None and not pending.future.done():
            method = pending.request.method
            pending.future.set_exception(
                KmsTimeoutError(f"{method} request {request_id} to {self.uri} timed out after {limit} s")
            )

    async def _wait_connected(self, deadline: float, limit: float) -> None:
        loop = asyncio.get_running_loop()
        while self._state is not ConnectionState.CONNECTED:
            if self._state is ConnectionState.CLOSED:
                raise KmsClosedError(f"connection to {self.uri} is closed")
            if self._state is ConnectionState.UNREACHABLE:
                raise KmsUnreachableError(f"media server {self.uri} is unreachable")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise KmsTimeoutError(f"media server {self.uri} not connected after {limit} s")
            waiter = self._state_waiter
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), remaining)

    # convenience wrappers over the protocol builders

    async def create(
        self,
        type_name: str,
        constructor_params: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> str:
        """``create``: returns the new object id."""
        resp = await self.call(
            lambda rid, sid: protocol.create_request(rid, sid, type_name, constructor_params), timeout=timeout
        )
        value = resp.value
        if not isinstance(value, str):
            raise KmsProtocolError(f"create {type_name} returned {value!r}")
        return value

    async def invoke(
        self,
        object_id: str,
        operation: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> Any:
        """``invoke``: returns the decoded ``result.value`` (structs become dataclasses)."""
        resp = await self.call(
            lambda rid, sid: protocol.invoke_request(rid, sid, object_id, operation, params), timeout=timeout
        )
        return from_wire_value(resp.value)

    async def release(self, object_id: str, *, timeout: float | None = None) -> None:
        await self.call(lambda rid, sid: protocol.release_request(rid, sid, object_id), timeout=timeout)
        self._drop_routes(object_id)

    async def describe(self, object_id: str, *, timeout: float | None = None) -> dict[str, Any]:
        resp = await self.call(
            lambda rid, sid: protocol.describe_request(rid, sid, object_id), timeout=timeout
        )
        return resp.result if isinstance(resp.result, dict) else {}

    async def ping(self, *, timeout: float | None = None) -> None:
        interval_ms = None
        if self._first_ping and self.ping_interval is not None:
            interval_ms = int(self.ping_interval * 1000)
        self._first_ping = False
        await self.call(lambda rid, sid: protocol.ping_request(rid, sid, interval_ms), timeout=timeout)

    async def transaction(
        self, operations: list[tuple[str, dict[str, Any]]], *, timeout: float | None = None
    ) -> list[protocol.Response | protocol.ErrorResponse]:
        resp = await self.call(
            lambda rid, sid: protocol.transaction_request(rid, sid, operations), timeout=timeout
        )
        return protocol.parse_transaction_results(resp.value)

    # --- events --------------------------------------------------------------------------

    async def subscribe(
        self,
        object_id: str,
        event_name: str,
        wire_name: str,
        callback: EventCallback,
        *,
        timeout: float | None = None,
    ) -> str:
        """Route events ``event_name`` (canonical) of ``object_id`` to ``callback``, subscribing
        with ``wire_name``. The route exists before the request is sent, so events that
        arrive before the reply are delivered. Returns the subscription id."""
        key = (object_id, event_name)
        route = self._routes.get(key)
        if route is None:
            route = self._routes[key] = _Route()
        route.callbacks.append(callback)
        try:
            resp = await self.call(
                lambda rid, sid: protocol.subscribe_request(rid, sid, object_id, wire_name), timeout=timeout
            )
        except BaseException:
            self._remove_callback(key, callback)
            raise
        value = resp.value
        if not isinstance(value, str):
            self._remove_callback(key, callback)
            raise KmsProtocolError(f"subscribe returned {value!r}")
        return value

    async def unsubscribe(
        self,
        object_id: str,
        event_name: str,
        subscription_id: str,
        callback: EventCallback,
        *,
        timeout: float | None = None,
    ) -> None:
        self._remove_callback((object_id, event_name), callback)
        await self.call(
            lambda rid, sid: protocol.unsubscribe_request(rid, sid, object_id, subscription_id),
            timeout=timeout,
        )

    def _remove_callback(self, key: tuple[str, str], callback: EventCallback) -> None:
        route = self._routes.get(key)
        if route is None:
            return
        with contextlib.suppress(ValueError):
            route.callbacks.remove(callback)
        if not route.callbacks:
            del self._routes[key]

    def _drop_routes(self, object_id: str) -> None:
        prefix = object_id + "/"
        for key in [k for k in self._routes if k[0] == object_id or k[0].startswith(prefix)]:
            del self._routes[key]

    def _dispatch_event(self, event: EventNotification) -> None:
        route = self._routes.get((event.object_id, canonical_event_name(event.type)))
        if route is None:
            return
        for callback in list(route.callbacks):
            try:
                callback(event)
            except Exception:
                log.exception("event callback failed for %s %s", event.object_id, event.type)

    def spawn(self, coro: Awaitable[Any]) -> None:
        """Run a coroutine tied to this connection (cancelled on close)."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("task failed on %s", self.uri, exc_info=task.exception())

    # --- socket --------------------------------------------------------------------------

    async def _establish(self, resume_session: str | None) -> str:
        """Open a socket, attach it and run the handshake. Returns "same", "empty" or "new"."""
        extra: dict[str, Any] = {} if self.ssl_context is None else {"ssl": self.ssl_context}
        ws = await connect(
            self.uri,
            open_timeout=self.connect_timeout,
            ping_interval=None,
            close_timeout=self.close_timeout,
            compression=None,
            max_size=self.max_message_size,
            max_queue=None,
            proxy=None,
            **extra,
        )
        self._attach(ws)
        loop = asyncio.get_running_loop()
        limit = self.connect_timeout

        async def handshake(session: str | None) -> protocol.Response:
            return await self._send_and_wait(
                lambda rid, _sid: protocol.connect_request(rid, session),
                loop.time() + limit,
                limit,
                resend=False,
            )

        outcome = "new"
        if resume_session is None:
            resp = await handshake(None)
        else:
            try:
                resp = await handshake(resume_session)
                outcome = "same"
            except InvalidSessionError:
                resp = await handshake(None)
                outcome = "empty"
        result = resp.result if isinstance(resp.result, dict) else {}
        session_id = result.get("sessionId")
        server_id = result.get("serverId")
        if not isinstance(session_id, str):
            raise KmsProtocolError("connect reply without sessionId")
        previous_server = self.server_id
        if outcome == "same" and (session_id != resume_session or server_id != previous_server):
            outcome = "empty"
        self.session_id = session_id
        self.server_id = server_id if isinstance(server_id, str) else None
        if outcome == "same":
            return outcome
        # getInfo refers to an object, which makes the new session known to the server (so a
        # later `connect {sessionId}` succeeds) and tells the version for event-name mapping.
        info = await self._send_and_wait(
            lambda rid, sid: protocol.invoke_request(rid, sid, protocol.SERVER_MANAGER_ID, "getInfo"),
            loop.time() + limit,
            limit,
            resend=False,
        )
        decoded = from_wire_value(info.value)
        if not isinstance(decoded, ServerInfo):
            raise KmsProtocolError(f"getInfo returned {info.value!r}")
        self.server_info = decoded
        return outcome

    def _attach(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._recv_task = asyncio.create_task(self._recv_loop(ws))

    async def _recv_loop(self, ws: ClientConnection) -> None:
        pending = self._pending
        try:
            async for frame in ws:
                try:
                    msg = protocol.parse_message(frame)
                except KmsProtocolError as exc:
                    self._bad_frames += 1
                    if self._bad_frames & (self._bad_frames - 1) == 0:  # 1st, 2nd, 4th, 8th...: a counter
                        log.warning("ignoring bad frame from %s (%d so far): %s", self.uri, self._bad_frames, exc)
                    refused = pending.get(exc.request_id) if exc.request_id is not None else None
                    if refused is not None and not refused.future.done():
                        refused.future.set_exception(exc)
                    continue
                if isinstance(msg, protocol.Response):
                    entry = pending.get(msg.id) if msg.id is not None else None
                    if entry is not None and not entry.future.done():
                        entry.future.set_result(msg)
                elif isinstance(msg, protocol.ErrorResponse):
                    entry = pending.get(msg.id) if msg.id is not None else None
                    if entry is not None and not entry.future.done():
                        entry.future.set_exception(msg.to_exception())
                    elif msg.id is None:
                        log.warning("error without id from %s: %s %s", self.uri, msg.code, msg.message)
                elif isinstance(msg, EventNotification):
                    self._dispatch_event(msg)
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("receive loop failed on %s", self.uri)
        self._socket_lost(ws, "socket closed")

    async def _drop_socket(self) -> None:
        ws = self._ws
        self._ws = None
        if ws is not None:
            ws.transport.abort()
        if self._recv_task is not None:
            self._recv_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._recv_task
            self._recv_task = None

    def _socket_lost(self, ws: ClientConnection, reason: str) -> None:
        if ws is not self._ws:
            return
        self._ws = None
        ws.transport.abort()
        if self._state is not ConnectionState.CONNECTED:
            # handshake in progress: fail its requests now; the caller of _establish retries
            for entry in list(self._pending.values()):
                if not entry.resend and not entry.future.done():
                    entry.future.set_exception(KmsConnectionLostError(f"socket to {self.uri} lost"))
            return
        self.disconnection_time = _now_ms()
        self._set_state(ConnectionState.RECONNECTING)
        self._notify(Disconnected(self.uri, self.disconnection_time, reason))
        self._reconnect_task = asyncio.create_task(self._reconnect_loop())

    async def _reconnect_loop(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        disconnected_at = self.disconnection_time or _now_ms()
        previous_server = self.server_id
        while self._state is not ConnectionState.CLOSED:
            try:
                outcome = await asyncio.wait_for(self._establish(self.session_id), self.connect_timeout)
            except asyncio.CancelledError:
                await self._drop_socket()
                raise
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed, KmsError) as exc:
                log.info("reconnect to %s failed: %r", self.uri, exc)
                await self._drop_socket()
                if (
                    self._state is ConnectionState.RECONNECTING
                    and loop.time() - started >= self.reconnect_window
                ):
                    self._set_state(ConnectionState.UNREACHABLE)
                    self._notify(Unreachable(self.uri, _now_ms(), disconnected_at))
                delay = (
                    self.reconnect_interval
                    if self._state is ConnectionState.RECONNECTING
                    else self.retry_interval
                )
                await asyncio.sleep(delay)
                continue
            break
        else:
            return
        session_id, server_id = self.session_id or "", self.server_id or ""
        self.connection_time = _now_ms()
        self.disconnection_time = None
        if outcome == "new":  # first connection of a media server that was unreachable at open()
            self._set_state(ConnectionState.CONNECTED)
            self._start_ping()
            self._notify(Connected(self.uri, self.connection_time, session_id, server_id))
        elif outcome == "same":
            ws = self._ws
            for entry in list(self._pending.values()):
                if entry.resend and ws is not None and not entry.future.done():
                    with contextlib.suppress(ConnectionClosed):
                        await ws.send(entry.request.encode())
            if self.closed:
                return
            self._set_state(ConnectionState.CONNECTED)
            self._notify(ReconnectedSame(self.uri, self.connection_time, session_id, server_id))
        else:
            self._routes.clear()
            self._fail_pending(KmsSessionLostError(f"media server {self.uri} lost the session"))
            self._set_state(ConnectionState.CONNECTED)
            self._notify(
                ReconnectedEmpty(
                    self.uri,
                    self.connection_time,
                    session_id,
                    server_id,
                    previous_server,
                    previous_server != self.server_id,
                )
            )

    async def _ping_loop(self, interval: float) -> None:
        while self._state is not ConnectionState.CLOSED:
            await asyncio.sleep(interval)
            ws = self._ws
            if self._state is not ConnectionState.CONNECTED or ws is None:
                continue
            try:
                await self.ping(timeout=self.ping_timeout)
            except KmsTimeoutError:
                if ws is self._ws:
                    log.warning("no pong from %s within %s s", self.uri, self.ping_timeout)
                    self._socket_lost(ws, "ping timeout")
            except (KmsConnectionError, KurentoRpcError) as exc:
                log.info("ping to %s failed: %r", self.uri, exc)

    def _fail_pending(self, exc: KmsError) -> None:
        for entry in list(self._pending.values()):
            if not entry.future.done():
                entry.future.set_exception(exc)

    def _set_state(self, state: ConnectionState) -> None:
        self._state = state
        waiter = self._state_waiter
        self._state_waiter = asyncio.Event()
        waiter.set()

    def _notify(self, event: LifecycleEvent) -> None:
        for listener in list(self._listeners):
            try:
                result = listener(event)
            except Exception:
                log.exception("lifecycle listener failed on %s", self.uri)
                continue
            if inspect.isawaitable(result):
                self.spawn(result)
