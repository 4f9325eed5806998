"""``POST /openvidu/api/broadcast/start`` and ``/broadcast/stop`` (Pro 2.26+; :mod:`server.recording.broadcast`).

start ``{session, broadcastUrl, hasAudio, resolution, frameRate, recordingLayout, customLayout, shmSize,
mediaNode}``: 400 (body: missing/mistyped ``session`` or ``broadcastUrl``, not an ``rtmp(s)://`` URL, a bad
property), 404 (no such session), 406 (nobody connected), 409 (already broadcast, not ROUTED, or recorded
COMPOSED with video, whose page holds the RECORDER slot), 422 (resolution/frameRate/shmSize out of range),
500 (the pipeline did not start), 200 (no body: the node client reads none).
stop ``{session}``: 400, 404, 409 (not being broadcast), 200.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.api.body import json_object
from server.api.errors import JSON, bare, error_response
from server.api.recordings import RECORDINGS
from server.api232.parse import InvalidParams, recording_properties
from server.api232.serialize import recording_defaults_of
from server.core.enums import MediaMode
from server.parts import PartKey, part
from server.recording.broadcast import BroadcastError, BroadcastManager, acceptable_broadcast_url
from server.recording.model import from_232
from server.runtime import runtime_of

BROADCASTS: PartKey[BroadcastManager] = PartKey("broadcasts")

API = "/openvidu/api"
START_PATH = API + "/broadcast/start"
STOP_PATH = API + "/broadcast/stop"
BROADCAST_KEYS = (
    "hasAudio",
    "resolution",
    "frameRate",
    "recordingLayout",
    "customLayout",
    "shmSize",
    "mediaNode",
)


def _broadcasts(request: Request) -> BroadcastManager:
    manager = part(request, BROADCASTS)
    return manager


def _session_id(params: dict[str, object], path: str) -> str | Response:
    session_id = params.get("session")
    if session_id is None:
        return error_response(400, '"session" parameter is mandatory', path)
    if not isinstance(session_id, str):
        return error_response(400, 'Type error in parameter "session"', path)
    return session_id


async def start_broadcast(request: Request) -> Response:
    params = await json_object(request, required=True)
    assert params is not None
    session_id = _session_id(params, START_PATH)
    if isinstance(session_id, Response):
        return session_id
    url = params.get("broadcastUrl")
    if url is None:
        return error_response(400, '"broadcastUrl" parameter is mandatory', START_PATH)
    if not isinstance(url, str):
        return error_response(400, 'Type error in parameter "broadcastUrl"', START_PATH)
    if not acceptable_broadcast_url(url):
        return error_response(400, '"broadcastUrl" must be an rtmp:// or rtmps:// URL', START_PATH)
    session = runtime_of(request).sessions.get_session(session_id)
    if session is None or session.closing:
        return bare(404)
    recordings = part(request, RECORDINGS)
    running = recordings.of_session(session_id)
    if (
        session.properties.media_mode is not MediaMode.ROUTED
        or session.broadcasting
        or (running is not None and running.properties.composed_video)
    ):
        return bare(409)
    if not session.active or not session.visible_participants():
        return bare(406)
    # a broadcast is a COMPOSED view with video: only the layout-related properties are taken
    chosen = {key: params[key] for key in BROADCAST_KEYS if key in params}
    chosen.update(outputMode="COMPOSED", hasVideo=True)
    try:
        props = recording_properties(chosen, recording_defaults_of(session.properties))
    except InvalidParams as exc:
        return error_response(exc.status, exc.message, START_PATH)
    try:
        await _broadcasts(request).start(session, url, from_232(props))
    except BroadcastError as exc:
        if exc.kind == "conflict":
            return bare(409)
        return Response(f"Error starting broadcast: {exc.message}".encode(), status_code=500, media_type=JSON)
    return bare(200)


async def stop_broadcast(request: Request) -> Response:
    params = await json_object(request, required=True)
    assert params is not None
    session_id = _session_id(params, STOP_PATH)
    if isinstance(session_id, Response):
        return session_id
    session = runtime_of(request).sessions.get_session(session_id)
    if session is None or session.closing:
        return bare(404)
    if not await _broadcasts(request).stop(session_id):
        return bare(409)
    return bare(200)
