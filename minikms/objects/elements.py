"""MediaElement (connections, flow state, stats) and the simple elements: PassThrough, Composite,
HubPort and the filters (GStreamerFilter applies its video effect; the others pass media through).
FaceOverlayFilter is not offered (no face detector here): creating it answers 40108 like KMS
without that module."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from minikms.objects.base import MediaObject, Prop, operation
from minikms.objects.marshal import Param
from minikms.protocol import CONNECT_ERROR, MEDIA_OBJECT_ILLEGAL_PARAM_ERROR, KurentoError

if TYPE_CHECKING:
    from minikms.media import MediaNode

MEDIA_TYPES: tuple[str, ...] = ("AUDIO", "VIDEO", "DATA")
DEFAULT_DESCRIPTION = "default"
# 7.x MediaElement encoder bitrate defaults (bps) and 6.x output bitrate defaults.
DEFAULT_ENCODER_BITRATE = 300000
DEFAULT_MIN_BITRATE = 0
DEFAULT_MAX_BITRATE = 0


@dataclass(frozen=True)
class ElementConnection:
    source: MediaElement
    sink: MediaElement
    media_type: str
    source_description: str
    sink_description: str

    def to_json(self) -> dict[str, Any]:
        return {
            "__module__": "kurento",
            "__type__": "ElementConnectionData",
            "sink": self.sink.id,
            "sinkDescription": self.sink_description,
            "source": self.source.id,
            "sourceDescription": self.source_description,
            "type": self.media_type,
        }


_CONNECT_PARAMS = (
    Param("sink", "MediaElement"),
    Param("mediaType", "MediaType", required=False),
    Param("sourceMediaDescription", "String", required=False, default=DEFAULT_DESCRIPTION),
    Param("sinkMediaDescription", "String", required=False, default=DEFAULT_DESCRIPTION),
)
_DOT_PARAMS = (Param("details", "GstreamerDotDetails", required=False, default="SHOW_ALL"),)


class MediaElement(MediaObject):
    KMS_TYPE: ClassVar[str] = "MediaElement"
    EVENTS: ClassVar[tuple[str, ...]] = (
        "ElementConnected",
        "ElementDisconnected",
        "MediaFlowInStateChanged",
        "MediaFlowOutStateChanged",
        "MediaTranscodingStateChanged",
    )
    PROPERTIES: ClassVar[tuple[Prop, ...]] = (
        Prop("minOuputBitrate", "int", default=DEFAULT_MIN_BITRATE, versions=(6,)),
        Prop("minOutputBitrate", "int", default=DEFAULT_MIN_BITRATE, versions=(6,)),
        Prop("maxOuputBitrate", "int", default=DEFAULT_MAX_BITRATE, versions=(6,)),
        Prop("maxOutputBitrate", "int", default=DEFAULT_MAX_BITRATE, versions=(6,)),
        Prop("encoderBitrate", "int", default=DEFAULT_ENCODER_BITRATE, versions=(7,)),
        Prop("minEncoderBitrate", "int", default=DEFAULT_MIN_BITRATE, versions=(7,)),
        Prop("maxEncoderBitrate", "int", default=DEFAULT_MAX_BITRATE, versions=(7,)),
    )

    def __init__(self, host: Any, object_id: str, parent: MediaObject | None) -> None:
        super().__init__(host, object_id, parent)
        self.node: MediaNode | None = None
        self.sink_connections: list[ElementConnection] = []  # self is the source
        self.source_connections: list[ElementConnection] = []  # self is the sink
        self.flow_in: dict[tuple[str, str], str] = {}
        self.flow_out: dict[tuple[str, str], str] = {}
        self.transcoding: dict[tuple[str, str], str] = {}

    def attach_node(self, node: MediaNode) -> None:
        """Adopt a media node: its events become this object's events."""
        self.node = node
        node.element_id = self.id
        node.emit = self.raise_event

    def raise_event(self, event_7x: str, fields: dict[str, Any]) -> None:
        key = (str(fields.get("mediaType", "")), str(fields.get("padName", fields.get("binName", ""))))
        if event_7x == "MediaFlowInStateChanged":
            self.flow_in[key] = str(fields.get("state"))
        elif event_7x == "MediaFlowOutStateChanged":
            self.flow_out[key] = str(fields.get("state"))
        elif event_7x == "MediaTranscodingStateChanged":
            self.transcoding[key] = str(fields.get("state"))
        super().raise_event(event_7x, fields)

    async def teardown(self) -> None:
        for conn in list(self.sink_connections) + list(self.source_connections):
            self._unlink(conn, notify=conn.source is not self)
        if self.node is not None:
            await self.node.release()

    # -- connections ---------------------------------------------------------------------
    @operation("connect", *_CONNECT_PARAMS)
    def connect(self, sink: MediaElement, media_type: str | None, source_desc: str, sink_desc: str) -> None:
        if sink.pipeline is not self.pipeline:
            raise KurentoError(CONNECT_ERROR, "Media elements do not share pipeline")
        for kind in (media_type,) if media_type else MEDIA_TYPES:
            existing = [
                c for c in sink.source_connections if c.media_type == kind and c.sink_description == sink_desc
            ]
            if any(c.source is self and c.source_description == source_desc for c in existing):
                continue
            for old in existing:
                old.source._unlink(old, notify=True)
            conn = ElementConnection(self, sink, kind, source_desc, sink_desc)
            self.sink_connections.append(conn)
            sink.source_connections.append(conn)
            if kind != "DATA" and self.node is not None and sink.node is not None:
                self.node.connect(sink.node, kind)
            self.raise_event(
                "ElementConnected",
                {
                    "mediaType": kind,
                    "sink": sink.id,
                    "sinkMediaDescription": sink_desc,
                    "sourceMediaDescription": source_desc,
                },
            )

    @operation("disconnect", *_CONNECT_PARAMS)
    def disconnect(
        self, sink: MediaElement, media_type: str | None, source_desc: str, sink_desc: str
    ) -> None:
        for conn in list(self.sink_connections):
            if conn.sink is not sink:
                continue
            if media_type and conn.media_type != media_type:
                continue
            if conn.source_description != source_desc or conn.sink_description != sink_desc:
                continue
            self._unlink(conn, notify=True)

    def _unlink(self, conn: ElementConnection, notify: bool) -> None:
        """Remove one connection where ``self`` is the source; ElementDisconnected if ``notify``."""
        if conn in conn.source.sink_connections:
            conn.source.sink_connections.remove(conn)
        if conn in conn.sink.source_connections:
            conn.sink.source_connections.remove(conn)
        source_node, sink_node = conn.source.node, conn.sink.node
        if conn.media_type != "DATA" and source_node is not None and sink_node is not None:
            source_node.disconnect(sink_node, conn.media_type)
        if notify:
            conn.source.raise_event(
                "ElementDisconnected",
                {
                    "mediaType": conn.media_type,
                    "sink": conn.sink.id,
                    "sinkMediaDescription": conn.sink_description,
                    "sourceMediaDescription": conn.source_description,
                },
            )

    @staticmethod
    def _filter(
        conns: list[ElementConnection], media_type: str | None, description: str | None, own_sink: bool
    ) -> list[dict[str, Any]]:
        out = []
        for conn in conns:
            if media_type and conn.media_type != media_type:
                continue
            own_desc = conn.sink_description if own_sink else conn.source_description
            if description is not None and own_desc != description:
                continue
            out.append(conn.to_json())
        return out

    @operation(
        "getSourceConnections",
        Param("mediaType", "MediaType", required=False),
        Param("description", "String", required=False),
        returns="ElementConnectionData[]",
    )
    def get_source_connections(self, media_type: str | None, description: str | None) -> list[dict[str, Any]]:
        return self._filter(self.source_connections, media_type, description, own_sink=True)

    @operation(
        "getSinkConnections",
        Param("mediaType", "MediaType", required=False),
        Param("description", "String", required=False),
        returns="ElementConnectionData[]",
    )
    def get_sink_connections(self, media_type: str | None, description: str | None) -> list[dict[str, Any]]:
        return self._filter(self.sink_connections, media_type, description, own_sink=False)

    # -- media state queries --------------------------------------------------------------
    def _flow(self, table: dict[tuple[str, str], str], media_type: str, pad: str) -> bool:
        if media_type == "DATA":
            raise KurentoError(MEDIA_OBJECT_ILLEGAL_PARAM_ERROR, "DATA media type is not supported")
        return table.get((media_type, pad)) == "FLOWING"

    @operation(
        "isMediaFlowingIn",
        Param("mediaType", "MediaType"),
        Param("sinkMediaDescription", "String", required=False, default=DEFAULT_DESCRIPTION),
        returns="boolean",
    )
    def is_media_flowing_in(self, media_type: str, description: str) -> bool:
        return self._flow(self.flow_in, media_type, description)

    @operation(
        "isMediaFlowingOut",
        Param("mediaType", "MediaType"),
        Param("sourceMediaDescription", "String", required=False, default=DEFAULT_DESCRIPTION),
        returns="boolean",
    )
    def is_media_flowing_out(self, media_type: str, description: str) -> bool:
        return self._flow(self.flow_out, media_type, description)

    @operation(
        "isMediaTranscoding",
        Param("mediaType", "MediaType"),
        Param("binName", "String", required=False, default=DEFAULT_DESCRIPTION),
        returns="boolean",
    )
    def is_media_transcoding(self, media_type: str, bin_name: str) -> bool:
        if media_type == "DATA":
            raise KurentoError(MEDIA_OBJECT_ILLEGAL_PARAM_ERROR, "DATA media type is not supported")
        return self.transcoding.get((media_type, bin_name)) == "TRANSCODING"

    @operation("setAudioFormat", Param("caps", "AudioCaps"))
    def set_audio_format(self, caps: dict[str, Any]) -> None:
        self.values["audioFormat"] = caps

    @operation("setVideoFormat", Param("caps", "VideoCaps"))
    def set_video_format(self, caps: dict[str, Any]) -> None:
        self.values["videoFormat"] = caps

    @operation("setOutputBitrate", Param("bitrate", "int"), versions=(6,))
    def set_output_bitrate(self, bitrate: int) -> None:
        self.values["minOutputBitrate"] = bitrate
        self.values["maxOutputBitrate"] = bitrate

    @operation("getGstreamerDot", *_DOT_PARAMS, returns="String")
    def get_gstreamer_dot(self, details: str) -> str:
        return gstreamer_dot(self)

    @operation("dumpGstreamerDot", *_DOT_PARAMS, versions=(7,))
    def dump_gstreamer_dot(self, details: str) -> None:
        return None

    # -- stats ------------------------------------------------------------------------------
    def base_stats(self) -> dict[str, Any]:
        """The ElementStats entry KMS reports for every element."""
        now = time.time()
        entry: dict[str, Any] = {
            "__module__": "kurento",
            "__type__": "ElementStats",
            "id": self.id,
            "timestampMillis": int(now * 1000),
            "type": "element",
        }
        if self.host.version.is_6:
            entry["timestamp"] = now
            entry["inputAudioLatency"] = 0.0
            entry["inputVideoLatency"] = 0.0
        else:
            entry["inputLatency"] = []
        return entry

    async def collect_stats(self, media_type: str | None) -> dict[str, dict[str, Any]]:
        return {self.id: self.base_stats()}

    @operation("getStats", Param("mediaType", "MediaType", required=False), returns="Stats<>")
    async def get_stats(self, media_type: str | None) -> dict[str, dict[str, Any]]:
        return await self.collect_stats(media_type)


