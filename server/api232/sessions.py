"""``/openvidu/api/sessions``, its connections and streams, ``/openvidu/api/tokens`` and ``/openvidu/api/signal``
(``SessionRestController`` of 2.32; ``PATCH .../connection`` of Pro)."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.api.body import json_object, spring_bool
from server.api.errors import JSON, bare, error_response
from server.api.listing import listing_of, listing_response
from server.api232 import serialize as ser
from server.api232.parse import ConnectionSpec, InvalidParams, connection_properties, session_properties
from server.core.enums import EndReason, OpenViduRole
from server.core.events_232 import SignalSent
from server.core.manager import Outcome, SessionConflict, SessionNotFound
from server.core.participants import Participant
from server.core.serialize import dumps
from server.core.sessions import Session
from server.core.signaling import IpcamError
from server.core.tokens import IpcamOptions
from server.parts import SIGNALING, find_part
from server.runtime import runtime_of

API = "/openvidu/api"
PENDING = "pendingConnections"
STATS = "webRtcStats"
EMPTY_BODY = "Error in body parameters. Cannot be empty"
IPCAM_UNSUPPORTED = (
    "IPCAM connections are not supported by this server: no media player endpoint is available"
)


def _json(document: Any, status: int = 200) -> Response:
    return Response(dumps(document), status_code=status, media_type=JSON)


def _error(message: str, path: str, status: int) -> Response:
    """``SessionRestController.generateErrorResponse``: the path is ``/openvidu/api`` + the controller's."""
    return error_response(status, message, API + path)


def _session(request: Request) -> Session | None:
    session = runtime_of(request).sessions.get_session(request.path_params["session_id"])
    if session is None or session.closing:
        return None
    return session


async def create_session(request: Request) -> Response:
    params = await json_object(request, required=False)
    try:
        properties = session_properties(params)
    except InvalidParams as exc:
        return _error(exc.message, "/sessions", 400)
    try:
        session = runtime_of(request).sessions.create_session(properties, ids_232=True)
    except SessionConflict:
        return bare(409)
    return _json(ser.session_json(session))


async def list_sessions(request: Request) -> Response:
    pending, stats = spring_bool(request, PENDING), spring_bool(request, STATS)
    manager = runtime_of(request).sessions
    flavour = f"232{'+pending' if pending else ''}{'+stats' if stats else ''}"
    listing = listing_of(
        manager, flavour, partial(ser.session_bytes, pending=pending, with_stats=stats), not stats
    )

    def open_sessions() -> list[Session]:
        return [s for s in manager.sessions() if not s.closing]

    return listing_response(await listing.chunks(open_sessions))


async def get_session(request: Request) -> Response:
    pending, stats = spring_bool(request, PENDING), spring_bool(request, STATS)
    session = _session(request)
    if session is None:
        return bare(404)
    return Response(ser.session_bytes(session, pending, stats), media_type=JSON)


async def close_session(request: Request) -> Response:
    closed = await runtime_of(request).sessions.close_session(
        request.path_params["session_id"], EndReason.SESSION_CLOSED_BY_SERVER
    )
    return bare(204 if closed else 404)


