"""Spring Boot's framework error body, written before any controller runs (also by the Basic auth middleware)."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus

from server.core.serialize import dumps


def spring_timestamp() -> str:
    """Spring Boot 2.1 error timestamp, e.g. ``2019-07-29T10:11:12.345+0000``."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"


def framework_body(status: int, message: str, path: str) -> bytes:
    return dumps(
        {
            "timestamp": spring_timestamp(),
            "status": status,
            "error": HTTPStatus(status).phrase,
            "message": message,
            "path": path,
        }
    )
