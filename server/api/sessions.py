"""``/api/sessions`` handlers (spec §3.1-§3.6)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.api.body import json_object, spring_bool
from server.api.errors import JSON, bare, error_response
from server.api.listing import listing_of, listing_response
from server.core.enums import EndReason, MediaMode, OutputMode, RecordingLayout, RecordingMode
from server.core.manager import Outcome, SessionConflict
from server.core.serialize import dumps, session_bytes, session_created_json
from server.core.sessions import Session, SessionProperties
from server.runtime import runtime_of

SESSIONS_PATH = "/api/sessions"
STATS_PARAM = "webRtcStats"
TYPE_ERROR = "Type error in some parameter"
_SESSION_KEYS = (
    "mediaMode",
    "recordingMode",
    "customSessionId",
    "defaultOutputMode",
    "defaultRecordingLayout",
    "defaultCustomLayout",
)


def _json(document: Any) -> Response:
    return Response(dumps(document), media_type=JSON)


def _parse_properties(params: dict[str, Any]) -> SessionProperties | Response:
    values: dict[str, str | None] = {}
    for key in _SESSION_KEYS:
        value = params.get(key)
        if value is not None and not isinstance(value, str):
            return error_response(400, TYPE_ERROR, SESSIONS_PATH)
        values[key] = value
    try:
        recording_mode = (
            RecordingMode(values["recordingMode"]) if values["recordingMode"] is not None else None
        )
        output_mode = (
            OutputMode(values["defaultOutputMode"]) if values["defaultOutputMode"] is not None else None
        )
        layout = (
            RecordingLayout(values["defaultRecordingLayout"])
            if values["defaultRecordingLayout"] is not None
            else None
        )
        media_mode = MediaMode(values["mediaMode"]) if values["mediaMode"] is not None else None
    except ValueError:
        message = (
            f"RecordingMode {_java(params.get('recordingMode'))} | "
            f"Default OutputMode {_java(params.get('defaultOutputMode'))} | "
            f"Default RecordingLayout {_java(params.get('defaultRecordingLayout'))} | "
            f"MediaMode {_java(params.get('mediaMode'))}. Some parameter is not defined"
        )
        return error_response(400, message, SESSIONS_PATH)
    return SessionProperties(
        media_mode=media_mode or MediaMode.ROUTED,
        recording_mode=recording_mode or RecordingMode.MANUAL,
        default_output_mode=output_mode or OutputMode.COMPOSED,
        default_recording_layout=layout or RecordingLayout.BEST_FIT,
        default_custom_layout=values["defaultCustomLayout"] or "",
        custom_session_id=values["customSessionId"] or "",
    )


def _java(value: object) -> str:
    return "null" if value is None else str(value)


async def create_session(request: Request) -> Response:
    params = await json_object(request, required=False)
    parsed = _parse_properties(params or {})
    if isinstance(parsed, Response):
        return parsed
    try:
        session = runtime_of(request).sessions.create_session(parsed)
    except SessionConflict:
        return bare(409)
    return _json(session_created_json(session))


async def list_sessions(request: Request) -> Response:
    with_stats = spring_bool(request, STATS_PARAM)
    manager = runtime_of(request).sessions
    if with_stats:
        listing = listing_of(manager, "api+stats", _with_stats, cached=False)
    else:
        listing = listing_of(manager, "api", session_bytes)
    return listing_response(await listing.chunks(manager.sessions))


def _with_stats(session: Session) -> bytes:
    return session_bytes(session, with_stats=True)


async def get_session(request: Request) -> Response:
    with_stats = spring_bool(request, STATS_PARAM)
    session = runtime_of(request).sessions.get_session(request.path_params["session_id"])
    if session is None:
        return bare(404)
    return Response(session_bytes(session, with_stats), media_type=JSON)


async def close_session(request: Request) -> Response:
    closed = await runtime_of(request).sessions.close_session(
        request.path_params["session_id"], EndReason.SESSION_CLOSED_BY_SERVER
    )
    return bare(204 if closed else 404)


_OUTCOME_STATUS = {Outcome.DONE: 204, Outcome.NOT_FOUND: 404, Outcome.NO_SESSION: 400}


async def evict_connection(request: Request) -> Response:
    outcome = await runtime_of(request).sessions.evict_connection(
        request.path_params["session_id"],
        request.path_params["connection_id"],
        EndReason.FORCE_DISCONNECT_BY_SERVER,
    )
    return bare(_OUTCOME_STATUS[outcome])


async def unpublish_stream(request: Request) -> Response:
    outcome = await runtime_of(request).sessions.unpublish_stream(
        request.path_params["session_id"],
        request.path_params["stream_id"],
        EndReason.FORCE_UNPUBLISH_BY_SERVER,
    )
    return bare(_OUTCOME_STATUS[outcome])
