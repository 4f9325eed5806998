"""Request-body and query-parameter parsing shared by the handlers (Spring/Jackson semantics)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

import wirejson

_SPRING_TRUE = frozenset({"true", "on", "yes", "1"})
_SPRING_FALSE = frozenset({"false", "off", "no", "0"})
MISSING_BODY_MESSAGE = "Required request body is missing"
MAX_BODY_BYTES = 1024 * 1024
"""Largest REST request body read (every OpenVidu body is a few hundred bytes); more is a 400."""


ACCEPTED_JSON = "application/json, application/*+json"
"""What Spring's Jackson converter reads; the ``Accept`` header of its 415."""


class BadRequest(Exception):
    """A framework-level error before the controller: 400 (unparseable JSON, missing required body, bad query
    parameter) or 415 (a body that is not JSON)."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = headers or {}


def is_json_type(content_type: str) -> bool:
    """``application/json`` or ``application/<anything>+json``, any parameters (``;charset=UTF-8``)."""
    media = content_type.split(";", 1)[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def unsupported_media_type(content_type: str) -> BadRequest:
    """Spring's ``HttpMediaTypeNotSupportedException``: 415 with ``Accept`` naming the JSON types."""
    return BadRequest(f"Content type '{content_type}' not supported", 415, {"Accept": ACCEPTED_JSON})


async def json_object(request: Request, required: bool) -> dict[str, Any] | None:
    """The body as a JSON object; None if empty/``null`` and not required. Raises ``BadRequest``.

    As Spring's ``@RequestBody``: a body whose ``Content-Type`` is not JSON is 415 (which also keeps another web
    site from posting a ``text/plain`` or form body with a browser's cached Basic credentials); so is a body with
    no ``Content-Type`` (Spring reads it as ``application/octet-stream``); an empty body with none is no body."""
    content_type = request.headers.get("content-type", "").strip()
    if content_type and not is_json_type(content_type):
        raise unsupported_media_type(content_type)
    raw = await _bounded_body(request)
    if raw and not content_type:
        raise unsupported_media_type("application/octet-stream")
    if not raw.strip():
        if required:
            raise BadRequest(MISSING_BODY_MESSAGE)
        return None
    try:
        document = wirejson.loads(raw)
    except wirejson.WireJsonError as exc:
        raise BadRequest(f"JSON parse error: {exc}") from None
    if document is None:
        if required:
            raise BadRequest(MISSING_BODY_MESSAGE)
        return None
    if not isinstance(document, dict):
        raise BadRequest(
            "JSON parse error: Cannot deserialize instance of `java.util.HashMap` out of non-object token"
        )
    return document


async def _bounded_body(request: Request) -> bytes:
    """The request body, refused past :data:`MAX_BODY_BYTES` without reading (or buffering) the rest."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BadRequest(f"Request body larger than {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BadRequest(f"Request body larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def spring_bool(request: Request, name: str, default: bool = False) -> bool:
    """A boolean query parameter as Spring converts it (true/false/on/off/yes/no/1/0, empty = default)."""
    raw = request.query_params.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _SPRING_TRUE:
        return True
    if value in _SPRING_FALSE:
        return False
    raise BadRequest(
        f"Failed to convert value of type 'java.lang.String' to required type 'boolean'; value '{raw}'"
    )
