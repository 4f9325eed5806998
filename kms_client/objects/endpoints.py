"""Endpoints: SdpEndpoint, BaseRtpEndpoint, WebRtcEndpoint, UriEndpoint, PlayerEndpoint, RecorderEndpoint."""

from __future__ import annotations

from typing import Any, ClassVar

from ..structs import (
    IceCandidate,
    IceCandidatePair,
    IceConnection,
    OfferOptions,
    version_tuple,
)
from .base import text_reply
from .elements import MediaElement


class Endpoint(MediaElement):
    TYPE: ClassVar[str] = "Endpoint"


class SdpEndpoint(Endpoint):
    TYPE: ClassVar[str] = "SdpEndpoint"

    async def generate_offer(
        self,
        *,
        offer_to_receive_audio: bool | None = None,
        offer_to_receive_video: bool | None = None,
        timeout: float | None = None,
    ) -> str:
        params: dict[str, Any] | None = None
        if offer_to_receive_audio is not None or offer_to_receive_video is not None:
            params = {"options": OfferOptions(offer_to_receive_audio, offer_to_receive_video)}
        return text_reply("generateOffer", await self.invoke("generateOffer", params, timeout=timeout))

    async def process_offer(self, offer: str, *, timeout: float | None = None) -> str:
        """The SDP answer (``KmsProtocolError`` when the reply is not a string)."""
        return text_reply(
            "processOffer", await self.invoke("processOffer", {"offer": offer}, timeout=timeout)
        )

    async def process_answer(self, answer: str, *, timeout: float | None = None) -> str:
        value = await self.invoke("processAnswer", {"answer": answer}, timeout=timeout)
        return text_reply("processAnswer", value)

    async def get_local_session_descriptor(self, *, timeout: float | None = None) -> str | None:
        value = await self.invoke("getLocalSessionDescriptor", timeout=timeout)
        return value if isinstance(value, str) else None

    async def get_remote_session_descriptor(self, *, timeout: float | None = None) -> str | None:
        value = await self.invoke("getRemoteSessionDescriptor", timeout=timeout)
        return value if isinstance(value, str) else None

    async def set_max_audio_recv_bandwidth(self, kbps: int, *, timeout: float | None = None) -> None:
        await self.invoke("setMaxAudioRecvBandwidth", {"maxAudioRecvBandwidth": kbps}, timeout=timeout)

    async def set_max_video_recv_bandwidth(self, kbps: int, *, timeout: float | None = None) -> None:
        await self.invoke("setMaxVideoRecvBandwidth", {"maxVideoRecvBandwidth": kbps}, timeout=timeout)

    async def get_max_video_recv_bandwidth(self, *, timeout: float | None = None) -> int:
        return int(await self.invoke("getMaxVideoRecvBandwidth", timeout=timeout))


class BaseRtpEndpoint(SdpEndpoint):
    TYPE: ClassVar[str] = "BaseRtpEndpoint"

    async def set_min_video_recv_bandwidth(self, kbps: int, *, timeout: float | None = None) -> None:
        await self.invoke("setMinVideoRecvBandwidth", {"minVideoRecvBandwidth": kbps}, timeout=timeout)

    async def set_min_video_send_bandwidth(self, kbps: int, *, timeout: float | None = None) -> None:
        await self.invoke("setMinVideoSendBandwidth", {"minVideoSendBandwidth": kbps}, timeout=timeout)

    async def set_max_video_send_bandwidth(self, kbps: int, *, timeout: float | None = None) -> None:
        await self.invoke("setMaxVideoSendBandwidth", {"maxVideoSendBandwidth": kbps}, timeout=timeout)

    async def get_max_video_send_bandwidth(self, *, timeout: float | None = None) -> int:
        return int(await self.invoke("getMaxVideoSendBandwidth", timeout=timeout))

    async def get_media_state(self, *, timeout: float | None = None) -> str:
        return str(await self.invoke("getMediaState", timeout=timeout))

    async def get_connection_state(self, *, timeout: float | None = None) -> str:
        return str(await self.invoke("getConnectionState", timeout=timeout))

    async def get_mtu(self, *, timeout: float | None = None) -> int:
        return int(await self.invoke("getMtu", timeout=timeout))

    async def set_mtu(self, mtu: int, *, timeout: float | None = None) -> None:
        await self.invoke("setMtu", {"mtu": mtu}, timeout=timeout)

    async def request_keyframe(self, *, timeout: float | None = None) -> None:
        await self.invoke("requestKeyframe", timeout=timeout)


