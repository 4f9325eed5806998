"""MediaPipeline: creates the elements of a pipeline."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from ..connection import KmsConnection
from .base import MediaObject
from .elements import Composite, FaceOverlayFilter, GStreamerFilter, HubPort, MediaElement, PassThrough
from .endpoints import PlayerEndpoint, RecorderEndpoint, WebRtcEndpoint

ObjT = TypeVar("ObjT", bound=MediaObject)


def _ctor(pipeline: MediaPipeline, **params: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"mediaPipeline": pipeline.id}
    out.update({k: v for k, v in params.items() if v is not None})
    return out


class MediaPipeline(MediaObject):
    TYPE: ClassVar[str] = "MediaPipeline"

    @classmethod
    async def create(cls, connection: KmsConnection, *, timeout: float | None = None) -> MediaPipeline:
        """A new pipeline on the media server behind ``connection``."""
        return cls(connection, await connection.create(cls.TYPE, {}, timeout=timeout))

    async def _create(self, cls: type[ObjT], ctor: dict[str, Any], timeout: float | None) -> ObjT:
        object_id = await self.connection.create(cls.TYPE, ctor, timeout=timeout)
        return cls(self.connection, object_id)

    async def create_webrtc_endpoint(
        self,
        *,
        recvonly: bool | None = None,
        sendonly: bool | None = None,
        use_data_channels: bool | None = None,
        certificate_key_type: str | None = None,
        qos_dscp: str | None = None,
        timeout: float | None = None,
    ) -> WebRtcEndpoint:
        ctor = _ctor(
            self,
            recvonly=recvonly,
            sendonly=sendonly,
            useDataChannels=use_data_channels,
            certificateKeyType=certificate_key_type,
            qosDscp=qos_dscp,
        )
        return await self._create(WebRtcEndpoint, ctor, timeout)

    async def create_pass_through(self, *, timeout: float | None = None) -> PassThrough:
        return await self._create(PassThrough, _ctor(self), timeout)

    async def create_player_endpoint(
        self,
        uri: str,
        *,
        network_cache: int | None = None,
        use_encoded_media: bool | None = None,
        timeout: float | None = None,
    ) -> PlayerEndpoint:
        ctor = _ctor(self, uri=uri, networkCache=network_cache, useEncodedMedia=use_encoded_media)
        return await self._create(PlayerEndpoint, ctor, timeout)

    async def create_recorder_endpoint(
        self,
        uri: str,
        *,
        media_profile: str | None = None,
        stop_on_end_of_stream: bool | None = None,
        timeout: float | None = None,
    ) -> RecorderEndpoint:
        ctor = _ctor(self, uri=uri, mediaProfile=media_profile, stopOnEndOfStream=stop_on_end_of_stream)
        return await self._create(RecorderEndpoint, ctor, timeout)

    async def create_composite(self, *, timeout: float | None = None) -> Composite:
        return await self._create(Composite, _ctor(self), timeout)

    async def create_gstreamer_filter(
        self, command: str, *, filter_type: str | None = None, timeout: float | None = None
    ) -> GStreamerFilter:
        ctor = _ctor(self, command=command, filterType=filter_type)
        return await self._create(GStreamerFilter, ctor, timeout)

    async def create_face_overlay_filter(self, *, timeout: float | None = None) -> FaceOverlayFilter:
        return await self._create(FaceOverlayFilter, _ctor(self), timeout)

    async def create_element(
        self, type_name: str, options: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> MediaElement:
        """Create any element type by name with extra constructor params (OpenVidu filters)."""
        ctor = _ctor(self)
        ctor.update(options or {})
        cls = ELEMENT_TYPES.get(type_name, MediaElement)
        object_id = await self.connection.create(type_name, ctor, timeout=timeout)
        return cls(self.connection, object_id)

    async def get_latency_stats(self, *, timeout: float | None = None) -> bool:
        return bool(await self.invoke("getLatencyStats", timeout=timeout))

    async def set_latency_stats(self, value: bool, *, timeout: float | None = None) -> None:
        await self.invoke("setLatencyStats", {"latencyStats": value}, timeout=timeout)

    async def get_gstreamer_dot(self, *, timeout: float | None = None) -> str:
        return str(await self.invoke("getGstreamerDot", timeout=timeout))


ELEMENT_TYPES: dict[str, type[MediaElement]] = {
    cls.TYPE: cls
    for cls in (
        WebRtcEndpoint,
        PassThrough,
        PlayerEndpoint,
        RecorderEndpoint,
        HubPort,
        GStreamerFilter,
        FaceOverlayFilter,
    )
}
