"""``/api/recordings`` (spec §3.8-§3.12): the REST surface of the recording module.

This server has no recording engine yet, so no recording is ever started or stopped here; what the original
does without one is reproduced exactly:

- ``POST /api/recordings/start`` runs OpenVidu 2.11's checks in its order (501 while ``openvidu.recording`` is
  false, then 400/422/409/406/404 as §3.8 lists). A request that passes them all gets the original's failure
  answer for a start that cannot happen: 500 with a plain-text ``Error starting recording: ...`` body.
- ``POST /api/recordings/stop/<id>`` is 404 (no recording is started or starting).
- ``GET``/``DELETE`` work on the recordings folder, as the original: every ``<path>/<id>/.recording.<id>``
  file is one recording (§9.2), so recordings made earlier (or by another server) are listed, read and deleted.
  The original refuses (409) to delete only the recordings it is running itself (its in-memory started/starting
  maps), not a file that merely says ``started`` (left by a crash); with no recording running here, a
  recording found on disk is always deleted.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.api.body import json_object
from server.api.errors import JSON, bare, error_response
from server.api.files import clean_name, inside
from server.core.enums import MediaMode, OutputMode, RecordingLayout
from server.core.serialize import dumps
from server.runtime import runtime_of

START_PATH = "/api/recordings/start"
TYPE_ERROR = "Type error in some parameter"
SESSION_MANDATORY = '"session" parameter is mandatory'
BAD_RESOLUTION = 'Wrong "resolution" parameter. Acceptable values from 100 to 1999 for both width and height'
NO_TRACKS = 'Cannot start a recording with both "hasAudio" and "hasVideo" set to false'
NO_ENGINE = "this server has no recording engine (openvidu.recording is accepted but not implemented)"
METADATA_PREFIX = ".recording."
# FormatChecker#isAcceptableRecordingResolution (2.10/2.11): W and H each 100-1999, no leading zero.
RESOLUTION_RE = re.compile(r"^(?!(0))(([0-9]{3})|1([0-9]{3}))x(?!0)(([0-9]{3})|1([0-9]{3}))$")
_STRING_KEYS = ("session", "name", "outputMode", "resolution", "recordingLayout", "customLayout")
_BOOL_KEYS = ("hasAudio", "hasVideo")


def acceptable_resolution(value: str) -> bool:
    return RESOLUTION_RE.match(value) is not None


def _folder(request: Request) -> Path:
    return Path(runtime_of(request).settings.openvidu_recording_path).expanduser()


def _valid_id(recording_id: str) -> bool:
    return "/" not in recording_id and clean_name(METADATA_PREFIX + recording_id) and clean_name(recording_id)


def read_recording(folder: Path, recording_id: str) -> dict[str, Any] | None:
    """The Recording JSON stored in ``<folder>/<id>/.recording.<id>`` (key order kept), or None; a folder or
    file that is a symlink out of the recordings folder is not a recording."""
    if not _valid_id(recording_id):
        return None
    path = folder / recording_id / (METADATA_PREFIX + recording_id)
    try:
        if not inside(folder.resolve(), path):
            return None
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def all_recordings(folder: Path) -> list[dict[str, Any]]:
    """One entry per sub-folder holding a readable ``.recording.<folder name>`` file."""
    try:
        entries = sorted(entry for entry in folder.iterdir() if entry.is_dir())
    except OSError:
        return []
    found = (read_recording(folder, entry.name) for entry in entries)
    return [recording for recording in found if recording is not None]


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


async def start_recording(request: Request) -> Response:
    params = await json_object(request, required=True)
    assert params is not None
    runtime = runtime_of(request)
    if not runtime.settings.openvidu_recording:
        return bare(501)
    checked = _check_start(params)
    if isinstance(checked, Response):
        return checked
    session_id, _ = checked
    session = runtime.sessions.get_session(session_id)
    if session is None or session.closing:
        return bare(404)
    if session.properties.media_mode is not MediaMode.ROUTED or session.recording:
        return bare(409)
    if not session.active or not session.participants:
        return bare(406)
    return Response(f"Error starting recording: {NO_ENGINE}".encode(), status_code=500, media_type=JSON)


async def stop_recording(request: Request) -> Response:
    # Nothing is ever started or starting here (see the module docstring).
    return bare(404)


async def get_recording(request: Request) -> Response:
    recording = await asyncio.to_thread(read_recording, _folder(request), request.path_params["recording_id"])
    if recording is None:
        return bare(404)
    return _json(recording)


async def list_recordings(request: Request) -> Response:
    recordings = await asyncio.to_thread(all_recordings, _folder(request))
    return _json({"count": len(recordings), "items": recordings})


def _delete(folder: Path, recording_id: str) -> int:
    recording = read_recording(folder, recording_id)
    if recording is None:
        return 404
    shutil.rmtree(folder / recording_id, ignore_errors=True)
    return 204


async def delete_recording(request: Request) -> Response:
    status = await asyncio.to_thread(_delete, _folder(request), request.path_params["recording_id"])
    return bare(status)
