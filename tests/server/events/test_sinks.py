"""The CDR file and webhook sinks, fed through the real event bus."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from server.core.enums import EndReason
from server.core.events import EventBus, ParticipantJoined, SessionCreated, SessionDestroyed
from server.events.cdr import CdrFileSink
from server.events.webhook import WebhookSink, parse_headers, webhook_body
from tests.support.webhook_receiver import WebhookReceiver


async def test_cdr_file_lines(tmp_path: Path) -> None:
    bus = EventBus()
    sink = CdrFileSink(tmp_path / "cdr")
    bus.subscribe(sink.handle)
    await bus.start()
    bus.publish(SessionCreated("ses1", 1000))
    bus.publish(ParticipantJoined("ses1", 2000, "con1", "unknown", "Chrome"))
    bus.publish(SessionDestroyed("ses1", 5500, 1000, EndReason.LAST_PARTICIPANT_LEFT))
    await bus.drain()
    await bus.stop(1.0)
    sink.close()
    files = list((tmp_path / "cdr").iterdir())
    assert len(files) == 1
    assert re.fullmatch(r"CDR\.\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.log", files[0].name)
    lines = files[0].read_text().splitlines()
    assert lines[0] == '{"sessionCreated":{"sessionId":"ses1","timestamp":1000}}'
    assert json.loads(lines[1]) == {
        "participantJoined": {
            "sessionId": "ses1",
            "timestamp": 2000,
            "participantId": "con1",
            "location": "unknown",
            "platform": "Chrome",
        }
    }
    assert json.loads(lines[2])["sessionDestroyed"] == {
        "sessionId": "ses1",
        "timestamp": 5500,
        "startTime": 1000,
        "duration": 4,
        "reason": "lastParticipantLeft",
    }


def test_webhook_body_has_event_last() -> None:
    body = json.loads(webhook_body(ParticipantJoined("s", 1, "c", "unknown", "p")))
    assert list(body)[-1] == "event"
    assert body["event"] == "participantJoined"
    assert parse_headers(["Authorization: Basic x", "bad", "X-A: b: c"]) == [
        ("Authorization", "Basic x"),
        ("X-A", "b: c"),
    ]


async def test_webhook_retries_connection_failures_keeps_order_and_filters() -> None:
    with WebhookReceiver(fail_first=2, fail_with=None) as receiver:
        bus = EventBus()
        sink = WebhookSink(
            receiver.url,
            [("Authorization", "Basic abc")],
            ["sessionCreated", "sessionDestroyed"],
            retry_pause=0.05,
        )
        bus.subscribe(sink.handle)
        await bus.start()
        bus.publish(SessionCreated("s1", 1))
        bus.publish(ParticipantJoined("s1", 2, "c", "unknown", "p"))  # not selected
        bus.publish(SessionDestroyed("s1", 3, 1, EndReason.SESSION_CLOSED_BY_SERVER))
        await bus.drain()
        await bus.stop(1.0)
        await sink.close()
        events = await asyncio.to_thread(receiver.wait_for, lambda ev: len(ev) >= 2)
    assert [e["event"] for e in events] == ["sessionCreated", "sessionDestroyed"]
    assert receiver.attempts == 4  # two dropped connections retried, then two deliveries
    assert receiver.received[0]["headers"]["Authorization"] == "Basic abc"
    assert receiver.received[0]["headers"]["Content-Type"] == "application/json"
    assert sink.delivered == 2 and sink.dropped == 0


async def test_webhook_gives_up_after_bounded_attempts() -> None:
    with WebhookReceiver(fail_first=100, fail_with=None) as receiver:
        sink = WebhookSink(receiver.url, [], ["sessionCreated"], max_attempts=3, retry_pause=0.01)
        await sink.handle(SessionCreated("s1", 1))
        await sink.close()
    assert receiver.attempts == 3  # connection failures: retried, then dropped
    assert sink.dropped == 1 and sink.delivered == 0


async def test_webhook_non_200_answer_is_dropped_not_retried() -> None:
    """Only 200 is success; any other answer (a 204, a 500) is logged and the event dropped, never re-sent."""
    for status in (204, 500):
        with WebhookReceiver(fail_first=1, fail_with=status) as receiver:
            sink = WebhookSink(receiver.url, [], ["sessionCreated", "sessionDestroyed"], retry_pause=0.01)
            await sink.handle(SessionCreated("s1", 1))
            await sink.handle(SessionDestroyed("s1", 2, 1, EndReason.LAST_PARTICIPANT_LEFT))
            await sink.close()
        assert receiver.attempts == 2, status  # one POST per event
        assert [e["event"] for e in receiver.events()] == ["sessionDestroyed"]
        assert sink.dropped == 1 and sink.delivered == 1