class WebRtcEndpoint(BaseRtpEndpoint):
    TYPE: ClassVar[str] = "WebRtcEndpoint"

    async def gather_candidates(self, *, timeout: float | None = None) -> None:
        await self.invoke("gatherCandidates", timeout=timeout)

    async def add_ice_candidate(self, candidate: IceCandidate, *, timeout: float | None = None) -> None:
        await self.invoke("addIceCandidate", {"candidate": candidate}, timeout=timeout)

    async def set_stun_server_address(self, address: str, *, timeout: float | None = None) -> None:
        await self.invoke("setStunServerAddress", {"stunServerAddress": address}, timeout=timeout)

    async def get_stun_server_address(self, *, timeout: float | None = None) -> str:
        return str(await self.invoke("getStunServerAddress", timeout=timeout))

    async def set_stun_server_port(self, port: int, *, timeout: float | None = None) -> None:
        await self.invoke("setStunServerPort", {"stunServerPort": port}, timeout=timeout)

    async def get_stun_server_port(self, *, timeout: float | None = None) -> int:
        return int(await self.invoke("getStunServerPort", timeout=timeout))

    async def set_turn_url(self, url: str, *, timeout: float | None = None) -> None:
        await self.invoke("setTurnUrl", {"turnUrl": url}, timeout=timeout)

    async def set_external_ipv4(self, address: str, *, timeout: float | None = None) -> None:
        """Force the public IPv4 in candidates: ``externalIPv4`` (KMS >= 6.15), else the
        older ``externalAddress`` (6.13-6.14)."""
        if self._before(6, 15):
            await self.invoke("setExternalAddress", {"externalAddress": address}, timeout=timeout)
        else:
            await self.invoke("setExternalIPv4", {"externalIPv4": address}, timeout=timeout)

    async def get_external_ipv4(self, *, timeout: float | None = None) -> str:
        if self._before(6, 15):
            return str(await self.invoke("getExternalAddress", timeout=timeout))
        return str(await self.invoke("getExternalIPv4", timeout=timeout))

    async def set_network_interfaces(self, names: str, *, timeout: float | None = None) -> None:
        await self.invoke("setNetworkInterfaces", {"networkInterfaces": names}, timeout=timeout)

    async def get_ice_candidate_pairs(self, *, timeout: float | None = None) -> list[IceCandidatePair]:
        value = await self.invoke("getICECandidatePairs", timeout=timeout)
        return [p for p in value or [] if isinstance(p, IceCandidatePair)]

    async def get_ice_connection_state(self, *, timeout: float | None = None) -> list[IceConnection]:
        value = await self.invoke("getIceConnectionState", timeout=timeout)
        return [c for c in value or [] if isinstance(c, IceConnection)]

    async def create_data_channel(
        self,
        label: str | None = None,
        ordered: bool | None = None,
        max_packet_life_time: int | None = None,
        max_retransmits: int | None = None,
        protocol: str | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        params = {
            k: v
            for k, v in {
                "label": label,
                "ordered": ordered,
                "maxPacketLifeTime": max_packet_life_time,
                "maxRetransmits": max_retransmits,
                "protocol": protocol,
            }.items()
            if v is not None
        }
        await self.invoke("createDataChannel", params or None, timeout=timeout)

    async def close_data_channel(self, channel_id: int, *, timeout: float | None = None) -> None:
        await self.invoke("closeDataChannel", {"channelId": channel_id}, timeout=timeout)

    def _before(self, major: int, minor: int) -> bool:
        info = self.connection.server_info
        if info is None:
            return False
        return version_tuple(info.version)[:2] < (major, minor)


class UriEndpoint(Endpoint):
    TYPE: ClassVar[str] = "UriEndpoint"

    async def get_uri(self, *, timeout: float | None = None) -> str:
        return str(await self.invoke("getUri", timeout=timeout))

    async def get_state(self, *, timeout: float | None = None) -> str:
        return str(await self.invoke("getState", timeout=timeout))

    async def pause(self, *, timeout: float | None = None) -> None:
        await self.invoke("pause", timeout=timeout)

    async def stop(self, *, timeout: float | None = None) -> None:
        await self.invoke("stop", timeout=timeout)


class PlayerEndpoint(UriEndpoint):
    TYPE: ClassVar[str] = "PlayerEndpoint"

    async def play(self, *, timeout: float | None = None) -> None:
        await self.invoke("play", timeout=timeout)


class RecorderEndpoint(UriEndpoint):
    TYPE: ClassVar[str] = "RecorderEndpoint"

    async def record(self, *, timeout: float | None = None) -> None:
        await self.invoke("record", timeout=timeout)

    async def stop_and_wait(self, timeout: float | None = None) -> None:
        """``stopAndWait`` blocks until the file is finalised: pass a longer timeout if needed."""
        await self.connection.invoke(self.id, "stopAndWait", None, timeout=timeout)
