"""One WebSocket to one media server, carrying one Kurento session.

:class:`KmsConnection` is the I/O driver of a :class:`~kms_client.session_state.SessionState`, which
holds, without any I/O, request/reply correlation, the ``sessionId``, ``onEvent`` routing by
``(object id, canonical event name)`` and the resume decision. The driver owns the socket, the futures
and the deadline of every request, the connection state, the keepalive ``ping`` and reconnection.

Request ids come from one counter per connection that never restarts, so a request that was in
flight when the socket dropped is re-sent with the *same* id after a ``connect {sessionId}``
to the same server: the media server's duplicate-request cache answers it without running it
twice. When the session cannot be resumed (media server restarted), such requests fail with
:class:`~kms_client.errors.KmsSessionLostError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
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
    KmsSessionLostError,
    KmsTimeoutError,
    KmsUnreachableError,
    KurentoRpcError,
)
from .lifecycle import (
    ConnectionState,
    Disconnected,
    LifecycleEvent,
    Listeners,
    ReconnectPolicy,
    Unreachable,
    resumed_notice,
)
from .lifecycle import LifecycleListener as LifecycleListener
from .protocol import Request, RequestId
from .requests import RequestMethods
from .session_state import (
    DEFAULT_MAX_PENDING,
    Answered,
    EventRouted,
    Failed,
    Malformed,
    Pending,
    ResumeOutcome,
    SessionState,
    Unmatched,
)
from .session_state import EventCallback as EventCallback
from .structs import ServerInfo

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

_Waiter = asyncio.Future[protocol.Response]


def _now_ms() -> int:
    return int(time.time() * 1000)


class KmsConnection(RequestMethods):
    """A Kurento JSON-RPC connection with its own session.

    All timings are constructor parameters (seconds); see the ``DEFAULT_*`` constants.
    ``ping_interval=None`` disables keepalive pings (used for the ``getUsedCpu`` socket).
    ``ssl_context`` is used for ``wss://`` URIs (e.g. one trusting a KMS self-signed certificate).
    At most ``max_pending`` requests await a reply at once (one more fails with ``KmsTooManyRequestsError``).
    ``session_state`` is the sans-I/O :class:`~kms_client.session_state.SessionState` this driver feeds.
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
        max_pending: int = DEFAULT_MAX_PENDING,
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

        self.session_state: SessionState[_Waiter] = SessionState(max_pending=max_pending)
        self.connection_time: int | None = None
        self.disconnection_time: int | None = None

        self._state = ConnectionState.CONNECTING
        self._state_waiter = asyncio.Event()
        self._ws: ClientConnection | None = None
        self._listeners = Listeners()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._recv_task: asyncio.Task[None] | None = None
        self._ping_task: asyncio.Task[None] | None = None
        self._reconnect_task: asyncio.Task[None] | None = None

    # --- public state --------------------------------------------------------------------

    @property
    def session_id(self) -> str | None:
        return self.session_state.session_id

    @property
    def server_id(self) -> str | None:
        return self.session_state.server_id

    @property
    def server_info(self) -> ServerInfo | None:
        return self.session_state.server_info

    @server_info.setter
    def server_info(self, info: ServerInfo | None) -> None:
        self.session_state.server_info = info

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
        self._listeners.add(listener)

    def remove_listener(self, listener: LifecycleListener) -> None:
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
        self._fail(self.session_state.take_all(), KmsClosedError("connection closed"))
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
        self.session_state.clear_routes()

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
        future: _Waiter = loop.create_future()
        # a value that cannot be sent (or one request too many) fails this request here, not the link
        request_id, text = self.session_state.send(build, future, resend=resend)
        timer = loop.call_at(deadline, self._expire, request_id, limit)
        try:
            ws = self._ws
            if ws is not None:
                # on failure the request stays pending: re-sent after reconnection, or failed by it
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(text)
            return await future
        finally:
            timer.cancel()
            self.session_state.pop(request_id)

    def _expire(self, request_id: RequestId, limit: float) -> None:
        pending = self.session_state.pop(request_id)
        if pending is not None and not pending.waiter.done():
            method = pending.request.method
            pending.waiter.set_exception(
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

    def _dispatch_event(self, routed: EventRouted) -> None:
        event = routed.event
        for callback in routed.callbacks:
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

    async def _establish(self, resume_session: str | None) -> ResumeOutcome:
        """Open a socket, attach it and run the handshake (``connect``, then ``getInfo`` unless resumed)."""
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
        state = self.session_state
        requested = resume_session
        try:
            resp = await self._handshake(lambda rid, _sid: protocol.connect_request(rid, requested))
        except InvalidSessionError:
            if requested is None:
                raise
            requested = None
            resp = await self._handshake(lambda rid, _sid: protocol.connect_request(rid, None))
        outcome = state.accept_connect(resp, requested)
        if state.needs_info(outcome):
            state.accept_info(await self._handshake(state.info_request))
        return outcome

    async def _handshake(self, build: Callable[[RequestId, str | None], Request]) -> protocol.Response:
        limit = self.connect_timeout
        deadline = asyncio.get_running_loop().time() + limit
        return await self._send_and_wait(build, deadline, limit, resend=False)

    def _attach(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._recv_task = asyncio.create_task(self._recv_loop(ws))

    async def _recv_loop(self, ws: ClientConnection) -> None:
        receive = self.session_state.receive
        try:
            async for frame in ws:
                got = receive(frame)
                if isinstance(got, Answered) and not got.pending.waiter.done():
                    got.pending.waiter.set_result(got.response)
                elif isinstance(got, Failed) and not got.pending.waiter.done():
                    got.pending.waiter.set_exception(got.error)
                elif isinstance(got, EventRouted):
                    self._dispatch_event(got)
                elif isinstance(got, Malformed) and got.report:
                    log.warning("ignoring bad frame from %s (%d so far): %s", self.uri, got.count, got.error)
                elif isinstance(got, Unmatched) and (orphan := got.orphan_error) is not None:
                    log.warning("error without id from %s: %s %s", self.uri, orphan.code, orphan.message)
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
            self._fail(
                self.session_state.take_handshake(), KmsConnectionLostError(f"socket to {self.uri} lost")
            )
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
        policy = ReconnectPolicy(self.reconnect_window, self.reconnect_interval, self.retry_interval)
        while self._state is not ConnectionState.CLOSED:
            try:
                outcome = await asyncio.wait_for(self._establish(self.session_id), self.connect_timeout)
            except asyncio.CancelledError:
                await self._drop_socket()
                raise
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed, KmsError) as exc:
                log.info("reconnect to %s failed: %r", self.uri, exc)
                await self._drop_socket()
                state, delay = policy.after_failure(self._state, loop.time() - started)
                if state is not self._state:
                    self._set_state(state)
                    self._notify(Unreachable(self.uri, _now_ms(), disconnected_at))
                await asyncio.sleep(delay)
                continue
            break
        else:
            return
        self.connection_time = _now_ms()
        self.disconnection_time = None
        if outcome is ResumeOutcome.SAME:
            ws = self._ws
            if ws is not None:
                for text in self.session_state.resend_texts():
                    with contextlib.suppress(ConnectionClosed):
                        await ws.send(text)
            if self.closed:
                return
        elif outcome is ResumeOutcome.EMPTY:
            lost = self.session_state.session_lost()
            self._fail(lost, KmsSessionLostError(f"media server {self.uri} lost the session"))
        self._set_state(ConnectionState.CONNECTED)
        if outcome is ResumeOutcome.NEW:  # first connection of a media server that was unreachable at open()
            self._start_ping()
        at, session_id, server_id = self.connection_time, self.session_id, self.server_id
        self._notify(resumed_notice(outcome, self.uri, at, session_id, server_id, previous_server))

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

    @staticmethod
    def _fail(entries: Iterable[Pending[_Waiter]], exc: KmsError) -> None:
        for entry in entries:
            if not entry.waiter.done():
                entry.waiter.set_exception(exc)

    def _set_state(self, state: ConnectionState) -> None:
        self._state = state
        waiter = self._state_waiter
        self._state_waiter = asyncio.Event()
        waiter.set()

    def _notify(self, event: LifecycleEvent) -> None:
        for started in self._listeners.notify(event):
            self.spawn(started)
