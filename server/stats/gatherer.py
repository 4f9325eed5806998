"""The stats gatherer: host samples and WebRTC endpoint stats at their configured intervals.

Two independent loops (``openvidu.pro.stats.monitoring-interval`` and ``openvidu.pro.stats.webrtc-interval``,
0 turns a loop off). Every sample is kept in memory (the latest plus a bounded history), appended as one JSON line
to the stats log, and mirrored into Prometheus gauges. Nothing here blocks the event loop: psutil runs in a worker
thread, and the WebRTC source awaits the media servers with a deadline of one interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from server.core.clock import SYSTEM_CLOCK, Clock, now_ms
from server.stats.host import HostSample, HostSampler
from server.stats.metrics import StatsMetrics

log = logging.getLogger(__name__)

# Returns one dict per WebRTC endpoint: {"sessionId", "endpoint", "mediaServer", "stats": {...}}
WebRtcStatsSource = Callable[[], Awaitable[list[dict[str, Any]]]]


class StatsGatherer:
    def __init__(
        self,
        monitoring_interval: float,
        webrtc_interval: float,
        history: int = 120,
        log_path: Path | None = None,
        webrtc_source: WebRtcStatsSource | None = None,
        metrics: StatsMetrics | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.monitoring_interval = monitoring_interval
        self.webrtc_interval = webrtc_interval
        self.log_path = log_path
        self.webrtc_source = webrtc_source
        self.metrics = metrics or StatsMetrics()
        self.clock = clock
        self.host_history: deque[HostSample] = deque(maxlen=history)
        self.webrtc_history: deque[dict[str, Any]] = deque(maxlen=history)
        self._sampler: HostSampler | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def latest_host(self) -> HostSample | None:
        return self.host_history[-1] if self.host_history else None

    @property
    def latest_webrtc(self) -> dict[str, Any] | None:
        return self.webrtc_history[-1] if self.webrtc_history else None

    async def start(self) -> None:
        if self.monitoring_interval > 0:
            self._sampler = await asyncio.to_thread(HostSampler)
            self._tasks.append(asyncio.create_task(self._host_loop(), name="stats-host"))
        if self.webrtc_interval > 0 and self.webrtc_source is not None:
            self._tasks.append(asyncio.create_task(self._webrtc_loop(), name="stats-webrtc"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _host_loop(self) -> None:
        assert self._sampler is not None
        sampler = self._sampler
        while True:
            await self.clock.sleep(self.monitoring_interval)
            try:
                sample = await asyncio.to_thread(sampler.sample)
            except Exception:  # a sampling failure must not end the loop
                log.exception("host stats sample failed")
                continue
            self.host_history.append(sample)
            self.metrics.observe_host(sample)
            await self._append_log(sample.to_json())

    async def _webrtc_loop(self) -> None:
        assert self.webrtc_source is not None
        while True:
            await self.clock.sleep(self.webrtc_interval)
            try:
                endpoints = await asyncio.wait_for(self.webrtc_source(), self.webrtc_interval)
            except Exception:
                log.warning("webrtc stats gathering failed", exc_info=True)
                continue
            record = {
                "elastic_type": "webrtcStats",
                "timestamp": now_ms(),
                "endpoints": endpoints,
            }
            self.webrtc_history.append(record)
            self.metrics.observe_webrtc(endpoints)
            await self._append_log(record)

    async def _append_log(self, record: dict[str, Any]) -> None:
        if self.log_path is None:
            return
        line = json.dumps(record, separators=(",", ":")) + "\n"
        path = self.log_path
        await asyncio.to_thread(_append_line, path, line)

    def to_json(self) -> dict[str, Any]:
        """The body of ``GET /pro/stats``."""
        return {
            "monitoringInterval": self.monitoring_interval,
            "webrtcInterval": self.webrtc_interval,
            "host": {
                "latest": self.latest_host.to_json() if self.latest_host else None,
                "history": [s.to_json() for s in self.host_history],
            },
            "webrtc": {"latest": self.latest_webrtc, "history": list(self.webrtc_history)},
        }


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)
