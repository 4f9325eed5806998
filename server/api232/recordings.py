"""``/openvidu/api/recordings`` with the recording module on (``SessionRestController`` of ``CE@v2.32.2``).

The same :class:`server.recording.manager.RecordingManager` serves ``/api/recordings``; only the checks of a
start (``RecordingProperties.fromJson`` merged with the session's ``defaultRecordingProperties``) and the JSON
(:func:`server.recording.shapes.as_232`) differ. With the module off, every path answers 501 (routes.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.api.body import json_object
from server.api.errors import JSON, bare, error_response
from server.api.recordings import RECORDINGS
from server.api232.parse import InvalidParams, recording_properties
from server.api232.serialize import recording_defaults_of
from server.core.enums import MediaMode
from server.core.serialize import dumps
from server.parts import part
from server.recording.manager import (
    ID_SEPARATOR_232,
    DeleteOutcome,
    RecordingManager,
    StartError,
    StopOutcome,
)
from server.recording.model import Recording, from_232
from server.recording.shapes import as_232
from server.runtime import runtime_of

API = "/openvidu/api"
START_PATH = API + "/recordings/start"
SESSION_TYPE_ERROR = 'Type error in parameter "session"'
SESSION_MANDATORY = '"session" parameter is mandatory'
PROPERTIES_PATH = API + "/sessions"
"""2.32 reports a bad property of a start with the path ``/sessions`` (its controller passes that one)."""


def _manager(request: Request) -> RecordingManager:
    manager = part(request, RECORDINGS)
    return manager


def _public_url(request: Request) -> str:
    return runtime_of(request).public_urls.final_url


def recording_json(request: Request, recording: Recording) -> dict[str, Any]:
    return as_232(recording.stored_json(), _public_url(request))


def _json(document: Any) -> Response:
    return Response(dumps(document), media_type=JSON)


async def start_recording(request: Request) -> Response:
    params = await json_object(request, required=True)
    assert params is not None
    session_id = params.get("session")
    if session_id is not None and not isinstance(session_id, str):
        return error_response(400, SESSION_TYPE_ERROR, START_PATH)
    if session_id is None:
        return error_response(400, SESSION_MANDATORY, START_PATH)
    manager = _manager(request)
    session = runtime_of(request).sessions.get_session(session_id)
    if session is None or session.closing:
        return bare(404)
    if session.properties.media_mode is not MediaMode.ROUTED or manager.of_session(session_id) is not None:
        return bare(409)
    if session.recording:
        return bare(409)
    if not session.active or not session.participants:
        return bare(406)
    try:
        defaults = recording_properties(params, recording_defaults_of(session.properties))
    except InvalidParams as exc:
        return error_response(exc.status, exc.message, PROPERTIES_PATH)
    try:
        recording = await manager.start(session, from_232(defaults), ID_SEPARATOR_232)
    except StartError as exc:
        if exc.kind == "conflict":
            return bare(409)
        return Response(f"Error starting recording: {exc.message}".encode(), status_code=500, media_type=JSON)
    return _json(recording_json(request, recording))


async def stop_recording(request: Request) -> Response:
    outcome, recording = await _manager(request).stop(request.path_params["recording_id"])
    if outcome is StopOutcome.STARTING:
        return bare(406)
    if outcome is StopOutcome.NOT_FOUND:
        return bare(404)
    if outcome is StopOutcome.NOT_RECORDED or recording is None:
        return bare(409)
    return _json(recording_json(request, recording))


async def get_recording(request: Request) -> Response:
    document = await asyncio.to_thread(_manager(request).get, request.path_params["recording_id"])
    if document is None:
        return bare(404)
    return _json(as_232(document, _public_url(request)))


async def list_recordings(request: Request) -> Response:
    documents = await asyncio.to_thread(_manager(request).list)
    public_url = _public_url(request)
    return _json({"count": len(documents), "items": [as_232(doc, public_url) for doc in documents]})


async def delete_recording(request: Request) -> Response:
    outcome = await asyncio.to_thread(_manager(request).delete, request.path_params["recording_id"])
    if outcome is DeleteOutcome.ACTIVE:
        return bare(409)
    return bare(204 if outcome is DeleteOutcome.DELETED else 404)
