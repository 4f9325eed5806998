"""The Kurento side of one OpenVidu session (spec/openvidu-signaling.md §5).

One ``MediaPipeline`` per session on the media server the picker chooses, created on the first join; per
publisher a ``WebRtcEndpoint`` feeding a ``PassThrough`` (with an optional filter element in between); per
subscription a ``WebRtcEndpoint`` fed by the publisher's ``PassThrough``. Browser ICE candidates are routed by
(participant, endpointName) and queued until their endpoint has processed its offer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kms_client.connection import KmsConnection
from kms_client.errors import KmsError
from kms_client.events import wire_event_name
from kms_client.protocol import EventNotification
from server.core.errors import ErrorCode, OpenViduError
from server.media.bandwidth import Bandwidth
from server.media.endpoint import Candidate, WebRtcEndpoint
from server.media.picker import MediaServerChoice, MediaServerPicker

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MediaTimeouts:
    """Seconds granted to media-server work."""

    pipeline: float = 30.0  # OpenVidu waits up to 30 s for the pipeline of the first join
    element: float = 30.0  # creating an endpoint and negotiating it
    call: float = 10.0  # any other single call
    release: float = 5.0


class MediaListener(Protocol):
    """Where media events go (the signaling layer turns them into notifications)."""

    def ice_candidate(
        self, recipient_id: str, sender_id: str, endpoint_name: str, candidate: Candidate
    ) -> None: ...

    def media_error(
        self, recipient_ids: list[str] | None, error_type: str, description: str, code: int
    ) -> None:
        """``recipient_ids`` None means everyone in the session (pipeline errors)."""
        ...

    def filter_event(
        self,
        recipient_ids: list[str],
        publisher_id: str,
        stream_id: str,
        filter_type: str,
        event_type: str,
        data: str,
    ) -> None: ...


class MediaError(OpenViduError):
    """A media-server failure, with the OpenVidu error code the caller should answer."""


@dataclass(slots=True)
class FilterListener:
    subscription_id: str
    callback: Callable[[EventNotification], None]
    recipients: set[str] = field(default_factory=set)


@dataclass(slots=True)
class FilterElement:
    type: str
    options: dict[str, Any]
    element_id: str
    last_exec: tuple[str, dict[str, Any]] | None = None
    listeners: dict[str, FilterListener] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``filter`` object of stream JSON: ``{type, options, lastExecMethod}``."""
        last: dict[str, Any] = {}
        if self.last_exec is not None:
            last = {"method": self.last_exec[0], "params": self.last_exec[1]}
        return {"type": self.type, "options": self.options, "lastExecMethod": last}


@dataclass(slots=True)
class PublisherMedia:
    connection_id: str
    stream_id: str
    endpoint: WebRtcEndpoint
    passthrough_id: str
    loopback: bool
    filter: FilterElement | None = None
    player_id: str | None = None
    """The PlayerEndpoint of an IP camera (its ``endpoint`` is then never created)."""


