"""A ``server.core.clock.Clock`` that moves only when the test says so.

``advance(seconds)`` runs every timer due within that time, in order, each at its own instant, and lets the
event loop run after each one; nothing waits on the wall clock. Code that hops to a thread between two waits
(``asyncio.to_thread``) is not back at its next wait when ``advance`` returns: ``until_waiting(n)`` waits for
``n`` clock waits to be pending (a condition, bounded by ``REAL_BOUND`` wall seconds in case it never holds).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable

from server.core.clock import Timer

REAL_BOUND = 10.0
_YIELDS = 20


class FakeTimer:
    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._order = itertools.count()
        self._timers: list[tuple[float, int, FakeTimer]] = []
        self._waiting = 0
        self._changed = asyncio.Event()

    # -- the Clock protocol ---------------------------------------------------------------------------------

    def monotonic(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = FakeTimer(self.now + max(delay, 0.0), callback)
        heapq.heappush(self._timers, (timer.when, next(self._order), timer))
        return timer

    async def sleep(self, seconds: float) -> None:
        done = asyncio.get_running_loop().create_future()
        timer = self.call_later(seconds, lambda: done.done() or done.set_result(None))
        await self._pending(done, timer)

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        if event.is_set():
            return True
        done = asyncio.get_running_loop().create_future()
        timer = self.call_later(timeout, lambda: done.done() or done.set_result(False))
        watcher = asyncio.ensure_future(event.wait())
        watcher.add_done_callback(lambda _: done.done() or done.set_result(True))
        try:
            result: bool = await self._pending(done, timer)
            return result
        finally:
            watcher.cancel()

    # -- the test's side ----------------------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """Clock waits (sleep/wait) pending now."""
        return self._waiting

    async def advance(self, seconds: float) -> None:
        target = self.now + seconds
        await _run_ready()
        while self._timers and self._timers[0][0] <= target:
            when, _, timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self.now = when
            timer.callback()
            await _run_ready()
        self.now = target
        await _run_ready()

    async def until_waiting(self, count: int) -> None:
        """Return once at least ``count`` clock waits are pending."""
        async with asyncio.timeout(REAL_BOUND):
            while self._waiting < count:
                self._changed.clear()
                await self._changed.wait()

    async def _pending(self, done: asyncio.Future[bool] | asyncio.Future[None], timer: Timer) -> bool:
        self._waiting += 1
        self._changed.set()
        try:
            return bool(await done)
        finally:
            timer.cancel()
            self._waiting -= 1
            self._changed.set()


async def _run_ready() -> None:
    """Let woken tasks run until they block again (on the clock or anything else)."""
    for _ in range(_YIELDS):
        await asyncio.sleep(0)
