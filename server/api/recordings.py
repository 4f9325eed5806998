"""``/api/recordings`` (spec §3.8-§3.12): the 2.11 REST surface over :class:`server.recording.manager.RecordingManager`.

- ``POST /api/recordings/start`` runs OpenVidu 2.11's checks in its order (501 while ``openvidu.recording`` is
  false, then 400/422/409/406/404 as §3.8 lists), applies 2.11's defaults (layout and resolution only when the
  body says ``COMPOSED`` explicitly) and starts; a recorder failure is 500 ``Error starting recording: ...``.
- ``POST /api/recordings/stop/<id>``: 406 while starting, 404 unknown, 409 session not recorded, else 200 with
  the final Recording (``ready``/``failed``: the processing is synchronous, as CE 2.11).
- ``GET``/``DELETE`` work on the recordings folder: every ``<path>/<id>/.recording.<id>`` file is one recording
  (§9.2), so recordings made earlier (or by another server) are listed, read and deleted. Only recordings this
  server is running are refused (409), as the original's in-memory maps.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.api.body import json_object
from server.api.errors import JSON, bare, error_response
from server.core.enums import MediaMode, OutputMode, RecordingLayout
from server.core.serialize import dumps
from server.core.sessions import Session
from server.parts import PartKey, part
from server.recording.manager import DeleteOutcome, RecordingManager, StartError, StopOutcome
from server.recording.model import DEFAULT_RESOLUTION, RecordingProperties
from server.recording.shapes import as_211
from server.runtime import runtime_of

RECORDINGS: PartKey[RecordingManager] = PartKey("recordings")
"""The recording manager, read by the recording routes of both REST surfaces."""

START_PATH = "/api/recordings/start"
TYPE_ERROR = "Type error in some parameter"
SESSION_MANDATORY = '"session" parameter is mandatory'
BAD_RESOLUTION = 'Wrong "resolution" parameter. Acceptable values from 100 to 1999 for both width and height'
MAX_NAME_LENGTH = 200
BAD_NAME = 'Parameter "name" must be usable as a file name (no "/", "\\" or NUL, at most 200 characters)'
NO_TRACKS = 'Cannot start a recording with both "hasAudio" and "hasVideo" set to false'
# FormatChecker#isAcceptableRecordingResolution (2.10/2.11): W and H each 100-1999, no leading zero.
RESOLUTION_RE = re.compile(r"^(?!(0))(([0-9]{3})|1([0-9]{3}))x(?!0)(([0-9]{3})|1([0-9]{3}))$")
_STRING_KEYS = ("session", "name", "outputMode", "resolution", "recordingLayout", "customLayout")
_BOOL_KEYS = ("hasAudio", "hasVideo")


def usable_file_name(name: str) -> bool:
    """2.10/2.11 take any name and make ``<name>.<ext>`` of it: refuse only what cannot be a file name in the
    recording's folder (a path, a NUL, ``.``/``..``, over 200 characters)."""
    return len(name) <= MAX_NAME_LENGTH and name not in (".", "..") and not any(c in name for c in "/\\\0")


def acceptable_resolution(value: str) -> bool:
    return RESOLUTION_RE.match(value) is not None


def _json(document: Any) -> Response:
    return Response(dumps(document), media_type=JSON)


