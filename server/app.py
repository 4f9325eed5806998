"""The Starlette application: routes, middleware (CORS, Basic auth), error handlers and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from server.api import cdr, certificate, config, files, health, recordings, sessions, tokens
from server.api.body import BadRequest
from server.api.errors import bare, framework_error
from server.api232.routes import api232_routes
from server.assembly import assemble, build_runtime
from server.http.auth import BasicAuthMiddleware
from server.http.cors import CorsMiddleware
from server.settings import Settings


def rest_routes() -> list[BaseRoute]:
    """The OpenVidu 2.10/2.11 REST surface (the Pro routes are added by :mod:`server.assembly.pro`)."""
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
        Route("/api/recordings/start", recordings.start_recording, methods=["POST"]),
        Route("/api/recordings/stop/{recording_id}", recordings.stop_recording, methods=["POST"]),
        Route("/api/recordings", recordings.list_recordings, methods=["GET"]),
        Route("/api/recordings/{recording_id}", recordings.get_recording, methods=["GET"]),
        Route("/api/recordings/{recording_id}", recordings.delete_recording, methods=["DELETE"]),
        Route("/cdr", cdr.list_cdr_files, methods=["GET"]),
        Route("/cdr/{name}", cdr.get_cdr_file, methods=["GET"]),
        Route("/config", config.get_config, methods=["GET"]),
        Route("/config/openvidu-version", config.get_version, methods=["GET"]),
        Route("/config/openvidu-publicurl", config.get_publicurl, methods=["GET"]),
        Route("/config/openvidu-recording", config.get_recording, methods=["GET"]),
        Route("/config/openvidu-recording-path", config.get_recording_path, methods=["GET"]),
        Route("/config/openvidu-cdr", config.get_cdr, methods=["GET"]),
        Route("/accept-certificate", certificate.accept_certificate, methods=["GET"]),
        Route(health.HEALTH_PATH, health.get_health, methods=["GET"]),
        Route("/recordings/{file_path:path}", files.recording_file, methods=["GET"]),
        Route("/layouts/custom/{file_path:path}", files.custom_layout_file, methods=["GET"]),
    ]


async def _bad_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadRequest)
    response = framework_error(exc.status, exc.message, request.url.path)
    response.headers.update(exc.headers)
    return response


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's 405 names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(dict(request.scope, method="GET"))
        route_methods = getattr(route, "methods", None)
        if match is not Match.NONE and route_methods:
            methods.update(route_methods)
    return sorted(methods)


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
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response
    return bare(exc.status_code)


def create_app(settings: Settings) -> Starlette:
    rt, backend = build_runtime(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await rt.start()
        try:
            yield
        finally:
            await rt.stop()

    app = Starlette(
        routes=rest_routes() + api232_routes(settings),
        middleware=[
            Middleware(CorsMiddleware),
            Middleware(BasicAuthMiddleware, secret=settings.openvidu_secret, policy=rt.auth_policy),
        ],
        exception_handlers={BadRequest: _bad_request, HTTPException: _http_error},
        lifespan=lifespan,
    )
    assemble(app, rt, backend)
    return app
