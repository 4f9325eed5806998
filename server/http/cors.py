"""CORS as the original (``@CrossOrigin`` on every controller): any origin; preflights answered without auth."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_METHODS = b"GET, POST, DELETE, PUT, PATCH, OPTIONS"
ALLOW_HEADERS = b"Authorization, Content-Type"
PREFLIGHT_MAX_AGE_SECONDS = 1800


class CorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = b""
        request_method = b""
        request_headers = b""
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
            elif name == b"access-control-request-method":
                request_method = value
            elif name == b"access-control-request-headers":
                request_headers = value
        if not origin:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and request_method:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"access-control-allow-origin", b"*"),
                        (b"access-control-allow-methods", ALLOW_METHODS),
                        (b"access-control-allow-headers", request_headers or ALLOW_HEADERS),
                        (b"access-control-max-age", str(PREFLIGHT_MAX_AGE_SECONDS).encode()),
                        (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
                        (b"content-length", b"0"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"access-control-allow-origin", b"*"))
                headers.append((b"vary", b"Origin"))
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, send_with_cors)
