"""The live feed (server.inspector.feed) with a real event bus and a builder under the test's control."""

from __future__ import annotations

from server.core.events import EventBus, SessionCreated
from server.inspector.feed import CONSOLE_QUEUE, EVENT_COALESCE, LiveFeed
from tests.support.clock import FakeClock


class Channels:
    def __init__(self) -> None:
        self.value = {"sessions": b"[]", "stats": b"{}"}
        self.builds = 0

    def build(self) -> dict[str, bytes]:
        self.builds += 1
        return dict(self.value)


async def test_new_console_gets_everything_then_only_changes() -> None:
    clock = FakeClock()
    bus, channels = EventBus(), Channels()
    feed = LiveFeed(channels.build, bus, interval=10, max_consoles=1, clock=clock)
    await bus.start()
    await feed.start()
    try:
        console = feed.open()
        assert console is not None and feed.open() is None  # one console at most here
        first = [console.queue.get_nowait() for _ in range(2)]
        assert first == [b"event: sessions\ndata: []\n\n", b"event: stats\ndata: {}\n\n"]
        await clock.until_waiting(1)
        # An event pushes once the burst is gathered (EVENT_COALESCE); only the changed channel is sent.
        channels.value["sessions"] = b'["a"]'
        bus.publish(SessionCreated("a", 1))
        await clock.advance(0)
        assert console.queue.empty()
        await clock.advance(EVENT_COALESCE)
        assert console.queue.get_nowait() == b'event: sessions\ndata: ["a"]\n\n'
        # Without an event, the periodic check finds the change after one interval, not before.
        channels.value["stats"] = b'{"x":1}'
        await clock.advance(9.5)
        assert console.queue.empty()
        await clock.advance(1)
        assert console.queue.get_nowait() == b'event: stats\ndata: {"x":1}\n\n'
        feed.close(console)
        builds = channels.builds
        await clock.advance(100)
        assert channels.builds == builds  # nobody watching: no work
    finally:
        await feed.stop()
        await bus.stop(1.0)


async def test_a_console_that_does_not_read_is_dropped() -> None:
    bus, channels = EventBus(), Channels()
    feed = LiveFeed(channels.build, bus, interval=10, max_consoles=5)
    console = feed.open()
    assert console is not None
    for i in range(CONSOLE_QUEUE + 5):
        channels.value["sessions"] = str(i).encode()
        feed._push()
    assert console.dropped and console not in feed.consoles
    messages = [console.queue.get_nowait() for _ in range(console.queue.qsize())]
    assert messages[-1] is None and len(messages) == CONSOLE_QUEUE + 1
