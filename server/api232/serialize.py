"""The one place that turns core objects into the JSON of OpenVidu 2.32 (``Session.toJson``,
``Participant.toJson``, ``Token.toJsonAsParticipant``, ``Token.toJson``, ``RecordingProperties.toJson``).

Keys keep the insertion order of the Java originals; ``null`` is emitted where they add it explicitly.
"""

from __future__ import annotations

from typing import Any

from server.core.participants import EndpointStats, Participant, Publisher, Subscriber
from server.core.serialize import dumps, kurento_options_json, media_options_json
from server.core.sessions import RecordingDefaults, Session, SessionProperties
from server.core.tokens import Token, ice_servers_json

DEFAULT_FORCED_VIDEO_CODEC = "MEDIA_SERVER_PREFERRED"
"""``OPENVIDU_STREAMS_FORCED_VIDEO_CODEC`` default of 2.32 (Kurento resolves it to VP8)."""
DEFAULT_ALLOW_TRANSCODING = False


def recording_defaults_of(props: SessionProperties) -> RecordingDefaults:
    """The 2.32 ``defaultRecordingProperties`` of a session; a session made through ``/api`` maps its 2.11
    ``defaultOutputMode``/``defaultRecordingLayout``/``defaultCustomLayout`` onto them."""
    if props.default_recording is not None:
        return props.default_recording
    return RecordingDefaults(
        output_mode=props.default_output_mode.value,
        recording_layout=props.default_recording_layout.value,
        custom_layout=props.default_custom_layout,
    )


def recording_defaults_json(rec: RecordingDefaults) -> dict[str, Any]:
    result: dict[str, Any] = {
        "name": rec.name,
        "hasAudio": rec.has_audio,
        "hasVideo": rec.has_video,
        "outputMode": rec.output_mode,
    }
    if rec.output_mode in ("COMPOSED", "COMPOSED_QUICK_START") and rec.has_video:
        result["recordingLayout"] = rec.recording_layout
        result["resolution"] = rec.resolution
        result["frameRate"] = rec.frame_rate
        result["shmSize"] = rec.shm_size
        if rec.recording_layout == "CUSTOM":
            result["customLayout"] = rec.custom_layout
    if rec.output_mode == "INDIVIDUAL":
        result["ignoreFailedStreams"] = rec.ignore_failed_streams
    if rec.media_node is not None:
        result["mediaNode"] = rec.media_node
    return result


def session_properties_json(session: Session) -> dict[str, Any]:
    """``SessionProperties.toJson`` (the server always resolves forcedVideoCodec and allowTranscoding)."""
    props = session.properties
    result: dict[str, Any] = {
        "mediaMode": props.media_mode.value,
        "recordingMode": props.recording_mode.value,
        "defaultRecordingProperties": recording_defaults_json(recording_defaults_of(props)),
        "customSessionId": props.custom_session_id,
    }
    media_node = props.media_node or session.media_server_id
    if media_node:
        result["mediaNode"] = {"id": media_node}
    result["forcedVideoCodec"] = props.forced_video_codec or DEFAULT_FORCED_VIDEO_CODEC
    result["allowTranscoding"] = (
        props.allow_transcoding if props.allow_transcoding is not None else DEFAULT_ALLOW_TRANSCODING
    )
    return result


def _connection_properties_json(token: Token) -> dict[str, Any]:
    """``Token.getConnectionPropertiesWithFinalJsonFormat``: WEBRTC or IPCAM properties, the others null."""
    ipcam = token.ipcam
    if ipcam is not None:
        return {
            "type": "IPCAM",
            "record": token.record,
            "role": None,
            "kurentoOptions": None,
            "customIceServers": [],
            "rtspUri": ipcam.rtsp_uri,
            "adaptativeBitrate": ipcam.adaptative_bitrate,
            "onlyPlayWithSubscribers": ipcam.only_play_with_subscribers,
            "networkCache": ipcam.network_cache,
            "serverData": token.data,
        }
    return {
        "type": "WEBRTC",
        "record": token.record,
        "role": token.role.value,
        "kurentoOptions": (
            kurento_options_json(token.kurento_options) if token.kurento_options is not None else None
        ),
        "customIceServers": ice_servers_json(token.custom_ice_servers),
        "rtspUri": None,
        "adaptativeBitrate": None,
        "onlyPlayWithSubscribers": None,
        "networkCache": None,
        "serverData": token.data,
    }


def _stats_json(endpoint: EndpointStats | None, name: str) -> dict[str, Any]:
    """``MediaEndpoint.withStatsToJson`` of 2.32 (client/server ICE candidates instead of 2.11's received)."""
    if endpoint is None:
        endpoint = EndpointStats(webrtc_endpoint_name=name)
    return {
        "webrtcEndpointName": endpoint.webrtc_endpoint_name,
        "remoteSdp": endpoint.remote_sdp,
        "localSdp": endpoint.local_sdp,
        "clientIceCandidates": endpoint.received_candidates,
        "serverIceCandidates": [],
        "localCandidate": endpoint.local_candidate,
        "remoteCandidate": endpoint.remote_candidate,
        "events": endpoint.events,
    }


