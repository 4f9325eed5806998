"""Run ``openvidu-server`` with every long event-loop iteration logged (used by ``signaling.py --loop-log``).

usage: python benchmarks/loop_probe.py FILE [server flags ...]
Each iteration of the asyncio loop that kept the server busy for at least ``LONG_MS`` (its time outside
``epoll_wait``) appends one line to FILE: the time it ended (``time.perf_counter()``), its busy milliseconds, the
socket events it handled, and the callbacks it ran. A ping that arrives while such an iteration runs waits for it.
"""

from __future__ import annotations

import asyncio.base_events
import selectors
import sys
import time
from pathlib import Path
from typing import Any

LONG_MS = 1.0


def main() -> None:
    out = open(sys.argv[1], "a", buffering=1)  # noqa: SIM115 - open for the life of the process
    waited = [0.0]
    events = [0]
    select = selectors.EpollSelector.select
    run_once = asyncio.base_events.BaseEventLoop._run_once  # type: ignore[attr-defined]

    def timed_select(self: selectors.EpollSelector, timeout: float | None = None) -> Any:
        started = time.perf_counter()
        ready = select(self, timeout)
        waited[0] += time.perf_counter() - started
        events[0] = len(ready)
        return ready

    def timed_run_once(self: asyncio.base_events.BaseEventLoop) -> None:
        handles = len(self._ready)  # type: ignore[attr-defined]
        waited[0] = 0.0
        events[0] = 0
        started = time.perf_counter()
        run_once(self)
        ended = time.perf_counter()
        busy = (ended - started - waited[0]) * 1000
        if busy >= LONG_MS:
            out.write(f"{ended:.4f} {busy:.2f} {events[0]} {handles + events[0]}\n")

    selectors.EpollSelector.select = timed_select  # type: ignore[assignment]
    asyncio.base_events.BaseEventLoop._run_once = timed_run_once  # type: ignore[attr-defined]
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from server.__main__ import main as server_main

    sys.exit(server_main(sys.argv[2:]))


if __name__ == "__main__":
    main()
