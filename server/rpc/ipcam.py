"""IP cameras (2.16+ ``POST /openvidu/api/sessions/<id>/connection`` with type IPCAM): a participant without a
socket whose stream a PlayerEndpoint publishes (``KurentoSessionManager.publishIpcam``).

The browsers are told as for any participant (``participantJoined``, then ``participantPublished``) and
subscribe to the camera's stream like to any other.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from server.core.enums import EndReason
from server.core.ids import new_ipcam_id
from server.core.participants import MediaOptions, Participant
from server.core.signaling import IpcamError
from server.core.tokens import IpcamOptions
from server.media.session import MediaError
from server.rpc import protocol as p
from server.rpc.bindings import PeerBindings

IPCAM = "IPCAM"


def _host_ip(uri: str) -> str | None:
    """The camera's address (``InetAddress.getByName(uri.getHost())``); None for ``file://``."""
    host = urlsplit(uri).hostname
    if not host:
        return None
    try:
        return socket.gethostbyname(host)
    except OSError:
        return None


async def publish_ipcam(
    service: PeerBindings, session_id: str, options: IpcamOptions, data: str, record: bool
) -> Participant:
    """Join the camera, build its PlayerEndpoint chain and announce it. Raises ``SessionNotFound`` or
    ``IpcamError`` (the camera could not be played; nothing is left behind)."""
    manager = service.manager
    connection_id = new_ipcam_id(options.rtsp_uri)
    session, participant = manager.join_ipcam(
        session_id, connection_id, options, data, record, _host_ip(options.rtsp_uri)
    )
    media = service.media_of(session)
    media_options = MediaOptions(
        has_audio=True, audio_active=True, has_video=True, video_active=True, type_of_video=IPCAM
    )
    try:
        await media.start()
        publisher = manager.publish(participant, media_options)
        await media.publish_player(
            connection_id, publisher.stream_id, options.rtsp_uri, options.network_cache
        )
    except MediaError as exc:
        await media.unpublish(connection_id)
        manager.drop_ipcam(session_id, connection_id, EndReason.DISCONNECT)
        raise IpcamError(exc.message) from None
    others = [c for c in session.participants if c != connection_id]
    bound = service.bound(session_id, others)
    await service.send_to_bound(
        bound, p.participant_joined(connection_id, participant.created_at, participant.full_metadata)
    )
    info = service.stream_info(participant)
    if info is not None:
        await service.send_to_bound(bound, p.participant_published(connection_id, info))
    return participant
