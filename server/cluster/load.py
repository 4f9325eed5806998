"""Load strategies for placing new sessions on media servers (``openvidu.pro.cluster.load.strategy``).

Pure functions over a snapshot of each media server: no I/O, so every strategy is tested alone.

- ``streams``: publishers plus subscribers hosted by the server (the default);
- ``sessions``: sessions hosted by the server;
- ``mediaObjects``: media elements on the server (sampled from the server itself);
- ``cpu``: the server's CPU use in percent (sampled with ServerManager ``getUsedCpu``).

Sampled figures go stale between two samples, so every session placed on a server since its last sample counts
at once with an estimated cost (``PENDING_COST``). Ties are broken by the number of sessions and then by the
order of registration, so a burst of new sessions on idle servers is spread round the cluster instead of piling
onto the first one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class LoadStrategy(StrEnum):
    STREAMS = "streams"
    SESSIONS = "sessions"
    MEDIA_OBJECTS = "mediaObjects"
    CPU = "cpu"


# What one freshly placed (not yet sampled) session is assumed to add, per strategy.
PENDING_COST: dict[LoadStrategy, float] = {
    LoadStrategy.STREAMS: 0.0,  # streams are counted live, nothing is stale
    LoadStrategy.SESSIONS: 0.0,  # sessions are counted live, nothing is stale
    LoadStrategy.MEDIA_OBJECTS: 1.0,  # at least the session's MediaPipeline
    LoadStrategy.CPU: 1.0,  # one percent point: enough to order a burst, small next to real load
}


@dataclass(frozen=True, slots=True)
class ServerLoad:
    """What placement knows about one media server at one moment."""

    server_id: str
    connected: bool
    sessions: int = 0
    streams: int = 0
    media_objects: int | None = None  # last sample; None before the first one
    cpu_percent: float | None = None  # last sample; None before the first one
    placed_since_sample: int = 0  # sessions placed here after the last sample was taken


def load_of(server: ServerLoad, strategy: LoadStrategy) -> float:
    """The load figure of one server, as ``GET /pro/media-servers?load=true`` reports it."""
    if strategy is LoadStrategy.STREAMS:
        return float(server.streams)
    if strategy is LoadStrategy.SESSIONS:
        return float(server.sessions)
    sampled = server.media_objects if strategy is LoadStrategy.MEDIA_OBJECTS else server.cpu_percent
    base = float(sampled) if sampled is not None else 0.0
    return base + PENDING_COST[strategy] * server.placed_since_sample


def rank(servers: Iterable[ServerLoad], strategy: LoadStrategy) -> list[ServerLoad]:
    """Connected servers, least loaded first (stable: equal keys keep the input order)."""
    candidates = [s for s in servers if s.connected]
    return sorted(candidates, key=lambda s: (load_of(s, strategy), s.sessions + s.placed_since_sample))


def least_loaded(servers: Sequence[ServerLoad], strategy: LoadStrategy) -> ServerLoad | None:
    """The server a new session goes to, or None when no server is connected."""
    ranked = rank(servers, strategy)
    return ranked[0] if ranked else None