def gstreamer_dot(obj: MediaObject) -> str:
    """A small Graphviz description of an object and its children (getGstreamerDot)."""
    lines = [f'digraph "{obj.id}" {{']
    for child in obj.children:
        lines.append(f'  "{obj.id}" -> "{child.id}";')
    if isinstance(obj, MediaElement):
        for conn in obj.sink_connections:
            lines.append(f'  "{conn.source.id}" -> "{conn.sink.id}" [label="{conn.media_type}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


class PassThrough(MediaElement):
    KMS_TYPE: ClassVar[str] = "PassThrough"
    ABSTRACT: ClassVar[bool] = False
    MODULE: ClassVar[str] = "core"
    CONSTRUCTOR: ClassVar[tuple[Param, ...]] = (Param("mediaPipeline", "MediaPipeline"),)

    async def setup(self, args: dict[str, Any]) -> None:
        from minikms.media import PassThroughNode

        self.attach_node(PassThroughNode(self.host.engine))


class Hub(MediaObject):
    KMS_TYPE: ClassVar[str] = "Hub"

    def __init__(self, host: Any, object_id: str, parent: MediaObject | None) -> None:
        super().__init__(host, object_id, parent)
        self.node: MediaNode | None = None

    @operation("getGstreamerDot", *_DOT_PARAMS, returns="String")
    def get_gstreamer_dot(self, details: str) -> str:
        return gstreamer_dot(self)

    @operation("dumpGstreamerDot", *_DOT_PARAMS, versions=(7,))
    def dump_gstreamer_dot(self, details: str) -> None:
        return None

    async def teardown(self) -> None:
        if self.node is not None:
            await self.node.release()


# Composite output defaults of KMS 7.2+ (pixels, fps).
DEFAULT_COMPOSITE_WIDTH = 800
DEFAULT_COMPOSITE_HEIGHT = 600
DEFAULT_COMPOSITE_FRAMERATE = 15


class Composite(Hub):
    KMS_TYPE: ClassVar[str] = "Composite"
    ABSTRACT: ClassVar[bool] = False
    MODULE: ClassVar[str] = "elements"
    CONSTRUCTOR: ClassVar[tuple[Param, ...]] = (
        Param("mediaPipeline", "MediaPipeline"),
        Param("width", "int", required=False, default=DEFAULT_COMPOSITE_WIDTH),
        Param("height", "int", required=False, default=DEFAULT_COMPOSITE_HEIGHT),
        Param("framerate", "int", required=False, default=DEFAULT_COMPOSITE_FRAMERATE),
    )

    async def setup(self, args: dict[str, Any]) -> None:
        from minikms.media import CompositeNode

        self.node = CompositeNode(self.host.engine)
        self.node.element_id = self.id
        self.node.emit = self.raise_event


class HubPort(MediaElement):
    KMS_TYPE: ClassVar[str] = "HubPort"
    ABSTRACT: ClassVar[bool] = False
    MODULE: ClassVar[str] = "core"
    CONSTRUCTOR: ClassVar[tuple[Param, ...]] = (Param("hub", "Hub"),)

    async def setup(self, args: dict[str, Any]) -> None:
        from minikms.media import CompositeNode, HubPortNode

        hub = args["hub"]
        assert isinstance(hub, Hub) and isinstance(hub.node, CompositeNode)
        self.attach_node(HubPortNode(self.host.engine, hub.node))


class Filter(MediaElement):
    KMS_TYPE: ClassVar[str] = "Filter"
    MODULE: ClassVar[str] = "core"

    async def setup(self, args: dict[str, Any]) -> None:
        # minikms filters pass media through unchanged; their API is Kurento's.
        from minikms.media import PassThroughNode

        self.attach_node(PassThroughNode(self.host.engine))


class GStreamerFilter(Filter):
    KMS_TYPE: ClassVar[str] = "GStreamerFilter"
    ABSTRACT: ClassVar[bool] = False
    MODULE: ClassVar[str] = "filters"
    CONSTRUCTOR: ClassVar[tuple[Param, ...]] = (
        Param("mediaPipeline", "MediaPipeline"),
        Param("command", "String"),
        Param("filterType", "FilterType", required=False, default="AUTODETECT"),
    )
    PROPERTIES: ClassVar[tuple[Prop, ...]] = (Prop("command", "String", readonly=True, default=""),)

    async def setup(self, args: dict[str, Any]) -> None:
        from minikms.media.filters import FilterNode

        self.values["command"] = args["command"]
        self.attach_node(FilterNode.from_command(self.host.engine, args["command"]))

    @operation("setElementProperty", Param("propertyName", "String"), Param("propertyValue", "String"))
    def set_element_property(self, name: str, value: str) -> None:
        from minikms.media.filters import FilterNode

        assert isinstance(self.node, FilterNode)
        self.node.set_element_property(name, value)
        self.values.setdefault("elementProperties", {})[name] = value


class ImageOverlayFilter(Filter):
    KMS_TYPE: ClassVar[str] = "ImageOverlayFilter"
    ABSTRACT: ClassVar[bool] = False
    MODULE: ClassVar[str] = "filters"
    CONSTRUCTOR: ClassVar[tuple[Param, ...]] = (Param("mediaPipeline", "MediaPipeline"),)

    @operation(
        "addImage",
        Param("id", "String"),
        Param("uri", "String"),
        Param("offsetXPercent", "float"),
        Param("offsetYPercent", "float"),
        Param("widthPercent", "float"),
        Param("heightPercent", "float"),
        Param("keepAspectRatio", "boolean"),
        Param("center", "boolean"),
    )
    def add_image(
        self, image_id: str, uri: str, x: float, y: float, w: float, h: float, keep: bool, center: bool
    ) -> None:
        self.values.setdefault("images", {})[image_id] = uri

    @operation("removeImage", Param("id", "String"))
    def remove_image(self, image_id: str) -> None:
        self.values.setdefault("images", {}).pop(image_id, None)


class ZBarFilter(Filter):
    KMS_TYPE: ClassVar[str] = "ZBarFilter"
    ABSTRACT: ClassVar[bool] = False
    MODULE: ClassVar[str] = "filters"
    CONSTRUCTOR: ClassVar[tuple[Param, ...]] = (Param("mediaPipeline", "MediaPipeline"),)
    EVENTS: ClassVar[tuple[str, ...]] = ("CodeFound",)
