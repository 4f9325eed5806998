"""Sessions, participants, publishers and subscribers per media server, and the media servers themselves.

Read from the live state at each scrape (nothing to keep in step). The figures are those of the REST API:
every session ``GET /api/sessions`` lists (placed on a media server at its first join; ``media_server="none"``
before), its visible connections (never the hidden RECORDER), each connection's publishers and subscribers.
Every known media server is reported, with zeros when it hosts nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kms_client.pool import MediaServer
from server.cluster.placement import hosting_server
from server.core.sessions import Session

UNPLACED = "none"
"""``media_server`` label of sessions not placed yet (no participant has joined)."""


@dataclass(slots=True)
class Hosted:
    sessions: int = 0
    participants: int = 0
    publishers: int = 0
    subscribers: int = 0


def hosted_by_server(sessions: Iterable[Session], server_ids: Iterable[str]) -> dict[str, Hosted]:
    """Figures per media server id (every id of ``server_ids``, plus :data:`UNPLACED`, plus any other host)."""
    figures = {server_id: Hosted() for server_id in server_ids}
    figures.setdefault(UNPLACED, Hosted())
    for session in sessions:
        entry = figures.setdefault(hosting_server(session) or UNPLACED, Hosted())
        entry.sessions += 1
        for participant in session.visible_participants():
            entry.participants += 1
            entry.publishers += 1 if participant.publisher is not None else 0
            entry.subscribers += len(participant.subscribers)
    return figures


class SessionsCollector(Collector):
    def __init__(
        self,
        sessions: Callable[[], Iterable[Session]],
        servers: Callable[[], Sequence[MediaServer]],
        load_of: Callable[[str], float],
        strategy: str,
    ) -> None:
        self._sessions = sessions
        self._servers = servers
        self._load_of = load_of
        self._strategy = strategy

    def collect(self) -> Iterator[GaugeMetricFamily]:
        servers = list(self._servers())
        figures = hosted_by_server(self._sessions(), (server.id for server in servers))
        families = {
            "sessions": GaugeMetricFamily(
                "openvidu_sessions", "Sessions, by hosting media server", labels=["media_server"]
            ),
            "participants": GaugeMetricFamily(
                "openvidu_participants",
                "Connections of participants (RECORDER excluded), by media server",
                labels=["media_server"],
            ),
            "publishers": GaugeMetricFamily(
                "openvidu_publishers", "Published streams, by media server", labels=["media_server"]
            ),
            "subscribers": GaugeMetricFamily(
                "openvidu_subscribers", "Subscriptions to streams, by media server", labels=["media_server"]
            ),
        }
        for server_id, hosted in sorted(figures.items()):
            for field, family in families.items():
                family.add_metric([server_id], getattr(hosted, field))
        yield from families.values()
        connected = GaugeMetricFamily(
            "openvidu_media_server_connected",
            "1 while the server is connected to the media server, 0 while it is lost",
            labels=["media_server", "uri"],
        )
        load = GaugeMetricFamily(
            "openvidu_media_server_load",
            "Load of the media server by the placement strategy (GET /pro/media-servers?load=true)",
            labels=["media_server", "strategy"],
        )
        for server in servers:
            connected.add_metric([server.id, server.uri], 1.0 if server.connected else 0.0)
            load.add_metric([server.id, self._strategy], self._load_of(server.id))
        yield connected
        yield load