class MediaSession:
    """Media of one session. All public coroutines may run concurrently for different participants."""

    def __init__(
        self,
        session_id: str,
        picker: MediaServerPicker,
        listener: MediaListener,
        timeouts: MediaTimeouts | None = None,
    ) -> None:
        self.session_id = session_id
        self.picker = picker
        self.listener = listener
        self.timeouts = timeouts or MediaTimeouts()
        self.choice: MediaServerChoice | None = None
        self.pipeline_id: str | None = None
        self.publishers: dict[str, PublisherMedia] = {}
        self.closed = False
        # (owner connectionId, endpointName the browser uses) -> endpoint; endpointName is the owner's own id
        # for its publisher and the publisher's connectionId for a subscription.
        self._endpoints: dict[tuple[str, str], WebRtcEndpoint] = {}
        self._pipeline_lock = asyncio.Lock()
        self._publishing: dict[str, asyncio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # --- placement and pipeline --------------------------------------------------------------

    @property
    def server_id(self) -> str | None:
        return self.choice.server_id if self.choice else None

    @property
    def connection(self) -> KmsConnection | None:
        return self.choice.connection if self.choice else None

    async def start(self) -> None:
        """Pick the media server and create the pipeline (idempotent). MediaError 204 on failure."""
        async with self._pipeline_lock:
            if self.pipeline_id is not None:
                return
            try:
                self.choice = self.picker.pick(self.session_id)
                conn = self.choice.connection
                self.pipeline_id = await conn.create("MediaPipeline", {}, timeout=self.timeouts.pipeline)
                with contextlib.suppress(KmsError):
                    await conn.subscribe(
                        self.pipeline_id,
                        "Error",
                        wire_event_name("Error", conn.server_major),
                        self._pipeline_error,
                        timeout=self.timeouts.call,
                    )
            except Exception as exc:
                self.pipeline_id = None
                raise MediaError(
                    ErrorCode.ROOM_CANNOT_BE_CREATED,
                    f"Unable to create media pipeline for session {self.session_id}: {exc}",
                ) from exc

    def _pipeline_error(self, event: EventNotification) -> None:
        data = event.data
        self.listener.media_error(
            None, str(data.get("type", "")), str(data.get("description", "")), int(data.get("errorCode", 0))
        )

    def _require_pipeline(self) -> tuple[KmsConnection, str]:
        if self.choice is None or self.pipeline_id is None or self.closed:
            raise MediaError(
                ErrorCode.ROOM_CANNOT_BE_CREATED, f"Session {self.session_id} has no media pipeline"
            )
        return self.choice.connection, self.pipeline_id

    # --- endpoints and candidates ------------------------------------------------------------

    def _endpoint(self, owner_id: str, target_id: str) -> WebRtcEndpoint:
        """The endpoint (possibly only a placeholder) for a browser candidate route."""
        key = (owner_id, target_id)
        endpoint = self._endpoints.get(key)
        if endpoint is None:
            endpoint = self._new_endpoint(owner_id, target_id)
            self._endpoints[key] = endpoint
        return endpoint

    def _new_endpoint(self, owner_id: str, target_id: str) -> WebRtcEndpoint:
        endpoint = WebRtcEndpoint("")

        def on_candidate(candidate: Candidate) -> None:
            self.listener.ice_candidate(owner_id, target_id, endpoint.name, candidate)

        def on_error(error_type: str, description: str, code: int) -> None:
            self.listener.media_error([owner_id], error_type, description, code)

        endpoint.on_candidate = on_candidate
        endpoint.on_error = on_error
        return endpoint

    def candidates_held(self, connection_id: str) -> int:
        """Browser candidates kept for this participant's endpoints (buffered or listed in stats)."""
        return sum(
            len(endpoint.received_candidates)
            for (owner, _), endpoint in self._endpoints.items()
            if owner == connection_id
        )

    async def add_ice_candidate(self, connection_id: str, endpoint_name: str, candidate: Candidate) -> None:
        await self._endpoint(connection_id, endpoint_name).add_remote_candidate(candidate, self.timeouts.call)

    def endpoints(self) -> list[tuple[str, WebRtcEndpoint]]:
        """Every live endpoint with its name (publisher: the streamId; subscriber: ``<sub>_<streamId>``)."""
        return [(endpoint.name, endpoint) for endpoint in self._endpoints.values() if not endpoint.released]

    def endpoint_of(self, owner_id: str, target_id: str) -> WebRtcEndpoint | None:
        return self._endpoints.get((owner_id, target_id))

    def _watch(self, endpoint: WebRtcEndpoint) -> None:
        task = asyncio.ensure_future(endpoint.watch_events(self.timeouts.call))
        self._tasks.add(task)
        task.add_done_callback(self._watch_done)

    def _watch_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("event subscriptions failed: %s", task.exception())

    # --- publishing ----------------------------------------------------------------------------

    def begin_publish(self, connection_id: str) -> None:
        """Mark a stream as being negotiated: subscriptions to it wait until ``end_publish``."""
        self._publishing[connection_id] = asyncio.Event()

    def end_publish(self, connection_id: str) -> None:
        event = self._publishing.pop(connection_id, None)
        if event is not None:
            event.set()

    async def wait_published(self, connection_id: str) -> None:
        event = self._publishing.get(connection_id)
        if event is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), self.timeouts.element)

    async def publish(
        self,
        connection_id: str,
        stream_id: str,
        sdp_offer: str,
        *,
        bandwidth: Bandwidth,
        loopback: bool = False,
        filter_type: str | None = None,
        filter_options: dict[str, Any] | None = None,
    ) -> str:
        """Build WebRtcEndpoint -> [filter] -> PassThrough, answer the offer and start gathering."""
        conn, pipeline = self._require_pipeline()
        endpoint = self._endpoint(connection_id, connection_id)
        endpoint.name = stream_id
        t = self.timeouts
        passthrough_id: str | None = None
        try:
            await endpoint.create(conn, pipeline, bandwidth, t.element)
            passthrough_id = await conn.create("PassThrough", {"mediaPipeline": pipeline}, timeout=t.element)
            media = PublisherMedia(connection_id, stream_id, endpoint, passthrough_id, loopback)
            if filter_type:
                media.filter = await self._create_filter(conn, pipeline, filter_type, filter_options or {})
            await self._connect_chain(conn, media)
            if loopback:
                await conn.invoke(passthrough_id, "connect", {"sink": endpoint.element_id}, timeout=t.call)
            answer = await endpoint.process_offer(sdp_offer, t.element)
            await endpoint.gather_candidates(t.call)
        except MediaError:
            await self._discard_publisher_parts(endpoint, passthrough_id)
            raise
        except KmsError as exc:
            await self._discard_publisher_parts(endpoint, passthrough_id)
            code = ErrorCode.MEDIA_SDP if endpoint.element_id is not None else ErrorCode.MEDIA_WEBRTC_ENDPOINT
            raise MediaError(code, f"Error publishing {stream_id}: {exc}") from exc
        self.publishers[connection_id] = media
        self._watch(endpoint)
        return answer

    async def publish_player(self, connection_id: str, stream_id: str, uri: str, network_cache: int) -> None:
        """An IP camera: PlayerEndpoint(uri) -> PassThrough, then ``play``; subscribers connect as to any
        publisher."""
        conn, pipeline = self._require_pipeline()
        t = self.timeouts
        player_id: str | None = None
        passthrough_id: str | None = None
        try:
            player_id = await conn.create(
                "PlayerEndpoint",
                {"mediaPipeline": pipeline, "uri": uri, "networkCache": network_cache},
                timeout=t.element,
            )
            passthrough_id = await conn.create("PassThrough", {"mediaPipeline": pipeline}, timeout=t.element)
            await conn.invoke(player_id, "connect", {"sink": passthrough_id}, timeout=t.call)
            await conn.invoke(player_id, "play", {}, timeout=t.element)
        except KmsError as exc:
            for object_id in (player_id, passthrough_id):
                if object_id is not None:
                    await self._release(object_id)
            raise MediaError(
                ErrorCode.MEDIA_WEBRTC_ENDPOINT, f"Error publishing {stream_id} from {uri}: {exc}"
            ) from exc
        endpoint = WebRtcEndpoint(stream_id)  # never created: the player is the source
        self.publishers[connection_id] = PublisherMedia(
            connection_id, stream_id, endpoint, passthrough_id, False, player_id=player_id
        )

    async def _discard_publisher_parts(self, endpoint: WebRtcEndpoint, passthrough_id: str | None) -> None:
        self._endpoints = {k: v for k, v in self._endpoints.items() if v is not endpoint}
        await endpoint.release(self.timeouts.release)
        if passthrough_id is not None:
            await self._release(passthrough_id)

    async def _connect_chain(self, conn: KmsConnection, media: PublisherMedia) -> None:
        t = self.timeouts
        source = media.endpoint.element_id
        assert source is not None
        if media.filter is not None:
            await conn.invoke(source, "connect", {"sink": media.filter.element_id}, timeout=t.call)
            await conn.invoke(
                media.filter.element_id, "connect", {"sink": media.passthrough_id}, timeout=t.call
            )
        else:
            await conn.invoke(source, "connect", {"sink": media.passthrough_id}, timeout=t.call)

    async def reconnect_publisher(self, connection_id: str, sdp_offer: str, bandwidth: Bandwidth) -> str:
        """A new WebRtcEndpoint for the same stream; the PassThrough and the subscribers stay."""
        conn, pipeline = self._require_pipeline()
        media = self.publishers.get(connection_id)
        if media is None:
            raise MediaError(ErrorCode.USER_NOT_STREAMING, f"Participant {connection_id} is not streaming")
        old = media.endpoint
        self._endpoints.pop((connection_id, connection_id), None)
        endpoint = self._endpoint(connection_id, connection_id)
        endpoint.name = media.stream_id
        t = self.timeouts
        try:
            await endpoint.create(conn, pipeline, bandwidth, t.element)
            media.endpoint = endpoint
            await old.release(t.release)
            await self._connect_chain(conn, media)
            answer = await endpoint.process_offer(sdp_offer, t.element)
            await endpoint.gather_candidates(t.call)
        except KmsError as exc:
            raise MediaError(ErrorCode.MEDIA_SDP, f"Error reconnecting {media.stream_id}: {exc}") from exc
        return answer

    async def unpublish(self, connection_id: str) -> list[str]:
        """Release the publisher chain and every subscription fed by it; returns the subscriber ids released."""
        media = self.publishers.pop(connection_id, None)
        released: list[str] = []
        for (owner, target), endpoint in list(self._endpoints.items()):
            if target == connection_id and owner != connection_id:
                del self._endpoints[(owner, target)]
                if endpoint.element_id is not None:
                    released.append(owner)
                await endpoint.release(self.timeouts.release)
        own = self._endpoints.pop((connection_id, connection_id), None)
        if own is not None:
            await own.release(self.timeouts.release)
        if media is not None:
            if media.filter is not None:
                await self._release(media.filter.element_id)
            if media.player_id is not None:
                await self._release(media.player_id)
            await self._release(media.passthrough_id)
        return released

    # --- subscribing ---------------------------------------------------------------------------

    async def subscribe(
        self, subscriber_id: str, publisher_id: str, sdp_offer: str, *, bandwidth: Bandwidth
    ) -> str:
        conn, pipeline = self._require_pipeline()
        media = self.publishers.get(publisher_id)
        if media is None:
            raise MediaError(ErrorCode.USER_NOT_STREAMING, f"User {publisher_id} is not streaming media")
        key = (subscriber_id, publisher_id)
        endpoint = self._endpoint(subscriber_id, publisher_id)
        if endpoint.element_id is not None:  # a second subscription replaces the first
            await endpoint.release(self.timeouts.release)
            self._endpoints.pop(key, None)
            endpoint = self._endpoint(subscriber_id, publisher_id)
        endpoint.name = f"{subscriber_id}_{media.stream_id}"
        t = self.timeouts
        try:
            await endpoint.create(conn, pipeline, bandwidth, t.element)
            answer = await endpoint.process_offer(sdp_offer, t.element)
            await endpoint.gather_candidates(t.call)
            assert endpoint.element_id is not None
            await conn.invoke(media.passthrough_id, "connect", {"sink": endpoint.element_id}, timeout=t.call)
        except KmsError as exc:
            if self._endpoints.get(key) is endpoint:
                del self._endpoints[key]
            await endpoint.release(t.release)
            raise MediaError(
                ErrorCode.MEDIA_SDP, f"Error subscribing {subscriber_id} to {media.stream_id}: {exc}"
            ) from exc
        if self.publishers.get(publisher_id) is not media:  # unpublished meanwhile
            await endpoint.release(t.release)
            raise MediaError(ErrorCode.USER_NOT_STREAMING, f"User {publisher_id} is not streaming media")
        self._watch(endpoint)
        return answer

    async def unsubscribe(self, subscriber_id: str, publisher_id: str) -> bool:
        endpoint = self._endpoints.pop((subscriber_id, publisher_id), None)
        if endpoint is None:
            return False
        existed = endpoint.element_id is not None
        await endpoint.release(self.timeouts.release)
        return existed

    # --- participants --------------------------------------------------------------------------

    async def remove_participant(self, connection_id: str) -> None:
        """Release everything the participant owns and every subscription to its stream."""
        await self.unpublish(connection_id)
        for key in [k for k in self._endpoints if k[0] == connection_id]:
            endpoint = self._endpoints.pop(key)
            await endpoint.release(self.timeouts.release)
        for media in self.publishers.values():
            if media.filter is not None:
                for listener in media.filter.listeners.values():
                    listener.recipients.discard(connection_id)

    async def close(self, *, remote: bool = True) -> None:
        """Release the pipeline (and with it every element). ``remote=False`` when the server is gone."""
        if self.closed:
            return
        self.closed = True
        for endpoint in self._endpoints.values():
            endpoint.released = True
        self._endpoints.clear()
        self.publishers.clear()
        pipeline, self.pipeline_id = self.pipeline_id, None
        if remote and pipeline is not None:
            await self._release(pipeline)

    async def _release(self, object_id: str) -> None:
        conn = self.connection
        if conn is None or not conn.connected:
            return
        try:
            await conn.release(object_id, timeout=self.timeouts.release)
        except KmsError as exc:
            log.info("release of %s failed: %s", object_id, exc)

    # --- filters ---------------------------------------------------------------------------

    async def _create_filter(
        self, conn: KmsConnection, pipeline: str, filter_type: str, options: dict[str, Any]
    ) -> FilterElement:
        try:
            element_id = await conn.create(
                filter_type, {"mediaPipeline": pipeline, **options}, timeout=self.timeouts.element
            )
        except KmsError as exc:
            raise MediaError(
                ErrorCode.FILTER_NOT_APPLIED,
                f"Error applying filter for publisher: {filter_type} is not available ({exc})",
            ) from exc
        return FilterElement(filter_type, options, element_id)

    def _publisher(self, connection_id: str) -> PublisherMedia:
        media = self.publishers.get(connection_id)
        if media is None:
            raise MediaError(ErrorCode.USER_NOT_STREAMING, f"User {connection_id} is not streaming media")
        return media

    async def apply_filter(
        self, connection_id: str, filter_type: str, options: dict[str, Any]
    ) -> FilterElement:
        conn, pipeline = self._require_pipeline()
        media = self._publisher(connection_id)
        if media.filter is not None:
            raise MediaError(
                ErrorCode.EXISTING_FILTER_ALREADY_APPLIED,
                f"Filter already exists for stream {media.stream_id}. Remove it before applying a new one",
            )
        element = await self._create_filter(conn, pipeline, filter_type, options)
        source = media.endpoint.element_id
        assert source is not None
        try:
            await conn.invoke(
                source, "disconnect", {"sink": media.passthrough_id}, timeout=self.timeouts.call
            )
            media.filter = element
            await self._connect_chain(conn, media)
        except KmsError as exc:
            media.filter = None
            await self._release(element.element_id)
            with contextlib.suppress(KmsError):
                await conn.invoke(
                    source, "connect", {"sink": media.passthrough_id}, timeout=self.timeouts.call
                )
            raise MediaError(
                ErrorCode.FILTER_NOT_APPLIED, f"Error applying filter {filter_type}: {exc}"
            ) from exc
        return element

    async def remove_filter(self, connection_id: str) -> None:
        conn, _pipeline = self._require_pipeline()
        media = self._publisher(connection_id)
        element = media.filter
        if element is None:
            raise MediaError(ErrorCode.FILTER_NOT_APPLIED, f"Stream {media.stream_id} has no filter applied")
        media.filter = None
        source = media.endpoint.element_id
        with contextlib.suppress(KmsError):
            if source is not None:
                await conn.invoke(
                    source, "disconnect", {"sink": element.element_id}, timeout=self.timeouts.call
                )
        await self._release(element.element_id)
        if source is not None:
            try:
                await conn.invoke(
                    source, "connect", {"sink": media.passthrough_id}, timeout=self.timeouts.call
                )
            except KmsError as exc:
                raise MediaError(ErrorCode.FILTER_NOT_APPLIED, f"Error removing filter: {exc}") from exc

    async def exec_filter_method(
        self, connection_id: str, method: str, params: dict[str, Any]
    ) -> FilterElement:
        conn, _pipeline = self._require_pipeline()
        media = self._publisher(connection_id)
        element = media.filter
        if element is None:
            raise MediaError(ErrorCode.FILTER_NOT_APPLIED, f"Stream {media.stream_id} has no filter applied")
        try:
            await conn.invoke(element.element_id, method, params, timeout=self.timeouts.call)
        except KmsError as exc:
            raise MediaError(
                ErrorCode.FILTER_NOT_APPLIED, f"Error executing filter method {method}: {exc}"
            ) from exc
        element.last_exec = (method, params)
        return element

    async def add_filter_listener(self, subscriber_id: str, publisher_id: str, event_type: str) -> None:
        conn, _pipeline = self._require_pipeline()
        media = self._publisher(publisher_id)
        element = media.filter
        if element is None:
            raise MediaError(ErrorCode.FILTER_NOT_APPLIED, f"Stream {media.stream_id} has no filter applied")
        listener = element.listeners.get(event_type)
        if listener is None:

            def on_event(event: EventNotification) -> None:
                entry = element.listeners.get(event_type)
                if entry is None or not entry.recipients:
                    return
                data = {k: v for k, v in event.data.items() if k not in ("__module__", "__type__")}
                self.listener.filter_event(
                    sorted(entry.recipients),
                    publisher_id,
                    media.stream_id,
                    element.type,
                    event_type,
                    json.dumps(data),
                )

            try:
                sub_id = await conn.subscribe(
                    element.element_id,
                    event_type,
                    wire_event_name(event_type, conn.server_major),
                    on_event,
                    timeout=self.timeouts.call,
                )
            except KmsError as exc:
                raise MediaError(
                    ErrorCode.FILTER_EVENT_LISTENER_NOT_FOUND,
                    f"Request to addFilterEventListener to stream {media.stream_id} gone wrong: {exc}",
                ) from exc
            listener = FilterListener(sub_id, on_event)
            element.listeners[event_type] = listener
        listener.recipients.add(subscriber_id)

    async def remove_filter_listener(self, subscriber_id: str, publisher_id: str, event_type: str) -> None:
        conn, _pipeline = self._require_pipeline()
        media = self._publisher(publisher_id)
        element = media.filter
        if element is None:
            raise MediaError(ErrorCode.FILTER_NOT_APPLIED, f"Stream {media.stream_id} has no filter applied")
        listener = element.listeners.get(event_type)
        if listener is None or subscriber_id not in listener.recipients:
            raise MediaError(
                ErrorCode.FILTER_EVENT_LISTENER_NOT_FOUND,
                f"No filter event listener {event_type} for stream {media.stream_id}",
            )
        listener.recipients.discard(subscriber_id)
        if not listener.recipients:
            del element.listeners[event_type]
            with contextlib.suppress(KmsError):
                await conn.unsubscribe(
                    element.element_id,
                    event_type,
                    listener.subscription_id,
                    listener.callback,
                    timeout=self.timeouts.call,
                )
