"""The Kurento requests of a connection, typed: each builds its message, awaits :meth:`call` and decodes.

:class:`RequestMethods` is the base of :class:`~kms_client.connection.KmsConnection`: ``create``,
``invoke``, ``release``, ``describe``, ``ping``, ``transaction``, ``subscribe`` and ``unsubscribe``, written
once over the abstract :meth:`RequestMethods.call` (the I/O) and the connection's
:class:`~kms_client.session_state.SessionState` (event routes, first ping interval).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from . import protocol
from .errors import KmsProtocolError
from .protocol import Request, RequestId
from .session_state import EventCallback, SessionState
from .structs import from_wire_value


class RequestMethods(ABC):
    """Typed Kurento requests over :meth:`call`; every ``timeout`` defaults to the connection's."""

    session_state: SessionState[Any]
    ping_interval: float | None

    @abstractmethod
    async def call(
        self,
        build: Callable[[RequestId, str | None], Request],
        *,
        timeout: float | None = None,
    ) -> protocol.Response:
        """Send the request made by ``build(id, sessionId)`` and return its reply."""

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
        self.session_state.drop_routes(object_id)

    async def describe(self, object_id: str, *, timeout: float | None = None) -> dict[str, Any]:
        resp = await self.call(
            lambda rid, sid: protocol.describe_request(rid, sid, object_id), timeout=timeout
        )
        return resp.result if isinstance(resp.result, dict) else {}

    async def ping(self, *, timeout: float | None = None) -> None:
        interval_ms = self.session_state.next_ping_interval_ms(self.ping_interval)
        await self.call(lambda rid, sid: protocol.ping_request(rid, sid, interval_ms), timeout=timeout)

    async def transaction(
        self, operations: list[tuple[str, dict[str, Any]]], *, timeout: float | None = None
    ) -> list[protocol.Response | protocol.ErrorResponse]:
        resp = await self.call(
            lambda rid, sid: protocol.transaction_request(rid, sid, operations), timeout=timeout
        )
        return protocol.parse_transaction_results(resp.value)

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
        self.session_state.add_route(object_id, event_name, callback)
        try:
            resp = await self.call(
                lambda rid, sid: protocol.subscribe_request(rid, sid, object_id, wire_name), timeout=timeout
            )
        except BaseException:
            self.session_state.remove_route(object_id, event_name, callback)
            raise
        value = resp.value
        if not isinstance(value, str):
            self.session_state.remove_route(object_id, event_name, callback)
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
        self.session_state.remove_route(object_id, event_name, callback)
        await self.call(
            lambda rid, sid: protocol.unsubscribe_request(rid, sid, object_id, subscription_id),
            timeout=timeout,
        )
