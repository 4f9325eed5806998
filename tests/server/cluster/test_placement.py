"""The load sampler alone, on media servers that only answer ``getUsedCpu``."""

from __future__ import annotations

import logging

import pytest

from server.cluster.load import LoadStrategy
from server.cluster.placement import LoadSampler


class CpuOnlyServer:
    def __init__(self, server_id: str, cpu: float) -> None:
        self.id = server_id
        self.cpu = cpu
        self.connected = True

    async def used_cpu(self, interval_ms: int) -> float:
        return self.cpu


async def test_the_first_sample_of_each_server_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    """Before its first sample a server's load is reported as 0.0 like an idle one; the log says when the
    samples are in (the cluster tests wait for it before a burst)."""
    servers = [CpuOnlyServer("KMS-A", 10.0), CpuOnlyServer("KMS-B", 0.0)]
    sampler = LoadSampler(LoadStrategy.CPU, lambda: servers, 30, 100)  # type: ignore[arg-type, return-value]
    with caplog.at_level(logging.INFO, logger="server.cluster.placement"):
        await sampler.sample_all()
        servers[0].cpu = 20.0
        await sampler.sample_all()
    firsts = [r.getMessage() for r in caplog.records if r.getMessage().startswith("first load sample")]
    assert firsts == ["first load sample of KMS-A (cpu): 10.0", "first load sample of KMS-B (cpu): 0.0"]
    assert sampler.samples["KMS-A"].cpu_percent == 20.0
