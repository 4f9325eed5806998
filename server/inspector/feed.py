"""The live feed: Server-Sent Events to every open Inspector console, carrying only what changed.

One task serves all consoles. It wakes up when an event goes by on the event bus (a session, participant,
stream or recording changed: pushed within ``EVENT_COALESCE`` seconds) and every
``openvidu.inspector.push-interval`` seconds (for what has no event: mute changes, media server state, new stats
samples). It builds every channel (:class:`~server.inspector.snapshot.Snapshotter`) and sends the channels whose
bytes differ from the last ones sent. With no console open it sleeps. Each console has a bounded queue; one that
cannot keep up is dropped (its EventSource reconnects and gets the full state again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from server.core.clock import SYSTEM_CLOCK, Clock
from server.core.events import Event, EventBus, RecordingStarted, RecordingStatusChanged, RecordingStopped

log = logging.getLogger(__name__)

EVENT_COALESCE = 0.05
"""Seconds a burst of bus events is gathered before one push (a join publishes several at once)."""
CONSOLE_QUEUE = 64
"""Messages a console may have pending before it is dropped."""

Builder = Callable[[], dict[str, bytes]]


def sse_message(channel: str, data: bytes) -> bytes:
    return b"event: " + channel.encode() + b"\ndata: " + data + b"\n\n"


class Console:
    """One open push stream."""

    def __init__(self) -> None:
        # One slot more than the limit, kept for the end marker.
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(CONSOLE_QUEUE + 1)
        self.dropped = False

    def offer(self, message: bytes) -> None:
        if self.dropped:
            return
        if self.queue.qsize() >= CONSOLE_QUEUE:
            self.end()
            return
        self.queue.put_nowait(message)

    def end(self) -> None:
        """No more messages: the stream ends after what is queued (None is the end marker)."""
        if not self.dropped:
            self.dropped = True
            self.queue.put_nowait(None)


class LiveFeed:
    def __init__(
        self,
        build: Builder,
        bus: EventBus,
        interval: float,
        max_consoles: int,
        on_recording_event: Callable[[], None] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.build = build
        self.bus = bus
        self.interval = interval
        self.max_consoles = max_consoles
        self.on_recording_event = on_recording_event
        self.clock = clock
        self.consoles: set[Console] = set()
        self.last: dict[str, bytes] = {}
        self.pushes = 0
        self.closed = False
        self._wake = asyncio.Event()
        self._has_consoles = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    # ----- component --------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._has_consoles = asyncio.Event()
        self._unsubscribe = self.bus.subscribe(self._on_event, "inspector")
        self._task = asyncio.create_task(self._run(), name="inspector-feed")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.end_consoles()

    # ----- consoles ---------------------------------------------------------------------------------------

    def open(self) -> Console | None:
        """A new console with the whole current state queued, or None when ``max_consoles`` are open (or the
        server is shutting down)."""
        if self.closed or len(self.consoles) >= self.max_consoles:
            return None
        self._push()  # bring the others up to date first, so ``last`` is what the newcomer starts from
        console = Console()
        for channel, data in self.last.items():
            console.offer(sse_message(channel, data))
        self.consoles.add(console)
        self._has_consoles.set()
        return console

    def end_consoles(self) -> None:
        """The server is shutting down: end every push stream now (browsers reconnect to the next process)."""
        self.closed = True
        for console in list(self.consoles):
            console.end()
        self.consoles.clear()
        self._has_consoles.clear()

    def close(self, console: Console) -> None:
        self.consoles.discard(console)
        if not self.consoles:
            self._has_consoles.clear()

    # ----- pushing ----------------------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        recording = isinstance(event, RecordingStarted | RecordingStopped | RecordingStatusChanged)
        if recording and self.on_recording_event is not None:
            self.on_recording_event()
        self._wake.set()

    def _push(self) -> None:
        channels = self.build()
        for channel, data in channels.items():
            if self.last.get(channel) == data:
                continue
            self.last[channel] = data
            message = sse_message(channel, data)
            for console in self.consoles:
                console.offer(message)
            self.pushes += 1
        for console in [c for c in self.consoles if c.dropped]:
            self.close(console)

    async def _run(self) -> None:
        while True:
            await self._has_consoles.wait()
            if await self.clock.wait(self._wake, self.interval):
                await self.clock.sleep(EVENT_COALESCE)
            self._wake.clear()
            if not self.consoles:
                continue
            try:
                self._push()
            except Exception:  # a failed build must not end the feed
                log.exception("inspector push failed")
