"""One publisher's media chain: WebRtcEndpoint -> [filter] -> PassThrough (an IP camera: PlayerEndpoint ->
PassThrough), its filter (spec §4: applyFilter, execFilterMethod, removeFilter) and the subscribers listening
to the filter's events.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from kms_client.errors import KmsError
from kms_client.events import KurentoEvent
from kms_client.objects import MediaElement, MediaPipeline, PassThrough, PlayerEndpoint, Subscription
from server.core.errors import ErrorCode
from server.media.endpoint import MediaEndpoint, release_quietly
from server.media.errors import MediaError
from server.media.timeouts import MediaTimeouts


class FilterEvents(Protocol):
    """Where a filter's events go (``filterEventDispatched`` notifications)."""

    def filter_event(
        self,
        recipient_ids: list[str],
        publisher_id: str,
        stream_id: str,
        filter_type: str,
        event_type: str,
        data: str,
    ) -> None: ...


@dataclass(slots=True)
class FilterListener:
    subscription: Subscription
    recipients: set[str] = field(default_factory=set)


@dataclass(slots=True)
class FilterElement:
    type: str
    options: dict[str, Any]
    element: MediaElement
    last_exec: tuple[str, dict[str, Any]] | None = None
    listeners: dict[str, FilterListener] = field(default_factory=dict)

    @property
    def element_id(self) -> str:
        return self.element.id

    def to_json(self) -> dict[str, Any]:
        """The ``filter`` object of stream JSON: ``{type, options, lastExecMethod}``."""
        last: dict[str, Any] = {}
        if self.last_exec is not None:
            last = {"method": self.last_exec[0], "params": self.last_exec[1]}
        return {"type": self.type, "options": self.options, "lastExecMethod": last}


async def create_filter(
    pipeline: MediaPipeline, filter_type: str, options: dict[str, Any], timeout: float
) -> FilterElement:
    """The filter element (any Kurento type by name, constructor options as given); MediaError 406 when the
    media server cannot create it."""
    try:
        element = await pipeline.create_element(filter_type, options, timeout=timeout)
    except KmsError as exc:
        raise MediaError(
            ErrorCode.FILTER_NOT_APPLIED,
            f"Error applying filter for publisher: {filter_type} is not available ({exc})",
        ) from exc
    return FilterElement(filter_type, options, element)


