"""The documents the Inspector pushes, one per channel, built from the live core, media and stats objects.

- ``sessions``: every session as ``GET /api/sessions`` shows it, plus ``active`` and ``mediaServer`` (its host);
- ``mediaServers``: every media server as ``GET /pro/media-servers`` shows it, plus its load by the configured
  strategy and the ids of the sessions it hosts;
- ``stats``: the host samples and the WebRTC endpoint series of the stats gatherer (rebuilt only when a new
  sample arrived);
- ``recordings``: a counter that moves whenever a recording event went by, so consoles refetch the list.

Each channel is serialized to bytes; the live feed compares those bytes to push only what changed.
"""

from __future__ import annotations

from typing import Any

from server.api.pro import ProState
from server.cluster.load import load_of
from server.cluster.placement import hosting_server
from server.cluster.serialize import media_server_json
from server.core.serialize import dumps, session_json
from server.core.sessions import Session
from server.inspector.webrtc import webrtc_series

CHANNELS = ("sessions", "mediaServers", "stats", "recordings")


def session_document(session: Session) -> dict[str, Any]:
    doc = session_json(session)
    doc["active"] = session.active
    doc["mediaServer"] = hosting_server(session)
    return doc


def sessions_document(sessions: list[Session]) -> dict[str, Any]:
    content = [session_document(session) for session in sessions]
    return {"numberOfElements": len(content), "content": content}


def media_servers_document(state: ProState) -> dict[str, Any]:
    hosted: dict[str, list[str]] = {}
    for session in state.runtime.sessions.sessions():
        server_id = hosting_server(session)
        if server_id is not None:
            hosted.setdefault(server_id, []).append(session.session_id)
    strategy = state.picker.strategy
    loads = {load.server_id: load_of(load, strategy) for load in state.picker.loads()}
    content = []
    for server in state.media.pool.servers:
        doc = media_server_json(server)
        doc["load"] = loads.get(server.id, 0.0)
        doc["sessions"] = hosted.get(server.id, [])
        content.append(doc)
    return {
        "cluster": state.cluster,
        "strategy": state.picker.strategy.value,
        "numberOfElements": len(content),
        "content": content,
    }


def stats_document(state: ProState) -> dict[str, Any]:
    stats = state.stats
    return {
        "monitoringInterval": stats.monitoring_interval,
        "webrtcInterval": stats.webrtc_interval,
        "host": [
            [s.timestamp, s.cpu, s.mem_percent, s.mem_used, s.net_recv_rate, s.net_sent_rate]
            for s in stats.host_history
        ],
        "webrtc": webrtc_series(stats.webrtc_history),
    }


class Snapshotter:
    """Builds the channel bytes; the stats channel is rebuilt only when the gatherer has a new sample."""

    def __init__(self, state: ProState) -> None:
        self.state = state
        self.recordings_version = 0
        self._stats_key: tuple[int | None, int | None, int, int] | None = None
        self._stats_bytes = b""

    def _stats(self) -> bytes:
        stats = self.state.stats
        host = stats.latest_host
        webrtc = stats.latest_webrtc
        key = (
            host.timestamp if host else None,
            webrtc.get("timestamp") if webrtc else None,
            len(stats.host_history),
            len(stats.webrtc_history),
        )
        if key != self._stats_key:
            self._stats_bytes = dumps(stats_document(self.state))
            self._stats_key = key
        return self._stats_bytes

    def build(self) -> dict[str, bytes]:
        return {
            "sessions": dumps(sessions_document(self.state.runtime.sessions.sessions())),
            "mediaServers": dumps(media_servers_document(self.state)),
            "stats": self._stats(),
            "recordings": dumps({"version": self.recordings_version}),
        }
