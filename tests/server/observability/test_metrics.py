"""The metrics collectors and the plain metrics listener, each alone with real parts: the event bus, a webhook
sink POSTing to a closed port, the Starlette app through its test client, a real HTTP listener."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpx
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from server.api.pro import PRO
from server.app import create_app
from server.core.events import (
    EventBus,
    RecordingInfo,
    RecordingStarted,
    RecordingStatusChanged,
    RecordingStopped,
    SessionCreated,
)
from server.events import install_event_sinks
from server.events.webhook import WebhookSink
from server.observability.listener import MetricsListener
from server.observability.recordings import RecordingEvents, RecordingsCollector
from server.observability.signaling import SignalingMetrics
from server.observability.webhook import WEBHOOK_SUBSCRIPTION, WebhookCollector
from server.parts import parts_of_app
from server.settings import Settings
from tests.support.procs import LOOPBACK, free_port


def samples(text: bytes | str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``{(sample name, sorted labels): value}`` of a Prometheus text page."""
    page = text.decode() if isinstance(text, bytes) else text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
    }


def value(page: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return page[(name, tuple(sorted(labels.items())))]


def recording(rec_id: str, mode: str, status: str) -> RecordingInfo:
    return RecordingInfo(rec_id, rec_id, mode, None, None, None, True, True, 0, 0.0, status)


async def test_recordings_in_progress_and_failures_follow_the_bus_events() -> None:
    bus = EventBus()
    tracker = RecordingEvents()
    bus.subscribe(tracker.handle, "recording-metrics")
    registry = CollectorRegistry()
    registry.register(RecordingsCollector(tracker))
    await bus.start()
    page = samples(generate_latest(registry))
    assert value(page, "openvidu_recordings_in_progress", output_mode="COMPOSED") == 0
    assert value(page, "openvidu_recording_failures_total", output_mode="INDIVIDUAL") == 0

    bus.publish(RecordingStatusChanged("s1", 1000, 1000, None, recording("s1", "COMPOSED", "starting")))
    bus.publish(RecordingStarted("s1", 1100, recording("s1", "COMPOSED", "started")))
    bus.publish(RecordingStarted("s2", 1200, recording("s2", "INDIVIDUAL", "started")))
    bus.publish(RecordingStatusChanged("s3", 1300, 1300, None, recording("s3", "COMPOSED", "started")))
    await bus.drain()
    page = samples(generate_latest(registry))
    assert value(page, "openvidu_recordings_in_progress", output_mode="COMPOSED") == 2
    assert value(page, "openvidu_recordings_in_progress", output_mode="INDIVIDUAL") == 1

    bus.publish(RecordingStatusChanged("s3", 1400, 1300, None, recording("s3", "COMPOSED", "failed")))
    bus.publish(RecordingStopped("s2", 1500, 1200, None, recording("s2", "INDIVIDUAL", "stopped")))
    bus.publish(RecordingStatusChanged("s2", 1600, 1200, None, recording("s2", "INDIVIDUAL", "ready")))
    # A recording that fails after it stopped counts as a failure, and is not in progress twice.
    bus.publish(RecordingStatusChanged("s1", 1700, 1000, None, recording("s1", "COMPOSED", "stopped")))
    bus.publish(RecordingStatusChanged("s1", 1800, 1000, None, recording("s1", "COMPOSED", "failed")))
    await bus.drain()
    await bus.stop(1.0)
    page = samples(generate_latest(registry))
    assert value(page, "openvidu_recordings_in_progress", output_mode="COMPOSED") == 0
    assert value(page, "openvidu_recordings_in_progress", output_mode="INDIVIDUAL") == 0
    assert value(page, "openvidu_recording_failures_total", output_mode="COMPOSED") == 2
    assert value(page, "openvidu_recording_failures_total", output_mode="INDIVIDUAL") == 0


async def test_webhook_queue_depth_retries_and_drops() -> None:
    bus = EventBus()
    settings = Settings(
        openvidu_webhook=True,
        openvidu_webhook_endpoint=f"http://{LOOPBACK}:{free_port()}/hook",  # nothing listens there
        openvidu_webhook_events=("sessionCreated",),
    )
    (sink,) = install_event_sinks(bus, settings)
    assert isinstance(sink, WebhookSink)
    sink.max_attempts, sink.retry_pause = 3, 0.01
    registry = CollectorRegistry()
    registry.register(WebhookCollector(lambda: [sink], lambda: bus.backlog(WEBHOOK_SUBSCRIPTION)))
    for index in range(4):
        bus.publish(SessionCreated(f"s{index}", 1000 + index))
    page = samples(generate_latest(registry))
    assert value(page, "openvidu_webhook_enabled") == 1
    assert value(page, "openvidu_webhook_queue_depth") == 4  # the sender has not started
    await bus.start()
    await bus.drain()
    await bus.stop(1.0)
    await sink.close()
    page = samples(generate_latest(registry))
    assert value(page, "openvidu_webhook_queue_depth") == 0
    assert value(page, "openvidu_webhook_retries_total") == 4 * 2  # 3 attempts: 2 retries per event
    assert value(page, "openvidu_webhook_dropped_total") == 4
    assert value(page, "openvidu_webhook_delivered_total") == 0


def test_webhook_off_reports_zero() -> None:
    registry = CollectorRegistry()
    registry.register(WebhookCollector(list, lambda: 0))
    page = samples(generate_latest(registry))
    assert value(page, "openvidu_webhook_enabled") == 0 and value(page, "openvidu_webhook_dropped_total") == 0


def test_signaling_outcomes_count_requests_and_errors() -> None:
    registry = CollectorRegistry()
    metrics = SignalingMetrics(registry)
    for method, code in [("joinRoom", None), ("joinRoom", 401), ("publishVideo", None), ("unknown", 803)]:
        metrics.outcome(method, code)
    page = samples(generate_latest(registry))
    assert value(page, "openvidu_rpc_requests_total", method="joinRoom") == 2
    assert value(page, "openvidu_rpc_errors_total", method="joinRoom", code="401") == 1
    assert value(page, "openvidu_rpc_errors_total", method="unknown", code="803") == 1
    assert ("openvidu_rpc_errors_total", (("code", "None"), ("method", "publishVideo"))) not in page


def _histogram_counts(
    page: dict[tuple[str, tuple[tuple[str, str], ...]], float],
) -> dict[tuple[str, ...], float]:
    return {
        tuple(v for _, v in labels): count
        for (name, labels), count in page.items()
        if name == "openvidu_rest_request_duration_seconds_count"
    }


async def test_rest_latency_is_labelled_by_route_template_and_status() -> None:
    app = create_app(Settings(kms_uris=()))
    transport = httpx.ASGITransport(app=app)
    auth = ("OPENVIDUAPP", "MY_SECRET")
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        assert (await client.get("/config/openvidu-publicurl")).status_code == 200
        for session_id in ("abc", "def"):
            assert (await client.get(f"/api/sessions/{session_id}", auth=auth)).status_code == 404
        assert (await client.get("/api/sessions/abc")).status_code == 401
        assert (await client.get("/no/such/path", auth=auth)).status_code == 404
        assert (await client.request("BREW", "/health")).status_code == 405
    counts = _histogram_counts(samples(parts_of_app(app).get(PRO).stats.metrics.render()))
    # labels sorted by name: method, route, status
    assert counts[("GET", "/config/openvidu-publicurl", "200")] == 1
    assert counts[("GET", "/api/sessions/{session_id}", "404")] == 2
    assert counts[("GET", "/api/sessions/{session_id}", "401")] == 1
    assert counts[("GET", "unmatched", "404")] == 1
    assert counts[("other", "/health", "405")] == 1
    assert not any("abc" in key[1] for key in counts)


async def test_plain_listener_serves_metrics_without_auth_and_stops() -> None:
    port = free_port()
    rendered: list[int] = []

    def render() -> bytes:
        rendered.append(1)
        return b"# TYPE demo gauge\ndemo 1.0\n"

    listener = MetricsListener(LOOPBACK, port, render)
    await listener.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://{LOOPBACK}:{port}") as client:
            page = await client.get("/metrics?x=1")
            assert page.status_code == 200 and page.text == "# TYPE demo gauge\ndemo 1.0\n"
            assert page.headers["content-type"].startswith("text/plain; version=0.0.4")
            assert (await client.get("/")).status_code == 404
    finally:
        await listener.stop()
    assert rendered == [1]
    try:
        await asyncio.wait_for(asyncio.open_connection(LOOPBACK, port), 2)
    except OSError:
        pass
    else:
        raise AssertionError("the listener still accepts connections after stop()")


async def test_plain_listener_reports_a_busy_port() -> None:
    port = free_port()
    first = MetricsListener(LOOPBACK, port, bytes)
    await first.start()
    try:
        second = MetricsListener(LOOPBACK, port, bytes)
        try:
            await second.start()
        except RuntimeError as exc:
            assert "openvidu.metrics.port" in str(exc)
        else:
            await second.stop()
            raise AssertionError("a second listener on the same port started")
    finally:
        await first.stop()


def _names(pages: Iterable[str]) -> set[str]:
    return {family.name for page in pages for family in text_string_to_metric_families(page)}


def test_every_required_family_is_exported() -> None:
    app = create_app(Settings(kms_uris=()))
    names = _names([parts_of_app(app).get(PRO).stats.metrics.render().decode()])
    for name in (
        "openvidu_sessions",
        "openvidu_participants",
        "openvidu_publishers",
        "openvidu_subscribers",
        "openvidu_media_server_connected",
        "openvidu_media_server_load",
        "openvidu_rest_request_duration_seconds",
        "openvidu_rpc_requests",
        "openvidu_rpc_errors",
        "openvidu_webhook_queue_depth",
        "openvidu_webhook_retries",
        "openvidu_webhook_dropped",
        "openvidu_recordings_in_progress",
        "openvidu_recording_failures",
        "process_cpu_seconds",
        "process_resident_memory_bytes",
    ):
        assert name in names, name
