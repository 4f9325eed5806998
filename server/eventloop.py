"""The event loop the server runs on, and the garbage-collector tuning done once the app has started.

``server.event-loop``: uvloop answers a TLS join with about a third less CPU and holds less memory per socket
than asyncio's pure-Python TLS transport; it is optional (the server falls back to asyncio when it cannot be
imported). ``auto`` keeps asyncio on TLS ports because only asyncio's TLS transport answers a plain-HTTP request
on the TLS port with a 400 (``server.http.tls.answer_plain_http_on_tls``), as the original server does.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

GC_THRESHOLDS = (50_000, 20, 100)
"""Young-generation threshold raised from 700: a join allocates a few hundred tracked objects, so the default
ran a collection every few joins and a full one (all live objects, 130-280 ms at 1,000-2,000 sockets) every
few hundred. Objects alive after start-up are frozen out of every collection (``gc.freeze``)."""


def loop_factory(choice: str, tls: bool) -> tuple[str, Callable[[], asyncio.AbstractEventLoop] | None]:
    """The loop name and the factory for ``asyncio.Runner`` (None: asyncio's default loop)."""
    if choice == "asyncio" or (choice == "auto" and tls):
        return "asyncio", None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            log.warning("server.event-loop=uvloop but uvloop cannot be imported: running on asyncio's loop")
        return "asyncio", None
    return "uvloop", uvloop.new_event_loop


def tune_gc() -> None:
    """Called once the app has started: move every object alive now out of the collector's reach and make the
    young generation larger, so collections are rare and short."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
