"""Event sinks fed by the core event bus: the CDR file and the webhook."""

from __future__ import annotations

from server.core.events import EventBus
from server.events.cdr import CdrFileSink
from server.events.webhook import WebhookSink, parse_headers
from server.settings import Settings


def install_event_sinks(bus: EventBus, settings: Settings) -> list[object]:
    """Subscribe the sinks enabled by ``openvidu.cdr`` / ``openvidu.webhook``; returns them."""
    sinks: list[object] = []
    if settings.openvidu_cdr:
        cdr = CdrFileSink(settings.openvidu_cdr_path)
        bus.subscribe(cdr.handle, "cdr-file")
        sinks.append(cdr)
    if settings.openvidu_webhook and settings.openvidu_webhook_endpoint:
        webhook = WebhookSink(
            settings.openvidu_webhook_endpoint,
            parse_headers(settings.openvidu_webhook_headers),
            settings.openvidu_webhook_events,
        )
        bus.subscribe(webhook.handle, "webhook")
        sinks.append(webhook)
    return sinks
