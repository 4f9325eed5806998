"""Time as the server reads it: wall-clock epoch milliseconds, and the monotonic clock its waits run on.

``now_ms`` is OpenVidu's ``System.currentTimeMillis()``. ``Clock`` is what a component that waits on time
(intervals, timers, expiry) takes instead of calling ``asyncio.sleep``/``loop.call_later`` itself, so that unit
tests can hand it a clock they advance by hand; ``SYSTEM_CLOCK`` is the real one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Protocol


def now_ms() -> int:
    """Milliseconds since the epoch, now (the one helper every timestamp of the server comes from)."""
    return time.time_ns() // 1_000_000


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (only differences mean anything)."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` once, ``delay`` seconds from now, on the running event loop."""
        ...

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        """Wait until ``event`` is set (True) or ``timeout`` seconds have passed (False)."""
        ...


class SystemClock:
    """The real clock: the event loop's timers and ``time.monotonic``."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return asyncio.get_running_loop().call_later(delay, callback)

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
            return True
        return False


SYSTEM_CLOCK: Clock = SystemClock()
