"""One Kurento WebRtcEndpoint as OpenVidu uses it: bandwidth, trickle ICE both ways, offer/answer, release.

The object exists before the Kurento element does, so browser candidates that arrive early (they routinely
come before ``publishVideo``/``receiveVideoFrom`` has been processed) are queued and applied once the remote
description is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from kms_client.connection import KmsConnection
from kms_client.errors import KmsError
from kms_client.events import wire_event_name
from kms_client.protocol import EventNotification
from kms_client.structs import IceCandidate, from_wire_value
from server.core.clock import now_ms
from server.core.participants import EndpointStats
from server.media.bandwidth import Bandwidth

log = logging.getLogger(__name__)

ICE_CANDIDATE_FOUND = "IceCandidateFound"
ERROR_EVENT = "Error"
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


class WebRtcEndpoint:
    """A WebRtcEndpoint handle; ``create`` builds the element, ``negotiate`` answers an offer."""

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
        self.connection: KmsConnection | None = None
        self.element_id: str | None = None
        self.remote_sdp: str | None = None
        self.local_sdp: str | None = None
        self.received_candidates: list[Candidate] = []
        self.stats = EndpointStats(webrtc_endpoint_name=name)
        self.created_ms = 0
        self.released = False
        self._pending: list[Candidate] = []
        self._negotiated = False
        self._lock = asyncio.Lock()

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
        if not self._negotiated or self.connection is None or self.element_id is None:
            self._pending.append(candidate)
            return
        await self._send_candidate(candidate, timeout)

    async def _send_candidate(self, candidate: Candidate, timeout: float) -> None:
        if self.connection is None or self.element_id is None:
            return
        ice = IceCandidate(candidate.candidate, candidate.sdp_mid, candidate.sdp_m_line_index)
        try:
            await self.connection.invoke(
                self.element_id, "addIceCandidate", {"candidate": ice}, timeout=timeout
            )
        except KmsError as exc:
            log.warning("addIceCandidate on %s failed: %s", self.name, exc)

    # --- lifecycle ---------------------------------------------------------------------------

    async def create(
        self, connection: KmsConnection, pipeline_id: str, bandwidth: Bandwidth, timeout: float
    ) -> None:
        self.connection = connection
        self.stats.webrtc_endpoint_name = self.name
        self.created_ms = now_ms()
        self.element_id = await connection.create(
            "WebRtcEndpoint", {"mediaPipeline": pipeline_id}, timeout=timeout
        )
        if self.released:  # released while being created
            await self._release_element(timeout)
            return
        for operation, params in bandwidth.operations():
            await connection.invoke(self.element_id, operation, params, timeout=timeout)
        with contextlib.suppress(KmsError):
            await connection.invoke(self.element_id, "setName", {"name": self.name}, timeout=timeout)
        if self.on_error is not None:
            await connection.subscribe(
                self.element_id,
                ERROR_EVENT,
                wire_event_name(ERROR_EVENT, connection.server_major),
                self._error_event,
                timeout=timeout,
            )
        await connection.subscribe(
            self.element_id,
            ICE_CANDIDATE_FOUND,
            wire_event_name(ICE_CANDIDATE_FOUND, connection.server_major),
            self._candidate_event,
            timeout=timeout,
        )

    async def process_offer(self, sdp_offer: str, timeout: float) -> str:
        """``processOffer``; then queued browser candidates are applied. Returns the SDP answer."""
        connection, element_id = self._require()
        self.remote_sdp = sdp_offer
        answer = await connection.invoke(element_id, "processOffer", {"offer": sdp_offer}, timeout=timeout)
        if not isinstance(answer, str) or not answer:
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
        connection, element_id = self._require()
        for name in STATS_EVENTS:
            if self.released:
                return
            try:
                await connection.subscribe(
                    element_id,
                    name,
                    wire_event_name(name, connection.server_major),
                    self._stats_event,
                    timeout=timeout,
                )
            except KmsError as exc:
                log.debug("no %s events from %s: %s", name, self.name, exc)

    def _stats_event(self, event: EventNotification) -> None:
        entry = {k: v for k, v in event.data.items() if k not in STATS_DROPPED_KEYS}
        entry.setdefault("type", event.type)
        now = now_ms()
        entry["timestamp"] = now
        entry["msSinceEndpointCreation"] = now - self.created_ms
        if entry.get("type") in ("NewCandidatePairSelected",):
            pair = event.data.get("candidatePair")
            if isinstance(pair, dict):
                self.stats.local_candidate = (
                    str(pair.get("localCandidate")) if pair.get("localCandidate") else None
                )
                self.stats.remote_candidate = (
                    str(pair.get("remoteCandidate")) if pair.get("remoteCandidate") else None
                )
        self.stats.events.append(entry)
        del self.stats.events[:-MAX_STATS_EVENTS]

    async def gather_candidates(self, timeout: float) -> None:
        connection, element_id = self._require()
        await connection.invoke(element_id, "gatherCandidates", timeout=timeout)

    async def release(self, timeout: float) -> None:
        self.released = True
        self._pending.clear()
        await self._release_element(timeout)

    async def _release_element(self, timeout: float) -> None:
        connection, element_id = self.connection, self.element_id
        self.element_id = None
        if connection is None or element_id is None or not connection.connected:
            return
        try:
            await connection.release(element_id, timeout=timeout)
        except KmsError as exc:
            log.info("release of %s failed: %s", self.name, exc)

    def _require(self) -> tuple[KmsConnection, str]:
        if self.connection is None or self.element_id is None:
            raise KmsError(f"endpoint {self.name} does not exist")
        return self.connection, self.element_id

    # --- Kurento events ----------------------------------------------------------------------

    def _candidate_event(self, event: EventNotification) -> None:
        if self.released or self.on_candidate is None:
            return
        raw = event.data.get("candidate")
        value = from_wire_value(raw)
        if isinstance(value, IceCandidate):
            candidate = Candidate(value.candidate, value.sdp_mid, int(value.sdp_m_line_index))
        elif isinstance(raw, dict):
            candidate = Candidate(
                str(raw.get("candidate", "")), str(raw.get("sdpMid", "")), int(raw.get("sdpMLineIndex", 0))
            )
        else:
            return
        self.on_candidate(candidate)

    def _error_event(self, event: EventNotification) -> None:
        if self.on_error is None:
            return
        data = event.data
        self.on_error(
            str(data.get("type", "")), str(data.get("description", "")), int(data.get("errorCode", 0))
        )
