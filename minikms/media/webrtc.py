"""WebRtcNode: one aiortc RTCPeerConnection behind a Kurento WebRtcEndpoint.

Received tracks feed the node's output hubs (and so every connected sink); the node's input switches
are the tracks its senders encode. ICE runs on the engine's one address (loopback by default) with no
STUN/TURN; remote candidates on any other address are dropped from SDPs and from addIceCandidate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.sdp import candidate_from_sdp

from minikms.protocol import (
    ICE_ADD_CANDIDATE_ERROR,
    SDP_END_POINT_ALREADY_NEGOTIATED,
    SDP_END_POINT_ANSWER_ALREADY_PROCCESED,
    SDP_END_POINT_GENERATE_OFFER_ERROR,
    SDP_END_POINT_NOT_OFFER_GENERATED,
    SDP_END_POINT_PROCESS_ANSWER_ERROR,
    SDP_END_POINT_PROCESS_OFFER_ERROR,
    SDP_PARSE_ERROR,
    KurentoError,
)

from . import sdp as sdp_text
from .bitrate import clamp_encoder_bitrate
from .ice import candidate_allowed
from .node import KINDS, MediaEngine, MediaNode
from .rtpstats import webrtc_stats
from .sharedvideo import VP8_MIME, VideoSendTrack
from .tracks import FlowMeter

log = logging.getLogger(__name__)

KMS_SESSION_NAME = "s=Kurento Media Server"
ICE_STREAM_ID = 1  # one bundled ICE stream, as KMS numbers it
ICE_COMPONENT_ID = 1


class WebRtcNode(MediaNode):
    """The media side of a Kurento WebRtcEndpoint."""

    def __init__(self, engine: MediaEngine, *, recvonly: bool = False, sendonly: bool = False) -> None:
        super().__init__(engine)
        self.recvonly = recvonly
        self.sendonly = sendonly
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.local_sdp: str | None = None
        self.remote_sdp: str | None = None
        self._offer_generated = False
        self._answer_processed = False
        self._gathered = False
        self._pending: list[tuple[str, str | None, int | None]] = []
        self.max_recv_kbps = 0
        self.min_recv_kbps = 0
        self.max_send_kbps = 0
        self.min_send_kbps = 0
        self.ice_state = "DISCONNECTED"
        self.connection_state = "DISCONNECTED"
        self.media_state = "DISCONNECTED"
        self.selected_pair: dict[str, Any] | None = None
        self.rx_bytes: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._negotiating = asyncio.Lock()
        self.video_send = VideoSendTrack(self, self.inputs["video"], self.params.shared_packet_queue)
        self.pc.on("track", self._on_track)
        self.pc.on("iceconnectionstatechange", self._on_ice_state)
        self.pc.on("connectionstatechange", self._on_connection_state)

    # -- Kurento-visible state ---------------------------------------------------------------------------

    @property
    def ice_connection_state(self) -> str:
        """IceComponentState of the (single, bundled) ICE component, as Kurento names it."""
        return self.ice_state

    def ice_connections(self) -> list[dict[str, Any]]:
        return [
            {
                "__module__": "kurento",
                "__type__": "IceConnection",
                "streamId": str(ICE_STREAM_ID),
                "componentId": ICE_COMPONENT_ID,
                "state": self.ice_state,
            }
        ]

    def candidate_pairs(self) -> list[dict[str, Any]]:
        return [self.selected_pair] if self.selected_pair is not None else []

    @property
    def negotiated(self) -> bool:
        return self.pc.localDescription is not None and self.pc.remoteDescription is not None

    # -- SDP ---------------------------------------------------------------------------------------------

    async def process_offer(self, sdp: str) -> str:
        async with self._negotiating:
            if self._offer_generated or self.pc.remoteDescription is not None:
                raise KurentoError(SDP_END_POINT_ALREADY_NEGOTIATED, "Endpoint already negotiated")
            remote = self._checked_remote(sdp, "offer")
            try:
                await self.pc.setRemoteDescription(RTCSessionDescription(remote, "offer"))
            except ValueError as exc:
                raise KurentoError(SDP_PARSE_ERROR, f"Error parsing SDP: {exc}") from exc
            except Exception as exc:
                raise KurentoError(
                    SDP_END_POINT_PROCESS_OFFER_ERROR, f"Error processing offer: {exc}"
                ) from exc
            self.remote_sdp = sdp
            self._attach_senders()
            await self._apply_pending()
            try:
                answer = await self.pc.createAnswer()
                await self.pc.setLocalDescription(answer)
            except Exception as exc:
                raise KurentoError(
                    SDP_END_POINT_PROCESS_OFFER_ERROR, f"Error processing offer: {exc}"
                ) from exc
            self._watch_receivers()
            self.local_sdp = self._finish_local(self.pc.localDescription.sdp)
            return self.local_sdp

    async def generate_offer(self, audio: bool = True, video: bool = True) -> str:
        """Offer audio and video; ``audio``/``video`` are offerToReceiveAudio/offerToReceiveVideo."""
        async with self._negotiating:
            if self._offer_generated or self.pc.remoteDescription is not None:
                raise KurentoError(SDP_END_POINT_ALREADY_NEGOTIATED, "Endpoint already negotiated")
            receive = {"audio": audio, "video": video}
            for kind in KINDS:
                wants_recv = receive[kind] and not self.sendonly
                if self.recvonly:
                    self.pc.addTransceiver(kind, direction="recvonly")
                else:
                    self.pc.addTransceiver(
                        self.send_track(kind), direction="sendrecv" if wants_recv else "sendonly"
                    )
            try:
                offer = await self.pc.createOffer()
                await self.pc.setLocalDescription(offer)
            except Exception as exc:
                raise KurentoError(
                    SDP_END_POINT_GENERATE_OFFER_ERROR, f"Error generating offer: {exc}"
                ) from exc
            self._offer_generated = True
            self._watch_receivers()
            self.local_sdp = self._finish_local(self.pc.localDescription.sdp)
            return self.local_sdp

    async def process_answer(self, sdp: str) -> str:
        async with self._negotiating:
            if not self._offer_generated:
                raise KurentoError(SDP_END_POINT_NOT_OFFER_GENERATED, "Offer not generated")
            if self._answer_processed:
                raise KurentoError(SDP_END_POINT_ANSWER_ALREADY_PROCCESED, "Answer already processed")
            remote = self._checked_remote(sdp, "answer")
            try:
                await self.pc.setRemoteDescription(RTCSessionDescription(remote, "answer"))
            except ValueError as exc:
                raise KurentoError(SDP_PARSE_ERROR, f"Error parsing SDP: {exc}") from exc
            except Exception as exc:
                raise KurentoError(
                    SDP_END_POINT_PROCESS_ANSWER_ERROR, f"Error processing answer: {exc}"
                ) from exc
            self._answer_processed = True
            self.remote_sdp = sdp
            await self._apply_pending()
            return self.local_sdp or ""

    def _checked_remote(self, sdp: str, what: str) -> str:
        if not sdp or not sdp.strip():
            raise KurentoError(SDP_PARSE_ERROR, f"Empty {what} not valid")
        if not sdp_text.looks_like_sdp(sdp):
            raise KurentoError(SDP_PARSE_ERROR, "Error parsing SDP")
        return sdp_text.filter_remote_candidates(sdp, self.engine.address)

    def _attach_senders(self) -> None:
        """After a remote offer: send on every m-section the peer wants to receive."""
        assert self.pc.remoteDescription is not None
        wanted = {
            section.kind
            for section in sdp_text.media_sections(self.pc.remoteDescription.sdp)
            if section.direction in ("sendrecv", "recvonly") and section.port != 0
        }
        for kind in KINDS:
            if kind in wanted and not self.recvonly:
                self.pc.addTrack(self.send_track(kind))
        if self.sendonly:
            for transceiver in self.pc.getTransceivers():
                transceiver.direction = "sendonly" if transceiver.sender.track is not None else "inactive"

    def _finish_local(self, sdp: str) -> str:
        lines = [KMS_SESSION_NAME if line.startswith("s=") else line for line in sdp_text.split_lines(sdp)]
        text = sdp_text.join_lines(lines)
        if self.max_recv_kbps:
            text = sdp_text.set_bandwidth(text, "video", self.max_recv_kbps)
        return text

    # -- ICE ---------------------------------------------------------------------------------------------

    async def gather_candidates(self) -> None:
        """Trickle the gathered local candidates as IceCandidateFound, then IceGatheringDone.

        aiortc gathers while producing the local SDP, so before any negotiation this is a silent no-op
        (as on KMS); the candidates are emitted once per endpoint.
        """
        if self.local_sdp is None or self._gathered:
            return
        self._gathered = True
        if self.ice_state == "DISCONNECTED":
            self._set_ice_state("GATHERING")
        seen: set[str] = set()
        first_mid: tuple[str | None, int] | None = None
        for section in sdp_text.media_sections(self.local_sdp):
            if first_mid is None:
                first_mid = (section.mid, section.index)
            for candidate in section.candidates:
                if candidate in seen:
                    continue
                seen.add(candidate)
                mid, index = first_mid if self._bundled() else (section.mid, section.index)
                self.emit(
                    "IceCandidateFound",
                    {
                        "candidate": {
                            "__module__": "kurento",
                            "__type__": "IceCandidate",
                            "candidate": candidate,
                            "sdpMid": mid if mid is not None else str(index),
                            "sdpMLineIndex": index,
                        }
                    },
                )
        self.emit("IceGatheringDone", {})

    def _bundled(self) -> bool:
        return self.local_sdp is not None and "a=group:BUNDLE" in self.local_sdp

    async def add_ice_candidate(
        self, candidate: str, sdp_mid: str | None, sdp_mline_index: int | None
    ) -> None:
        if not candidate or not candidate.strip():
            return  # end-of-candidates, accepted silently as KMS does
        text = candidate.strip()
        if text.startswith("a="):
            text = text[2:]
        body = text[len("candidate:") :] if text.startswith("candidate:") else text
        try:
            candidate_from_sdp(body)
        except Exception as exc:
            raise KurentoError(ICE_ADD_CANDIDATE_ERROR, f"Invalid candidate: {candidate}") from exc
        if not candidate_allowed(body, self.engine.address):
            log.debug("dropping non-loopback candidate %s", candidate)
            return
        self._pending.append((body, sdp_mid, sdp_mline_index))
        if self.pc.remoteDescription is not None:
            await self._apply_pending()

    async def _apply_pending(self) -> None:
        pending, self._pending = self._pending, []
        transceivers = self.pc.getTransceivers()
        for body, mid, index in pending:
            parsed = candidate_from_sdp(body)
            target = self._candidate_target(transceivers, mid, index)
            if target is None:
                log.debug("no transceiver for candidate %s (mid %s, index %s)", body, mid, index)
                continue
            parsed.sdpMid = target.mid
            parsed.sdpMLineIndex = None
            try:
                await self.pc.addIceCandidate(parsed)
            except Exception as exc:
                raise KurentoError(ICE_ADD_CANDIDATE_ERROR, f"Cannot add candidate: {exc}") from exc

    @staticmethod
    def _candidate_target(
        transceivers: list[RTCRtpTransceiver], mid: str | None, index: int | None
    ) -> RTCRtpTransceiver | None:
        chosen = None
        for transceiver in transceivers:
            if (mid is not None and transceiver.mid == mid) or (
                mid is None and index is not None and transceiver._get_mline_index() == index
            ):
                chosen = transceiver
                break
        if chosen is None or chosen._bundled:
            unbundled = [t for t in transceivers if not t._bundled and t.mid is not None]
            if chosen is None and mid is None and index is None:
                return None
            return unbundled[0] if unbundled else chosen
        return chosen

    # -- state events --------------------------------------------------------------------------------------

    def _set_ice_state(self, state: str) -> None:
        if state == self.ice_state:
            return
        self.ice_state = state
        self.emit(
            "IceComponentStateChanged",
            {"streamId": ICE_STREAM_ID, "componentId": ICE_COMPONENT_ID, "state": state},
        )

    def _on_ice_state(self) -> None:
        state = self.pc.iceConnectionState
        if state == "checking":
            if self.ice_state in ("DISCONNECTED", "GATHERING"):
                self._set_ice_state("CONNECTING")
        elif state == "completed":
            self._announce_pair()
            self._set_ice_state("CONNECTED")
            self._set_ice_state("READY")
        elif state == "failed":
            self._set_ice_state("FAILED")

    def _announce_pair(self) -> None:
        for transceiver in self.pc.getTransceivers():
            if transceiver._bundled:
                continue
            connection = getattr(transceiver.receiver.transport.transport, "_connection", None)
            nominated = getattr(connection, "_nominated", {}) if connection is not None else {}
            pair = nominated.get(ICE_COMPONENT_ID)
            if pair is None:
                continue
            self.selected_pair = {
                "__module__": "kurento",
                "__type__": "IceCandidatePair",
                "streamId": str(ICE_STREAM_ID),
                "componentId": ICE_COMPONENT_ID,
                "localCandidate": "candidate:" + pair.local_candidate.to_sdp(),
                "remoteCandidate": "candidate:" + pair.remote_candidate.to_sdp(),
            }
            self.emit("NewCandidatePairSelected", {"candidatePair": dict(self.selected_pair)})
            return

    def _on_connection_state(self) -> None:
        state = self.pc.connectionState
        if state == "connected" and self.connection_state != "CONNECTED":
            self.connection_state = "CONNECTED"
            self.emit("ConnectionStateChanged", {"oldState": "DISCONNECTED", "newState": "CONNECTED"})
        elif state in ("failed", "closed") and self.connection_state == "CONNECTED":
            self.connection_state = "DISCONNECTED"
            self.emit("ConnectionStateChanged", {"oldState": "CONNECTED", "newState": "DISCONNECTED"})
            self._set_media_state("DISCONNECTED")
            if state == "failed":
                self._set_ice_state("FAILED")

    def _set_media_state(self, state: str) -> None:
        if state != self.media_state:
            old, self.media_state = self.media_state, state
            self.emit("MediaStateChanged", {"oldState": old, "newState": state})

    def on_flow_changed(self, event: str, kind: str, flowing: bool) -> None:
        if flowing and self.connection_state == "CONNECTED":
            self._set_media_state("CONNECTED")

    # -- shared video encoding -----------------------------------------------------------------------------

    def send_track(self, kind: str) -> MediaStreamTrack:
        return self.video_send if kind == "video" else self.inputs[kind]

    def choose_video_mode(self) -> str:
        """Called by the video send track on its first read (negotiation is done by then)."""
        sender = next((t for t in self.pc.getTransceivers() if t.sender.track is self.video_send), None)
        codec = sender._codecs[0].mimeType.lower() if sender is not None and sender._codecs else ""
        if not self.params.share_video_encoders or codec != VP8_MIME or sender is None:
            return "frames"
        # Loss reports (PLI/FIR) from this peer ask the shared encoder for a keyframe.
        sender.sender._send_keyframe = self.video_send.request_keyframe  # type: ignore[method-assign]
        self._follow_video_source()
        return "packets"

    def _follow_video_source(self) -> None:
        source = self.sources["video"]
        self.video_send.follow(None if source is None else self.engine.video_encoder(source.outputs["video"]))

    def on_source_changed(self, kind: str) -> None:
        if kind == "video" and self.video_send.mode == "packets" and not self.released:
            self._follow_video_source()

    # -- media -------------------------------------------------------------------------------------------

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind in self.outputs and self.outputs[track.kind].source is None:
            self.outputs[track.kind].set_source(track)

    def _watch_receivers(self) -> None:
        """Count received RTP payload bytes per kind (aiortc's inbound stats lack bytesReceived)."""
        for transceiver in self.pc.getTransceivers():
            receiver = transceiver.receiver
            if getattr(receiver, "_minikms_counted", False):
                continue
            receiver._minikms_counted = True  # type: ignore[attr-defined]
            kind = transceiver.kind
            original: Callable[..., Awaitable[None]] = receiver._handle_rtp_packet

            async def counted(packet: Any, arrival_time_ms: int, _k: str = kind, _o: Any = original) -> None:
                self.rx_bytes[_k] += len(packet.payload)
                await _o(packet, arrival_time_ms=arrival_time_ms)

            receiver._handle_rtp_packet = counted  # type: ignore[method-assign]

    def flow_in_meter(self, kind: str) -> FlowMeter:
        return self.outputs[kind].received

    def flow_out_meter(self, kind: str) -> FlowMeter:
        return self.video_send.pulled if kind == "video" else self.inputs[kind].pulled

    def tick(self, now: float) -> None:
        super().tick(now)
        if self.max_send_kbps or self.min_send_kbps:
            self._apply_send_caps()

    # -- bandwidth -----------------------------------------------------------------------------------------

    def set_bandwidth(
        self,
        *,
        max_recv: int | None = None,
        min_recv: int | None = None,
        max_send: int | None = None,
        min_send: int | None = None,
    ) -> None:
        """Kbps. Receive caps go into the local SDP as b=AS; send caps bound the encoders' target bitrate."""
        if max_recv is not None:
            self.max_recv_kbps = max_recv
        if min_recv is not None:
            self.min_recv_kbps = min_recv
        if max_send is not None:
            self.max_send_kbps = max_send
        if min_send is not None:
            self.min_send_kbps = min_send
        self._apply_send_caps()
        if self.video_send.encoder is not None:
            self.video_send.encoder.update_bitrate()

    def _apply_send_caps(self) -> None:
        caps = (self.min_send_kbps * 1000, self.max_send_kbps * 1000)
        for sender in self.senders("video"):
            encoder = getattr(sender, "_RTCRtpSender__encoder", None)
            if encoder is not None and getattr(encoder, "_minikms_caps", None) != caps:
                clamp_encoder_bitrate(encoder, *caps)

    def encoder_target_bitrate(self, kind: str = "video") -> int | None:
        if kind == "video" and self.video_send.encoder is not None:
            return self.video_send.encoder.bitrate
        for sender in self.senders(kind):
            encoder = getattr(sender, "_RTCRtpSender__encoder", None)
            if encoder is not None and hasattr(encoder, "target_bitrate"):
                return int(encoder.target_bitrate)
        return None

    def senders(self, kind: str) -> list[RTCRtpSender]:
        return [t.sender for t in self.pc.getTransceivers() if t.kind == kind and t.sender.track is not None]

    def receivers(self, kind: str) -> list[RTCRtpReceiver]:
        return [t.receiver for t in self.pc.getTransceivers() if t.kind == kind]

    # -- stats -------------------------------------------------------------------------------------------

    async def get_stats(self, media_type: str | None = None) -> dict[str, dict[str, Any]]:
        return await webrtc_stats(self, media_type)

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def close_media(self) -> None:
        self.video_send.stop()
        self.pc.remove_all_listeners()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.pc.close(), self.params.pc_close_timeout)
