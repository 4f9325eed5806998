"""Session listings of both REST surfaces (``GET /api/sessions``, ``GET /openvidu/api/sessions``) at scale.

A listing is ``{"numberOfElements":N,"content":[s1,s2,..]}``. Three things keep it cheap and keep the server
responsive with tens of thousands of sessions:

- **Per-session bytes, kept while the session is unchanged.** A :class:`Listing` keeps each session's serialized
  JSON with the session's change stamp (:mod:`server.core.stamps`); a session is serialized again only when
  ``Session.last_change()`` has moved. The cache lives here, in the REST layer, keyed by the session's identity
  (entries of sessions no longer listed are dropped as listings go by), never on the domain object.
- **The whole body, kept while nothing changed.** When the process-wide stamp has not moved since the last body
  was made, that body is answered again as it is.
- **Slices and chunks.** A body is made in slices of at most :data:`SLICE_SECONDS` of work, yielding to the event
  loop between them, so other requests are served meanwhile; it is held as chunks of about :data:`CHUNK_BYTES`
  (no multi-megabyte copy) and sent with its ``Content-Length`` one chunk per event-loop step (a body of one
  chunk is one plain response, as before). Sessions are taken once, at the start, so ``numberOfElements``
  always matches the content; a session changing while a listing is made shows in that listing as it is when
  its turn comes (the Java original reads its concurrent map the same way).

The bytes are those of the serializers (``server.core.serialize.session_bytes``,
``server.api232.serialize.session_bytes``): identical to an uncached listing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Final
from weakref import WeakKeyDictionary

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from server.api.errors import JSON
from server.core.manager import SessionManager
from server.core.sessions import Session
from server.core.stamps import latest

SLICE_SECONDS: Final = 0.002
"""Longest stretch of listing work between two yields to the event loop."""
CHUNK_BYTES: Final = 256 * 1024
"""Size from which a body goes on in a new chunk."""
SINGLE_BYTES: Final = 1024 * 1024
"""Largest body kept and sent as one piece."""
CHECK_EVERY: Final = 32
"""Sessions between two looks at the clock."""
PRUNE_SLACK: Final = 64
"""Cached sessions beyond those listed before the cache drops the others."""

Render = Callable[[Session], bytes]


class Listing:
    """Listings of one flavour (a surface and its query options); ``cached=False`` for the ``webRtcStats``
    flavours, whose endpoint statistics change without stamps."""

    def __init__(self, render: Render, cached: bool = True) -> None:
        self._render = render
        self._cached = cached
        self._entries: dict[int, tuple[int, bytes]] = {}
        """``id(session)`` -> (the session's ``last_change()`` when made, its bytes). A later session with the same
        id cannot match: its stamps are all newer. Holding no session, the entries are no garbage-collector work."""
        self._body: tuple[int, list[bytes]] | None = None

    def _session(self, session: Session) -> bytes:
        if not self._cached:
            return self._render(session)
        stamp = session.last_change()
        entry = self._entries.get(id(session))
        if entry is not None and entry[0] == stamp:
            return entry[1]
        data = self._render(session)
        self._entries[id(session)] = (stamp, data)
        return data

    def _prune(self, listed: list[Session]) -> None:
        if len(self._entries) > len(listed) + PRUNE_SLACK:
            keep = {id(s) for s in listed}
            self._entries = {k: v for k, v in self._entries.items() if k in keep}

    async def chunks(self, sessions: Callable[[], list[Session]]) -> list[bytes]:
        """The listing of ``sessions()`` as chunks whose concatenation is the body."""
        stamp = latest()
        body = self._body
        if body is not None and body[0] == stamp:
            return body[1]
        listed = sessions()
        head = b'{"numberOfElements":%d,"content":[' % len(listed)
        chunks: list[bytes] = []
        parts: list[bytes] = []
        size = 0
        started = time.perf_counter()
        for index, session in enumerate(listed):
            data = self._session(session)
            parts.append(data)
            size += len(data)
            if size >= CHUNK_BYTES:
                chunks.append(_chunk(head if not chunks else b",", parts))
                parts, size = [], 0
            if index % CHECK_EVERY == CHECK_EVERY - 1 and time.perf_counter() - started > SLICE_SECONDS:
                await asyncio.sleep(0)
                started = time.perf_counter()
        if parts or not chunks:
            chunks.append(_chunk(head if not chunks else b",", parts))
        chunks.append(b"]}")
        if sum(len(c) for c in chunks) <= SINGLE_BYTES:
            chunks = [b"".join(chunks)]
        if self._cached:
            self._prune(listed)
            self._body = (stamp, chunks)
        return chunks


def _chunk(lead: bytes, parts: list[bytes]) -> bytes:
    """``lead`` then ``parts`` separated by commas, in one copy."""
    if not parts:
        return lead
    parts[0] = lead + parts[0]
    return b",".join(parts)


class ChunkedResponse(Response):
    """A JSON body sent as several chunks, with the ``Content-Length`` of their sum."""

    media_type = JSON

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks
        super().__init__(headers={"content-length": str(sum(len(c) for c in chunks))}, media_type=JSON)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        last = len(self._chunks) - 1
        for index, chunk in enumerate(self._chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": index < last})
            if index < last:
                # A send returns without yielding while the socket takes the bytes (a local peer's socket
                # takes megabytes), so a 10 MB body went out in one stretch of the loop: one chunk per step.
                await asyncio.sleep(0)


def listing_response(chunks: list[bytes]) -> Response:
    """One plain response for a body of one chunk (as a bare endpoint), else a :class:`ChunkedResponse`."""
    if len(chunks) == 1:
        return Response(chunks[0], media_type=JSON)
    return ChunkedResponse(chunks)


_LISTINGS: WeakKeyDictionary[SessionManager, dict[str, Listing]] = WeakKeyDictionary()


def listing_of(manager: SessionManager, flavour: str, render: Render, cached: bool = True) -> Listing:
    """The :class:`Listing` of ``flavour`` for this manager's sessions (made on first use)."""
    listings = _LISTINGS.get(manager)
    if listings is None:
        listings = _LISTINGS[manager] = {}
    listing = listings.get(flavour)
    if listing is None:
        listing = listings[flavour] = Listing(render, cached)
    return listing
