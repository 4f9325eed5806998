"""REST throughput and latency: openvidu-server against the bare Starlette ceiling, with wrk.

For each scenario a fresh server (``openvidu-server``, pinned to one core with taskset) and a bare
Starlette app (benchmarks/bare_app.py, same core, returning a precomputed JSON body of the same size) are
loaded by the same wrk command pinned to the other core. Printed per scenario: requests/s, p50 and p99 latency
of both, and the ratio server/bare (the figure; goals: POST /api/tokens >= 0.60, GET /api/sessions with 1,000
sessions p50 < 20 ms).

Scenarios: POST /api/sessions (empty JSON body), POST /api/tokens ({"session": id}), GET /api/sessions with
1,000 sessions (1 connection, so latency is service time, and 8 connections); with ``--with-232`` also
POST /openvidu/api/sessions, POST /openvidu/api/sessions/<id>/connection and GET /openvidu/api/sessions with 1,000.

wrk speaks plain HTTP by default (TLS adds the same per-request cost to both sides of the ratio); ``--tls``
runs both sides over HTTPS with the server's self-signed certificate (keep-alive connections, so the handshake
cost is paid once per wrk connection).
The two sides are loaded in alternation for several rounds and the best round of each is kept, because
the machine is shared. Run: ``python3 benchmarks/rest.py [--duration 5] [--connections 8] [--rounds 3]``
(needs wrk and taskset).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
SECRET = "BenchSecret"
AUTH = "Basic " + base64.b64encode(f"OPENVIDUAPP:{SECRET}".encode()).decode()
SERVER_CPU = "1"
WRK_CPU = "0"
READY_TIMEOUT = 30.0
POLL_INTERVAL = 0.1
STOP_TIMEOUT = 15.0
LIST_SIZE = 1000
TOKEN_GOAL = 0.60
LIST_P50_GOAL_MS = 20.0
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    body: str
    connections: int
    sessions_before: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1.0, verify=False)
            return
        except httpx.HTTPError:
            time.sleep(POLL_INTERVAL)
    raise TimeoutError(url)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(STOP_TIMEOUT)


def start_server(port: int, state: Path, tls: bool) -> subprocess.Popen[bytes]:
    args = [
        "taskset", "-c", SERVER_CPU, sys.executable, "-m", "server",
        "--server.address=127.0.0.1", f"--server.port={port}", f"--server.ssl.enabled={str(tls).lower()}",
        f"--openvidu.secret={SECRET}", "--kms.uris=[]", f"--openvidu.state.path={state}",
        "--logging.level.root=warn",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENVIDU_", "SERVER_", "KMS_"))}
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"{scheme(tls)}://127.0.0.1:{port}/config/openvidu-publicurl", proc)
    return proc


def scheme(tls: bool) -> str:
    return "https" if tls else "http"


def start_bare(port: int, bodies: dict[str, str], scratch: Path, cert: list[str]) -> subprocess.Popen[bytes]:
    """``cert``: [certificate, key] PEM paths for TLS (the server's self-signed pair), or [] for plain HTTP."""
    path = scratch / f"bodies-{port}.json"
    path.write_text(json.dumps(bodies))
    script = str(REPO / "benchmarks" / "bare_app.py")
    args = ["taskset", "-c", SERVER_CPU, sys.executable, script, str(port), str(path), *cert]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"{scheme(bool(cert))}://127.0.0.1:{port}/", proc)
    return proc


