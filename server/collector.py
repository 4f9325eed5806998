"""How the server runs CPython's cyclic garbage collector: short pauses however many participants are held.

Each socket keeps about a hundred tracked objects (its TLS and websocket protocol objects, coroutine frames,
timers, the participant). With CPython's defaults every one of them is walked again and again: the oldest
generation, which grows with the population, is collected in full each time it grows by a quarter, a pause of
hundreds of milliseconds at 10,000 sockets (670 ms measured for one middle collection at the earlier (50,000,
20, 100) thresholds). Here:

- at start-up everything alive is frozen out of the collector's reach (``gc.freeze``);
- young collections run every ``YOUNG_THRESHOLD`` net new objects, and at least every ``YOUNG_SECONDS``: the
  count CPython keeps is net (a frozen object that dies takes one off), so an object replaced on every message
  (the last frame a parser holds, the future a socket waits on) grows the young generation without raising the
  count. Without the timer a young collection after a burst of pings walked 131,000 objects (97 ms); with a 1 s
  timer each walked about 15,000 (10-14 ms) while 5,000 participants pinged; at 0.1 s the longest walked 7,700
  objects (7.2 ms) while 10,000 participants pinged every 5 s;
- what survives a collection is frozen as it ends, so no collection walks more than the objects made since the
  previous one;
- frozen objects are still freed by reference counting; only those that later die in a reference cycle (about
  36 small objects per closed socket) wait for a *thaw*: every ``THAW_SECONDS``, if the frozen set grew by at
  least ``THAW_GROWTH`` since the last thaw, it is unfrozen and collected in full once, and what survives is
  frozen again. That full pause (proportional to all live objects) happens at most once per ``THAW_SECONDS``,
  never on an idle server, instead of at every quarter of growth.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

from server.core.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)

YOUNG_THRESHOLD = 20_000
YOUNG_SECONDS = 0.1
GC_THRESHOLDS = (YOUNG_THRESHOLD, 10, 10)
THAW_SECONDS = 300.0
THAW_GROWTH = 0.10


class CollectorPolicy:
    """The policy of the module docstring; ``install()`` once the app has started, ``uninstall()`` to undo."""

    def __init__(
        self,
        clock: Clock = SYSTEM_CLOCK,
        thaw_seconds: float = THAW_SECONDS,
        young_seconds: float = YOUNG_SECONDS,
    ) -> None:
        self.clock = clock
        self.thaw_seconds = thaw_seconds
        self.young_seconds = young_seconds
        self.frozen_after_thaw = 0
        self.thaws = 0
        self._previous_thresholds: tuple[int, int, int] | None = None
        self._watch: asyncio.Task[None] | None = None

    def install(self) -> None:
        self._previous_thresholds = gc.get_threshold()
        gc.collect()
        gc.freeze()
        self.frozen_after_thaw = gc.get_freeze_count()
        gc.set_threshold(*GC_THRESHOLDS)
        gc.callbacks.append(self._collected)

    def uninstall(self) -> None:
        if self._collected in gc.callbacks:
            gc.callbacks.remove(self._collected)
        if self._previous_thresholds is not None:
            gc.set_threshold(*self._previous_thresholds)
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    def _collected(self, phase: str, info: dict[str, Any]) -> None:
        """At the end of any collection the generations hold only its survivors: freeze them (no allocation
        here, so it is safe inside the collector's callback)."""
        if phase == "stop":
            gc.freeze()

    def thaw_due(self) -> bool:
        return gc.get_freeze_count() >= self.frozen_after_thaw * (1 + THAW_GROWTH) + 1

    def thaw(self) -> int:
        """Unfreeze, collect everything once, freeze the survivors; the number of objects collected."""
        gc.callbacks.remove(self._collected)
        try:
            gc.unfreeze()
            started = self.clock.monotonic()
            collected = gc.collect()
            gc.freeze()
        finally:
            gc.callbacks.append(self._collected)
        self.frozen_after_thaw = gc.get_freeze_count()
        self.thaws += 1
        log.debug(
            "full garbage collection: %d objects collected, %d kept, %.0f ms",
            collected,
            self.frozen_after_thaw,
            (self.clock.monotonic() - started) * 1000,
        )
        return collected

    def start_watch(self) -> None:
        """On the running loop: a young collection every ``young_seconds`` (a few microseconds when there is
        nothing young), and every ``thaw_seconds`` a thaw if one is due."""
        self._watch = asyncio.get_running_loop().create_task(self._watch_loop())

    async def _watch_loop(self) -> None:
        next_thaw = self.clock.monotonic() + self.thaw_seconds
        while True:
            await self.clock.sleep(self.young_seconds)
            gc.collect(0)
            if self.clock.monotonic() >= next_thaw:
                next_thaw = self.clock.monotonic() + self.thaw_seconds
                if self.thaw_due():
                    self.thaw()
