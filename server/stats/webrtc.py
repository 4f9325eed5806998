"""WebRTC stats for ``openvidu.pro.stats.webrtc-interval``: ``getStats`` of every WebRtcEndpoint in use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from server.core.sessions import Session
from server.media.endpoint import MediaEndpoint
from server.media.hosting import SessionMedias


async def _endpoint_stats(
    session: Session, name: str, endpoint: MediaEndpoint, timeout: float
) -> dict[str, Any] | None:
    stats = await endpoint.get_stats(timeout)
    if stats is None:
        return None
    return {
        "sessionId": session.session_id,
        "endpoint": name,
        "mediaServer": session.media.server_id if session.media is not None else None,
        "stats": stats,
    }


def webrtc_stats_source(sessions: Callable[[], Iterable[Session]], timeout: float) -> Callable[[], Any]:
    """A source for the stats gatherer: one record per live WebRtcEndpoint of every session."""

    async def collect() -> list[dict[str, Any]]:
        calls = []
        for session in sessions():
            media = SessionMedias.of(session)
            if media is None:
                continue
            for name, endpoint in media.endpoints():
                calls.append(_endpoint_stats(session, name, endpoint, timeout))
        results = await asyncio.gather(*calls)
        return [r for r in results if r is not None]

    return collect