def parse_latency(text: str, label: str) -> float:
    match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if match is None:
        raise ValueError(f"no {label}% latency in wrk output:\n{text}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(url: str, method: str, body: str, connections: int, duration: float, scratch: Path) -> WrkResult:
    script = scratch / "request.lua"
    lines = [f'wrk.method = "{method}"', f'wrk.headers["Authorization"] = "{AUTH}"']
    if body:
        lines += [f"wrk.body = {json.dumps(body)}", 'wrk.headers["Content-Type"] = "application/json"']
    script.write_text("\n".join(lines) + "\n")
    args = [
        "taskset", "-c", WRK_CPU, "wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency",
        "-s", str(script), url,
    ]  # fmt: skip
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    if rps is None:
        raise ValueError(f"no Requests/sec in wrk output:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    count = int(errors.group(1)) if errors else 0
    if socket_errors:
        count += sum(int(g) for g in socket_errors.groups())
    return WrkResult(float(rps.group(1)), parse_latency(out, "50"), parse_latency(out, "99"), count)


def prepare(api: httpx.Client, scenario: Scenario) -> tuple[str, str, str]:
    """Create the state a scenario needs; return (path, body to send, a sample answer for the bare app)."""
    for _ in range(scenario.sessions_before):
        api.post("/api/sessions").raise_for_status()
    body, path = scenario.body, scenario.path
    if "{session}" in body or "{session}" in path:
        sid = api.post("/api/sessions", json={}).json()["id"]
        body, path = body.replace("{session}", sid), path.replace("{session}", sid)
    sample = api.request(scenario.method, path, content=body.encode() or None,
                         headers={"Content-Type": "application/json"})  # fmt: skip
    sample.raise_for_status()
    return path, body, sample.text


def best(results: list[WrkResult]) -> WrkResult:
    """The round with the most requests/s (the machine is shared: the best round is the least disturbed)."""
    return max(results, key=lambda r: r.requests_per_s)


def run_scenario(
    scenario: Scenario, duration: float, rounds: int, scratch: Path, tls: bool
) -> tuple[WrkResult, WrkResult, int]:
    """Both servers up at once (same core), loaded in alternation ``rounds`` times; best round of each."""
    server_port, bare_port = free_port(), free_port()
    state = scratch / f"state-{server_port}"
    server = start_server(server_port, state, tls)
    bare: subprocess.Popen[bytes] | None = None
    try:
        base = f"{scheme(tls)}://127.0.0.1:{server_port}"
        with httpx.Client(base_url=base, headers={"Authorization": AUTH}, verify=False) as api:
            path, body, sample = prepare(api, scenario)
        cert = [str(state / "selfsigned-cert.pem"), str(state / "selfsigned-key.pem")] if tls else []
        bodies = {f"{scenario.method} {path}": sample, "GET /": "{}"}
        bare = start_bare(bare_port, bodies, scratch, cert)
        mine: list[WrkResult] = []
        ceiling: list[WrkResult] = []
        for _ in range(rounds):
            for port, sink in ((server_port, mine), (bare_port, ceiling)):
                url = f"{scheme(tls)}://127.0.0.1:{port}{path}"
                sink.append(run_wrk(url, scenario.method, body, scenario.connections, duration, scratch))
    finally:
        stop(server)
        if bare is not None:
            stop(bare)
    return best(mine), best(ceiling), len(sample.encode())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default 5)")
    parser.add_argument(
        "--connections", type=int, default=8, help="wrk connections for the POST runs (default 8)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating wrk rounds per side; best kept (default 3)"
    )
    parser.add_argument(
        "--tls", action="store_true", help="HTTPS on both sides (the server's self-signed pair)"
    )
    parser.add_argument(
        "--with-232",
        action="store_true",
        help="also the 2.32 surface (/openvidu/api connections and sessions)",
    )
    args = parser.parse_args()
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is required")
    scenarios = [
        Scenario("POST /api/sessions", "POST", "/api/sessions", "{}", args.connections, 0),
        Scenario("POST /api/tokens", "POST", "/api/tokens", '{"session":"{session}"}', args.connections, 0),
        Scenario("GET /api/sessions (1000 sessions, 1 conn)", "GET", "/api/sessions", "", 1, LIST_SIZE - 1),
        Scenario("GET /api/sessions (1000 sessions, 8 conn)", "GET", "/api/sessions", "", 8, LIST_SIZE - 1),
    ]
    if args.with_232:
        connection = "/openvidu/api/sessions/{session}/connection"
        scenarios += [
            Scenario(
                "POST /openvidu/api/sessions", "POST", "/openvidu/api/sessions", "{}", args.connections, 0
            ),
            Scenario("POST /openvidu/api/.../connection", "POST", connection, "{}", args.connections, 0),
            Scenario(
                "GET /openvidu/api/sessions (1000, 1 conn)",
                "GET",
                "/openvidu/api/sessions",
                "",
                1,
                LIST_SIZE - 1,
            ),
        ]
    print(
        f"wrk pinned to CPU {WRK_CPU}, servers to CPU {SERVER_CPU}, {'HTTPS' if args.tls else 'plain HTTP'}, "
        f"best of {args.rounds} alternating rounds of {args.duration:g} s"
    )
    header = f"{'scenario':44} {'body B':>7} {'server req/s':>12} {'p50 ms':>7} {'p99 ms':>7} "
    header += f"{'bare req/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6}"
    print(header)
    results: dict[str, tuple[WrkResult, WrkResult]] = {}
    with tempfile.TemporaryDirectory(prefix="ov-bench-") as tmp:
        for scenario in scenarios:
            mine, bare, size = run_scenario(scenario, args.duration, args.rounds, Path(tmp), args.tls)
            results[scenario.name] = (mine, bare)
            ratio = mine.requests_per_s / bare.requests_per_s if bare.requests_per_s else 0.0
            errors = f"  ({mine.errors} errors)" if mine.errors or bare.errors else ""
            print(
                f"{scenario.name:44} {size:7d} {mine.requests_per_s:12.0f} {mine.p50_ms:7.2f} {mine.p99_ms:7.2f} "
                f"{bare.requests_per_s:10.0f} {bare.p50_ms:7.2f} {bare.p99_ms:7.2f} {ratio:6.2f}{errors}",
                flush=True,
            )
    tokens_mine, tokens_bare = results["POST /api/tokens"]
    token_ratio = tokens_mine.requests_per_s / tokens_bare.requests_per_s
    list_p50 = results["GET /api/sessions (1000 sessions, 1 conn)"][0].p50_ms
    print(
        f"goal tokens >= {TOKEN_GOAL:.0%} of bare: {token_ratio:.0%} ({'met' if token_ratio >= TOKEN_GOAL else 'missed'})"
    )
    print(f"goal GET /api/sessions p50 < {LIST_P50_GOAL_MS:g} ms: {list_p50:.2f} ms "
          f"({'met' if list_p50 < LIST_P50_GOAL_MS else 'missed'})")  # fmt: skip


if __name__ == "__main__":
    main()
