"""Error responses of spec §1.4: controller error bodies, bare statuses and Spring-Boot framework errors."""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import Response

from server.core.clock import now_ms
from server.core.serialize import dumps
from server.http.errors import framework_body

JSON = "application/json"


def error_response(status: int, message: str, path: str) -> Response:
    """``generateErrorResponse``: ``{timestamp (epoch ms), status, error, message, path}``."""
    body = {
        "timestamp": now_ms(),
        "status": status,
        "error": HTTPStatus(status).phrase,
        "message": message,
        "path": path,
    }
    return Response(dumps(body), status_code=status, media_type=JSON)


def bare(status: int) -> Response:
    """A status with no body at all (``new ResponseEntity<>(status)``)."""
    return Response(status_code=status)


def framework_error(status: int, message: str, path: str) -> Response:
    """Errors raised before the controller (bad JSON, missing body, unknown path, wrong method)."""
    return Response(framework_body(status, message, path), status_code=status, media_type=JSON)
