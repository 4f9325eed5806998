"""Recordings and their properties (spec openvidu-rest.md §4.4, recording.md §2, §6, §7)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from server.core.enums import OutputMode, RecordingLayout
from server.core.events import RecordingInfo
from server.core.sessions import RecordingDefaults

DEFAULT_RESOLUTION = "1920x1080"


class Status(StrEnum):
    """2.11 statuses (the server reports 2.11.0; 2.10's ``available`` is 2.11's ``ready``)."""

    STARTING = "starting"
    STARTED = "started"
    STOPPED = "stopped"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RecordingProperties:
    """What a start asks for (REST body after the 2.11 defaults, or an ALWAYS-mode start)."""

    name: str = ""
    output_mode: OutputMode = OutputMode.COMPOSED
    has_audio: bool = True
    has_video: bool = True
    resolution: str = DEFAULT_RESOLUTION
    recording_layout: RecordingLayout = RecordingLayout.BEST_FIT
    custom_layout: str = ""
    # 2.32 (``/openvidu/api``) only; a 2.11 start leaves them as they are
    frame_rate: int | None = None
    """Frames per second of a COMPOSED capture; None: 2.11's fixed 30 (not shown by the 2.11 JSON)."""
    shm_size: int | None = None
    ignore_failed_streams: bool = False
    media_node: str | None = None
    quick_start: bool = False
    """``COMPOSED_QUICK_START`` asked for (recorded as COMPOSED; shown as asked by the 2.32 JSON)."""

    @property
    def composed_video(self) -> bool:
        return self.output_mode is OutputMode.COMPOSED and self.has_video


def from_232(props: RecordingDefaults) -> RecordingProperties:
    """The properties of a 2.32 start (``RecordingProperties.fromJson`` already merged with the session's
    ``defaultRecordingProperties``)."""
    quick = props.output_mode == "COMPOSED_QUICK_START"
    mode = OutputMode.INDIVIDUAL if props.output_mode == "INDIVIDUAL" else OutputMode.COMPOSED
    composed_video = mode is OutputMode.COMPOSED and props.has_video
    layout = RecordingLayout(props.recording_layout)
    return RecordingProperties(
        name=props.name,
        output_mode=mode,
        has_audio=props.has_audio,
        has_video=props.has_video,
        resolution=props.resolution,
        recording_layout=layout,
        custom_layout=props.custom_layout if composed_video and layout is RecordingLayout.CUSTOM else "",
        frame_rate=props.frame_rate if composed_video else None,
        shm_size=props.shm_size if composed_video else None,
        ignore_failed_streams=props.ignore_failed_streams,
        media_node=props.media_node if mode is OutputMode.COMPOSED else None,
        quick_start=quick,
    )


@dataclass(slots=True)
class Recording:
    id: str
    session_id: str
    created_at: int
    properties: RecordingProperties
    name: str
    status: Status = Status.STARTED
    size: int = 0
    duration: float = 0.0
    url: str | None = None
    has_audio: bool = True
    has_video: bool = True
    resolution: str = DEFAULT_RESOLUTION

    @classmethod
    def new(
        cls, recording_id: str, session_id: str, created_at: int, props: RecordingProperties
    ) -> Recording:
        return cls(
            id=recording_id,
            session_id=session_id,
            created_at=created_at,
            properties=props,
            name=props.name or recording_id,
            has_audio=props.has_audio,
            has_video=props.has_video,
            resolution=props.resolution,
        )

    @property
    def output_mode(self) -> OutputMode:
        return self.properties.output_mode

    @property
    def extension(self) -> str:
        """``zip`` (INDIVIDUAL), ``mp4`` (COMPOSED with video) or ``webm`` (COMPOSED audio-only)."""
        if self.output_mode is OutputMode.INDIVIDUAL:
            return "zip"
        return "mp4" if self.properties.has_video else "webm"

    def _layout_keys(self) -> dict[str, Any]:
        keys: dict[str, Any] = {}
        if self.properties.composed_video:
            keys["resolution"] = self.resolution
            keys["recordingLayout"] = self.properties.recording_layout.value
            if self.properties.recording_layout is RecordingLayout.CUSTOM:
                keys["customLayout"] = self.properties.custom_layout
        return keys

    def to_json(self, status: Status | None = None) -> dict[str, Any]:
        """Recording.toJson() of 2.11, keys in its order (``status`` overrides what is reported)."""
        doc: dict[str, Any] = {"id": self.id, "name": self.name, "outputMode": self.output_mode.value}
        doc.update(self._layout_keys())
        doc.update(
            sessionId=self.session_id,
            createdAt=self.created_at,
            size=self.size,
            duration=float(self.duration),
            url=self.url,
            hasAudio=self.has_audio,
            hasVideo=self.has_video,
            status=(status or self.status).value,
        )
        return doc

    def stored_json(self) -> dict[str, Any]:
        """The metadata file: the 2.32 Recording JSON without its ``url`` (2.11 keeps ``null``; the 2.32
        serializer derives it). Both serializers of :mod:`server.recording.shapes` read it."""
        doc: dict[str, Any] = {"id": self.id, "object": "recording", "name": self.name}
        doc["outputMode"] = "COMPOSED_QUICK_START" if self.properties.quick_start else self.output_mode.value
        layout = self._layout_keys()
        if "resolution" in layout:
            doc["resolution"] = layout["resolution"]
            if self.properties.frame_rate is not None:
                doc["frameRate"] = self.properties.frame_rate
            doc["recordingLayout"] = layout["recordingLayout"]
            if "customLayout" in layout:
                doc["customLayout"] = layout["customLayout"]
        doc["sessionId"] = self.session_id
        if self.properties.media_node is not None:
            doc["mediaNode"] = self.properties.media_node
        doc.update(
            createdAt=self.created_at,
            size=self.size,
            duration=float(self.duration),
            url=self.url,
            hasAudio=self.has_audio,
            hasVideo=self.has_video,
            status=self.status.value,
        )
        return doc

    def info(self) -> RecordingInfo:
        """The recording keys of the CDR/webhook recording events."""
        layout = self._layout_keys()
        custom = layout.get("customLayout")
        return RecordingInfo(
            id=self.id,
            name=self.name,
            output_mode=self.output_mode.value,
            resolution=layout.get("resolution"),
            recording_layout=layout.get("recordingLayout"),
            custom_layout=custom if custom else None,
            has_audio=self.has_audio,
            has_video=self.has_video,
            size=self.size,
            duration=float(self.duration),
            status=self.status.value,
        )

    def copy(self) -> Recording:
        return replace(self)
