"""Signaling (browser JSON-RPC) requests by method, and their errors by method and OpenVidu error code.

Fed by :attr:`server.rpc.service.SignalingService.on_outcome`, which reports every request the service handles
(methods it does not know as ``unknown``, so the labels stay bounded). ``ping`` and the Kurento-level
``connect``/``closeSession`` are answered by the websocket loop itself and are not counted.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class SignalingMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "openvidu_rpc_requests", "Signaling requests handled, by method", ["method"], registry=registry
        )
        self.errors = Counter(
            "openvidu_rpc_errors",
            "Signaling requests that ended in an error, by method and OpenVidu error code",
            ["method", "code"],
            registry=registry,
        )

    def outcome(self, method: str, code: int | None) -> None:
        self.requests.labels(method).inc()
        if code is not None:
            self.errors.labels(method, str(code)).inc()
