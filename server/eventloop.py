"""The event loop the server runs on (the garbage collector's policy is :mod:`server.collector`).

``server.event-loop``: uvloop or asyncio's own loop. uvloop once answered a TLS join with about a third less CPU;
since ``/openvidu`` is served by the websocket protocol directly both cost the same per join (1.39 and 1.40 ms,
3 runs each of 3,000 participants), so it is optional (the server falls back to asyncio when it cannot be
imported). ``auto`` keeps asyncio on TLS ports because only asyncio's loop answers a plain-HTTP request on the
TLS port with a 400, as the original server does (both TLS transports: ``server.tls-transport``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


def loop_factory(
    choice: str, tls: bool, tls_transport: str = "socket"
) -> tuple[str, Callable[[], asyncio.AbstractEventLoop] | None]:
    """The loop name and the factory for ``asyncio.Runner`` (None: asyncio's default loop). On TLS with
    ``server.tls-transport=socket``, asyncio's loop serves TLS with :mod:`server.http.tls_transport`."""
    if choice == "asyncio" or (choice == "auto" and tls):
        if tls and tls_transport == "socket":
            from server.http.tls_transport import TLSSocketEventLoop

            return "asyncio", TLSSocketEventLoop
        return "asyncio", None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            log.warning("server.event-loop=uvloop but uvloop cannot be imported: running on asyncio's loop")
        return "asyncio", None
    return "uvloop", uvloop.new_event_loop
