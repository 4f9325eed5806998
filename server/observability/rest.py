"""REST request latency: a histogram by method, route template and status, from a pure ASGI middleware.

The route is the template of the route that served the request (``/api/sessions/{session_id}``), never the raw
path, so ids cannot multiply the series; requests no route serves are ``route="unmatched"`` and unusual methods
``method="other"``. The websocket (signaling) is measured by :mod:`.signaling`, not here. The middleware is given
its histogram at construction (:mod:`server.assembly` adds it, outermost).
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
OTHER_METHOD = "other"
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"})
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.duration = Histogram(
            "openvidu_rest_request_duration_seconds",
            "REST request latency, by method, route template and status",
            ["method", "route", "status"],
            buckets=BUCKETS,
            registry=registry,
        )
        # Labelled children by (method, route, status): a bounded set (routes x methods x statuses) kept here
        # so the hot path skips the label lookup of prometheus_client.
        self._children: dict[tuple[str, str, int], Any] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method if method in METHODS else OTHER_METHOD, route, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.duration.labels(key[0], route, str(status))
        child.observe(seconds)


def route_template(scope: Scope) -> str:
    """The path template of the route that served (or would serve) this request."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    app = scope.get("app")
    router = getattr(app, "router", None)
    for candidate in getattr(router, "routes", ()):
        match, _ = candidate.matches(scope)
        if match is not Match.NONE and isinstance(getattr(candidate, "path", None), str):
            return str(candidate.path)
    return UNMATCHED


class RestMetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: RestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        metrics = self.metrics
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response started is answered 500 by the server

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            metrics.observe(scope["method"], route_template(scope), status, time.perf_counter() - started)
