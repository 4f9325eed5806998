"""Wire the metrics into the app: live session and media-server figures, the webhook queue, recordings, and the
optional plain listener (``openvidu.metrics.port``).

Runs after :func:`server.assembly.pro.install_pro`: the registry is the stats gatherer's, already served by
``GET /metrics`` behind the Basic auth. REST latency and signaling outcomes are registered first, by
:func:`server.assembly.assemble` (the signaling service is made with its outcome hook).
"""

from __future__ import annotations

from server.api.pro import ProState
from server.events.webhook import WebhookSink
from server.media.servers import MediaServers
from server.observability.listener import MetricsListener
from server.observability.recordings import RecordingEvents, RecordingsCollector
from server.observability.sessions import SessionsCollector
from server.observability.webhook import WEBHOOK_SUBSCRIPTION, WebhookCollector
from server.runtime import Runtime


def install_metrics(runtime: Runtime, pro: ProState, media: MediaServers, event_sinks: list[object]) -> None:
    settings = runtime.settings
    metrics = pro.stats.metrics
    registry = metrics.registry
    registry.register(
        SessionsCollector(
            runtime.sessions.sessions,
            lambda: media.pool.servers,
            pro.picker.load_of,
            settings.openvidu_pro_cluster_load_strategy,
        )
    )
    webhooks = [sink for sink in event_sinks if isinstance(sink, WebhookSink)]
    registry.register(WebhookCollector(lambda: webhooks, lambda: runtime.bus.backlog(WEBHOOK_SUBSCRIPTION)))
    recordings = RecordingEvents()
    runtime.bus.subscribe(recordings.handle, "recording-metrics")
    registry.register(RecordingsCollector(recordings))
    if settings.openvidu_metrics_port:
        runtime.add_component(
            MetricsListener(settings.openvidu_metrics_address, settings.openvidu_metrics_port, metrics.render)
        )
