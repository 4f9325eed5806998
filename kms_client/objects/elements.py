"""MediaElement and the non-endpoint elements: PassThrough, Composite/HubPort, filters."""

from __future__ import annotations

from typing import Any, ClassVar

from ..structs import (
    ElementConnectionData,
)
from .base import MediaObject


class MediaElement(MediaObject):
    TYPE: ClassVar[str] = "MediaElement"

    async def connect(
        self,
        sink: MediaElement,
        media_type: str | None = None,
        source_media_description: str | None = None,
        sink_media_description: str | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        """Connect this element's output to ``sink`` (all media types when ``media_type`` is None)."""
        await self.invoke(
            "connect",
            _connection_params(sink, media_type, source_media_description, sink_media_description),
            timeout=timeout,
        )

    async def disconnect(
        self,
        sink: MediaElement,
        media_type: str | None = None,
        source_media_description: str | None = None,
        sink_media_description: str | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        await self.invoke(
            "disconnect",
            _connection_params(sink, media_type, source_media_description, sink_media_description),
            timeout=timeout,
        )

    async def get_source_connections(
        self, media_type: str | None = None, *, timeout: float | None = None
    ) -> list[ElementConnectionData]:
        params = {"mediaType": media_type} if media_type else None
        value = await self.invoke("getSourceConnections", params, timeout=timeout)
        return [c for c in value or [] if isinstance(c, ElementConnectionData)]

    async def get_sink_connections(
        self, media_type: str | None = None, *, timeout: float | None = None
    ) -> list[ElementConnectionData]:
        params = {"mediaType": media_type} if media_type else None
        value = await self.invoke("getSinkConnections", params, timeout=timeout)
        return [c for c in value or [] if isinstance(c, ElementConnectionData)]

    async def get_stats(
        self, media_type: str | None = None, *, timeout: float | None = None
    ) -> dict[str, Any]:
        params = {"mediaType": media_type} if media_type else None
        value = await self.invoke("getStats", params, timeout=timeout)
        return dict(value) if isinstance(value, dict) else {}

    async def is_media_flowing_in(
        self, media_type: str, sink_media_description: str | None = None, *, timeout: float | None = None
    ) -> bool:
        params: dict[str, Any] = {"mediaType": media_type}
        if sink_media_description is not None:
            params["sinkMediaDescription"] = sink_media_description
        return bool(await self.invoke("isMediaFlowingIn", params, timeout=timeout))

    async def is_media_flowing_out(
        self, media_type: str, source_media_description: str | None = None, *, timeout: float | None = None
    ) -> bool:
        params: dict[str, Any] = {"mediaType": media_type}
        if source_media_description is not None:
            params["sourceMediaDescription"] = source_media_description
        return bool(await self.invoke("isMediaFlowingOut", params, timeout=timeout))

    async def set_max_encoder_bitrate(self, bps: int, *, timeout: float | None = None) -> None:
        """7.x ``maxEncoderBitrate`` (6.x: ``maxOutputBitrate``)."""
        if self.connection.server_major == 6:
            await self.invoke("setMaxOutputBitrate", {"maxOutputBitrate": bps}, timeout=timeout)
        else:
            await self.invoke("setMaxEncoderBitrate", {"maxEncoderBitrate": bps}, timeout=timeout)

    async def get_max_encoder_bitrate(self, *, timeout: float | None = None) -> int:
        op = "getMaxOutputBitrate" if self.connection.server_major == 6 else "getMaxEncoderBitrate"
        return int(await self.invoke(op, timeout=timeout))

    async def get_min_encoder_bitrate(self, *, timeout: float | None = None) -> int:
        op = "getMinOutputBitrate" if self.connection.server_major == 6 else "getMinEncoderBitrate"
        return int(await self.invoke(op, timeout=timeout))

    async def set_min_encoder_bitrate(self, bps: int, *, timeout: float | None = None) -> None:
        """7.x ``minEncoderBitrate`` (6.x: ``minOutputBitrate``)."""
        if self.connection.server_major == 6:
            await self.invoke("setMinOutputBitrate", {"minOutputBitrate": bps}, timeout=timeout)
        else:
            await self.invoke("setMinEncoderBitrate", {"minEncoderBitrate": bps}, timeout=timeout)


def _connection_params(
    sink: MediaElement, media_type: str | None, source_desc: str | None, sink_desc: str | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"sink": sink.id}
    if media_type is not None:
        params["mediaType"] = media_type
    if source_desc is not None:
        params["sourceMediaDescription"] = source_desc
    if sink_desc is not None:
        params["sinkMediaDescription"] = sink_desc
    return params


class PassThrough(MediaElement):
    TYPE: ClassVar[str] = "PassThrough"


class Hub(MediaObject):
    TYPE: ClassVar[str] = "Hub"


class Composite(Hub):
    TYPE: ClassVar[str] = "Composite"

    async def create_hub_port(self, *, timeout: float | None = None) -> HubPort:
        object_id = await self.connection.create(HubPort.TYPE, {"hub": self.id}, timeout=timeout)
        return HubPort(self.connection, object_id)


class HubPort(MediaElement):
    TYPE: ClassVar[str] = "HubPort"


class Filter(MediaElement):
    TYPE: ClassVar[str] = "Filter"


class GStreamerFilter(Filter):
    TYPE: ClassVar[str] = "GStreamerFilter"

    async def get_command(self, *, timeout: float | None = None) -> str:
        return str(await self.invoke("getCommand", timeout=timeout))

    async def set_element_property(self, name: str, value: str, *, timeout: float | None = None) -> None:
        await self.invoke(
            "setElementProperty", {"propertyName": name, "propertyValue": value}, timeout=timeout
        )


class FaceOverlayFilter(Filter):
    TYPE: ClassVar[str] = "FaceOverlayFilter"

    async def set_overlayed_image(
        self,
        uri: str,
        offset_x_percent: float,
        offset_y_percent: float,
        width_percent: float,
        height_percent: float,
        *,
        timeout: float | None = None,
    ) -> None:
        await self.invoke(
            "setOverlayedImage",
            {
                "uri": uri,
                "offsetXPercent": offset_x_percent,
                "offsetYPercent": offset_y_percent,
                "widthPercent": width_percent,
                "heightPercent": height_percent,
            },
            timeout=timeout,
        )

    async def unset_overlayed_image(self, *, timeout: float | None = None) -> None:
        await self.invoke("unsetOverlayedImage", timeout=timeout)
