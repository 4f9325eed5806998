"""Wire the metrics into the app: REST latency, signaling outcomes, live session and media-server figures, the
webhook queue, recordings, and the optional plain listener (``openvidu.metrics.port``).

Runs after :func:`server.assembly.pro.install_pro`: the registry is the stats gatherer's, already served by
``GET /metrics`` behind the Basic auth.
"""

from __future__ import annotations

from starlette.applications import Starlette

from server.api.pro import ProState
from server.events.webhook import WebhookSink
from server.media.servers import MediaServers
from server.observability.listener import MetricsListener
from server.observability.recordings import RecordingEvents, RecordingsCollector
from server.observability.rest import RestMetrics
from server.observability.sessions import SessionsCollector
from server.observability.signaling import SignalingMetrics
from server.observability.webhook import WEBHOOK_SUBSCRIPTION, WebhookCollector
from server.rpc.service import SignalingService
from server.runtime import Runtime


def install_metrics(
    app: Starlette, runtime: Runtime, pro: ProState, service: SignalingService, media: MediaServers
) -> None:
    settings = runtime.settings
    metrics = pro.stats.metrics
    registry = metrics.registry
    app.state.rest_metrics = RestMetrics(registry)
    signaling = SignalingMetrics(registry)
    service.on_outcome = signaling.outcome
    registry.register(
        SessionsCollector(
            runtime.sessions.sessions,
            lambda: media.pool.servers,
            pro.picker.load_of,
            settings.openvidu_pro_cluster_load_strategy,
        )
    )
    webhooks = [sink for sink in app.state.event_sinks if isinstance(sink, WebhookSink)]
    registry.register(WebhookCollector(lambda: webhooks, lambda: runtime.bus.backlog(WEBHOOK_SUBSCRIPTION)))
    recordings = RecordingEvents()
    runtime.bus.subscribe(recordings.handle, "recording-metrics")
    app.state.recording_metrics = RecordingsCollector(recordings)
    registry.register(app.state.recording_metrics)
    if settings.openvidu_metrics_port:
        runtime.add_component(
            MetricsListener(settings.openvidu_metrics_address, settings.openvidu_metrics_port, metrics.render)
        )
