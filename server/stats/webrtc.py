"""WebRTC stats for ``openvidu.pro.stats.webrtc-interval``: ``getStats`` of every WebRtcEndpoint in use."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Any

from kms_client.errors import KmsError
from server.core.sessions import Session
from server.media.endpoint import WebRtcEndpoint
from server.media.session import MediaSession


async def _endpoint_stats(
    session: Session, name: str, endpoint: WebRtcEndpoint, timeout: float
) -> dict[str, Any] | None:
    conn = endpoint.connection
    element_id = endpoint.element_id
    if conn is None or element_id is None or endpoint.released:
        return None
    with contextlib.suppress(KmsError, TimeoutError):
        stats = await conn.invoke(element_id, "getStats", None, timeout=timeout)
        return {
            "sessionId": session.session_id,
            "endpoint": name,
            "mediaServer": session.media.server_id if session.media is not None else None,
            "stats": stats if isinstance(stats, dict) else {},
        }
    return None


def webrtc_stats_source(sessions: Callable[[], Iterable[Session]], timeout: float) -> Callable[[], Any]:
    """A source for the stats gatherer: one record per live WebRtcEndpoint of every session."""

    async def collect() -> list[dict[str, Any]]:
        calls = []
        for session in sessions():
            media = session.media
            if not isinstance(media, MediaSession):
                continue
            for name, endpoint in media.endpoints():
                calls.append(_endpoint_stats(session, name, endpoint, timeout))
        results = await asyncio.gather(*calls)
        return [r for r in results if r is not None]

    return collect
