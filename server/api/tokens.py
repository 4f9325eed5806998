"""``POST /api/tokens`` (spec §3.7)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import wirejson
from server.api.body import json_object
from server.api.errors import JSON, error_response
from server.core.enums import OpenViduRole
from server.core.manager import SessionNotFound
from server.core.serialize import dumps, token_json
from server.core.tokens import KurentoOptions
from server.runtime import runtime_of

TOKENS_PATH = "/api/tokens"
TYPE_ERROR = "Type error in some parameter"
KURENTO_OPTIONS_NOT_OBJECT = "Error in parameter 'kurentoOptions'. It is not a valid JSON object"
KURENTO_OPTIONS_TYPE_ERROR = "Type error in some parameter of 'kurentoOptions'"
_BANDWIDTH_KEYS = (
    "videoMaxRecvBandwidth",
    "videoMinRecvBandwidth",
    "videoMaxSendBandwidth",
    "videoMinSendBandwidth",
)


def parse_kurento_options(raw: dict[str, Any]) -> KurentoOptions:
    """Raises ``TypeError``/``ValueError`` on a bad inner type (numbers read as Gson ``getAsInt`` does)."""
    bandwidths = {key: wirejson.as_int(raw[key]) if key in raw else None for key in _BANDWIDTH_KEYS}
    filters: tuple[str, ...] = ()
    if "allowedFilters" in raw:
        items = raw["allowedFilters"]
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise TypeError("allowedFilters")
        filters = tuple(items)
    return KurentoOptions(
        video_max_recv_bandwidth=bandwidths["videoMaxRecvBandwidth"],
        video_min_recv_bandwidth=bandwidths["videoMinRecvBandwidth"],
        video_max_send_bandwidth=bandwidths["videoMaxSendBandwidth"],
        video_min_send_bandwidth=bandwidths["videoMinSendBandwidth"],
        allowed_filters=filters,
    )


async def create_token(request: Request) -> Response:
    params = await json_object(request, required=True)
    assert params is not None
    session_id, role_text, data = params.get("session"), params.get("role"), params.get("data")
    if any(value is not None and not isinstance(value, str) for value in (session_id, role_text, data)):
        return error_response(400, TYPE_ERROR, TOKENS_PATH)
    if session_id is None:
        return error_response(400, '"session" parameter is mandatory', TOKENS_PATH)
    raw_options = params.get("kurentoOptions")
    if raw_options is not None and not isinstance(raw_options, dict):
        return error_response(400, KURENTO_OPTIONS_NOT_OBJECT, TOKENS_PATH)
    try:
        role = OpenViduRole(role_text) if role_text is not None else OpenViduRole.PUBLISHER
    except ValueError:
        return error_response(400, f"Parameter role {role_text} is not defined", TOKENS_PATH)
    options: KurentoOptions | None = None
    if raw_options is not None:
        try:
            options = parse_kurento_options(raw_options)
        except (TypeError, ValueError):
            return error_response(400, KURENTO_OPTIONS_TYPE_ERROR, TOKENS_PATH)
    try:
        token = runtime_of(request).sessions.new_token(session_id, role, data or "", options)
    except SessionNotFound:
        return error_response(404, f"sessionId [{session_id}] not found", TOKENS_PATH)
    return Response(dumps(token_json(token)), media_type=JSON)
