"""Endpoints: SdpEndpoint, BaseRtpEndpoint, WebRtcEndpoint, UriEndpoint, RecorderEndpoint."""

from __future__ import annotations

from typing import Any, ClassVar

from ..structs import (
    IceCandidate,
    IceCandidatePair,
    IceConnection,
    OfferOptions,
    version_tuple,
)
from .elements import MediaElement


class Endpoint(MediaElement):
    TYPE: ClassVar[str] = "Endpoint"


class SdpEndpoint(Endpoint):
    TYPE: ClassVar[str] = "SdpEndpoint"

    async def generate_offer(
        self, *, offer_to_receive_audio: bool | None = None, offer_to_receive_video: bool | None = None
    ) -> str:
        params: dict[str, Any] | None = None
        if offer_to_receive_audio is not None or offer_to_receive_video is not None:
            params = {"options": OfferOptions(offer_to_receive_audio, offer_to_receive_video)}
        return str(await self.invoke("generateOffer", params))

    async def process_offer(self, offer: str) -> str:
        return str(await self.invoke("processOffer", {"offer": offer}))

    async def process_answer(self, answer: str) -> str:
        return str(await self.invoke("processAnswer", {"answer": answer}))

    async def get_local_session_descriptor(self) -> str | None:
        value = await self.invoke("getLocalSessionDescriptor")
        return value if isinstance(value, str) else None

    async def get_remote_session_descriptor(self) -> str | None:
        value = await self.invoke("getRemoteSessionDescriptor")
        return value if isinstance(value, str) else None

    async def set_max_audio_recv_bandwidth(self, kbps: int) -> None:
        await self.invoke("setMaxAudioRecvBandwidth", {"maxAudioRecvBandwidth": kbps})

    async def set_max_video_recv_bandwidth(self, kbps: int) -> None:
        await self.invoke("setMaxVideoRecvBandwidth", {"maxVideoRecvBandwidth": kbps})

    async def get_max_video_recv_bandwidth(self) -> int:
        return int(await self.invoke("getMaxVideoRecvBandwidth"))


class BaseRtpEndpoint(SdpEndpoint):
    TYPE: ClassVar[str] = "BaseRtpEndpoint"

    async def set_min_video_recv_bandwidth(self, kbps: int) -> None:
        await self.invoke("setMinVideoRecvBandwidth", {"minVideoRecvBandwidth": kbps})

    async def set_min_video_send_bandwidth(self, kbps: int) -> None:
        await self.invoke("setMinVideoSendBandwidth", {"minVideoSendBandwidth": kbps})

    async def set_max_video_send_bandwidth(self, kbps: int) -> None:
        await self.invoke("setMaxVideoSendBandwidth", {"maxVideoSendBandwidth": kbps})

    async def get_max_video_send_bandwidth(self) -> int:
        return int(await self.invoke("getMaxVideoSendBandwidth"))

    async def get_media_state(self) -> str:
        return str(await self.invoke("getMediaState"))

    async def get_connection_state(self) -> str:
        return str(await self.invoke("getConnectionState"))

    async def get_mtu(self) -> int:
        return int(await self.invoke("getMtu"))

    async def set_mtu(self, mtu: int) -> None:
        await self.invoke("setMtu", {"mtu": mtu})

    async def request_keyframe(self) -> None:
        await self.invoke("requestKeyframe")


class WebRtcEndpoint(BaseRtpEndpoint):
    TYPE: ClassVar[str] = "WebRtcEndpoint"

    async def gather_candidates(self) -> None:
        await self.invoke("gatherCandidates")

    async def add_ice_candidate(self, candidate: IceCandidate) -> None:
        await self.invoke("addIceCandidate", {"candidate": candidate})

    async def set_stun_server_address(self, address: str) -> None:
        await self.invoke("setStunServerAddress", {"stunServerAddress": address})

    async def get_stun_server_address(self) -> str:
        return str(await self.invoke("getStunServerAddress"))

    async def set_stun_server_port(self, port: int) -> None:
        await self.invoke("setStunServerPort", {"stunServerPort": port})

    async def get_stun_server_port(self) -> int:
        return int(await self.invoke("getStunServerPort"))

    async def set_turn_url(self, url: str) -> None:
        await self.invoke("setTurnUrl", {"turnUrl": url})

    async def set_external_ipv4(self, address: str) -> None:
        """Force the public IPv4 in candidates: ``externalIPv4`` (KMS >= 6.15), else the
        older ``externalAddress`` (6.13-6.14)."""
        if self._before(6, 15):
            await self.invoke("setExternalAddress", {"externalAddress": address})
        else:
            await self.invoke("setExternalIPv4", {"externalIPv4": address})

    async def get_external_ipv4(self) -> str:
        if self._before(6, 15):
            return str(await self.invoke("getExternalAddress"))
        return str(await self.invoke("getExternalIPv4"))

    async def set_network_interfaces(self, names: str) -> None:
        await self.invoke("setNetworkInterfaces", {"networkInterfaces": names})

    async def get_ice_candidate_pairs(self) -> list[IceCandidatePair]:
        value = await self.invoke("getICECandidatePairs")
        return [p for p in value or [] if isinstance(p, IceCandidatePair)]

    async def get_ice_connection_state(self) -> list[IceConnection]:
        value = await self.invoke("getIceConnectionState")
        return [c for c in value or [] if isinstance(c, IceConnection)]

    async def create_data_channel(
        self,
        label: str | None = None,
        ordered: bool | None = None,
        max_packet_life_time: int | None = None,
        max_retransmits: int | None = None,
        protocol: str | None = None,
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
        await self.invoke("createDataChannel", params or None)

    async def close_data_channel(self, channel_id: int) -> None:
        await self.invoke("closeDataChannel", {"channelId": channel_id})

    def _before(self, major: int, minor: int) -> bool:
        info = self.connection.server_info
        if info is None:
            return False
        return version_tuple(info.version)[:2] < (major, minor)


class UriEndpoint(Endpoint):
    TYPE: ClassVar[str] = "UriEndpoint"

    async def get_uri(self) -> str:
        return str(await self.invoke("getUri"))

    async def get_state(self) -> str:
        return str(await self.invoke("getState"))

    async def pause(self) -> None:
        await self.invoke("pause")

    async def stop(self) -> None:
        await self.invoke("stop")


class RecorderEndpoint(UriEndpoint):
    TYPE: ClassVar[str] = "RecorderEndpoint"

    async def record(self) -> None:
        await self.invoke("record")

    async def stop_and_wait(self, timeout: float | None = None) -> None:
        """``stopAndWait`` blocks until the file is finalised: pass a longer timeout if needed."""
        await self.connection.invoke(self.id, "stopAndWait", None, timeout=timeout)
