"""MediaPipeline: creates the elements of a pipeline."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from .base import MediaObject
from .elements import Composite, FaceOverlayFilter, GStreamerFilter, HubPort, MediaElement, PassThrough
from .endpoints import RecorderEndpoint, WebRtcEndpoint

ObjT = TypeVar("ObjT", bound=MediaObject)


def _ctor(pipeline: MediaPipeline, **params: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"mediaPipeline": pipeline.id}
    out.update({k: v for k, v in params.items() if v is not None})
    return out


class MediaPipeline(MediaObject):
    TYPE: ClassVar[str] = "MediaPipeline"

    async def _create(self, cls: type[ObjT], ctor: dict[str, Any]) -> ObjT:
        object_id = await self.connection.create(cls.TYPE, ctor)
        return cls(self.connection, object_id)

    async def create_webrtc_endpoint(
        self,
        *,
        recvonly: bool | None = None,
        sendonly: bool | None = None,
        use_data_channels: bool | None = None,
        certificate_key_type: str | None = None,
        qos_dscp: str | None = None,
    ) -> WebRtcEndpoint:
        ctor = _ctor(
            self,
            recvonly=recvonly,
            sendonly=sendonly,
            useDataChannels=use_data_channels,
            certificateKeyType=certificate_key_type,
            qosDscp=qos_dscp,
        )
        return await self._create(WebRtcEndpoint, ctor)

    async def create_pass_through(self) -> PassThrough:
        return await self._create(PassThrough, _ctor(self))

    async def create_recorder_endpoint(
        self, uri: str, *, media_profile: str | None = None, stop_on_end_of_stream: bool | None = None
    ) -> RecorderEndpoint:
        ctor = _ctor(self, uri=uri, mediaProfile=media_profile, stopOnEndOfStream=stop_on_end_of_stream)
        return await self._create(RecorderEndpoint, ctor)

    async def create_composite(self) -> Composite:
        return await self._create(Composite, _ctor(self))

    async def create_gstreamer_filter(
        self, command: str, *, filter_type: str | None = None
    ) -> GStreamerFilter:
        return await self._create(GStreamerFilter, _ctor(self, command=command, filterType=filter_type))

    async def create_face_overlay_filter(self) -> FaceOverlayFilter:
        return await self._create(FaceOverlayFilter, _ctor(self))

    async def create_element(self, type_name: str, options: dict[str, Any] | None = None) -> MediaElement:
        """Create any element type by name with extra constructor params (OpenVidu filters)."""
        ctor = _ctor(self)
        ctor.update(options or {})
        cls = ELEMENT_TYPES.get(type_name, MediaElement)
        object_id = await self.connection.create(type_name, ctor)
        return cls(self.connection, object_id)

    async def get_latency_stats(self) -> bool:
        return bool(await self.invoke("getLatencyStats"))

    async def set_latency_stats(self, value: bool) -> None:
        await self.invoke("setLatencyStats", {"latencyStats": value})

    async def get_gstreamer_dot(self) -> str:
        return str(await self.invoke("getGstreamerDot"))


ELEMENT_TYPES: dict[str, type[MediaElement]] = {
    cls.TYPE: cls
    for cls in (
        WebRtcEndpoint,
        PassThrough,
        RecorderEndpoint,
        HubPort,
        GStreamerFilter,
        FaceOverlayFilter,
    )
}
