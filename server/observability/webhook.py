"""The webhook sink's queue depth, deliveries, retries and drops (read from the sinks at each scrape)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from server.events.webhook import WebhookSink

WEBHOOK_SUBSCRIPTION = "webhook"
"""Name of the webhook's subscription on the event bus (:func:`server.events.install_event_sinks`)."""


class WebhookCollector(Collector):
    def __init__(self, sinks: Callable[[], Sequence[WebhookSink]], backlog: Callable[[], int]) -> None:
        self._sinks = sinks
        self._backlog = backlog

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        sinks = list(self._sinks())
        yield GaugeMetricFamily(
            "openvidu_webhook_enabled", "1 when the webhook is on (openvidu.webhook)", value=1 if sinks else 0
        )
        yield GaugeMetricFamily(
            "openvidu_webhook_queue_depth", "Events waiting for the webhook sender", value=self._backlog()
        )
        yield CounterMetricFamily(
            "openvidu_webhook_delivered",
            "Events the webhook endpoint accepted (HTTP 200)",
            value=sum(sink.delivered for sink in sinks),
        )
        yield CounterMetricFamily(
            "openvidu_webhook_retries",
            "Webhook POSTs retried after a connection failure",
            value=sum(sink.retries for sink in sinks),
        )
        yield CounterMetricFamily(
            "openvidu_webhook_dropped",
            "Webhook events given up (a non-200 answer, or connection failures on every attempt)",
            value=sum(sink.dropped for sink in sinks),
        )
