"""HTTP Basic authentication of user ``OPENVIDUAPP`` (spec §1.2/§1.3), as a pure ASGI middleware.

Every REST path needs credentials (including the DELETE paths that 2.10/2.11 left open); only
``/config/openvidu-publicurl`` (and its ``/openvidu/api`` twin) stays public. A wrong ``Authorization: Basic`` header is refused on any path, as
Spring's filter did. Failures answer 401 with ``WWW-Authenticate: Basic realm="Realm"`` (the Java client needs
the challenge). The expected header is precomputed; comparisons use ``hmac.compare_digest``.
The middleware also drops one trailing slash from paths (Spring matched ``/api/sessions/`` like ``/api/sessions``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

from server.http.errors import framework_body

USER = "OPENVIDUAPP"
REALM_CHALLENGE = b'Basic realm="Realm"'
UNAUTHORIZED_MESSAGE = "Unauthorized"


@dataclass
class AuthPolicy:
    """Which paths need credentials (``protected_prefixes``: the REST surfaces' own; ``extra_protected``: the
    Pro parts' added by the assembly) and which are public (``public_prefixes``: e.g. public recordings)."""

    protected_prefixes: tuple[str, ...] = (
        "/api",
        "/config",
        "/cdr",
        "/pro",
        "/recordings",
        "/layouts",
        "/openvidu/api",
        "/openvidu/cdr",
        "/openvidu/recordings",
        "/openvidu/layouts",
    )
    public_paths: frozenset[str] = frozenset(
        {"/config/openvidu-publicurl", "/openvidu/api/config/openvidu-publicurl"}
    )
    public_prefixes: tuple[str, ...] = field(default=())
    extra_protected: tuple[str, ...] = field(default=())

    def requires_auth(self, path: str) -> bool:
        if path in self.public_paths:
            return False
        if any(_under(path, prefix) for prefix in self.public_prefixes):
            return False
        return any(_under(path, prefix) for prefix in self.protected_prefixes) or any(
            _under(path, prefix) for prefix in self.extra_protected
        )


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def basic_header(secret: str) -> bytes:
    return b"Basic " + base64.b64encode(f"{USER}:{secret}".encode())


class BasicCredentials:
    """Checks an ``Authorization`` header value against ``OPENVIDUAPP:<secret>``."""

    def __init__(self, secret: str) -> None:
        self._expected_header = basic_header(secret)
        self._user = USER.encode()
        self._secret = secret.encode()

    def check(self, header: bytes) -> bool:
        if hmac.compare_digest(header, self._expected_header):
            return True
        scheme, _, encoded = header.strip().partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        user, sep, password = decoded.partition(b":")
        user_ok = hmac.compare_digest(user, self._user)
        password_ok = hmac.compare_digest(password, self._secret)
        return bool(sep) and user_ok and password_ok


def _is_basic(header: bytes) -> bool:
    return header[:6].lower() == b"basic "


class BasicAuthMiddleware:
    def __init__(self, app: ASGIApp, secret: str, policy: AuthPolicy) -> None:
        self.app = app
        self.credentials = BasicCredentials(secret)
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/") or "/"
            scope = dict(scope, path=path)
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        header = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value
                break
        if header:
            if self.credentials.check(header):
                await self.app(scope, receive, send)
                return
            if _is_basic(header) or self.policy.requires_auth(path):
                await _unauthorized(path, send)
                return
        elif self.policy.requires_auth(path):
            await _unauthorized(path, send)
            return
        await self.app(scope, receive, send)


async def _unauthorized(path: str, send: Send) -> None:
    body = framework_body(401, UNAUTHORIZED_MESSAGE, path)
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"www-authenticate", REALM_CHALLENGE),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
