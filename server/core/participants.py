"""Participants (Connections), their publisher and subscribers: the fields of spec §4.2/§4.3.

The signaling/media layer creates and updates these through ``SessionManager``; ``EndpointStats`` is filled by
the media layer so the ``webRtcStats=true`` REST variant can be serialized without talking to Kurento.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.core.enums import OpenViduRole
from server.core.stamps import Stamped
from server.core.tokens import Token

RECORDER_CONNECTION_ID = "RECORDER"
UNKNOWN_LOCATION = "unknown"


@dataclass(slots=True)
class MediaOptions(Stamped):
    has_audio: bool
    audio_active: bool
    has_video: bool
    video_active: bool
    type_of_video: str | None = "CAMERA"
    frame_rate: int | None = None
    video_dimensions: str = ""
    filter: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class EndpointStats:
    """What the ``webRtcStats`` variant shows of one WebRtcEndpoint (kept up to date by the media layer)."""

    webrtc_endpoint_name: str
    remote_sdp: str | None = None
    local_sdp: str | None = None
    received_candidates: list[dict[str, Any]] = field(default_factory=list)
    local_candidate: str | None = None
    remote_candidate: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Publisher(Stamped):
    stream_id: str
    created_at: int
    media_options: MediaOptions
    endpoint: EndpointStats | None = None


@dataclass(slots=True)
class Subscriber:
    stream_id: str
    created_at: int
    endpoint: EndpointStats | None = None


@dataclass(slots=True)
class Participant(Stamped):
    connection_id: str
    session_id: str
    created_at: int
    token: Token
    platform: str
    client_data: str
    location: str = UNKNOWN_LOCATION
    ip: str | None = None
    recorder: bool = False
    insecure: bool = False
    """Joined with the server secret instead of a token (spec §10.10): allowed every operation."""
    publisher: Publisher | None = None
    subscribers: dict[str, Subscriber] = field(default_factory=dict)

    @property
    def role(self) -> OpenViduRole:
        return self.token.role

    @property
    def record(self) -> bool:
        return self.token.record

    @property
    def server_data(self) -> str:
        return self.token.data

    @property
    def full_metadata(self) -> str:
        """Client and server data joined by ``%/%`` when both are set (sent to other participants)."""
        if self.client_data and self.server_data:
            return f"{self.client_data}%/%{self.server_data}"
        return self.client_data or self.server_data
