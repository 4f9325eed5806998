"""The Kurento side of one OpenVidu session (spec/openvidu-signaling.md §5).

One ``MediaPipeline`` per session on the media server the picker chooses, created on the first join; per
publisher a ``WebRtcEndpoint`` feeding a ``PassThrough`` (with an optional filter element in between); per
subscription a ``WebRtcEndpoint`` fed by the publisher's ``PassThrough``. Browser ICE candidates are routed by
(participant, endpointName) and queued until their endpoint has processed its offer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from kms_client.connection import KmsConnection
from kms_client.errors import KmsError
from kms_client.events import ErrorEvent
from kms_client.objects import MediaObject, MediaPipeline, PassThrough
from server.core.errors import ErrorCode
from server.core.stamps import Stamped
from server.media.bandwidth import Bandwidth
from server.media.endpoint import Candidate, MediaEndpoint, release_quietly
from server.media.errors import MediaError as MediaError
from server.media.picker import MediaServerChoice, MediaServerPicker
from server.media.publisher import FilterElement as FilterElement
from server.media.publisher import FilterEvents, create_filter
from server.media.publisher import PublisherMedia as PublisherMedia
from server.media.timeouts import MediaTimeouts as MediaTimeouts

log = logging.getLogger(__name__)


class MediaListener(FilterEvents, Protocol):
    """Where media events go (the signaling layer turns them into notifications); filter events included."""

    def ice_candidate(
        self, recipient_id: str, sender_id: str, endpoint_name: str, candidate: Candidate
    ) -> None: ...

    def media_error(
        self, recipient_ids: list[str] | None, error_type: str, description: str, code: int
    ) -> None:
        """``recipient_ids`` None means everyone in the session (pipeline errors)."""
        ...


class MediaSession(Stamped):
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
        self._endpoints: dict[tuple[str, str], MediaEndpoint] = {}
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

    @property
    def pipeline(self) -> MediaPipeline | None:
        """The session's MediaPipeline, None before ``start`` and after ``close``."""
        if self.choice is None or self.pipeline_id is None:
            return None
        return MediaPipeline(self.choice.connection, self.pipeline_id)

    async def start(self) -> None:
        """Pick the media server and create the pipeline (idempotent). MediaError 204 on failure."""
        async with self._pipeline_lock:
            if self.pipeline_id is not None:
                return
            try:
                self.choice = self.picker.pick(self.session_id)
                pipeline = await MediaPipeline.create(self.choice.connection, timeout=self.timeouts.pipeline)
                self.pipeline_id = pipeline.id
                with contextlib.suppress(KmsError):
                    await pipeline.on(ErrorEvent, self._pipeline_error, timeout=self.timeouts.call)
            except Exception as exc:
                self.pipeline_id = None
                raise MediaError(
                    ErrorCode.ROOM_CANNOT_BE_CREATED,
                    f"Unable to create media pipeline for session {self.session_id}: {exc}",
                ) from exc

    def _pipeline_error(self, event: ErrorEvent) -> None:
        self.listener.media_error(None, event.error_type, event.description, event.error_code)

    def _require_pipeline(self) -> MediaPipeline:
        pipeline = self.pipeline
        if pipeline is None or self.closed:
            raise MediaError(
                ErrorCode.ROOM_CANNOT_BE_CREATED, f"Session {self.session_id} has no media pipeline"
            )
        return pipeline

    # --- endpoints and candidates ------------------------------------------------------------

    def _endpoint(self, owner_id: str, target_id: str) -> MediaEndpoint:
        """The endpoint (possibly only a placeholder) for a browser candidate route."""
        key = (owner_id, target_id)
        endpoint = self._endpoints.get(key)
        if endpoint is None:
            endpoint = self._new_endpoint(owner_id, target_id)
            self._endpoints[key] = endpoint
        return endpoint

    def _new_endpoint(self, owner_id: str, target_id: str) -> MediaEndpoint:
        endpoint = MediaEndpoint("")

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

    def endpoints(self) -> list[tuple[str, MediaEndpoint]]:
        """Every live endpoint with its name (publisher: the streamId; subscriber: ``<sub>_<streamId>``)."""
        return [(endpoint.name, endpoint) for endpoint in self._endpoints.values() if not endpoint.released]

    def endpoint_of(self, owner_id: str, target_id: str) -> MediaEndpoint | None:
        return self._endpoints.get((owner_id, target_id))

    def _watch(self, endpoint: MediaEndpoint) -> None:
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
        pipeline = self._require_pipeline()
        endpoint = self._endpoint(connection_id, connection_id)
        endpoint.name = stream_id
        t = self.timeouts
        passthrough: PassThrough | None = None
        try:
            await endpoint.create(pipeline, bandwidth, t.element)
            passthrough = await pipeline.create_pass_through(timeout=t.element)
            media = PublisherMedia(connection_id, stream_id, endpoint, passthrough, loopback)
            if filter_type:
                media.filter = await create_filter(pipeline, filter_type, filter_options or {}, t.element)
            await media.connect_chain(t.call)
            if loopback:
                assert endpoint.element is not None
                await passthrough.connect(endpoint.element, timeout=t.call)
            answer = await endpoint.process_offer(sdp_offer, t.element)
            await endpoint.gather_candidates(t.call)
        except MediaError:
            await self._discard_publisher_parts(endpoint, passthrough)
            raise
        except KmsError as exc:
            await self._discard_publisher_parts(endpoint, passthrough)
            code = ErrorCode.MEDIA_SDP if endpoint.element is not None else ErrorCode.MEDIA_WEBRTC_ENDPOINT
            raise MediaError(code, f"Error publishing {stream_id}: {exc}") from exc
        self.publishers[connection_id] = media
        self._watch(endpoint)
        return answer

    async def publish_player(self, connection_id: str, stream_id: str, uri: str, network_cache: int) -> None:
        """An IP camera: PlayerEndpoint(uri) -> PassThrough, then ``play``; subscribers connect as to any
        publisher."""
        pipeline = self._require_pipeline()
        t = self.timeouts
        created: list[MediaObject] = []
        try:
            player = await pipeline.create_player_endpoint(
                uri, network_cache=network_cache, timeout=t.element
            )
            created.append(player)
            passthrough = await pipeline.create_pass_through(timeout=t.element)
            created.append(passthrough)
            await player.connect(passthrough, timeout=t.call)
            await player.play(timeout=t.element)
        except KmsError as exc:
            for element in created:
                await release_quietly(element, t.release)
            raise MediaError(
                ErrorCode.MEDIA_WEBRTC_ENDPOINT, f"Error publishing {stream_id} from {uri}: {exc}"
            ) from exc
        endpoint = MediaEndpoint(stream_id)  # never created: the player is the source
        self.publishers[connection_id] = PublisherMedia(
            connection_id, stream_id, endpoint, passthrough, False, player=player
        )

    async def _discard_publisher_parts(
        self, endpoint: MediaEndpoint, passthrough: PassThrough | None
    ) -> None:
        self._endpoints = {k: v for k, v in self._endpoints.items() if v is not endpoint}
        await endpoint.release(self.timeouts.release)
        if passthrough is not None:
            await self._release(passthrough)

    async def reconnect_publisher(self, connection_id: str, sdp_offer: str, bandwidth: Bandwidth) -> str:
        """A new WebRtcEndpoint for the same stream; the PassThrough and the subscribers stay."""
        pipeline = self._require_pipeline()
        media = self.publishers.get(connection_id)
        if media is None:
            raise MediaError(ErrorCode.USER_NOT_STREAMING, f"Participant {connection_id} is not streaming")
        old = media.endpoint
        self._endpoints.pop((connection_id, connection_id), None)
        endpoint = self._endpoint(connection_id, connection_id)
        endpoint.name = media.stream_id
        t = self.timeouts
        try:
            await endpoint.create(pipeline, bandwidth, t.element)
            media.endpoint = endpoint
            await old.release(t.release)
            await media.connect_chain(t.call)
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
                if endpoint.element is not None:
                    released.append(owner)
                await endpoint.release(self.timeouts.release)
        own = self._endpoints.pop((connection_id, connection_id), None)
        if own is not None:
            await own.release(self.timeouts.release)
        if media is not None:
            await media.release(self.timeouts.release)
        return released

    # --- subscribing ---------------------------------------------------------------------------

    async def subscribe(
        self, subscriber_id: str, publisher_id: str, sdp_offer: str, *, bandwidth: Bandwidth
    ) -> str:
        pipeline = self._require_pipeline()
        media = self.publishers.get(publisher_id)
        if media is None:
            raise MediaError(ErrorCode.USER_NOT_STREAMING, f"User {publisher_id} is not streaming media")
        key = (subscriber_id, publisher_id)
        endpoint = self._endpoint(subscriber_id, publisher_id)
        if endpoint.element is not None:  # a second subscription replaces the first
            await endpoint.release(self.timeouts.release)
            self._endpoints.pop(key, None)
            endpoint = self._endpoint(subscriber_id, publisher_id)
        endpoint.name = f"{subscriber_id}_{media.stream_id}"
        t = self.timeouts
        try:
            await endpoint.create(pipeline, bandwidth, t.element)
            answer = await endpoint.process_offer(sdp_offer, t.element)
            await endpoint.gather_candidates(t.call)
            assert endpoint.element is not None
            await media.passthrough.connect(endpoint.element, timeout=t.call)
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
        existed = endpoint.element is not None
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
            media.forget_recipient(connection_id)

    async def close(self, *, remote: bool = True) -> None:
        """Release the pipeline (and with it every element). ``remote=False`` when the server is gone."""
        if self.closed:
            return
        self.closed = True
        for endpoint in self._endpoints.values():
            endpoint.released = True
        self._endpoints.clear()
        self.publishers.clear()
        pipeline = self.pipeline
        self.pipeline_id = None
        if remote and pipeline is not None:
            await self._release(pipeline)

    async def _release(self, element: MediaObject) -> None:
        await release_quietly(element, self.timeouts.release)

    # --- filters (the publisher's chain does the work) -------------------------------------------

    def _publisher(self, connection_id: str) -> PublisherMedia:
        media = self.publishers.get(connection_id)
        if media is None:
            raise MediaError(ErrorCode.USER_NOT_STREAMING, f"User {connection_id} is not streaming media")
        return media

    async def apply_filter(
        self, connection_id: str, filter_type: str, options: dict[str, Any]
    ) -> FilterElement:
        pipeline = self._require_pipeline()
        return await self._publisher(connection_id).apply_filter(
            pipeline, filter_type, options, self.timeouts
        )

    async def remove_filter(self, connection_id: str) -> None:
        self._require_pipeline()
        await self._publisher(connection_id).remove_filter(self.timeouts)

    async def exec_filter_method(
        self, connection_id: str, method: str, params: dict[str, Any]
    ) -> FilterElement:
        self._require_pipeline()
        return await self._publisher(connection_id).exec_filter_method(method, params, self.timeouts.call)

    async def add_filter_listener(self, subscriber_id: str, publisher_id: str, event_type: str) -> None:
        self._require_pipeline()
        media = self._publisher(publisher_id)
        await media.add_filter_listener(subscriber_id, event_type, self.listener, self.timeouts.call)

    async def remove_filter_listener(self, subscriber_id: str, publisher_id: str, event_type: str) -> None:
        self._require_pipeline()
        media = self._publisher(publisher_id)
        await media.remove_filter_listener(subscriber_id, event_type, self.timeouts.call)
