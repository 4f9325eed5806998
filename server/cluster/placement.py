"""Cluster placement: which media server hosts a new session (``openvidu.pro.cluster=true``).

``ClusterPicker`` implements the media layer's ``MediaServerPicker`` seam with the load strategies of
:mod:`server.cluster.load`. Live figures (sessions and streams per media server) come from the session manager
at the moment of the choice; sampled figures (CPU, media objects) come from :class:`LoadSampler`, and every session
placed after a server's last sample counts at once, so a burst of joins is spread over the cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kms_client.errors import KmsError
from kms_client.objects import MediaPipeline
from kms_client.pool import MediaServer
from server.cluster.load import LoadStrategy, ServerLoad, least_loaded, load_of
from server.core.sessions import Session
from server.media.picker import MediaServerChoice, NoMediaServerError

log = logging.getLogger(__name__)


@dataclass(slots=True)
class HostedCounts:
    sessions: int = 0
    streams: int = 0


def hosting_server(session: Session) -> str | None:
    """The id of the media server that hosts ``session`` (None before its first join)."""
    return session.media_server_id


def hosted_counts(sessions: Iterable[Session]) -> dict[str, HostedCounts]:
    """Sessions and streams (publishers + subscribers of visible participants) per media server id."""
    counts: dict[str, HostedCounts] = {}
    for session in sessions:
        server_id = hosting_server(session)
        if server_id is None:
            continue
        entry = counts.setdefault(server_id, HostedCounts())
        entry.sessions += 1
        for participant in session.visible_participants():
            entry.streams += (1 if participant.publisher is not None else 0) + len(participant.subscribers)
    return counts


@dataclass(slots=True)
class Sample:
    media_objects: int | None = None
    cpu_percent: float | None = None
    placed_since: int = 0


class LoadSampler:
    """Samples what the strategy needs from each media server every ``interval`` seconds.

    ``cpu`` uses ``getUsedCpu`` on the server's own CPU socket; ``mediaObjects`` counts the children of every
    pipeline of the server (``getPipelines`` + ``getChildren``). Other strategies need no sampling.
    """

    def __init__(
        self,
        strategy: LoadStrategy,
        servers: Callable[[], Sequence[MediaServer]],
        interval: float,
        cpu_window_ms: int,
    ) -> None:
        self.strategy = strategy
        self._servers = servers
        self.interval = interval
        self.cpu_window_ms = cpu_window_ms
        self.samples: dict[str, Sample] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def needed(self) -> bool:
        return self.strategy in (LoadStrategy.CPU, LoadStrategy.MEDIA_OBJECTS)

    def sample_of(self, server_id: str) -> Sample:
        return self.samples.setdefault(server_id, Sample())

    def placed(self, server_id: str) -> None:
        self.sample_of(server_id).placed_since += 1

    async def start(self) -> None:
        if self.needed and self.interval > 0:
            self._task = asyncio.create_task(self._loop(), name="cluster-load-sampler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            await self.sample_all()
            await asyncio.sleep(self.interval)

    async def sample_all(self) -> None:
        servers = [s for s in self._servers() if s.connected]
        await asyncio.gather(*(self._sample(server) for server in servers))

    async def _sample(self, server: MediaServer) -> None:
        placed_before = self.sample_of(server.id).placed_since
        try:
            if self.strategy is LoadStrategy.CPU:
                value = await server.used_cpu(self.cpu_window_ms)
                sample = self.sample_of(server.id)
                first = sample.cpu_percent is None
                sample.cpu_percent = float(value)
            else:
                count = await count_media_objects(server)
                sample = self.sample_of(server.id)
                first = sample.media_objects is None
                sample.media_objects = count
        except KmsError as exc:
            log.debug("load sample of %s failed: %s", server.id, exc)
            return
        if first:  # until then the server's load counted only the sessions placed on it
            figure = sample.cpu_percent if self.strategy is LoadStrategy.CPU else sample.media_objects
            log.info("first load sample of %s (%s): %s", server.id, self.strategy.value, figure)
        # Sessions placed while the sample was being taken are not in it yet.
        sample.placed_since = max(0, sample.placed_since - placed_before)


async def count_media_objects(server: MediaServer) -> int:
    """Media objects on a media server: its pipelines and every element in them."""
    pipelines = await server.server_manager.get_pipelines()
    total = len(pipelines)
    for pipeline_id in pipelines:
        with contextlib.suppress(KmsError):  # released in between
            total += len(await MediaPipeline(server.connection, pipeline_id).get_children())
    return total


class ClusterPicker:
    """The least-loaded connected media server by the configured strategy."""

    def __init__(
        self,
        strategy: LoadStrategy,
        servers: Callable[[], Sequence[MediaServer]],
        sessions: Callable[[], Iterable[Session]],
        sampler: LoadSampler,
    ) -> None:
        self.strategy = strategy
        self._servers = servers
        self._sessions = sessions
        self.sampler = sampler

    def loads(self) -> list[ServerLoad]:
        counts = hosted_counts(self._sessions())
        loads = []
        for server in self._servers():
            hosted = counts.get(server.id, HostedCounts())
            sample = self.sampler.samples.get(server.id, Sample())
            loads.append(
                ServerLoad(
                    server_id=server.id,
                    connected=server.connected,
                    sessions=hosted.sessions,
                    streams=hosted.streams,
                    media_objects=sample.media_objects,
                    cpu_percent=sample.cpu_percent,
                    placed_since_sample=sample.placed_since if self.sampler.needed else 0,
                )
            )
        return loads

    def load_of(self, server_id: str) -> float:
        for load in self.loads():
            if load.server_id == server_id:
                return load_of(load, self.strategy)
        return 0.0

    def pick(self, session_id: str) -> MediaServerChoice:
        chosen = least_loaded(self.loads(), self.strategy)
        if chosen is None:
            raise NoMediaServerError("There is no available media server where to initialize session")
        server = next(s for s in self._servers() if s.id == chosen.server_id)
        self.sampler.placed(server.id)
        log.info(
            "session %s placed on %s (%s load %.2f)",
            session_id,
            server.id,
            self.strategy,
            load_of(chosen, self.strategy),
        )
        return MediaServerChoice(server.id, server.connection)
