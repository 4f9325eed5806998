"""The stats gatherer samples at its intervals, keeps a bounded history, logs JSON lines and stops at 0."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from server.stats.gatherer import StatsGatherer


async def test_host_and_webrtc_samples_arrive_at_their_intervals(tmp_path: Path) -> None:
    calls = 0

    async def source() -> list[dict[str, Any]]:
        nonlocal calls
        calls += 1
        return [{"sessionId": "s1", "endpoint": "e1", "mediaServer": "KMS-AAAAAA", "stats": {"n": calls}}]

    log_path = tmp_path / "stats.log"
    gatherer = StatsGatherer(0.1, 0.15, history=5, log_path=log_path, webrtc_source=source)
    await gatherer.start()
    await asyncio.sleep(1.0)
    await gatherer.stop()

    assert len(gatherer.host_history) == 5  # bounded: ~9 samples taken, 5 kept
    host = gatherer.latest_host
    assert host is not None and 0.0 <= host.cpu <= 100.0 and host.mem_total > host.mem_used > 0
    assert 4 <= calls <= 7
    latest = gatherer.latest_webrtc
    assert latest is not None and latest["endpoints"][0]["stats"]["n"] == calls

    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    kinds = {line["elastic_type"] for line in lines}
    assert kinds == {"monitoringStats", "webrtcStats"}
    assert sum(1 for line in lines if line["elastic_type"] == "webrtcStats") == calls

    body = gatherer.to_json()
    assert body["host"]["latest"]["elastic_type"] == "monitoringStats"
    assert b"openvidu_host_cpu_percent" in gatherer.metrics.render()
    assert b"openvidu_webrtc_endpoints 1.0" in gatherer.metrics.render()

    # stopped: nothing more arrives
    count = len(lines)
    await asyncio.sleep(0.4)
    assert len(log_path.read_text().splitlines()) == count


async def test_zero_intervals_gather_nothing(tmp_path: Path) -> None:
    async def source() -> list[dict[str, Any]]:
        raise AssertionError("must not be called")

    gatherer = StatsGatherer(0, 0, log_path=tmp_path / "stats.log", webrtc_source=source)
    await gatherer.start()
    await asyncio.sleep(0.3)
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

    gatherer = StatsGatherer(0, 0.1, webrtc_source=source)
    await gatherer.start()
    await asyncio.sleep(0.5)
    await gatherer.stop()
    assert calls >= 3
    assert gatherer.latest_webrtc is not None
