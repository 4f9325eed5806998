"""The Starlette application: routes, middleware (CORS, Basic auth), error handlers and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.api import certificate, config, sessions, tokens
from server.api.body import BadRequest
from server.api.errors import bare, framework_error
from server.cluster.install import install_pro
from server.http.auth import BasicAuthMiddleware
from server.http.cors import CorsMiddleware
from server.rpc.install import install_signaling
from server.runtime import Runtime
from server.settings import Settings


def rest_routes() -> list[BaseRoute]:
    """The OpenVidu 2.10/2.11 REST surface of this part (recordings, CDR, Pro come from their own modules)."""
    return [
        Route("/api/tokens", tokens.create_token, methods=["POST"]),  # the hottest path first
        Route("/api/sessions", sessions.create_session, methods=["POST"]),
        Route("/api/sessions", sessions.list_sessions, methods=["GET"]),
        Route("/api/sessions/{session_id}", sessions.get_session, methods=["GET"]),
        Route("/api/sessions/{session_id}", sessions.close_session, methods=["DELETE"]),
        Route(
            "/api/sessions/{session_id}/connection/{connection_id}",
            sessions.evict_connection,
            methods=["DELETE"],
        ),
        Route("/api/sessions/{session_id}/stream/{stream_id}", sessions.unpublish_stream, methods=["DELETE"]),
        Route("/config", config.get_config, methods=["GET"]),
        Route("/config/openvidu-version", config.get_version, methods=["GET"]),
        Route("/config/openvidu-publicurl", config.get_publicurl, methods=["GET"]),
        Route("/config/openvidu-recording", config.get_recording, methods=["GET"]),
        Route("/config/openvidu-recording-path", config.get_recording_path, methods=["GET"]),
        Route("/config/openvidu-cdr", config.get_cdr, methods=["GET"]),
        Route("/accept-certificate", certificate.accept_certificate, methods=["GET"]),
    ]


async def _bad_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadRequest)
    return framework_error(400, exc.message, request.url.path)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        message = (
            "No message available"
            if exc.status_code == 404
            else f"Request method '{request.method}' not supported"
        )
        response = framework_error(exc.status_code, message, request.url.path)
        if exc.headers:
            response.headers.update(exc.headers)
        return response
    return bare(exc.status_code)


def create_app(settings: Settings, runtime: Runtime | None = None) -> Starlette:
    rt = runtime if runtime is not None else Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await rt.start()
        try:
            yield
        finally:
            await rt.stop()

    app = Starlette(
        routes=rest_routes(),
        middleware=[
            Middleware(CorsMiddleware),
            Middleware(BasicAuthMiddleware, secret=settings.openvidu_secret, policy=rt.auth_policy),
        ],
        exception_handlers={BadRequest: _bad_request, HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.runtime = rt
    install_signaling(app, rt)
    install_pro(app, rt)
    return app
