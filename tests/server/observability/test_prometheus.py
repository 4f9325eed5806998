"""A real Prometheus (Debian package ``prometheus``) scrapes a real server during sessions with participants.

The server runs a cluster of two minikms processes, with the plain metrics listener on (openvidu.metrics.port).
Prometheus scrapes both ways an operator can: the plain listener, and ``/metrics`` over HTTPS with the Basic auth.
Its HTTP API must then show the figures the REST API shows (sessions, connections, publishers and subscribers per
media server, media servers connected and their load), the signaling requests and errors sent, the REST requests
made, and the process metrics; every query of the Grafana dashboard must be valid PromQL on that data. Prometheus
scrapes only 127.0.0.1 and keeps its data in a temporary folder.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import yaml

from tests.server.observability.test_dashboard import dashboard, queries
from tests.support.participants import (
    join,
    media_servers,
    new_session,
    participants,
    publish,
    rest,
    sdp_offer,
)
from tests.support.procs import LOOPBACK, MinikmsProcess, free_port, wait_port
from tests.support.server import ServerProcess

SCRAPE_SECONDS = 1
SETTLE_TIMEOUT = 40.0
JOBS = ("openvidu-plain", "openvidu-auth")


class Prometheus:
    def __init__(self, folder: Path, targets: dict[str, Any]) -> None:
        binary = shutil.which("prometheus")
        assert binary, "prometheus (Debian package prometheus) is needed: scripts/test.sh installs it"
        self.port = free_port()
        config = folder / "prometheus.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "evaluation_interval": "1s"},
                    "scrape_configs": list(targets.values()),
                }
            )
        )
        self.log = folder / "prometheus.log"
        self.command = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address={LOOPBACK}:{self.port}",
            "--log.level=warn",
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        self.api = httpx.Client(base_url=f"http://{LOOPBACK}:{self.port}", timeout=10)

    def __enter__(self) -> Prometheus:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        wait_port(self.port, timeout=30, proc=self.proc)
        wait_for(lambda: self.api.get("/-/ready").status_code == 200, "Prometheus ready")
        return self

    def __exit__(self, *exc: object) -> None:
        self.api.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def query(self, expr: str) -> list[dict[str, Any]]:
        body = self.api.get("/api/v1/query", params={"query": expr}).json()
        assert body["status"] == "success", (expr, body)
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def vector(self, expr: str, *labels: str) -> dict[tuple[str, ...], float]:
        return {
            tuple(series["metric"].get(label, "") for label in labels): float(series["value"][1])
            for series in self.query(expr)
        }


def wait_for(condition: Callable[[], bool], what: str, timeout: float = SETTLE_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (httpx.HTTPError, AssertionError, KeyError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"not reached in {timeout} s: {what}")


@pytest.fixture
def cluster() -> Iterator[list[MinikmsProcess]]:
    procs = [MinikmsProcess(), MinikmsProcess()]
    try:
        for proc in procs:
            proc.start()
        yield procs
    finally:
        for proc in procs:
            proc.stop()


def rest_figures(server: ServerProcess) -> dict[str, dict[str, float]]:
    """What the REST API shows, per media server id (``none`` for sessions nobody joined yet)."""
    figures: dict[str, dict[str, float]] = {}
    hosts = {
        s["sessionId"]: ms["id"] for ms in media_servers(server, sessions="true") for s in ms["sessions"]
    }
    for ms in media_servers(server):
        figures[ms["id"]] = dict.fromkeys(("sessions", "participants", "publishers", "subscribers"), 0.0)
    figures["none"] = dict.fromkeys(("sessions", "participants", "publishers", "subscribers"), 0.0)
    for session in rest(server, "GET", "/api/sessions").json()["content"]:
        entry = figures[hosts.get(session["sessionId"], "none")]
        entry["sessions"] += 1
        for connection in session["connections"]["content"]:
            entry["participants"] += 1
            entry["publishers"] += len(connection["publishers"])
            entry["subscribers"] += len(connection["subscribers"])
    return figures


async def test_prometheus_scrapes_the_figures_the_rest_api_shows(
    tmp_path: Path, cluster: list[MinikmsProcess]
) -> None:
    metrics_port = free_port()
    settings = {
        "kms.uris": [kms.uri for kms in cluster],
        "openvidu.pro.cluster": True,
        "openvidu.metrics.port": metrics_port,
        "openvidu.metrics.address": LOOPBACK,
        "openvidu.pro.stats.monitoring-interval": 1,
        "openvidu.cdr.path": str(tmp_path / "cdr"),
    }
    (tmp_path / "state").mkdir()
    with ServerProcess(settings, state_dir=tmp_path / "state") as server:
        targets = {
            "plain": {"job_name": JOBS[0], "static_configs": [{"targets": [f"{LOOPBACK}:{metrics_port}"]}]},
            "auth": {
                "job_name": JOBS[1],
                "scheme": "https",
                "tls_config": {"insecure_skip_verify": True},
                "basic_auth": {"username": "OPENVIDUAPP", "password": server.secret},
                "static_configs": [{"targets": [f"{LOOPBACK}:{server.port}"]}],
            },
        }
        async with participants() as clients:
            # Session 1: alice publishes, bob subscribes to her. Session 2: carol only. Session 3: nobody joined.
            alice_session = await asyncio.to_thread(new_session, server)
            alice = await join(server, alice_session)
            clients.append(alice)
            stream_id = (await publish(alice))["id"]
            bob = await join(server, alice_session)
            clients.append(bob)
            await bob.call(
                "receiveVideoFrom", {"sender": stream_id, "sdpOffer": await sdp_offer()}, timeout=30
            )
            carol = await join(server)
            clients.append(carol)
            await asyncio.to_thread(new_session, server)
            # One signaling error: a subscription to a stream that does not exist.
            failed = await carol.request(
                "receiveVideoFrom", {"sender": "nobody_CAMERA_ABCDE", "sdpOffer": "v=0"}
            )
            error_code = str(failed["error"]["code"])

            expected = await asyncio.to_thread(rest_figures, server)
            assert sum(f["sessions"] for f in expected.values()) == 3
            assert sum(f["participants"] for f in expected.values()) == 3
            assert sum(f["publishers"] for f in expected.values()) == 1
            assert sum(f["subscribers"] for f in expected.values()) == 1
            servers = await asyncio.to_thread(media_servers, server, load="true")
            assert len(servers) == 2 and all(ms["connected"] for ms in servers)

            with Prometheus(tmp_path, targets) as prometheus:

                def scraped(job: str) -> dict[str, dict[str, float]]:
                    figures: dict[str, dict[str, float]] = {}
                    for field in ("sessions", "participants", "publishers", "subscribers"):
                        vector = prometheus.vector(f'openvidu_{field}{{job="{job}"}}', "media_server")
                        for (media_server,), amount in vector.items():
                            figures.setdefault(media_server, {})[field] = amount
                    return figures

                for job in JOBS:
                    wait_for(lambda job=job: scraped(job) == expected, f"{job} figures == REST {expected}")
                up = prometheus.vector("up", "job")
                assert up == {(JOBS[0],): 1.0, (JOBS[1],): 1.0}

                for job in JOBS:
                    connected = prometheus.vector(
                        f'openvidu_media_server_connected{{job="{job}"}}', "media_server", "uri"
                    )
                    assert connected == {(ms["id"], ms["uri"]): 1.0 for ms in servers}
                    load = prometheus.vector(
                        f'openvidu_media_server_load{{job="{job}"}}', "media_server", "strategy"
                    )
                    assert load == {(ms["id"], "streams"): float(ms["load"]) for ms in servers}

                    requests = prometheus.vector(f'openvidu_rpc_requests_total{{job="{job}"}}', "method")
                    assert requests[("joinRoom",)] == 3
                    assert requests[("publishVideo",)] == 1
                    assert requests[("receiveVideoFrom",)] == 2
                    errors = prometheus.vector(f'openvidu_rpc_errors_total{{job="{job}"}}', "method", "code")
                    assert errors == {("receiveVideoFrom", error_code): 1.0}

                    tokens = prometheus.vector(
                        f'openvidu_rest_request_duration_seconds_count{{job="{job}",route="/api/tokens"}}',
                        "method",
                        "status",
                    )
                    assert tokens == {("POST", "200"): 3.0}  # one per participant
                    sessions_posted = prometheus.vector(
                        f'openvidu_rest_request_duration_seconds_count{{job="{job}",route="/api/sessions",'
                        'method="POST"}',
                        "status",
                    )
                    assert sessions_posted == {("200",): 3.0}

                    assert server.proc is not None
                    rss = psutil.Process(server.proc.pid).memory_info().rss
                    (scraped_rss,) = prometheus.vector(
                        f'process_resident_memory_bytes{{job="{job}"}}', "job"
                    ).values()
                    assert 0.5 * rss < scraped_rss < 2 * rss
                    assert prometheus.query(f'process_cpu_seconds_total{{job="{job}"}} > 0')
                    webhook = prometheus.vector(f'openvidu_webhook_queue_depth{{job="{job}"}}', "job")
                    assert list(webhook.values()) == [0.0]
                    in_progress = prometheus.vector(
                        f'openvidu_recordings_in_progress{{job="{job}"}}', "output_mode"
                    )
                    assert in_progress == {("COMPOSED",): 0.0, ("INDIVIDUAL",): 0.0}

                # Every dashboard query is valid PromQL on this data; the session panels have data.
                wait_for(
                    lambda: bool(prometheus.query("rate(process_cpu_seconds_total[1m])")), "two CPU samples"
                )
                for expr in queries(dashboard()):
                    concrete = expr.replace("$__rate_interval", "1m").replace("$instance", ".*")
                    if expr.startswith("label_values("):
                        metric = concrete.removeprefix("label_values(").split(",")[0]
                        assert {s["metric"]["instance"] for s in prometheus.query(metric)}
                        continue
                    result = prometheus.query(concrete)
                    if "openvidu_sessions" in expr or "openvidu_participants" in expr:
                        assert result, f"no data for {expr!r}"
