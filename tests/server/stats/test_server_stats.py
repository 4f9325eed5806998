"""Stats gathering in a running server: host and WebRTC samples at their intervals, /pro/stats, /metrics, the
stats log beside the CDR, and nothing gathered at interval 0."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from pathlib import Path

import httpx

from tests.support.participants import join, participants, publish, rest
from tests.support.procs import MinikmsProcess
from tests.support.server import ServerProcess


async def test_stats_are_gathered_served_and_logged(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    with MinikmsProcess(log_path=tmp_path / "kms.log") as kms:
        settings = {
            "kms.uris": [kms.uri],
            "openvidu.pro.stats.monitoring-interval": 1,
            "openvidu.pro.stats.webrtc-interval": 1,
            "openvidu.cdr": True,
            "openvidu.cdr.path": str(tmp_path / "cdr"),
        }
        with ServerProcess(settings, state_dir=tmp_path / "state") as server:
            async with participants() as clients:
                alice = await join(server)
                clients.append(alice)
                await publish(alice)
                await asyncio.sleep(3.5)
                stats = rest(server, "GET", "/pro/stats").json()
            assert stats["monitoringInterval"] == 1 and stats["webrtcInterval"] == 1
            host = stats["host"]["history"]
            assert 1 <= len(host) <= 5
            stamps = [s["timestamp"] for s in host]
            assert all(500 <= b - a <= 4000 for a, b in itertools.pairwise(stamps)), stamps
            assert 0 <= host[-1]["cpu"] <= 100 and host[-1]["mem_total"] > 0
            webrtc = [r for r in stats["webrtc"]["history"] if r["endpoints"]]
            assert webrtc, stats["webrtc"]
            endpoint = webrtc[-1]["endpoints"][0]
            assert endpoint["mediaServer"].startswith("KMS-") and isinstance(endpoint["stats"], dict)
            assert endpoint["endpoint"].endswith("_CAMERA_" + endpoint["endpoint"].rsplit("_", 1)[1])

            with httpx.Client(base_url=server.url, verify=False) as anonymous:
                assert anonymous.get("/metrics").status_code == 401
                assert anonymous.get("/pro/stats").status_code == 401
            metrics = rest(server, "GET", "/metrics")
            assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
            assert "openvidu_host_cpu_percent" in metrics.text

            (log_file,) = (tmp_path / "cdr").glob("STATS.*.log")
            kinds = [json.loads(line)["elastic_type"] for line in log_file.read_text().splitlines()]
            assert "monitoringStats" in kinds and "webrtcStats" in kinds


def test_zero_intervals_gather_nothing(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    settings = {
        "openvidu.pro.stats.monitoring-interval": 0,
        "openvidu.pro.stats.webrtc-interval": 0,
        "openvidu.cdr.path": str(tmp_path / "cdr"),
    }
    with ServerProcess(settings, state_dir=tmp_path / "state") as server:
        time.sleep(1.5)
        stats = rest(server, "GET", "/pro/stats").json()
        assert stats["host"] == {"latest": None, "history": []}
        assert stats["webrtc"] == {"latest": None, "history": []}
        assert not list((tmp_path / "cdr").glob("STATS.*.log"))
