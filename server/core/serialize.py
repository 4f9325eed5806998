"""The one place that turns domain objects into the REST JSON of OpenVidu 2.10/2.11 (spec §4).

Keys keep the original insertion order; timestamps and sizes are ints; ``null`` values are emitted where the
original adds them explicitly. ``dumps`` is the compact encoder used for every response body.
"""

from __future__ import annotations

import json
from typing import Any

from server.core.ids import connection_id_of_stream
from server.core.participants import EndpointStats, MediaOptions, Participant, Publisher, Subscriber
from server.core.sessions import Session
from server.core.tokens import KurentoOptions, Token

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(document: Any) -> bytes:
    return _ENCODER.encode(document).encode("utf-8")


def media_options_json(options: MediaOptions) -> dict[str, Any]:
    result: dict[str, Any] = {"hasAudio": options.has_audio}
    if options.has_audio:
        result["audioActive"] = options.audio_active
    result["hasVideo"] = options.has_video
    if options.has_video:
        result["videoActive"] = options.video_active
        result["typeOfVideo"] = options.type_of_video
        result["frameRate"] = options.frame_rate
        result["videoDimensions"] = options.video_dimensions
    result["filter"] = options.filter
    return result


def _stats_json(endpoint: EndpointStats | None, name: str) -> dict[str, Any]:
    if endpoint is None:
        endpoint = EndpointStats(webrtc_endpoint_name=name)
    return {
        "webrtcEndpointName": endpoint.webrtc_endpoint_name,
        "remoteSdp": endpoint.remote_sdp,
        "localSdp": endpoint.local_sdp,
        "receivedCandidates": endpoint.received_candidates,
        "localCandidate": endpoint.local_candidate,
        "remoteCandidate": endpoint.remote_candidate,
        "events": endpoint.events,
    }


def publisher_json(publisher: Publisher, with_stats: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {"createdAt": publisher.created_at}
    if with_stats:
        result.update(_stats_json(publisher.endpoint, publisher.stream_id))
    result["streamId"] = publisher.stream_id
    result["mediaOptions"] = media_options_json(publisher.media_options)
    return result


def subscriber_json(subscriber: Subscriber, connection_id: str, with_stats: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {"createdAt": subscriber.created_at}
    if with_stats:
        result.update(_stats_json(subscriber.endpoint, f"{connection_id}_{subscriber.stream_id}"))
    result["streamId"] = subscriber.stream_id
    if with_stats:
        # Read by node-client 2.10/2.11 fetchWebRtc (a Pro addition): the publisher's connectionId.
        result["publisher"] = connection_id_of_stream(subscriber.stream_id)
    return result


def connection_json(participant: Participant, with_stats: bool = False) -> dict[str, Any]:
    publisher = participant.publisher
    return {
        "connectionId": participant.connection_id,
        "createdAt": participant.created_at,
        "location": participant.location,
        "platform": participant.platform,
        "token": participant.token.token,
        "role": participant.role.value,
        "serverData": participant.server_data,
        "clientData": participant.client_data,
        "publishers": [publisher_json(publisher, with_stats)] if publisher is not None else [],
        "subscribers": [
            subscriber_json(sub, participant.connection_id, with_stats)
            for sub in participant.subscribers.values()
        ],
    }


def _session_head_json(session: Session) -> dict[str, Any]:
    """The keys before ``connections``: the id, ``createdAt`` and the properties."""
    props = session.properties
    result: dict[str, Any] = {
        "sessionId": session.session_id,
        "createdAt": session.created_at,
        "mediaMode": props.media_mode.value,
        "recordingMode": props.recording_mode.value,
        "defaultOutputMode": props.default_output_mode.value,
    }
    if props.default_output_mode.value == "COMPOSED":
        result["defaultRecordingLayout"] = props.default_recording_layout.value
        if props.default_recording_layout.value == "CUSTOM":
            result["defaultCustomLayout"] = props.default_custom_layout
    result["customSessionId"] = props.custom_session_id
    return result


def session_json(session: Session, with_stats: bool = False) -> dict[str, Any]:
    result = _session_head_json(session)
    connections = [connection_json(p, with_stats) for p in session.visible_participants()]
    result["connections"] = {"numberOfElements": len(connections), "content": connections}
    result["recording"] = session.recording
    return result


_EMPTY_CONNECTIONS = b'"connections":{"numberOfElements":0,"content":[]}'
_RECORDING_TRUE = b',"recording":true}'
_RECORDING_FALSE = b',"recording":false}'


def session_bytes(session: Session, with_stats: bool = False) -> bytes:
    """``dumps(session_json(session, with_stats))``, with the connections encoded apart (REST listings keep these
    bytes per session: ``server.api.listing``)."""
    visible = session.visible_participants()
    if visible:
        content = [connection_json(p, with_stats) for p in visible]
        connections = b'"connections":' + dumps({"numberOfElements": len(content), "content": content})
    else:
        connections = _EMPTY_CONNECTIONS
    return b"".join(
        (
            dumps(_session_head_json(session))[:-1],
            b",",
            connections,
            _RECORDING_TRUE if session.recording else _RECORDING_FALSE,
        )
    )


def sessions_bytes(sessions: list[Session], with_stats: bool = False) -> bytes:
    """``dumps(sessions_json(sessions, with_stats))`` built from :func:`session_bytes`."""
    parts = [session_bytes(s, with_stats) for s in sessions]
    return b'{"numberOfElements":%d,"content":[' % len(parts) + b",".join(parts) + b"]}"


def sessions_json(sessions: list[Session], with_stats: bool = False) -> dict[str, Any]:
    content = [session_json(s, with_stats) for s in sessions]
    return {"numberOfElements": len(content), "content": content}


def session_created_json(session: Session) -> dict[str, Any]:
    """``POST /api/sessions`` answer of 2.10-2.15: only ``id`` and ``createdAt``."""
    return {"id": session.session_id, "createdAt": session.created_at}


def kurento_options_json(options: KurentoOptions) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if options.video_max_recv_bandwidth is not None:
        result["videoMaxRecvBandwidth"] = options.video_max_recv_bandwidth
    if options.video_min_recv_bandwidth is not None:
        result["videoMinRecvBandwidth"] = options.video_min_recv_bandwidth
    if options.video_max_send_bandwidth is not None:
        result["videoMaxSendBandwidth"] = options.video_max_send_bandwidth
    if options.video_min_send_bandwidth is not None:
        result["videoMinSendBandwidth"] = options.video_min_send_bandwidth
    if options.allowed_filters:
        result["allowedFilters"] = list(options.allowed_filters)
    return result


def token_json(token: Token) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": token.token,
        "session": token.session_id,
        "role": token.role.value,
        "data": token.data,
        "token": token.token,
    }
    if token.kurento_options is not None:
        result["kurentoOptions"] = kurento_options_json(token.kurento_options)
    return result