@dataclass(slots=True)
class PublisherMedia:
    connection_id: str
    stream_id: str
    endpoint: MediaEndpoint
    passthrough: PassThrough
    loopback: bool
    filter: FilterElement | None = None
    player: PlayerEndpoint | None = None
    """The PlayerEndpoint of an IP camera (its ``endpoint`` is then never created)."""

    @property
    def passthrough_id(self) -> str:
        return self.passthrough.id

    async def connect_chain(self, timeout: float) -> None:
        """endpoint -> [filter] -> PassThrough."""
        source = self.endpoint.element
        assert source is not None
        if self.filter is not None:
            await source.connect(self.filter.element, timeout=timeout)
            await self.filter.element.connect(self.passthrough, timeout=timeout)
        else:
            await source.connect(self.passthrough, timeout=timeout)

    async def release(self, timeout: float) -> None:
        """Release the filter, the player and the PassThrough (the endpoint is released by its owner)."""
        if self.filter is not None:
            await release_quietly(self.filter.element, timeout)
        if self.player is not None:
            await release_quietly(self.player, timeout)
        await release_quietly(self.passthrough, timeout)

    # --- the filter ----------------------------------------------------------------------------

    def _require_filter(self) -> FilterElement:
        if self.filter is None:
            raise MediaError(ErrorCode.FILTER_NOT_APPLIED, f"Stream {self.stream_id} has no filter applied")
        return self.filter

    async def apply_filter(
        self, pipeline: MediaPipeline, filter_type: str, options: dict[str, Any], timeouts: MediaTimeouts
    ) -> FilterElement:
        if self.filter is not None:
            raise MediaError(
                ErrorCode.EXISTING_FILTER_ALREADY_APPLIED,
                f"Filter already exists for stream {self.stream_id}. Remove it before applying a new one",
            )
        element = await create_filter(pipeline, filter_type, options, timeouts.element)
        source = self.endpoint.element
        assert source is not None
        try:
            await source.disconnect(self.passthrough, timeout=timeouts.call)
            self.filter = element
            await self.connect_chain(timeouts.call)
        except KmsError as exc:
            self.filter = None
            await release_quietly(element.element, timeouts.release)
            with contextlib.suppress(KmsError):
                await source.connect(self.passthrough, timeout=timeouts.call)
            raise MediaError(
                ErrorCode.FILTER_NOT_APPLIED, f"Error applying filter {filter_type}: {exc}"
            ) from exc
        return element

    async def remove_filter(self, timeouts: MediaTimeouts) -> None:
        element = self._require_filter()
        self.filter = None
        source = self.endpoint.element
        with contextlib.suppress(KmsError):
            if source is not None:
                await source.disconnect(element.element, timeout=timeouts.call)
        await release_quietly(element.element, timeouts.release)
        if source is not None:
            try:
                await source.connect(self.passthrough, timeout=timeouts.call)
            except KmsError as exc:
                raise MediaError(ErrorCode.FILTER_NOT_APPLIED, f"Error removing filter: {exc}") from exc

    async def exec_filter_method(self, method: str, params: dict[str, Any], timeout: float) -> FilterElement:
        """Any method of the filter, by name and with the client's params (OpenVidu passes them through)."""
        element = self._require_filter()
        try:
            await element.element.invoke(method, params, timeout=timeout)
        except KmsError as exc:
            raise MediaError(
                ErrorCode.FILTER_NOT_APPLIED, f"Error executing filter method {method}: {exc}"
            ) from exc
        element.last_exec = (method, params)
        return element

    async def add_filter_listener(
        self, subscriber_id: str, event_type: str, sink: FilterEvents, timeout: float
    ) -> None:
        element = self._require_filter()
        listener = element.listeners.get(event_type)
        if listener is None:

            def on_event(event: KurentoEvent) -> None:
                entry = element.listeners.get(event_type)
                if entry is None or not entry.recipients:
                    return
                data = {k: v for k, v in event.raw.items() if k not in ("__module__", "__type__")}
                sink.filter_event(
                    sorted(entry.recipients),
                    self.connection_id,
                    self.stream_id,
                    element.type,
                    event_type,
                    json.dumps(data),
                )

            try:
                subscription = await element.element.on_event(event_type, on_event, timeout=timeout)
            except KmsError as exc:
                raise MediaError(
                    ErrorCode.FILTER_EVENT_LISTENER_NOT_FOUND,
                    f"Request to addFilterEventListener to stream {self.stream_id} gone wrong: {exc}",
                ) from exc
            listener = FilterListener(subscription)
            element.listeners[event_type] = listener
        listener.recipients.add(subscriber_id)

    async def remove_filter_listener(self, subscriber_id: str, event_type: str, timeout: float) -> None:
        element = self._require_filter()
        listener = element.listeners.get(event_type)
        if listener is None or subscriber_id not in listener.recipients:
            raise MediaError(
                ErrorCode.FILTER_EVENT_LISTENER_NOT_FOUND,
                f"No filter event listener {event_type} for stream {self.stream_id}",
            )
        listener.recipients.discard(subscriber_id)
        if not listener.recipients:
            del element.listeners[event_type]
            with contextlib.suppress(KmsError):
                await element.element.off(listener.subscription, timeout=timeout)

    def forget_recipient(self, connection_id: str) -> None:
        """A participant left: it gets no more filter events."""
        if self.filter is not None:
            for listener in self.filter.listeners.values():
                listener.recipients.discard(connection_id)