def publisher_json(publisher: Publisher, with_stats: bool, token: Token | None = None) -> dict[str, Any]:
    """``PublisherEndpoint.toJson``; an IP camera's adds ``rtspUri`` and its player options."""
    ipcam = token.ipcam if token is not None else None
    result: dict[str, Any] = {"createdAt": publisher.created_at}
    if with_stats:
        result.update(_stats_json(publisher.endpoint, publisher.stream_id))
    result["streamId"] = publisher.stream_id
    if ipcam is not None:
        result["rtspUri"] = ipcam.rtsp_uri
    result["mediaOptions"] = media_options_json(publisher.media_options)
    if ipcam is not None:
        result["mediaOptions"].update(
            adaptativeBitrate=ipcam.adaptative_bitrate,
            onlyPlayWithSubscribers=ipcam.only_play_with_subscribers,
            networkCache=ipcam.network_cache,
        )
    return result


def subscriber_json(subscriber: Subscriber, connection_id: str, with_stats: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"createdAt": subscriber.created_at}
    if with_stats:
        result.update(_stats_json(subscriber.endpoint, f"{connection_id}_{subscriber.stream_id}"))
    result["streamId"] = subscriber.stream_id
    return result


def active_connection_json(participant: Participant, with_stats: bool = False) -> dict[str, Any]:
    """``KurentoParticipant.toJson``: an active connection."""
    token = participant.token
    result: dict[str, Any] = {
        "id": participant.connection_id,
        "object": "connection",
        "status": "active",
        "connectionId": participant.connection_id,
        "sessionId": participant.session_id,
        "createdAt": token.created_at or participant.created_at,
        "activeAt": participant.created_at,
        "location": participant.location,
        "ip": participant.ip,
        "platform": participant.platform,
        "token": token.token if token.ipcam is None else None,
    }
    result.update(_connection_properties_json(token))
    result["clientData"] = participant.client_data if token.ipcam is None else None
    publisher = participant.publisher
    result["publishers"] = [publisher_json(publisher, with_stats, token)] if publisher is not None else []
    result["subscribers"] = [
        subscriber_json(sub, participant.connection_id, with_stats)
        for sub in participant.subscribers.values()
    ]
    return result


def pending_connection_json(token: Token) -> dict[str, Any]:
    """``Token.toJsonAsParticipant``: a connection whose token nobody has used yet."""
    result: dict[str, Any] = {
        "id": token.connection_id,
        "object": "connection",
        "status": "pending",
        "connectionId": token.connection_id,
        "sessionId": token.session_id,
        "createdAt": token.created_at,
    }
    result.update(_connection_properties_json(token))
    result.update(
        token=token.token,
        activeAt=None,
        location=None,
        ip=None,
        platform=None,
        clientData=None,
        publishers=None,
        subscribers=None,
    )
    return result


def connections_json(session: Session, pending: bool, with_stats: bool) -> list[dict[str, Any]]:
    """``Session.getSnapshotOfConnectionsAsJsonArray``: active ones (never the RECORDER), then pending ones."""
    content = [active_connection_json(p, with_stats) for p in session.visible_participants()]
    if pending:
        content.extend(pending_connection_json(t) for t in session.pending_tokens())
    return content


def session_json(session: Session, pending: bool = False, with_stats: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": session.session_id,
        "object": "session",
        "sessionId": session.session_id,
        "createdAt": session.created_at,
        "recording": session.recording,
        "broadcasting": session.broadcasting,
    }
    result.update(session_properties_json(session))
    content = connections_json(session, pending, with_stats)
    result["connections"] = {"numberOfElements": len(content), "content": content}
    return result


def token_json(token: Token) -> dict[str, Any]:
    """``Token.toJson`` (the deprecated ``POST /openvidu/api/tokens`` answer)."""
    result: dict[str, Any] = {
        "id": token.token,
        "token": token.token,
        "createdAt": token.created_at,
        "connectionId": token.connection_id,
        "session": token.session_id,
        "data": token.data,
        "role": token.role.value,
    }
    if token.kurento_options is not None:
        result["kurentoOptions"] = kurento_options_json(token.kurento_options)
    return result


def _fixed_parts(session: Session) -> tuple[bytes, bytes]:
    """The head (``{"id".."createdAt":N``) and the properties (``"mediaMode"..``, no braces) of a session's JSON."""
    head = dumps(
        {
            "id": session.session_id,
            "object": "session",
            "sessionId": session.session_id,
            "createdAt": session.created_at,
        }
    )[:-1]
    return head, dumps(session_properties_json(session))[1:-1]


def session_bytes(session: Session, pending: bool = False, with_stats: bool = False) -> bytes:
    """``dumps(session_json(...))``, made in parts (REST listings keep these bytes per session:
    ``server.api.listing``)."""
    head, props = _fixed_parts(session)
    content = connections_json(session, pending, with_stats)
    connections = (
        dumps({"numberOfElements": len(content), "content": content}) if content else _NO_CONNECTIONS
    )
    recording = b"true" if session.recording else b"false"
    return b"".join(
        (
            head,
            b',"recording":',
            recording,
            b',"broadcasting":',
            b"true," if session.broadcasting else b"false,",
            props,
            b',"connections":',
            connections,
            b"}",
        )
    )


def sessions_bytes(sessions: list[Session], pending: bool = False, with_stats: bool = False) -> bytes:
    parts = [session_bytes(s, pending, with_stats) for s in sessions]
    return b'{"numberOfElements":%d,"content":[' % len(parts) + b",".join(parts) + b"]}"


_NO_CONNECTIONS = b'{"numberOfElements":0,"content":[]}'
