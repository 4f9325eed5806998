"""The state of one Kurento session, without any I/O (the sans-I/O core under ``connection.py``).

:class:`SessionState` holds what a client must remember between messages: the request id counter, the
requests awaiting a reply (each with an opaque *waiter*: the driver's future or callback), the media
server's ``sessionId``/``serverId``/``getInfo`` answer, the event routes by ``(object id, canonical event
name)`` and the count of refused frames. It takes frames in (:meth:`SessionState.receive`) and returns what
happened (:data:`Inbound`); it turns requests into the text to send (:meth:`SessionState.send`); and after a
reconnection it decides, from the ``connect`` reply, whether the session survived (:class:`ResumeOutcome`).

It never touches a socket, a task, a future or a clock: the driver (:class:`~kms_client.connection.
KmsConnection`) sends the texts, resolves the waiters it gets back, runs the event callbacks and keeps the
request deadlines (an expired request is taken out with :meth:`SessionState.pop`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

from . import protocol
from .errors import KmsError, KmsProtocolError, KmsTooManyRequestsError
from .events import canonical_event_name
from .protocol import ErrorResponse, EventNotification, Request, RequestId, Response
from .structs import ServerInfo, from_wire_value

DEFAULT_MAX_PENDING = 10_000
"""Requests awaiting a reply on one connection; one more fails at once with ``KmsTooManyRequestsError``."""

W = TypeVar("W")
EventCallback = Callable[[EventNotification], None]
RequestBuilder = Callable[[RequestId, "str | None"], Request]
RouteKey = tuple[str, str]


class ResumeOutcome(Enum):
    """What a ``connect`` handshake found."""

    NEW = "new"
    """The first session of this connection (no session to resume)."""
    SAME = "same"
    """The same media server process resumed the session: objects, subscriptions and requests in flight
    survive (those requests are re-sent with their ids; the server's duplicate cache answers them once)."""
    EMPTY = "empty"
    """A session that cannot be resumed (restarted media server, or one that forgot it): objects are gone."""


@dataclass(slots=True)
class Pending(Generic[W]):
    """A request awaiting its reply. ``resend`` is false for handshake requests (never re-sent)."""

    request: Request
    waiter: W
    resend: bool = True


# --- what a received frame did ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answered(Generic[W]):
    """A reply to a pending request (now taken out of the pending table)."""

    pending: Pending[W]
    response: Response


@dataclass(frozen=True, slots=True)
class Failed(Generic[W]):
    """A pending request failed: an error reply (typed ``KurentoRpcError``) or a reply that was refused
    (``KmsProtocolError``, its id read leniently). Taken out of the pending table."""

    pending: Pending[W]
    error: KmsError


@dataclass(frozen=True, slots=True)
class EventRouted:
    """An ``onEvent`` notification and the callbacks routed to it (none when nobody subscribed)."""

    event: EventNotification
    callbacks: tuple[EventCallback, ...]


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A reply or error whose id matches no pending request (unknown, late after a timeout, or a
    duplicate), an error reply without id, or a request from the server: nothing to do."""

    message: protocol.Message

    @property
    def orphan_error(self) -> ErrorResponse | None:
        """An error reply without id (it answers nothing we can name: worth a warning)."""
        msg = self.message
        return msg if isinstance(msg, ErrorResponse) and msg.id is None else None


@dataclass(frozen=True, slots=True)
class Malformed:
    """A frame that is not a message we accept (nothing was pending under a readable id). ``count`` is the
    number of such frames so far; ``report`` is true for the 1st, 2nd, 4th, 8th... (log these only)."""

    error: KmsProtocolError
    count: int
    report: bool


Inbound = Answered[W] | Failed[W] | EventRouted | Unmatched | Malformed


@dataclass(slots=True)
class _Route:
    callbacks: list[EventCallback] = field(default_factory=list)


class SessionState(Generic[W]):
    """One Kurento session's protocol state; ``W`` is the driver's waiter type (e.g. an ``asyncio.Future``).

    Request ids come from one counter that never restarts, so a request re-sent after a resumed session
    keeps its id. At most ``max_pending`` requests await a reply at once.
    """

    def __init__(self, *, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.max_pending = max_pending
        self.session_id: str | None = None
        self.server_id: str | None = None
        self.server_info: ServerInfo | None = None
        self.bad_frames = 0
        self._ids = itertools.count(1)
        self._pending: dict[RequestId, Pending[W]] = {}
        self._routes: dict[RouteKey, _Route] = {}
        self._first_ping = True

    # --- requests -------------------------------------------------------------------------------------

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def pending(self) -> list[Pending[W]]:
        """The requests awaiting a reply, oldest first."""
        return list(self._pending.values())

    def send(self, build: RequestBuilder, waiter: W, *, resend: bool = True) -> tuple[RequestId, str]:
        """Build the request ``build(id, sessionId)`` and register ``waiter`` for its reply.

        Returns the id and the text to send. Raises ``KmsTooManyRequestsError`` when ``max_pending``
        requests already wait, and ``KmsProtocolError`` for a value the wire cannot carry; nothing is
        registered then (one bad request never costs the link)."""
        if len(self._pending) >= self.max_pending:
            raise KmsTooManyRequestsError(f"{self.max_pending} requests already await a reply")
        request = build(next(self._ids), self.session_id)
        text = request.encode()
        if request.id in self._pending:
            raise KmsError(f"request id {request.id!r} is already pending")
        self._pending[request.id] = Pending(request, waiter, resend)
        return request.id, text

    def pop(self, request_id: RequestId) -> Pending[W] | None:
        """Take a request out (its deadline passed, or its caller stopped waiting); None if already gone."""
        return self._pending.pop(request_id, None)

    def take_all(self) -> list[Pending[W]]:
        """Take every pending request out (to fail them: connection closed, session lost)."""
        entries = list(self._pending.values())
        self._pending.clear()
        return entries

    def take_handshake(self) -> list[Pending[W]]:
        """Take the requests that must not be re-sent (the handshake's) out: their socket is gone."""
        entries = [entry for entry in self._pending.values() if not entry.resend]
        for entry in entries:
            del self._pending[entry.request.id]
        return entries

    def next_ping_interval_ms(self, interval: float | None) -> int | None:
        """The ``interval`` parameter of the next ``ping``: only the first ping tells it (milliseconds)."""
        first, self._first_ping = self._first_ping, False
        return int(interval * 1000) if first and interval is not None else None

    # --- frames in ------------------------------------------------------------------------------------

    def receive(self, frame: str | bytes) -> Inbound[W]:
        """What one frame from the media server means (see :data:`Inbound`)."""
        try:
            msg = protocol.parse_message(frame)
        except KmsProtocolError as exc:
            refused = self._pending.pop(exc.request_id, None) if exc.request_id is not None else None
            if refused is not None:
                return Failed(refused, exc)
            self.bad_frames += 1
            count = self.bad_frames
            return Malformed(exc, count, count & (count - 1) == 0)
        if isinstance(msg, EventNotification):
            route = self._routes.get((msg.object_id, canonical_event_name(msg.type)))
            return EventRouted(msg, tuple(route.callbacks) if route is not None else ())
        if isinstance(msg, Response | ErrorResponse) and msg.id is not None:
            entry = self._pending.pop(msg.id, None)
            if entry is not None:
                if isinstance(msg, Response):
                    return Answered(entry, msg)
                return Failed(entry, msg.to_exception())
        return Unmatched(msg)

    # --- handshake and resume -------------------------------------------------------------------------

    def accept_connect(self, response: Response, requested: str | None) -> ResumeOutcome:
        """Take the reply to ``connect`` (``requested``: the session it asked to resume, None for a fresh
        one) and decide the outcome. A fresh session is NEW on a connection that never had one, EMPTY
        otherwise; a resumed one is SAME only with the same ``sessionId`` from the same ``serverId``."""
        result = response.result if isinstance(response.result, dict) else {}
        session_id = result.get("sessionId")
        server_id = result.get("serverId")
        if not isinstance(session_id, str):
            raise KmsProtocolError("connect reply without sessionId")
        server = server_id if isinstance(server_id, str) else None
        if requested is None:
            outcome = ResumeOutcome.NEW if self.session_id is None else ResumeOutcome.EMPTY
        elif session_id == requested and server == self.server_id:
            outcome = ResumeOutcome.SAME
        else:
            outcome = ResumeOutcome.EMPTY
        self.session_id = session_id
        self.server_id = server
        return outcome

    @staticmethod
    def needs_info(outcome: ResumeOutcome) -> bool:
        """Whether ``getInfo`` must follow: for every session but a resumed one. It refers to an object,
        which makes a new session known to the server (so a later resume succeeds), and tells the version."""
        return outcome is not ResumeOutcome.SAME

    def info_request(self, request_id: RequestId, session_id: str | None) -> Request:
        return protocol.invoke_request(request_id, session_id, protocol.SERVER_MANAGER_ID, "getInfo")

    def accept_info(self, response: Response) -> ServerInfo:
        decoded = from_wire_value(response.value)
        if not isinstance(decoded, ServerInfo):
            raise KmsProtocolError(f"getInfo returned {response.value!r}")
        self.server_info = decoded
        return decoded

    def resend_texts(self) -> list[str]:
        """After a SAME resume: the requests to send again, with their original ids, oldest first."""
        return [entry.request.encode() for entry in self._pending.values() if entry.resend]

    def session_lost(self) -> list[Pending[W]]:
        """After an EMPTY resume: every route is gone; returns the pending requests (to fail them)."""
        self._routes.clear()
        return self.take_all()

    # --- event routes ---------------------------------------------------------------------------------

    def add_route(self, object_id: str, event_name: str, callback: EventCallback) -> None:
        """Route events ``event_name`` (canonical) of ``object_id`` to ``callback`` (before subscribing,
        so that events arriving before the reply are delivered)."""
        key = (object_id, event_name)
        route = self._routes.get(key)
        if route is None:
            route = self._routes[key] = _Route()
        route.callbacks.append(callback)

    def remove_route(self, object_id: str, event_name: str, callback: EventCallback) -> None:
        key = (object_id, event_name)
        route = self._routes.get(key)
        if route is None:
            return
        if callback in route.callbacks:
            route.callbacks.remove(callback)
        if not route.callbacks:
            del self._routes[key]

    def drop_routes(self, object_id: str) -> None:
        """Forget the routes of a released object and of the objects it holds (ids ``<object_id>/...``)."""
        prefix = object_id + "/"
        for key in [k for k in self._routes if k[0] == object_id or k[0].startswith(prefix)]:
            del self._routes[key]

    def clear_routes(self) -> None:
        self._routes.clear()

    def routes(self) -> dict[RouteKey, int]:
        """Number of callbacks per route (for inspection and tests)."""
        return {key: len(route.callbacks) for key, route in self._routes.items()}