async def create_connection(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return bare(404)
    path = f"/sessions/{session.session_id}/connection"
    params = await json_object(request, required=False)
    try:
        spec = connection_properties(params)
    except InvalidParams as exc:
        return _error(exc.message, path, 400)
    if spec.kind == "IPCAM":
        return await _ipcam_connection(request, session, spec, path)
    try:
        token = runtime_of(request).sessions.new_connection(
            session.session_id, spec.role, spec.data, spec.kurento_options, spec.record, spec.ice_servers
        )
    except SessionNotFound:
        return _error(f"Session {session.session_id} not found", path, 404)
    return _json(ser.pending_connection_json(token))


async def _ipcam_connection(request: Request, session: Session, spec: ConnectionSpec, path: str) -> Response:
    """``newIpcamConnection``: the camera joins and publishes now; 500 with the reason if it cannot play."""
    signaling = find_part(request, SIGNALING)
    if signaling is None or spec.rtsp_uri is None:
        return _error('"rtspUri" parameter is not a valid rtsp uri', path, 400)
    options = IpcamOptions(
        spec.rtsp_uri, spec.adaptative_bitrate, spec.only_play_with_subscribers, spec.network_cache
    )
    try:
        participant = await signaling.publish_ipcam(session.session_id, options, spec.data, spec.record)
    except SessionNotFound:
        return bare(404)
    except IpcamError as exc:
        return _error(exc.message, path, 500)
    return _json(ser.active_connection_json(participant))


async def list_connections(request: Request) -> Response:
    pending = spring_bool(request, PENDING, default=True)
    stats = spring_bool(request, STATS)
    session = _session(request)
    if session is None:
        return bare(404)
    content = ser.connections_json(session, pending, stats)
    return _json({"numberOfElements": len(content), "content": content})


def _connection_document(session: Session, connection_id: str) -> dict[str, Any] | None:
    participant = session.participants.get(connection_id)
    if participant is not None and not participant.recorder:
        return ser.active_connection_json(participant)
    token = session.pending_token(connection_id)
    return ser.pending_connection_json(token) if token is not None else None


async def get_connection(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return bare(400)
    document = _connection_document(session, request.path_params["connection_id"])
    return _json(document) if document is not None else bare(404)


async def update_connection(request: Request) -> Response:
    """``PATCH .../connection/<id>`` (Pro): only ``role`` and ``record``; the browser of an active connection gets
    one ``connectionPropertyChanged`` per changed property."""
    session = _session(request)
    if session is None:
        return bare(400)
    connection_id = request.path_params["connection_id"]
    path = f"/sessions/{session.session_id}/connection/{connection_id}"
    params = await json_object(request, required=True) or {}
    role_text, record = params.get("role"), params.get("record")
    if (role_text is not None and not isinstance(role_text, str)) or (
        record is not None and not isinstance(record, bool)
    ):
        return _error("Type error in some parameter", path, 400)
    try:
        role = OpenViduRole(role_text) if role_text is not None else None
    except ValueError:
        return _error(f"Parameter role {role_text} is not defined", path, 400)
    manager = runtime_of(request).sessions
    before = session.participants.get(connection_id)
    old_role, old_record = (before.role, before.record) if before is not None else (None, None)
    updated = manager.update_connection(session.session_id, connection_id, role, record)
    if updated is None:
        return bare(404)
    if isinstance(updated, Participant):
        changes: list[tuple[str, str]] = []
        if role is not None and role != old_role:
            changes.append(("role", role.value))
        if record is not None and record != old_record:
            changes.append(("record", "true" if record else "false"))
        signaling = find_part(request, SIGNALING)
        if signaling is not None and changes:
            await signaling.connection_property_changed(session.session_id, connection_id, changes)
        return _json(ser.active_connection_json(updated))
    return _json(ser.pending_connection_json(updated))


async def close_connection(request: Request) -> Response:
    session_id, connection_id = request.path_params["session_id"], request.path_params["connection_id"]
    manager = runtime_of(request).sessions
    session = manager.get_session(session_id)
    if session is None:
        return bare(400)
    if connection_id in session.participants:
        outcome = await manager.evict_connection(
            session_id, connection_id, EndReason.FORCE_DISCONNECT_BY_SERVER
        )
        if outcome is Outcome.DONE:
            return bare(204)
    return bare(204 if manager.discard_pending(session_id, connection_id) else 404)


async def unpublish_stream(request: Request) -> Response:
    session_id = request.path_params["session_id"]
    manager = runtime_of(request).sessions
    session = manager.get_session(session_id)
    if session is None:
        return bare(400)
    if not session.active:
        return bare(404)
    owner = session.find_stream(request.path_params["stream_id"])
    if owner is not None and owner.token.ipcam is not None:
        return bare(405)  # an IP camera's stream goes with its connection
    outcome = await manager.unpublish_stream(
        session_id, request.path_params["stream_id"], EndReason.FORCE_UNPUBLISH_BY_SERVER
    )
    return bare(204 if outcome is Outcome.DONE else 404)


async def create_token(request: Request) -> Response:
    """Deprecated ``POST /openvidu/api/tokens``: a WEBRTC connection, answered in ``Token.toJson`` shape."""
    params = await json_object(request, required=True)
    if params is None:
        return _error(EMPTY_BODY, "/tokens", 400)
    session_id = params.get("session")
    if session_id is not None and not isinstance(session_id, str):
        return _error("Type error in some parameter", "/tokens", 400)
    if session_id is None:
        return _error('"session" parameter is mandatory', "/tokens", 400)
    manager = runtime_of(request).sessions
    session = manager.get_session(session_id)
    if session is None or session.closing:
        return _error(f"Session {session_id} not found", "/tokens", 404)
    params = {key: value for key, value in params.items() if key != "record"}
    try:
        spec = connection_properties(params)
    except InvalidParams as exc:
        return _error(exc.message, f"/sessions/{session_id}/connection", 400)
    try:
        token = manager.new_connection(
            session_id, spec.role, spec.data, spec.kurento_options, spec.record, spec.ice_servers
        )
    except SessionNotFound:
        return _error(f"Session {session_id} not found", "/tokens", 404)
    return _json(ser.token_json(token))


async def signal(request: Request) -> Response:
    params = await json_object(request, required=True)
    if params is None:
        return _error(EMPTY_BODY, "/signal", 400)
    session_id, signal_type, data, to = (params.get(k) for k in ("session", "type", "data", "to"))
    if any(v is not None and not isinstance(v, str) for v in (session_id, signal_type, data)) or (
        to is not None and (not isinstance(to, list) or not all(i is None or isinstance(i, str) for i in to))
    ):
        return _error("Type error in some parameter", "/signal", 400)
    if session_id is None:
        return _error('"session" parameter is mandatory', "/signal", 400)
    session = runtime_of(request).sessions.get_session(session_id)
    if session is None or session.closing:
        return bare(404)
    if not session.active:
        return bare(406)
    targets = list(session.participants)
    if to:
        if any(cid is None or cid not in session.participants for cid in to):
            return _error('"to" array has no valid connection identifiers', "/signal", 406)
        targets = list(dict.fromkeys(to))
    signaling = find_part(request, SIGNALING)
    if signaling is not None:
        await signaling.send_rest_signal(session.session_id, targets, signal_type, data)
    manager = runtime_of(request).sessions
    manager.bus.publish(
        SignalSent(session.session_id, manager.clock(), None, tuple(targets), signal_type, data)
    )
    return Response(status_code=200)
