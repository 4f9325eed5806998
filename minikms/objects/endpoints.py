"""Endpoints: the SDP/RTP hierarchy down to WebRtcEndpoint, and UriEndpoint/RecorderEndpoint.

The media work is the ``minikms.media`` nodes'; these classes give them Kurento's API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from minikms.objects.base import MediaObject, Prop, operation
from minikms.objects.elements import MediaElement
from minikms.objects.marshal import Param
from minikms.protocol import (
    MEDIA_OBJECT_OPERATION_NOT_SUPPORTED,
    SDP_PARSE_ERROR,
    KurentoError,
)

if TYPE_CHECKING:
    from minikms.media import PlayerNode, RecorderNode, WebRtcNode

# Bandwidth defaults of KMS (kbps; 0 = unlimited) and the RTP MTU default (bytes).
DEFAULT_MAX_AUDIO_RECV_BANDWIDTH = 0
DEFAULT_MAX_VIDEO_RECV_BANDWIDTH = 0
DEFAULT_MIN_VIDEO_RECV_BANDWIDTH = 100
DEFAULT_MIN_VIDEO_SEND_BANDWIDTH = 100
DEFAULT_MAX_VIDEO_SEND_BANDWIDTH = 500
DEFAULT_MTU = 1200
DEFAULT_STUN_PORT = 3478


class Endpoint(MediaElement):
    KMS_TYPE: ClassVar[str] = "Endpoint"

    def endpoint_stats(self) -> dict[str, Any]:
        entry = self.base_stats()
        entry["__type__"] = "EndpointStats"
        entry["type"] = "endpoint"
        if self.host.version.is_6:
            entry["audioE2ELatency"] = 0.0
            entry["videoE2ELatency"] = 0.0
        else:
            entry["E2ELatency"] = []
        return entry

    async def collect_stats(self, media_type: str | None) -> dict[str, dict[str, Any]]:
        return {self.id: self.endpoint_stats()}


class SessionEndpoint(Endpoint):
    KMS_TYPE: ClassVar[str] = "SessionEndpoint"
    EVENTS: ClassVar[tuple[str, ...]] = ("MediaSessionStarted", "MediaSessionTerminated")


class SdpEndpoint(SessionEndpoint):
    KMS_TYPE: ClassVar[str] = "SdpEndpoint"
    PROPERTIES: ClassVar[tuple[Prop, ...]] = (
        Prop("maxAudioRecvBandwidth", "int", default=DEFAULT_MAX_AUDIO_RECV_BANDWIDTH),
        Prop(
            "maxVideoRecvBandwidth", "int", default=DEFAULT_MAX_VIDEO_RECV_BANDWIDTH, on_set="_bandwidth_set"
        ),
    )

    def sdp_node(self) -> WebRtcNode:
        node = self.node
        assert node is not None
        return node  # type: ignore[return-value]

    def _bandwidth_set(self, _value: int) -> None:
        """Push the four video bandwidth settings to the media node."""
        self.sdp_node().set_bandwidth(
            max_recv=self.values.get("maxVideoRecvBandwidth"),
            min_recv=self.values.get("minVideoRecvBandwidth"),
            max_send=self.values.get("maxVideoSendBandwidth"),
            min_send=self.values.get("minVideoSendBandwidth"),
        )

    @operation("generateOffer", Param("options", "OfferOptions", required=False), returns="String")
    async def generate_offer(self, options: dict[str, Any] | None) -> str:
        options = options or {}
        return await self.sdp_node().generate_offer(
            audio=bool(options.get("offerToReceiveAudio", True)),
            video=bool(options.get("offerToReceiveVideo", True)),
        )

    @operation("processOffer", Param("offer", "String"), returns="String")
    async def process_offer(self, offer: str) -> str:
        if not offer.strip():
            raise KurentoError(SDP_PARSE_ERROR, "Empty offer not valid")
        return await self.sdp_node().process_offer(offer)

    @operation("processAnswer", Param("answer", "String"), returns="String")
    async def process_answer(self, answer: str) -> str:
        if not answer.strip():
            raise KurentoError(SDP_PARSE_ERROR, "Empty answer not valid")
        return await self.sdp_node().process_answer(answer)

    @operation("getLocalSessionDescriptor", returns="String")
    def get_local_session_descriptor(self) -> str | None:
        return self.sdp_node().local_sdp

    @operation("getRemoteSessionDescriptor", returns="String")
    def get_remote_session_descriptor(self) -> str | None:
        return self.sdp_node().remote_sdp


class BaseRtpEndpoint(SdpEndpoint):
    KMS_TYPE: ClassVar[str] = "BaseRtpEndpoint"
    EVENTS: ClassVar[tuple[str, ...]] = ("ConnectionStateChanged", "MediaStateChanged")
    PROPERTIES: ClassVar[tuple[Prop, ...]] = (
        Prop(
            "minVideoRecvBandwidth", "int", default=DEFAULT_MIN_VIDEO_RECV_BANDWIDTH, on_set="_bandwidth_set"
        ),
        Prop(
            "minVideoSendBandwidth", "int", default=DEFAULT_MIN_VIDEO_SEND_BANDWIDTH, on_set="_bandwidth_set"
        ),
        Prop(
            "maxVideoSendBandwidth", "int", default=DEFAULT_MAX_VIDEO_SEND_BANDWIDTH, on_set="_bandwidth_set"
        ),
        Prop("mtu", "int", default=DEFAULT_MTU),
        Prop("rembParams", "RembParams", default=None),
        Prop("mediaState", "MediaState", readonly=True, default="DISCONNECTED"),
        Prop("connectionState", "ConnectionState", readonly=True, default="DISCONNECTED"),
    )

    def raise_event(self, event_7x: str, fields: dict[str, Any]) -> None:
        if event_7x == "MediaStateChanged":
            self.values["mediaState"] = fields.get("newState", self.values["mediaState"])
        elif event_7x == "ConnectionStateChanged":
            self.values["connectionState"] = fields.get("newState", self.values["connectionState"])
        super().raise_event(event_7x, fields)

    @operation("requestKeyframe", versions=(7,))
    def request_keyframe(self) -> None:
        return None


class WebRtcEndpointObject(BaseRtpEndpoint):
    """The served Kurento ``WebRtcEndpoint`` (its Kurento name is KMS_TYPE; ``kms_client.objects.WebRtcEndpoint``
    is the client proxy of the same Kurento class)."""

    KMS_TYPE: ClassVar[str] = "WebRtcEndpoint"
    ABSTRACT: ClassVar[bool] = False
    MODULE: ClassVar[str] = "elements"
    CONSTRUCTOR: ClassVar[tuple[Param, ...]] = (
        Param("mediaPipeline", "MediaPipeline"),
        Param("recvonly", "boolean", required=False, default=False),
        Param("sendonly", "boolean", required=False, default=False),
        Param("useDataChannels", "boolean", required=False, default=False),
        Param("certificateKeyType", "CertificateKeyType", required=False, default="RSA"),
        Param("qosDscp", "DSCPValue", required=False, default="NO_VALUE"),
    )
    EVENTS: ClassVar[tuple[str, ...]] = (
        "DataChannelClosed",
        "DataChannelOpened",
        "DtlsConnectionStateChange",
        "IceCandidateFound",
        "IceComponentStateChanged",
        "IceGatheringDone",
        "NewCandidatePairSelected",
    )
    PROPERTIES: ClassVar[tuple[Prop, ...]] = (
        Prop("stunServerAddress", "String", default=""),
        Prop("stunServerPort", "int", default=DEFAULT_STUN_PORT),
        Prop("turnUrl", "String", default=""),
        Prop("networkInterfaces", "String", default=""),
        Prop("externalAddress", "String", default="", versions=(6,)),
        Prop("externalIPv4", "String", default=""),
        Prop("externalIPv6", "String", default=""),
        Prop("iceTcp", "boolean", default=True),
        Prop("ICECandidatePairs", "IceCandidatePair[]", readonly=True, getter="_get_candidate_pairs"),
        Prop("IceConnectionState", "IceConnection[]", readonly=True, getter="_get_ice_connection_state"),
        Prop(
            "DtlsConnectionState",
            "DtlsConnection[]",
            readonly=True,
            getter="_get_dtls_connection_state",
            versions=(7,),
        ),
    )

    def __init__(self, host: Any, object_id: str, parent: MediaObject | None) -> None:
        super().__init__(host, object_id, parent)
        self.candidate_pairs: list[dict[str, Any]] = []
        self.use_data_channels = False

    async def setup(self, args: dict[str, Any]) -> None:
        from minikms.media import WebRtcNode

        self.use_data_channels = bool(args.get("useDataChannels"))
        self.attach_node(
            WebRtcNode(
                self.host.engine, recvonly=bool(args.get("recvonly")), sendonly=bool(args.get("sendonly"))
            )
        )

    def raise_event(self, event_7x: str, fields: dict[str, Any]) -> None:
        if event_7x == "NewCandidatePairSelected" and isinstance(fields.get("candidatePair"), dict):
            pair = dict(fields["candidatePair"])
            if self.host.version.is_6:
                # 6.18 sends both spellings with the same values.
                pair.setdefault("streamID", pair.get("streamId"))
                pair.setdefault("componentID", pair.get("componentId"))
            fields = {**fields, "candidatePair": pair}
            self.candidate_pairs.append(pair)
        super().raise_event(event_7x, fields)

    def _get_candidate_pairs(self) -> list[dict[str, Any]]:
        return list(self.candidate_pairs)

    def _get_ice_connection_state(self) -> list[dict[str, Any]]:
        node = self.sdp_node()
        if node.remote_sdp is None:
            return []
        return node.ice_connections()

    def _get_dtls_connection_state(self) -> list[dict[str, Any]]:
        return []

    @operation("gatherCandidates")
    async def gather_candidates(self) -> None:
        await self.sdp_node().gather_candidates()

    @operation("addIceCandidate", Param("candidate", "IceCandidate"))
    async def add_ice_candidate(self, candidate: dict[str, Any]) -> None:
        await self.sdp_node().add_ice_candidate(
            candidate["candidate"], candidate.get("sdpMid"), candidate.get("sdpMLineIndex")
        )

    @operation(
        "createDataChannel",
        Param("label", "String", required=False, default=""),
        Param("ordered", "boolean", required=False, default=True),
        Param("maxPacketLifeTime", "int", required=False, default=-1),
        Param("maxRetransmits", "int", required=False, default=-1),
        Param("protocol", "String", required=False, default=""),
    )
    def create_data_channel(
        self, label: str, ordered: bool, life: int, retransmits: int, protocol: str
    ) -> None:
        raise KurentoError(
            MEDIA_OBJECT_OPERATION_NOT_SUPPORTED, "Data channels are not supported by this WebRtcEndpoint"
        )

    @operation("closeDataChannel", Param("channelId", "int"))
    def close_data_channel(self, channel_id: int) -> None:
        raise KurentoError(
            MEDIA_OBJECT_OPERATION_NOT_SUPPORTED, "Data channels are not supported by this WebRtcEndpoint"
        )

    async def collect_stats(self, media_type: str | None) -> dict[str, dict[str, Any]]:
        stats = await self.sdp_node().get_stats(media_type)
        stats[self.id] = self.endpoint_stats()
        if self.host.version.is_6:
            for entry in stats.values():
                if "timestamp" not in entry and isinstance(entry.get("timestampMillis"), int):
                    entry["timestamp"] = entry["timestampMillis"] / 1000.0
        return stats


class UriEndpoint(Endpoint):
    KMS_TYPE: ClassVar[str] = "UriEndpoint"
    EVENTS: ClassVar[tuple[str, ...]] = ("UriEndpointStateChanged",)
    PROPERTIES: ClassVar[tuple[Prop, ...]] = (
        Prop("uri", "String", readonly=True, default=""),
        Prop("state", "UriEndpointState", readonly=True, default="STOP"),
    )

    def raise_event(self, event_7x: str, fields: dict[str, Any]) -> None:
        if event_7x == "UriEndpointStateChanged" and isinstance(fields.get("state"), str):
            self.values["state"] = fields["state"]
        super().raise_event(event_7x, fields)

    def recorder_node(self) -> RecorderNode:
        node = self.node
        assert node is not None
        return node  # type: ignore[return-value]

    @operation("pause")
    async def pause(self) -> None:
        await self.recorder_node().pause()

    @operation("stop")
    async def stop(self) -> None:
        await self.recorder_node().stop()


class RecorderEndpoint(UriEndpoint):
    KMS_TYPE: ClassVar[str] = "RecorderEndpoint"
    ABSTRACT: ClassVar[bool] = False
    MODULE: ClassVar[str] = "elements"
    CONSTRUCTOR: ClassVar[tuple[Param, ...]] = (
        Param("mediaPipeline", "MediaPipeline"),
        Param("uri", "String"),
        Param("mediaProfile", "MediaProfileSpecType", required=False, default="WEBM"),
        Param("stopOnEndOfStream", "boolean", required=False, default=False),
    )
    EVENTS: ClassVar[tuple[str, ...]] = ("Paused", "Recording", "Stopped")

    async def setup(self, args: dict[str, Any]) -> None:
        from minikms.media import RecorderNode

        self.values["uri"] = args["uri"]
        self.values["mediaProfile"] = args["mediaProfile"]
        node = RecorderNode(
            self.host.engine, args["uri"], args["mediaProfile"], bool(args["stopOnEndOfStream"])
        )
        self.attach_node(node)

    @operation("record")
    async def record(self) -> None:
        await self.recorder_node().record()

    @operation("stopAndWait")
    async def stop_and_wait(self) -> None:
        await self.recorder_node().stop_and_wait()


class PlayerEndpoint(UriEndpoint):
    """Plays a ``rtsp://``, ``http(s)://`` or ``file://`` source into the pipeline (OpenVidu's IP cameras)."""

    KMS_TYPE: ClassVar[str] = "PlayerEndpoint"
    ABSTRACT: ClassVar[bool] = False
    MODULE: ClassVar[str] = "elements"
    CONSTRUCTOR: ClassVar[tuple[Param, ...]] = (
        Param("mediaPipeline", "MediaPipeline"),
        Param("uri", "String"),
        Param("useEncodedMedia", "boolean", required=False, default=False),
        Param("networkCache", "int", required=False, default=2000),
    )
    EVENTS: ClassVar[tuple[str, ...]] = ("EndOfStream",)

    async def setup(self, args: dict[str, Any]) -> None:
        from minikms.media import PlayerNode

        self.values["uri"] = args["uri"]
        self.attach_node(PlayerNode(self.host.engine, args["uri"], int(args["networkCache"])))

    def player_node(self) -> PlayerNode:
        node = self.node
        assert node is not None
        return node  # type: ignore[return-value]

    @operation("play")
    async def play(self) -> None:
        await self.player_node().play()

    @operation("pause")
    async def pause(self) -> None:
        await self.player_node().pause()

    @operation("stop")
    async def stop(self) -> None:
        await self.player_node().stop()
