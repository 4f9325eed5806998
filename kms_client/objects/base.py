"""MediaObject: the base of every proxy, with subscriptions and typed events."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from ..connection import KmsConnection
from ..errors import KmsError, KmsProtocolError
from ..events import KurentoEvent, parse_event, wire_event_name
from ..protocol import EventNotification
from ..structs import (
    Tag,
)

E = TypeVar("E", bound=KurentoEvent)
EventHandler = Callable[[E], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class Subscription:
    """A live subscription; pass it to :meth:`MediaObject.off`."""

    object_id: str
    event_name: str
    subscription_id: str
    callback: Callable[[EventNotification], None]


class EventWaiter(Generic[E]):
    """The first matching event after :meth:`MediaObject.expect`; unsubscribes once done."""

    def __init__(self, owner: MediaObject, subscription: Subscription, future: asyncio.Future[E]) -> None:
        self._owner = owner
        self._subscription: Subscription | None = subscription
        self._future = future

    async def wait(self, timeout: float) -> E:
        """The event; ``TimeoutError`` when none came within ``timeout`` seconds."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._future), timeout)
        finally:
            await self.close()

    async def close(self, *, timeout: float | None = None) -> None:
        """Stop listening (idempotent; errors of a lost connection are ignored)."""
        if self._subscription is None:
            return
        subscription, self._subscription = self._subscription, None
        with contextlib.suppress(KmsError):
            await self._owner.off(subscription, timeout=timeout)


def text_reply(operation: str, value: Any) -> str:
    """A reply that must be a string (an SDP): anything else fails the call with ``KmsProtocolError``."""
    if not isinstance(value, str):
        raise KmsProtocolError(f"{operation} returned {type(value).__name__}, not a string")
    return value


class MediaObject:
    """Any Kurento object (``MediaObject`` in the kmd)."""

    TYPE: ClassVar[str] = "MediaObject"

    def __init__(self, connection: KmsConnection, object_id: str) -> None:
        self.connection = connection
        self.id = object_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MediaObject) and other.id == self.id and other.connection is self.connection

    def __hash__(self) -> int:
        return hash(self.id)

    async def invoke(
        self, operation: str, params: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        """Raw ``invoke`` on this object (for operations without a typed method).

        Every method of a proxy takes ``timeout`` (seconds; None: the connection's
        ``request_timeout``); past it the call fails with
        :class:`~kms_client.errors.KmsTimeoutError`. Error replies raise the typed
        :class:`~kms_client.errors.KurentoRpcError`.
        """
        return await self.connection.invoke(self.id, operation, params, timeout=timeout)

    async def release(self, *, timeout: float | None = None) -> None:
        """Release the object and its children (idempotent on the server)."""
        await self.connection.release(self.id, timeout=timeout)

    async def describe(self, *, timeout: float | None = None) -> dict[str, Any]:
        return await self.connection.describe(self.id, timeout=timeout)

    # properties of MediaObject

    async def get_name(self, *, timeout: float | None = None) -> str:
        return str(await self.invoke("getName", timeout=timeout))

    async def set_name(self, name: str, *, timeout: float | None = None) -> None:
        await self.invoke("setName", {"name": name}, timeout=timeout)

    async def get_children(self, *, timeout: float | None = None) -> list[str]:
        return list(await self.invoke("getChildren", timeout=timeout) or [])

    async def get_parent(self, *, timeout: float | None = None) -> str | None:
        value = await self.invoke("getParent", timeout=timeout)
        return value if isinstance(value, str) else None

    async def get_media_pipeline(self, *, timeout: float | None = None) -> str:
        return str(await self.invoke("getMediaPipeline", timeout=timeout))

    async def get_creation_time(self, *, timeout: float | None = None) -> int:
        return int(await self.invoke("getCreationTime", timeout=timeout))

    async def get_send_tags_in_events(self, *, timeout: float | None = None) -> bool:
        return bool(await self.invoke("getSendTagsInEvents", timeout=timeout))

    async def set_send_tags_in_events(self, value: bool, *, timeout: float | None = None) -> None:
        await self.invoke("setSendTagsInEvents", {"sendTagsInEvents": value}, timeout=timeout)

    async def add_tag(self, key: str, value: str, *, timeout: float | None = None) -> None:
        await self.invoke("addTag", {"key": key, "value": value}, timeout=timeout)

    async def remove_tag(self, key: str, *, timeout: float | None = None) -> None:
        await self.invoke("removeTag", {"key": key}, timeout=timeout)

    async def get_tag(self, key: str, *, timeout: float | None = None) -> str:
        return str(await self.invoke("getTag", {"key": key}, timeout=timeout))

    async def get_tags(self, *, timeout: float | None = None) -> list[Tag]:
        return [t for t in await self.invoke("getTags", timeout=timeout) or [] if isinstance(t, Tag)]

    # events

    async def on(
        self, event_type: type[E], handler: EventHandler[E], *, timeout: float | None = None
    ) -> Subscription:
        """Subscribe ``handler`` (sync or async) to a typed event, e.g.
        ``await endpoint.on(IceCandidateFound, handler)``."""
        name = event_type.NAME

        def callback(notification: EventNotification) -> None:
            event = event_type.from_data(notification.data)
            self._run_handler(handler(event))

        return await self._subscribe(name, callback, timeout)

    async def on_event(
        self, event_name: str, handler: EventHandler[KurentoEvent], *, timeout: float | None = None
    ) -> Subscription:
        """Subscribe by canonical event name (e.g. a filter's custom event); the handler gets a
        typed event when the name is known, a :class:`~kms_client.events.GenericEvent` else."""

        def callback(notification: EventNotification) -> None:
            self._run_handler(handler(parse_event(event_name, notification.data)))

        return await self._subscribe(event_name, callback, timeout)

    async def expect(
        self,
        event_type: type[E],
        predicate: Callable[[E], bool] | None = None,
        *,
        timeout: float | None = None,
    ) -> EventWaiter[E]:
        """Subscribe now, wait later: ``waiter = await rec.expect(Stopped)``, then
        ``await rec.stop()`` and ``await waiter.wait(timeout)`` (no event can slip in between)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[E] = loop.create_future()

        def handler(event: E) -> None:
            if not future.done() and (predicate is None or predicate(event)):
                future.set_result(event)

        subscription = await self.on(event_type, handler, timeout=timeout)
        return EventWaiter(self, subscription, future)

    async def off(self, subscription: Subscription, *, timeout: float | None = None) -> None:
        """Stop a subscription: its handler is not called any more, even if the request fails."""
        await self.connection.unsubscribe(
            subscription.object_id,
            subscription.event_name,
            subscription.subscription_id,
            subscription.callback,
            timeout=timeout,
        )

    async def _subscribe(
        self, name: str, callback: Callable[[EventNotification], None], timeout: float | None
    ) -> Subscription:
        wire = wire_event_name(name, self.connection.server_major)
        sub_id = await self.connection.subscribe(self.id, name, wire, callback, timeout=timeout)
        return Subscription(self.id, name, sub_id, callback)

    def _run_handler(self, result: Awaitable[None] | None) -> None:
        if result is not None and inspect.isawaitable(result):
            self.connection.spawn(result)
