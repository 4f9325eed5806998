"""MediaPipeline: the container of every element; releasing it releases them all."""

from __future__ import annotations

from typing import Any, ClassVar

from minikms.objects.base import MediaObject, Prop, operation
from minikms.objects.elements import gstreamer_dot
from minikms.objects.marshal import Param

_DOT_PARAMS = (Param("details", "GstreamerDotDetails", required=False, default="SHOW_ALL"),)


class MediaPipeline(MediaObject):
    KMS_TYPE: ClassVar[str] = "MediaPipeline"
    ABSTRACT: ClassVar[bool] = False
    MODULE: ClassVar[str] = "core"
    CONSTRUCTOR: ClassVar[tuple[Param, ...]] = ()
    PROPERTIES: ClassVar[tuple[Prop, ...]] = (Prop("latencyStats", "boolean", default=False),)

    @operation("getGstreamerDot", *_DOT_PARAMS, returns="String")
    def get_gstreamer_dot(self, details: str) -> str:
        return gstreamer_dot(self)

    @operation("dumpGstreamerDot", *_DOT_PARAMS, versions=(7,))
    def dump_gstreamer_dot(self, details: str) -> None:
        return None

    async def setup(self, args: dict[str, Any]) -> None:
        return None