def _check_start(params: dict[str, Any]) -> Response | tuple[str, OutputMode | None]:
    """Steps 2-4 of §3.8: the answer to give, or the session id and the explicit output mode."""
    values: dict[str, Any] = {}
    for key in _STRING_KEYS:
        value = params.get(key)
        if value is not None and not isinstance(value, str):
            return error_response(400, TYPE_ERROR, START_PATH)
        values[key] = value
    for key in _BOOL_KEYS:
        value = params.get(key)
        if value is not None and not isinstance(value, bool):
            return error_response(400, TYPE_ERROR, START_PATH)
        values[key] = value
    session_id = values["session"]
    if session_id is None:
        return error_response(400, SESSION_MANDATORY, START_PATH)
    if values["name"] and not usable_file_name(values["name"]):
        return error_response(400, BAD_NAME, START_PATH)
    output_mode: OutputMode | None = None
    if values["outputMode"]:
        try:
            output_mode = OutputMode(values["outputMode"])
        except ValueError:
            return error_response(400, TYPE_ERROR, START_PATH)
    if output_mode is OutputMode.COMPOSED:
        resolution = values["resolution"]
        if resolution is not None and not acceptable_resolution(resolution):
            return error_response(422, BAD_RESOLUTION, START_PATH)
        if values["recordingLayout"]:
            try:
                RecordingLayout(values["recordingLayout"])
            except ValueError:
                return error_response(400, TYPE_ERROR, START_PATH)
    if values["hasAudio"] is False and values["hasVideo"] is False:
        return error_response(422, NO_TRACKS, START_PATH)
    return session_id, output_mode


def _properties(params: dict[str, Any], session: Session, explicit: OutputMode | None) -> RecordingProperties:
    """2.11's defaults (§2 quirk): layout/resolution/customLayout only when the body says COMPOSED itself."""
    mode = explicit or session.properties.default_output_mode
    has_audio = params.get("hasAudio")
    has_video = params.get("hasVideo")
    props = RecordingProperties(
        name=params.get("name") or "",
        output_mode=mode,
        has_audio=True if has_audio is None else bool(has_audio),
        has_video=True if has_video is None else bool(has_video),
    )
    if explicit is OutputMode.COMPOSED:
        layout_value = params.get("recordingLayout")
        layout = (
            RecordingLayout(layout_value) if layout_value else session.properties.default_recording_layout
        )
        custom = ""
        if layout is RecordingLayout.CUSTOM:
            body_custom = params.get("customLayout")
            custom = body_custom if body_custom is not None else session.properties.default_custom_layout
        props = replace(
            props,
            resolution=params.get("resolution") or DEFAULT_RESOLUTION,
            recording_layout=layout,
            custom_layout=custom,
        )
    return props


def _manager(request: Request) -> RecordingManager:
    manager = part(request, RECORDINGS)
    return manager


async def start_recording(request: Request) -> Response:
    params = await json_object(request, required=True)
    assert params is not None
    runtime = runtime_of(request)
    if not runtime.settings.openvidu_recording:
        return bare(501)
    checked = _check_start(params)
    if isinstance(checked, Response):
        return checked
    session_id, output_mode = checked
    session = runtime.sessions.get_session(session_id)
    if session is None or session.closing:
        return bare(404)
    if session.properties.media_mode is not MediaMode.ROUTED or session.recording:
        return bare(409)
    if not session.active or not session.participants:
        return bare(406)
    try:
        recording = await _manager(request).start(session, _properties(params, session, output_mode))
    except StartError as exc:
        if exc.kind == "conflict":
            return bare(409)
        return Response(f"Error starting recording: {exc.message}".encode(), status_code=500, media_type=JSON)
    return _json(recording.to_json())


async def stop_recording(request: Request) -> Response:
    outcome, recording = await _manager(request).stop(request.path_params["recording_id"])
    if outcome is StopOutcome.STARTING:
        return bare(406)
    if outcome is StopOutcome.NOT_FOUND:
        return bare(404)
    if outcome is StopOutcome.NOT_RECORDED or recording is None:
        return bare(409)
    return _json(recording.to_json())


async def get_recording(request: Request) -> Response:
    recording = await asyncio.to_thread(_manager(request).get, request.path_params["recording_id"])
    if recording is None:
        return bare(404)
    return _json(as_211(recording))


async def list_recordings(request: Request) -> Response:
    recordings = await asyncio.to_thread(_manager(request).list)
    return _json({"count": len(recordings), "items": [as_211(doc) for doc in recordings]})


async def delete_recording(request: Request) -> Response:
    outcome = await asyncio.to_thread(_manager(request).delete, request.path_params["recording_id"])
    if outcome is DeleteOutcome.ACTIVE:
        return bare(409)
    return bare(204 if outcome is DeleteOutcome.DELETED else 404)
