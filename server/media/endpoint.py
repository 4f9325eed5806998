"""One participant's WebRTC endpoint as OpenVidu uses it (``MediaEndpoint`` in OpenVidu): bandwidth, trickle ICE
both ways, offer/answer, diagnostic events, stats, release.

The object exists before the Kurento element does, so browser candidates that arrive early (they routinely
come before ``publishVideo``/``receiveVideoFrom`` has been processed) are queued and applied once the remote
description is set. Every call to the media server goes through :mod:`kms_client.objects` with a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kms_client.errors import KmsError
from kms_client.events import ErrorEvent, IceCandidateFound, KurentoEvent, NewCandidatePairSelected
from kms_client.objects import MediaObject, MediaPipeline, WebRtcEndpoint
from kms_client.structs import IceCandidate
from server.core.clock import now_ms
from server.core.participants import EndpointStats
from server.media.bandwidth import Bandwidth

log = logging.getLogger(__name__)

# Events recorded for the REST ``webRtcStats=true`` variant (KurentoParticipantEndpointConfig).
STATS_EVENTS = (
    "MediaFlowInStateChanged",
    "MediaFlowOutStateChanged",
    "IceGatheringDone",
    "ConnectionStateChanged",
    "NewCandidatePairSelected",
    "MediaTranscodingStateChanged",
    "IceComponentStateChanged",
)
STATS_DROPPED_KEYS = ("source", "tags", "timestampMillis", "timestamp")
MAX_STATS_EVENTS = 100


@dataclass(frozen=True, slots=True)
class Candidate:
    candidate: str
    sdp_mid: str
    sdp_m_line_index: int


CandidateCallback = Callable[[Candidate], None]
ErrorCallback = Callable[[str, str, int], None]


class MediaEndpoint:
    """A participant's endpoint: ``create`` builds the Kurento WebRtcEndpoint, ``process_offer`` answers."""

    def __init__(
        self,
        name: str,
        *,
        on_candidate: CandidateCallback | None = None,
        on_error: ErrorCallback | None = None,
    ) -> None:
        self.name = name
        self.on_candidate = on_candidate
        self.on_error = on_error
        self.element: WebRtcEndpoint | None = None
        self.remote_sdp: str | None = None
        self.local_sdp: str | None = None
        self.received_candidates: list[Candidate] = []
        self.stats = EndpointStats(webrtc_endpoint_name=name)
        self.created_ms = 0
        self.released = False
        self._pending: list[Candidate] = []
        self._negotiated = False
        self._lock = asyncio.Lock()

    @property
    def element_id(self) -> str | None:
        """The Kurento object id, None before ``create`` and after ``release``."""
        return self.element.id if self.element is not None else None

    # --- browser candidates ----------------------------------------------------------------

    async def add_remote_candidate(self, candidate: Candidate, timeout: float) -> None:
        """Apply a browser candidate now, or queue it until the offer has been processed."""
        self.received_candidates.append(candidate)
        self.stats.received_candidates.append(
            {
                "candidate": candidate.candidate,
                "sdpMid": candidate.sdp_mid,
                "sdpMLineIndex": candidate.sdp_m_line_index,
            }
        )
        if self.released:
            return
        if not self._negotiated or self.element is None:
            self._pending.append(candidate)
            return
        await self._send_candidate(candidate, timeout)

    async def _send_candidate(self, candidate: Candidate, timeout: float) -> None:
        if self.element is None:
            return
        ice = IceCandidate(candidate.candidate, candidate.sdp_mid, candidate.sdp_m_line_index)
        try:
            await self.element.add_ice_candidate(ice, timeout=timeout)
        except KmsError as exc:
            log.warning("addIceCandidate on %s failed: %s", self.name, exc)

    # --- lifecycle ---------------------------------------------------------------------------

    async def create(self, pipeline: MediaPipeline, bandwidth: Bandwidth, timeout: float) -> None:
        self.stats.webrtc_endpoint_name = self.name
        self.created_ms = now_ms()
        element = self.element = await pipeline.create_webrtc_endpoint(timeout=timeout)
        if self.released:  # released while being created
            await self._release_element(timeout)
            return
        # the four limits in OpenVidu's order
        await element.set_max_video_recv_bandwidth(bandwidth.max_recv, timeout=timeout)
        await element.set_min_video_recv_bandwidth(bandwidth.min_recv, timeout=timeout)
        await element.set_max_video_send_bandwidth(bandwidth.max_send, timeout=timeout)
        await element.set_min_video_send_bandwidth(bandwidth.min_send, timeout=timeout)
        with contextlib.suppress(KmsError):
            await element.set_name(self.name, timeout=timeout)
        if self.on_error is not None:
            await element.on(ErrorEvent, self._error_event, timeout=timeout)
        await element.on(IceCandidateFound, self._candidate_event, timeout=timeout)

    async def process_offer(self, sdp_offer: str, timeout: float) -> str:
        """``processOffer``; then queued browser candidates are applied. Returns the SDP answer."""
        element = self._require()
        self.remote_sdp = sdp_offer
        answer = await element.process_offer(sdp_offer, timeout=timeout)
        if not answer:
            raise KmsError(f"processOffer on {self.name} returned no SDP answer")
        self.local_sdp = answer
        self.stats.remote_sdp = sdp_offer
        self.stats.local_sdp = answer
        self._negotiated = True
        pending, self._pending = self._pending, []
        for candidate in pending:
            await self._send_candidate(candidate, timeout)
        return answer

    async def watch_events(self, timeout: float) -> None:
        """Record the diagnostic events of spec §4.3 (``webRtcStats``); run in the background."""
        element = self._require()
        for name in STATS_EVENTS:
            if self.released:
                return
            try:
                await element.on_event(name, self._stats_event, timeout=timeout)
            except KmsError as exc:
                log.debug("no %s events from %s: %s", name, self.name, exc)

    def _stats_event(self, event: KurentoEvent) -> None:
        entry = {k: v for k, v in event.raw.items() if k not in STATS_DROPPED_KEYS}
        entry.setdefault("type", event.name)
        now = now_ms()
        entry["timestamp"] = now
        entry["msSinceEndpointCreation"] = now - self.created_ms
        if isinstance(event, NewCandidatePairSelected):
            pair = event.candidate_pair
            local = getattr(pair, "local_candidate", None)
            remote = getattr(pair, "remote_candidate", None)
            self.stats.local_candidate = str(local) if local else None
            self.stats.remote_candidate = str(remote) if remote else None
        self.stats.events.append(entry)
        del self.stats.events[:-MAX_STATS_EVENTS]

    async def gather_candidates(self, timeout: float) -> None:
        await self._require().gather_candidates(timeout=timeout)

    async def get_stats(self, timeout: float) -> dict[str, Any] | None:
        """``getStats`` of the element; None when it does not exist (any more) or the call failed."""
        element = self.element
        if element is None or self.released:
            return None
        try:
            return await element.get_stats(timeout=timeout)
        except KmsError:
            return None

    async def release(self, timeout: float) -> None:
        self.released = True
        self._pending.clear()
        await self._release_element(timeout)

    async def _release_element(self, timeout: float) -> None:
        element, self.element = self.element, None
        if element is not None:
            await release_quietly(element, timeout)

    def _require(self) -> WebRtcEndpoint:
        if self.element is None:
            raise KmsError(f"endpoint {self.name} does not exist")
        return self.element

    # --- Kurento events ----------------------------------------------------------------------

    def _candidate_event(self, event: IceCandidateFound) -> None:
        if self.released or self.on_candidate is None:
            return
        found = event.candidate
        if not isinstance(found, IceCandidate) or not isinstance(found.candidate, str):
            return
        sdp_mid = found.sdp_mid if isinstance(found.sdp_mid, str) else ""
        self.on_candidate(Candidate(found.candidate, sdp_mid, _line_index(found.sdp_m_line_index)))

    def _error_event(self, event: ErrorEvent) -> None:
        if self.on_error is not None:
            self.on_error(event.error_type, event.description, event.error_code)


async def release_quietly(element: MediaObject, timeout: float) -> None:
    """Release a media object; a failure (or a media server already gone) is only logged."""
    if not element.connection.connected:
        return
    try:
        await element.release(timeout=timeout)
    except KmsError as exc:
        log.info("release of %s failed: %s", element.id, exc)


def _line_index(value: object) -> int:
    """``sdpMLineIndex`` as an integer (0 when the media server sent something else)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0
