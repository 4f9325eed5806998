"""The stats gatherer samples at its intervals, keeps a bounded history, logs JSON lines and stops at 0.

The gatherer runs on a FakeClock: the test advances time one second at a time and waits until both loops are
back at their next wait, so the sample counts are exact and no test sleeps.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server.stats.gatherer import StatsGatherer
from tests.support.clock import FakeClock


async def run_for(clock: FakeClock, seconds: int, loops: int) -> None:
    for _ in range(seconds):
        await clock.advance(1)
        await clock.until_waiting(loops)


async def test_host_and_webrtc_samples_arrive_at_their_intervals(tmp_path: Path) -> None:
    calls = 0

    async def source() -> list[dict[str, Any]]:
        nonlocal calls
        calls += 1
        return [{"sessionId": "s1", "endpoint": "e1", "mediaServer": "KMS-AAAAAA", "stats": {"n": calls}}]

    clock = FakeClock()
    log_path = tmp_path / "stats.log"
    gatherer = StatsGatherer(2, 3, history=5, log_path=log_path, webrtc_source=source, clock=clock)
    await gatherer.start()
    await clock.until_waiting(2)
    await run_for(clock, 20, loops=2)
    await gatherer.stop()

    assert len(gatherer.host_history) == 5  # bounded: 10 samples taken (every 2 s), 5 kept
    host = gatherer.latest_host
    assert host is not None and 0.0 <= host.cpu <= 100.0 and host.mem_total > host.mem_used > 0
    assert calls == 6  # every 3 s
    latest = gatherer.latest_webrtc
    assert latest is not None and latest["endpoints"][0]["stats"]["n"] == calls

    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert sum(1 for line in lines if line["elastic_type"] == "monitoringStats") == 10
    assert sum(1 for line in lines if line["elastic_type"] == "webrtcStats") == calls

    body = gatherer.to_json()
    assert body["host"]["latest"]["elastic_type"] == "monitoringStats"
    assert b"openvidu_host_cpu_percent" in gatherer.metrics.render()
    assert b"openvidu_webrtc_endpoints 1.0" in gatherer.metrics.render()

    # stopped: no loop waits any more and nothing more arrives
    assert clock.waiting == 0
    await clock.advance(30)
    assert len(log_path.read_text().splitlines()) == len(lines)


async def test_zero_intervals_gather_nothing(tmp_path: Path) -> None:
    async def source() -> list[dict[str, Any]]:
        raise AssertionError("must not be called")

    clock = FakeClock()
    gatherer = StatsGatherer(0, 0, log_path=tmp_path / "stats.log", webrtc_source=source, clock=clock)
    await gatherer.start()
    assert clock.waiting == 0
    await clock.advance(60)
    await gatherer.stop()
    assert gatherer.latest_host is None and gatherer.latest_webrtc is None
    assert not (tmp_path / "stats.log").exists()


async def test_a_failing_source_does_not_end_the_loop(tmp_path: Path) -> None:
    calls = 0

    async def source() -> list[dict[str, Any]]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("media server gone")
        return []

    clock = FakeClock()
    gatherer = StatsGatherer(0, 1, webrtc_source=source, clock=clock)
    await gatherer.start()
    await clock.until_waiting(1)
    await run_for(clock, 5, loops=1)
    await gatherer.stop()
    assert calls == 5
    assert gatherer.latest_webrtc is not None
