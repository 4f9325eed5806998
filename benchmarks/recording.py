"""Recording benchmark: latency, CPU and memory of recordings of openvidu-browser publishers in headless Chromium,
through a real server and a real minikms (run it inside a loopback-only network namespace):

    unshare -n sh -c 'ip link set lo up && python3 benchmarks/recording.py'

Scenarios: one COMPOSED recording at 640x480 and at 1920x1080 (one publisher), and INDIVIDUAL with 1, 2 and 4
publishers. For each: start-to-started (the REST start's answer) and, for COMPOSED, start-to-recordingStarted (the
RECORDER's first subscription); stop-to-ready (the REST stop's answer, file processing included); CPU (% of one
core) and resident memory of the server with its children (the COMPOSED process group: Xvfb, PulseAudio,
Chromium, ffmpeg) and of minikms, over the recording window, next to the same window without recording.
Figures are printed, nothing is asserted. RSS sums over processes count shared pages more than once.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.browser import Browser, Page, StaticServer
from tests.support.procs import MinikmsProcess
from tests.support.server import ServerProcess

MEDIA_TIMEOUT = 60.0
SETTLE_SECONDS = 2.0


@dataclass
class Usage:
    cpu_percent: float
    rss_mb: float


class TreeSampler:
    """CPU seconds and RSS of a process and its descendants between two samples (children may come and go)."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.start_cpu: dict[int, float] = {}
        self.t0 = 0.0
        self.peak_rss = 0

    def _procs(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.Error):
            return [self.root, *self.root.children(recursive=True)]
        return []

    @staticmethod
    def _cpu(proc: psutil.Process) -> float:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            return float(times.user + times.system)
        return 0.0

    def begin(self) -> None:
        self.start_cpu = {p.pid: self._cpu(p) for p in self._procs()}
        self.t0 = time.monotonic()
        self.peak_rss = 0

    def sample_rss(self) -> None:
        total = 0
        for proc in self._procs():
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        self.peak_rss = max(self.peak_rss, total)

    def end(self) -> Usage:
        self.sample_rss()
        used = sum(self._cpu(p) - self.start_cpu.get(p.pid, 0.0) for p in self._procs())
        elapsed = time.monotonic() - self.t0
        return Usage(100.0 * used / elapsed, self.peak_rss / 1e6)


def measure(samplers: list[TreeSampler], seconds: float) -> list[Usage]:
    for sampler in samplers:
        sampler.begin()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for sampler in samplers:
            sampler.sample_rss()
        time.sleep(0.5)
    return [sampler.end() for sampler in samplers]


def publish(
    browser: Browser, pages: StaticServer, server: ServerProcess, session_id: str, n: int
) -> list[Page]:
    opened = []
    with server.client() as http:
        for i in range(n):
            token = http.post("/api/tokens", json={"session": session_id}).json()["token"]
            page = browser.open(pages.page_url("2.11"))
            page.eval(f"ovJoin({token!r}, 'p{i}', {{subscribe: false}})", timeout=MEDIA_TIMEOUT)
            page.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            opened.append(page)
    return opened


def scenario(
    browser: Browser,
    pages: StaticServer,
    server: ServerProcess,
    kms: MinikmsProcess,
    body: dict[str, Any],
    publishers: int,
    seconds: float,
) -> dict[str, Any]:
    with server.client(timeout=120.0) as http:
        session_id = http.post("/api/sessions", json={}).json()["id"]
    opened = publish(browser, pages, server, session_id, publishers)
    assert server.proc is not None and kms.proc is not None
    samplers = [TreeSampler(server.proc.pid), TreeSampler(kms.proc.pid)]
    try:
        time.sleep(SETTLE_SECONDS)
        idle = measure(samplers, seconds)
        with server.client(timeout=120.0) as http:
            t0 = time.monotonic()
            started = http.post("/api/recordings/start", json={"session": session_id, **body})
            start_latency = time.monotonic() - t0
            if started.status_code != 200:
                raise RuntimeError(f"start failed: {started.status_code} {started.text}")
            announced = None
            with contextlib.suppress(Exception):
                opened[0].wait_for("ovEvents.find(e => e.type === 'recordingStarted') || false", timeout=30)
                announced = time.monotonic() - t0
            busy = measure(samplers, seconds)
            t1 = time.monotonic()
            final = http.post(f"/api/recordings/stop/{started.json()['id']}").json()
            stop_latency = time.monotonic() - t1
            http.delete(f"/api/sessions/{session_id}")
            http.delete(f"/api/recordings/{started.json()['id']}")
    finally:
        for page in opened:
            with contextlib.suppress(Exception):
                page.close()
    return {
        "start": start_latency,
        "announced": announced,
        "stop": stop_latency,
        "status": final.get("status"),
        "size": final.get("size"),
        "duration": final.get("duration"),
        "idle": idle,
        "busy": busy,
    }


def row(name: str, result: dict[str, Any]) -> str:
    idle_server, idle_kms = result["idle"]
    busy_server, busy_kms = result["busy"]
    announced = f"{result['announced']:.2f}" if result["announced"] is not None else "-"
    return (
        f"| {name} | {result['start']:.2f} | {announced} | {result['stop']:.2f} | "
        f"{idle_server.cpu_percent:.0f} → {busy_server.cpu_percent:.0f} | "
        f"{idle_server.rss_mb:.0f} → {busy_server.rss_mb:.0f} | "
        f"{idle_kms.cpu_percent:.0f} → {busy_kms.cpu_percent:.0f} | "
        f"{idle_kms.rss_mb:.0f} → {busy_kms.rss_mb:.0f} | {result['status']}, {result['size']} B, "
        f"{result['duration']:.1f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="recording window per scenario")
    args = parser.parse_args()
    scenarios: list[tuple[str, dict[str, Any], int]] = [
        ("COMPOSED 640x480, 1 publisher", {"outputMode": "COMPOSED", "resolution": "640x480"}, 1),
        ("COMPOSED 1920x1080, 1 publisher", {"outputMode": "COMPOSED", "resolution": "1920x1080"}, 1),
        ("INDIVIDUAL, 1 publisher", {"outputMode": "INDIVIDUAL"}, 1),
        ("INDIVIDUAL, 2 publishers", {"outputMode": "INDIVIDUAL"}, 2),
        ("INDIVIDUAL, 4 publishers", {"outputMode": "INDIVIDUAL"}, 4),
    ]
    with StaticServer() as pages, Browser() as browser, MinikmsProcess() as kms:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="ov-bench-rec-") as folder:
            overrides = {
                "kms.uris": [kms.uri],
                "openvidu.recording": True,
                "openvidu.recording.path": folder,
            }
            server = ServerProcess(overrides)
            server.overrides["openvidu.publicurl"] = f"https://127.0.0.1:{server.port}"
            with server:
                print(
                    "| Scenario | start → started s | start → recordingStarted s | stop → ready s | "
                    "server+recorder CPU % (idle → recording) | server+recorder RSS MB | minikms CPU % | "
                    "minikms RSS MB | result |"
                )
                print("|---|---|---|---|---|---|---|---|---|")
                for name, body, publishers in scenarios:
                    result = scenario(browser, pages, server, kms, body, publishers, args.seconds)
                    print(row(name, result), flush=True)


if __name__ == "__main__":
    main()
