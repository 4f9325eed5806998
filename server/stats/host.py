"""Host samples for ``openvidu.pro.stats.monitoring-interval``: CPU, memory and network of this machine."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import psutil

from server.core.clock import now_ms


@dataclass(frozen=True, slots=True)
class HostSample:
    timestamp: int  # epoch ms
    cpu: float  # percent of all cores since the previous sample
    mem_total: int  # bytes
    mem_used: int  # bytes
    mem_percent: float
    net_bytes_sent: int  # counters since boot
    net_bytes_recv: int
    net_sent_rate: float  # bytes/s since the previous sample
    net_recv_rate: float

    def to_json(self) -> dict[str, Any]:
        return {"elastic_type": "monitoringStats", **asdict(self)}


class HostSampler:
    """Takes host samples; rates are computed against the previous sample (blocking calls are cheap, but the
    gatherer still runs them in a worker thread)."""

    def __init__(self) -> None:
        psutil.cpu_percent(interval=None)  # prime: the first real call measures from here
        counters = psutil.net_io_counters()
        self._last_net = (time.monotonic(), counters.bytes_sent, counters.bytes_recv)

    def sample(self) -> HostSample:
        cpu = psutil.cpu_percent(interval=None)
        mem = psutil.virtual_memory()
        counters = psutil.net_io_counters()
        now = time.monotonic()
        last_t, last_sent, last_recv = self._last_net
        elapsed = max(now - last_t, 1e-6)
        self._last_net = (now, counters.bytes_sent, counters.bytes_recv)
        return HostSample(
            timestamp=now_ms(),
            cpu=float(cpu),
            mem_total=int(mem.total),
            mem_used=int(mem.total - mem.available),
            mem_percent=float(mem.percent),
            net_bytes_sent=int(counters.bytes_sent),
            net_bytes_recv=int(counters.bytes_recv),
            net_sent_rate=(counters.bytes_sent - last_sent) / elapsed,
            net_recv_rate=(counters.bytes_recv - last_recv) / elapsed,
        )
