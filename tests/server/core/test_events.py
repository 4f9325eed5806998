"""The event bus (ordering, isolation of sinks, draining) and the CDR property order of each event."""

from __future__ import annotations

import asyncio

from server.core.enums import EndReason
from server.core.events import (
    EventBus,
    ParticipantLeft,
    RecordingInfo,
    RecordingStatusChanged,
    SessionCreated,
    SessionDestroyed,
    WebrtcConnectionCreated,
)
from server.core.participants import MediaOptions

BUS_STOP_TIMEOUT = 5.0


async def test_each_sink_sees_every_event_in_order_and_a_failing_sink_does_not_stop_others() -> None:
    bus = EventBus()
    seen: list[str] = []
    slow_seen: list[str] = []

    def failing(event: object) -> None:
        raise RuntimeError("sink bug")

    async def slow(event: SessionCreated) -> None:  # type: ignore[misc]
        await asyncio.sleep(0.01)
        slow_seen.append(event.session_id)

    bus.subscribe(lambda e: seen.append(e.session_id))
    bus.subscribe(failing)
    bus.subscribe(slow)  # type: ignore[arg-type]
    await bus.start()
    for i in range(5):
        bus.publish(SessionCreated(f"s{i}", i))
    await bus.drain()
    assert seen == ["s0", "s1", "s2", "s3", "s4"]
    assert slow_seen == seen
    await bus.stop(BUS_STOP_TIMEOUT)


async def test_events_published_before_start_are_delivered_and_unsubscribe_works() -> None:
    bus = EventBus()
    seen: list[str] = []
    unsubscribe = bus.subscribe(lambda e: seen.append(e.session_id))
    bus.publish(SessionCreated("early", 1))
    await bus.start()
    await bus.drain()
    unsubscribe()
    bus.publish(SessionCreated("late", 2))
    await bus.drain()
    assert seen == ["early"]
    await bus.stop(BUS_STOP_TIMEOUT)


def test_end_event_properties() -> None:
    event = SessionDestroyed("ses1", 1564400090050, 1564400000000, EndReason.LAST_PARTICIPANT_LEFT)
    assert event.properties() == {
        "sessionId": "ses1",
        "timestamp": 1564400090050,
        "startTime": 1564400000000,
        "duration": 90,
        "reason": "lastParticipantLeft",
    }
    left = ParticipantLeft("ses1", 10_999, 1_000, EndReason.DISCONNECT, "p1", "unknown", "Chrome")
    assert list(left.properties()) == [
        "sessionId", "timestamp", "startTime", "duration", "reason", "participantId", "location", "platform",
    ]  # fmt: skip
    assert left.properties()["duration"] == 9


def test_webrtc_event_properties() -> None:
    media = MediaOptions(True, True, True, True, "CAMERA", 30, '{"width":640,"height":480}')
    event = WebrtcConnectionCreated("ses1", 5, "p1_CAMERA_ABCDE", "p2", "INBOUND", "p1", media)
    assert event.properties() == {
        "sessionId": "ses1",
        "timestamp": 5,
        "streamId": "p1_CAMERA_ABCDE",
        "participantId": "p2",
        "connection": "INBOUND",
        "receivingFrom": "p1",
        "videoSource": "CAMERA",
        "videoFramerate": 30,
        "videoDimensions": '{"width":640,"height":480}',
        "audioEnabled": True,
        "videoEnabled": True,
    }
    audio_only = WebrtcConnectionCreated(
        "ses1", 5, "p1_MICRO_ABCDE", "p1", "OUTBOUND", None, MediaOptions(True, True, False, False)
    )
    assert list(audio_only.properties()) == [
        "sessionId",
        "timestamp",
        "streamId",
        "participantId",
        "connection",
        "audioEnabled",
        "videoEnabled",
    ]


def test_recording_status_changed_properties() -> None:
    info = RecordingInfo(
        "ses1", "ses1", "COMPOSED", "1920x1080", "BEST_FIT", None, True, True, 4512345, 49.87, "ready"
    )
    props = RecordingStatusChanged(
        "ses1", 1564400060000, 1564400010000, EndReason.RECORDING_STOPPED_BY_SERVER, info
    ).properties()
    assert list(props) == [
        "sessionId", "timestamp", "startTime", "duration", "reason", "id", "name", "outputMode", "resolution",
        "recordingLayout", "hasAudio", "hasVideo", "size", "status",
    ]  # fmt: skip
    assert props["duration"] == 49.87 and isinstance(props["duration"], float)
