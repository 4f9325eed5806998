"""server.core.clock: the system clock's waits and timers (milliseconds of real time), and the FakeClock the
unit tests run timers on (timers in order, each at its own instant; cancelled ones never run)."""

from __future__ import annotations

import asyncio

from server.core.clock import SYSTEM_CLOCK
from tests.support.clock import FakeClock


async def test_system_clock_wait_timer_and_cancel() -> None:
    event = asyncio.Event()
    assert await SYSTEM_CLOCK.wait(event, 0.005) is False
    event.set()
    assert await SYSTEM_CLOCK.wait(event, 10) is True
    fired: list[str] = []
    SYSTEM_CLOCK.call_later(0, lambda: fired.append("kept"))
    SYSTEM_CLOCK.call_later(0, lambda: fired.append("cancelled")).cancel()
    start = SYSTEM_CLOCK.monotonic()
    await SYSTEM_CLOCK.sleep(0.005)
    assert SYSTEM_CLOCK.monotonic() > start and fired == ["kept"]


async def test_fake_clock_runs_due_timers_in_order_at_their_time() -> None:
    clock = FakeClock()
    seen: list[tuple[str, float]] = []
    clock.call_later(3, lambda: seen.append(("c", clock.monotonic())))
    clock.call_later(1, lambda: seen.append(("a", clock.monotonic())))
    clock.call_later(2, lambda: seen.append(("b", clock.monotonic()))).cancel()
    await clock.advance(2.5)
    assert seen == [("a", 1001.0)] and clock.monotonic() == 1002.5
    await clock.advance(1)
    assert seen == [("a", 1001.0), ("c", 1003.0)]


async def test_fake_clock_sleep_and_wait() -> None:
    clock = FakeClock()
    event = asyncio.Event()
    sleeper = asyncio.create_task(clock.sleep(5))
    waiter = asyncio.create_task(clock.wait(event, 10))
    await clock.until_waiting(2)
    await clock.advance(4)
    assert not sleeper.done()
    await clock.advance(1)
    assert sleeper.done() and not waiter.done()
    event.set()
    assert await waiter is True and clock.waiting == 0
    assert await asyncio.create_task(clock.wait(event, 10)) is True  # already set: no wait
    timed_out = asyncio.create_task(clock.wait(asyncio.Event(), 10))
    await clock.until_waiting(1)
    await clock.advance(10)
    assert await timed_out is False
