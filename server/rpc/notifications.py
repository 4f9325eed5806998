"""Notifications (spec §3) and the join answer, each built in exactly one place."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from server.rpc.framing import (
    notification_message,
)


@dataclass
class StreamInfo:
    """What other participants learn about a published stream (joinRoom value / participantPublished)."""

    id: str
    created_at: int
    has_audio: bool
    has_video: bool
    audio_active: bool
    video_active: bool
    type_of_video: str | None
    frame_rate: int | None
    video_dimensions: str | None
    filter: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "createdAt": self.created_at,
            "hasAudio": self.has_audio,
            "hasVideo": self.has_video,
            "audioActive": self.audio_active,
            "videoActive": self.video_active,
        }
        if self.type_of_video is not None:
            out["typeOfVideo"] = self.type_of_video
        if self.frame_rate is not None:
            out["frameRate"] = self.frame_rate
        if self.video_dimensions is not None:
            out["videoDimensions"] = self.video_dimensions
        out["filter"] = self.filter
        return out


@dataclass
class PeerInfo:
    """One entry of the joinRoom ``value`` array."""

    id: str
    created_at: int
    metadata: str
    stream: StreamInfo | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "createdAt": self.created_at, "metadata": self.metadata}
        if self.stream is not None:
            out["streams"] = [self.stream.to_json()]
        return out


@dataclass
class JoinRoomResult:
    """The superset result understood by 2.10 and 2.32 clients (spec §6.2 item 3)."""

    id: str
    created_at: int
    metadata: str
    peers: list[PeerInfo]
    session: str
    role: str
    version: str
    record: bool = True
    final_user_id: str = ""
    custom_ice_servers: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "createdAt": self.created_at,
            "metadata": self.metadata,
            "value": [peer.to_json() for peer in self.peers],
            "session": self.session,
            "role": self.role,
            "version": self.version,
            "mediaServer": "kurento",
            "videoSimulcast": False,
            "finalUserId": self.final_user_id,
            "record": self.record,
            "customIceServers": self.custom_ice_servers,
        }


def participant_joined(connection_id: str, created_at: int, metadata: str) -> dict[str, Any]:
    return notification_message(
        "participantJoined", {"id": connection_id, "createdAt": created_at, "metadata": metadata}
    )


def participant_left(connection_id: str, reason: str) -> dict[str, Any]:
    return notification_message("participantLeft", {"connectionId": connection_id, "reason": reason})


def participant_published(connection_id: str, stream: StreamInfo) -> dict[str, Any]:
    return notification_message("participantPublished", {"id": connection_id, "streams": [stream.to_json()]})


def participant_unpublished(connection_id: str, reason: str) -> dict[str, Any]:
    return notification_message("participantUnpublished", {"connectionId": connection_id, "reason": reason})


def participant_evicted(connection_id: str, reason: str) -> dict[str, Any]:
    return notification_message("participantEvicted", {"connectionId": connection_id, "reason": reason})


def ice_candidate(
    sender_connection_id: str, endpoint_name: str, sdp_m_line_index: int, sdp_mid: str, candidate: str
) -> dict[str, Any]:
    return notification_message(
        "iceCandidate",
        {
            "senderConnectionId": sender_connection_id,
            "endpointName": endpoint_name,
            "sdpMLineIndex": sdp_m_line_index,
            "sdpMid": sdp_mid,
            "candidate": candidate,
        },
    )


def signal(data: str, from_connection_id: str | None, signal_type: str) -> dict[str, Any]:
    params: dict[str, Any] = {"data": data}
    if from_connection_id is not None:
        params["from"] = from_connection_id
    params["type"] = signal_type
    return notification_message("sendMessage", params)


def reserialize_property_value(new_value: Any) -> str:
    """What the server relays as ``newValue``: the JSON text of the received element (spec §3).

    ``true`` becomes ``"true"``; a videoDimensions string becomes a JSON-encoded string of a JSON string;
    a track object becomes its JSON text.
    """
    return json.dumps(new_value, ensure_ascii=False, separators=(",", ":"))


def stream_property_changed(
    connection_id: str, stream_id: str, prop: str, new_value: Any, reason: str
) -> dict[str, Any]:
    """``new_value`` is sent as is: pass ``reserialize_property_value(x)`` for client-sent values,
    or a dict for ``filter`` changes."""
    return notification_message(
        "streamPropertyChanged",
        {
            "connectionId": connection_id,
            "streamId": stream_id,
            "property": prop,
            "newValue": new_value,
            "reason": reason,
        },
    )


def filter_change_value(stream_filter: dict[str, Any]) -> dict[str, Any]:
    """``newValue`` of a ``filter`` streamPropertyChanged (SessionEventsHandler.onFilterChanged): ``{type,
    options}`` plus ``lastExecMethod`` only once a method was executed; ``{}`` after removal. (The stream JSON of
    joinRoom/REST, KurentoFilter.toJson, always carries ``lastExecMethod``, ``{}`` when none.)"""
    if not stream_filter:
        return {}
    value: dict[str, Any] = {"type": stream_filter.get("type"), "options": stream_filter.get("options", {})}
    last = stream_filter.get("lastExecMethod")
    if last:
        value["lastExecMethod"] = last
    return value


def recording_started(recording_id: str, name: str) -> dict[str, Any]:
    return notification_message("recordingStarted", {"id": recording_id, "name": name})


def recording_stopped(recording_id: str, name: str, reason: str) -> dict[str, Any]:
    return notification_message("recordingStopped", {"id": recording_id, "name": name, "reason": reason})


def filter_event_dispatched(
    connection_id: str, stream_id: str, filter_type: str, event_type: str, data: str
) -> dict[str, Any]:
    return notification_message(
        "filterEventDispatched",
        {
            "connectionId": connection_id,
            "streamId": stream_id,
            "filterType": filter_type,
            "eventType": event_type,
            "data": data,
        },
    )


def media_error(error_type: str, description: str, err_code: int) -> dict[str, Any]:
    return notification_message("mediaError", {"error": f"{error_type}: {description}(errCode={err_code})"})
