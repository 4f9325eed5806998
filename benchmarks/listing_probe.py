"""In-process half of benchmarks/rest_listing.py: how long a session listing holds the event loop.

usage: python benchmarks/listing_probe.py ROOT N [N ...]
Imports the server of checkout ROOT, makes N sessions in a SessionManager (1 in 20 with two participants, one
of them publishing; a pending 2.32 connection in 1 in 4 others) and lists them as ``GET /api/sessions`` does,
while a second task on the same event loop wakes up at every chance. Printed per N, in thread CPU time (so the
figures hold on a loaded machine): the CPU of a listing made from nothing (cold), of the next one when nothing
changed, and after one participant's media options changed; and the longest stretch the other task had to wait
(the listing's longest run without yielding). A checkout without ``server.api.listing`` (before issue 15) lists
with its synchronous ``sessions_bytes``. The HTTP send of the body is not included (see rest_listing.py).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPEATS = 5


def main() -> None:
    root = Path(sys.argv[1]).resolve()
    sys.path.insert(0, str(root))
    from server.core import serialize
    from server.core.enums import OpenViduRole
    from server.core.events import EventBus
    from server.core.manager import ManagerConfig, SessionManager
    from server.core.participants import MediaOptions
    from server.core.sessions import SessionProperties

    try:
        from server.api.listing import Listing
    except ImportError:
        Listing = None
    try:
        from server.collector import GC_THRESHOLDS
    except ImportError:  # a checkout from before server.collector
        GC_THRESHOLDS = (50_000, 20, 100)

    for n in (int(a) for a in sys.argv[2:]):
        manager = SessionManager(ManagerConfig("wss://localhost:4443", "2.11.0", "s"), EventBus())
        options: list[Any] = []
        for index in range(n):
            session = manager.create_session(SessionProperties(), ids_232=bool(index % 2))
            sid = session.session_id
            if index % 20 == 0:
                a = manager.new_token(sid, OpenViduRole.PUBLISHER, "server data", None)
                b = manager.new_token(sid, OpenViduRole.SUBSCRIBER, "", None)
                _, alice = manager.join(sid, a.token, "Chrome 120 on Linux 64-bit", "alice")
                _, bob = manager.join(sid, b.token, "Firefox 121 on Linux 64-bit", "bob")
                media = MediaOptions(True, True, True, True, "CAMERA", 30, '{"width":640,"height":480}')
                publisher = manager.publish(alice, media)
                manager.subscribe(bob, publisher.stream_id)
                options.append(media)
            elif index % 4 == 1:
                manager.new_connection(sid, OpenViduRole.PUBLISHER, "pending", None)

        gc.collect()
        gc.freeze()  # as the server does after start-up (server.collector), with its thresholds
        gc.set_threshold(*GC_THRESHOLDS)
        if Listing is not None:
            listing = Listing(serialize.session_bytes)

            async def make(listing: Any = listing, manager: Any = manager) -> int:
                return sum(len(c) for c in await listing.chunks(manager.sessions))

        else:

            async def make(manager: Any = manager) -> int:
                return len(serialize.sessions_bytes(manager.sessions()))

        cold, cold_stall, size = asyncio.run(measure(make))
        warm = [asyncio.run(measure(make)) for _ in range(REPEATS)]

        def change(options: list[Any] = options) -> None:
            options[0].audio_active = not options[0].audio_active

        changed = [asyncio.run(measure(make, change)) for _ in range(REPEATS)]
        print(
            f"{n:6d} sessions, body {size / 1024:6.0f} KB: cold {cold * 1e3:6.2f} ms CPU (longest stretch "
            f"{cold_stall * 1e3:5.2f} ms); unchanged {min(w[0] for w in warm) * 1e3:6.2f} ms "
            f"({min(w[1] for w in warm) * 1e3:5.2f}); after one change {min(c[0] for c in changed) * 1e3:6.2f} ms "
            f"({min(c[1] for c in changed) * 1e3:5.2f})",
            flush=True,
        )


async def measure(
    make: Callable[[], Awaitable[int]], before: Callable[[], None] | None = None
) -> tuple[float, float, int]:
    """(thread CPU of one listing, longest CPU stretch another task waited meanwhile, body size)."""
    if before is not None:
        before()
    done = False
    longest = 0.0

    async def other() -> None:
        nonlocal longest
        last = time.thread_time()
        while not done:
            await asyncio.sleep(0)
            now = time.thread_time()
            longest = max(longest, now - last)
            last = now

    task = asyncio.create_task(other())
    await asyncio.sleep(0)
    started = time.thread_time()
    size = await make()
    spent = time.thread_time() - started
    done = True
    await task
    return spent, longest, size


if __name__ == "__main__":
    main()
