"""Session listings at scale: ``GET /api/sessions`` and ``GET /openvidu/api/sessions`` with N sessions.

For each N (``--sessions 1000,10000,20000``) a fresh server (plain HTTP, pinned to one core with taskset, an
embedded-free setup: one minikms process for the joins) gets N sessions through REST; ``--joined`` of them (default
1 in 20, at most 500) get ``--per-session`` participants that join over the websocket signaling (no media) and stay
for the whole run, and every other session of the 2.32 surface gets a pending connection. Then, per listing path:

- **ratio**: wrk (one connection, pinned to the other core) on the listing, then on a bare Starlette app
  (benchmarks/bare_app.py, same core, same uvicorn stack) returning the same body; requests/s of both and
  ours/bare (goal: >= 0.7 at 1,000 sessions);
- **CPU per request**: server process CPU (user+system) over the wrk run / requests served, the bare app's
  likewise, and bare/ours (the ratio in CPU, which holds better than requests/s on a loaded machine);
- **delay of other requests**: while wrk lists with ``--listers`` connections, a probe sends ``GET /config``
  every 20 ms on its own connection and records each answer's latency; the same probe without listings is the
  baseline. Printed: p50/p99/max of both and the worst added delay (goal: a 20,000-session listing never delays
  another request by more than 10 ms).

Run: ``python3 benchmarks/rest_listing.py [--sessions 1000,10000,20000] [--duration 5] [--server-root DIR]``
(needs wrk and taskset; ``--server-root`` runs the server of another checkout, for a before/after pair).
Everything is on 127.0.0.1. Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.rest import run_wrk, start_bare, stop  # noqa: E402
from tests.support.procs import MinikmsProcess, free_port  # noqa: E402
from tests.support.rpc_client import RpcClient  # noqa: E402

SECRET = "BenchSecret"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"OPENVIDUAPP:{SECRET}".encode()).decode()}
SERVER_CPU = "1"
CLIENT_CPU = "0"
READY_TIMEOUT = 60.0
PROBE_INTERVAL = 0.02
JOIN_CONCURRENCY = 20
SETUP_CONCURRENCY = 32
PATHS = ("/api/sessions", "/openvidu/api/sessions")


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url + "/config/openvidu-publicurl", timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(url)


def start_server(root: Path, port: int, state: Path, kms_uri: str) -> subprocess.Popen[bytes]:
    args = [
        "taskset", "-c", SERVER_CPU, sys.executable, "-m", "server",
        "--server.address=127.0.0.1", f"--server.port={port}", "--server.ssl.enabled=false",
        f"--openvidu.secret={SECRET}", f"--kms.uris={json.dumps([kms_uri])}", f"--openvidu.state.path={state}",
        "--logging.level.root=warn", "--openvidu.rpc.ping-timeout=86400", "--openvidu.rpc.join-timeout=86400",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENVIDU_", "SERVER_", "KMS_"))}
    proc = subprocess.Popen(args, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(f"http://127.0.0.1:{port}", proc)
    return proc


async def populate(base: str, sessions: int, joined: int, per_session: int) -> list[RpcClient]:
    """N sessions (half made through each surface), participants in ``joined`` of them, a pending 2.32
    connection in every other 2.32 session. Returns the open signaling clients (closing them ends the joins)."""
    limits = asyncio.Semaphore(SETUP_CONCURRENCY)
    clients: list[RpcClient] = []
    ws = base.replace("http://", "ws://") + "/openvidu"
    async with httpx.AsyncClient(base_url=base, headers=AUTH, timeout=30.0) as api:

        async def one(index: int) -> None:
            async with limits:
                if index % 2:
                    sid = (await api.post("/openvidu/api/sessions", json={})).raise_for_status().json()["id"]
                else:
                    sid = (await api.post("/api/sessions", json={})).raise_for_status().json()["id"]
                if index < joined:
                    for _ in range(per_session):
                        answer = await api.post("/api/tokens", json={"session": sid})
                        client = await RpcClient(ws).open()
                        clients.append(client)
                        await client.join(answer.raise_for_status().json()["token"], sid, metadata="bench")
                elif index % 4 == 1:
                    await api.post(f"/openvidu/api/sessions/{sid}/connection", json={"data": "pending"})

        await asyncio.gather(*(one(i) for i in range(sessions)))
    return clients


class Participants:
    """The joined clients, held open by an event loop in a thread for the whole run."""

    def __init__(self, base: str, sessions: int, joined: int, per_session: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        future = asyncio.run_coroutine_threadsafe(populate(base, sessions, joined, per_session), self.loop)
        self.clients = future.result(timeout=1800)

    def close(self) -> None:
        async def close_all() -> None:
            await asyncio.gather(*(c.close() for c in self.clients), return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close_all(), self.loop).result(timeout=120)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def cpu_seconds(pid: int) -> float:
    """CPU of the server process (taskset execs python in place, so the pid is the server's)."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def probe(port: int, stop_at: float) -> list[float]:
    """``GET /config`` every PROBE_INTERVAL on one keep-alive connection; each answer's latency in seconds."""
    request = (
        f"GET /config HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH['Authorization']}\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            sock.sendall(request)
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += sock.recv(65536)
            head, _, body = answer.partition(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            while len(body) < length:
                body += sock.recv(65536)
            latencies.append(time.perf_counter() - started)
            time.sleep(max(0.0, PROBE_INTERVAL - (time.perf_counter() - started)))
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def probe_during(
    port: int, url: str, listers: int, duration: float, scratch: Path
) -> tuple[list[float], float]:
    """Probe latencies while wrk lists with ``listers`` connections; also wrk's requests/s."""
    result: dict[str, Any] = {}

    def load() -> None:
        result["wrk"] = run_wrk(url, "GET", "", listers, duration, scratch)

    thread = threading.Thread(target=load)
    thread.start()
    time.sleep(0.3)
    latencies = probe(port, time.monotonic() + duration - 0.6)
    thread.join()
    return latencies, float(result["wrk"].requests_per_s)


def fmt(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50) * 1e3:6.2f} p99 {percentile(values, 99) * 1e3:6.2f} "
        f"max {max(values) * 1e3:6.2f} ms (n={len(values)})"
    )


def run_size(n: int, args: argparse.Namespace, scratch: Path) -> None:
    joined = args.joined if args.joined is not None else min(500, n // 20)
    with MinikmsProcess() as kms:
        port = free_port()
        state = scratch / f"state-{port}"
        server = start_server(args.server_root, port, state, kms.uri)
        participants: Participants | None = None
        try:
            base = f"http://127.0.0.1:{port}"
            t0 = time.perf_counter()
            participants = Participants(base, n, joined, args.per_session)
            setup = time.perf_counter() - t0
            print(
                f"\n== {n} sessions ({joined} with {args.per_session} participants each, a pending 2.32 connection "
                f"in 1 of 4 others; made in {setup:.0f} s)",
                flush=True,
            )
            baseline = probe(port, time.monotonic() + 3.0)
            print(f"  GET /config alone:                      {fmt(baseline)}")
            for path in PATHS:
                url = base + path
                body = httpx.get(url, headers=AUTH, timeout=60).raise_for_status().content
                bare_port = free_port()
                bare = start_bare(bare_port, {f"GET {path}": body.decode()}, scratch, [])
                try:
                    cpu0 = cpu_seconds(server.pid)
                    mine = run_wrk(url, "GET", "", 1, args.duration, scratch)
                    cpu1 = cpu_seconds(server.pid)
                    bare0 = cpu_seconds(bare.pid)
                    ceiling = run_wrk(
                        f"http://127.0.0.1:{bare_port}{path}", "GET", "", 1, args.duration, scratch
                    )
                    bare1 = cpu_seconds(bare.pid)
                finally:
                    stop(bare)
                ours_cpu = (cpu1 - cpu0) / max(1.0, mine.requests_per_s * args.duration)
                bare_cpu = (bare1 - bare0) / max(1.0, ceiling.requests_per_s * args.duration)
                ratio = mine.requests_per_s / ceiling.requests_per_s if ceiling.requests_per_s else 0.0
                print(
                    f"  GET {path:22} body {len(body) / 1024:8.0f} KB: {mine.requests_per_s:7.1f} req/s "
                    f"(p50 {mine.p50_ms:.2f} ms), bare {ceiling.requests_per_s:7.1f} req/s "
                    f"(p50 {ceiling.p50_ms:.2f} ms), ratio {ratio:.2f}; CPU per request {ours_cpu * 1e3:.2f} ms, "
                    f"bare {bare_cpu * 1e3:.2f} ms, CPU ratio bare/ours {bare_cpu / max(1e-9, ours_cpu):.2f}",
                    flush=True,
                )
                latencies, rps = probe_during(port, url, args.listers, args.duration, scratch)
                added = max(latencies) - percentile(baseline, 50)
                print(
                    f"  GET /config while {args.listers} conn list it ({rps:6.1f}/s): {fmt(latencies)}; "
                    f"worst added delay {added * 1e3:.1f} ms",
                    flush=True,
                )
        finally:
            if participants is not None:
                participants.close()
            stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", default="1000,10000,20000", help="comma-separated session counts")
    parser.add_argument(
        "--joined", type=int, default=None, help="sessions with participants (default N/20, <= 500)"
    )
    parser.add_argument(
        "--per-session", type=int, default=2, help="participants per joined session (default 2)"
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default 5)")
    parser.add_argument("--listers", type=int, default=2, help="wrk connections listing during the probe")
    parser.add_argument("--server-root", type=Path, default=REPO, help="checkout whose server runs")
    args = parser.parse_args()
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is required")
    load = os.getloadavg()
    print(
        f"server on CPU {SERVER_CPU} from {args.server_root}, wrk and probe on CPU {CLIENT_CPU}, plain HTTP, "
        f"{args.duration:g} s per run; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    with tempfile.TemporaryDirectory(prefix="ov-listing-") as tmp:
        for n in (int(x) for x in args.sessions.split(",")):
            run_size(n, args, Path(tmp))
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
