"""HTTP surface of the Inspector (all under ``/inspector``, behind the REST API's Basic auth).

- ``GET /inspector``: the console page; ``/inspector/static/*``: its scripts, styles and icons (package data);
- ``GET /inspector/events``: the live push stream (Server-Sent Events, channels of
  :mod:`server.inspector.snapshot`); 503 when ``openvidu.inspector.max-consoles`` are open;
- ``GET /inspector/api/state``: the same channels once, as one JSON object;
- ``GET /inspector/api/history[?sessionId=]``: finished sessions from the CDR files;
- ``GET /inspector/api/properties``: the properties ``POST /pro/restart`` accepts, with their current values;
- ``POST /inspector/api/sessions/<id>/signal`` ``{type?, data?, to?}``: a signal from the server to the
  session's participants (what the 2.10/2.11 REST API lacks).

Moderation the REST API already offers (close, force-disconnect, force-unpublish, recordings, media servers,
restart) is called by the page on the REST paths themselves.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from server.api.errors import JSON, bare, error_response
from server.api.pro import ProState
from server.core.serialize import dumps
from server.inspector.feed import LiveFeed
from server.inspector.history import read_history
from server.inspector.snapshot import Snapshotter
from server.parts import PartKey, part
from server.restart import RESTARTABLE
from server.settings.kinds import BoolKind, EnumKind, IntKind, ListKind, SecondsKind

INSPECTOR: PartKey[InspectorState] = PartKey("inspector")

PREFIX = "/inspector"
STATIC_DIR = Path(__file__).resolve().parent / "static"
KEEPALIVE_SECONDS = 15.0
"""An SSE comment is sent after this many quiet seconds, so proxies keep the stream open."""
MAX_SIGNAL_BODY = 64 * 1024
MAX_SIGNAL_TYPE = 100
MAX_QUERY = 200
SECRET_PROPERTIES = frozenset({"openvidu.secret"})
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass
class InspectorState:
    pro: ProState
    snapshot: Snapshotter
    feed: LiveFeed


def _state(request: Request) -> InspectorState:
    state = part(request, INSPECTOR)
    return state


def _json(document: Any, status: int = 200) -> Response:
    return Response(dumps(document), status_code=status, media_type=JSON)


async def page(request: Request) -> Response:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_HEADERS)


async def events(request: Request) -> Response:
    feed = _state(request).feed
    console = feed.open()
    if console is None:
        reason = "The server is shutting down" if feed.closed else "Too many Inspector consoles open"
        return Response(reason, status_code=503, media_type="text/plain")

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 1000\n\n"
            while True:
                try:
                    message = await asyncio.wait_for(console.queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                if message is None:
                    return
                yield message
        finally:
            feed.close(console)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def state_once(request: Request) -> Response:
    channels = _state(request).snapshot.build()
    body = b"{" + b",".join(b'"' + name.encode() + b'":' + data for name, data in channels.items()) + b"}"
    return Response(body, media_type=JSON)


async def history(request: Request) -> Response:
    query = request.query_params.get("sessionId", "")
    if len(query) > MAX_QUERY:
        return error_response(400, f"sessionId is longer than {MAX_QUERY} characters", request.url.path)
    settings = _state(request).pro.runtime.settings
    document = await asyncio.to_thread(read_history, Path(settings.openvidu_cdr_path), query)
    document["cdr"] = settings.openvidu_cdr
    return _json(document)


def _json_type(kind: object) -> str:
    if isinstance(kind, BoolKind):
        return "boolean"
    if isinstance(kind, IntKind):
        return "integer"
    if isinstance(kind, SecondsKind):
        return "number"
    if isinstance(kind, ListKind):
        return "array"
    return "string"


async def properties(request: Request) -> Response:
    settings = _state(request).pro.runtime.settings
    content = []
    for name, spec in RESTARTABLE.items():
        item: dict[str, Any] = {
            "name": name,
            "type": _json_type(spec.kind),
            "allowed": spec.kind.describe(),
            "doc": spec.doc,
            "value": getattr(settings, spec.field),
        }
        if isinstance(spec.kind, EnumKind):
            item["choices"] = list(spec.kind.choices)
        if isinstance(item["value"], tuple):
            item["value"] = list(item["value"])
        if name in SECRET_PROPERTIES:
            item["value"] = None  # never shown; the form sends it only when typed
            item["secret"] = True
        content.append(item)
    return _json({"numberOfElements": len(content), "content": content})


async def _limited_body(request: Request, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _signal_params(body: bytes) -> tuple[str, str, list[str] | None] | str:
    """``(type, data, to)`` of a signal request, or the 400 message."""
    try:
        document = json.loads(body) if body.strip() else {}
    except (ValueError, UnicodeDecodeError):
        return "The body must be a JSON object"
    if not isinstance(document, dict):
        return "The body must be a JSON object"
    signal_type = document.get("type", "")
    data = document.get("data", "")
    to = document.get("to")
    if not isinstance(signal_type, str) or len(signal_type) > MAX_SIGNAL_TYPE:
        return f'"type" must be a string of at most {MAX_SIGNAL_TYPE} characters'
    if not isinstance(data, str):
        return '"data" must be a string'
    if to is not None and not (isinstance(to, list) and all(isinstance(c, str) for c in to)):
        return '"to" must be an array of connection ids'
    return signal_type, data, to


async def send_signal(request: Request) -> Response:
    state = _state(request)
    path = request.url.path
    if request.headers.get("content-type", "").split(";")[0].strip() != JSON:
        return error_response(415, "Content-Type must be application/json", path)
    body = await _limited_body(request, MAX_SIGNAL_BODY)
    if body is None:
        return error_response(413, f"The body is larger than {MAX_SIGNAL_BODY} bytes", path)
    parsed = _signal_params(body)
    if isinstance(parsed, str):
        return error_response(400, parsed, path)
    signal_type, data, to = parsed
    session = state.pro.runtime.sessions.get_session(request.path_params["session_id"])
    if session is None:
        return bare(404)
    if to:
        missing = [cid for cid in to if cid not in session.participants]
        if missing:
            return error_response(
                406, f"Connection {missing[0]} is not in session {session.session_id}", path
            )
        recipients = list(dict.fromkeys(to))
    else:
        recipients = list(session.participants)
    if not recipients:
        return error_response(406, f"Session {session.session_id} has no participants", path)
    # As OpenVidu 2.12+ signals from the server: no "from", type "signal[:<type>]".
    full_type = f"signal:{signal_type}" if signal_type else "signal"
    await state.pro.signaling.send_rest_signal(session.session_id, recipients, full_type, data)
    return _json({"recipients": recipients, "type": full_type})


def inspector_routes() -> list[BaseRoute]:
    return [
        Route(PREFIX, page, methods=["GET"]),
        Route(PREFIX + "/events", events, methods=["GET"]),
        Route(PREFIX + "/api/state", state_once, methods=["GET"]),
        Route(PREFIX + "/api/history", history, methods=["GET"]),
        Route(PREFIX + "/api/properties", properties, methods=["GET"]),
        Route(PREFIX + "/api/sessions/{session_id}/signal", send_signal, methods=["POST"]),
        Mount(PREFIX + "/static", app=StaticFiles(directory=STATIC_DIR), name="inspector-static"),
    ]
