"""The event loop the server runs on (the garbage collector's policy is :mod:`server.collector`).

``server.event-loop``: uvloop or asyncio's own loop. uvloop once answered a TLS join with about a third less CPU;
since ``/openvidu`` is served by the websocket protocol directly both cost the same per join (1.39 and 1.40 ms,
3 runs each of 3,000 participants), so it is optional (the server falls back to asyncio when it cannot be
imported). ``auto`` keeps asyncio on TLS ports because only asyncio's TLS transport answers a plain-HTTP request
on the TLS port with a 400 (``server.http.tls.answer_plain_http_on_tls``), as the original server does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


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
