"""Kurento RPC throughput: kms_client against the official kurento-client 7.3.0 (Node).

Both clients run, one after the other and for several rounds, against the same media server
(a minikms process started here, or ``--uri`` for one already running, e.g. a real KMS):

* create + release of a WebRtcEndpoint, sequentially (operations per second);
* plain ``invoke`` round trips (``getName`` on a pipeline), sequentially;
* the same invoke with ``--concurrency`` requests in flight.

The figure is the ratio kms_client / kurento-client for each (best round of each client);
the goal is 1.0 or better. Both clients share the machine with the media server, so the rates
are noisy on a busy host; ``cpu_us_per_invoke`` (each client process's own CPU time per
sequential invoke, lowest round) is steadier, and its ratio is kurento-client / kms_client so
that, here too, above 1.0 means kms_client is better. Run: ``python3 benchmarks/kms_rpc.py [--iterations N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kms_client import KurentoClient  # noqa: E402

NODE_DIR = REPO / "tests" / "e2e" / "node"
NODE_SCRIPT = NODE_DIR / "scripts" / "kms_rpc_bench.js"
STARTUP_TIMEOUT = 20.0
NODE_TIMEOUT = 600.0
WARMUP = 50
FIGURES = ("create_release_per_s", "invoke_per_s", "concurrent_invoke_per_s")
CPU_FIGURE = "cpu_us_per_invoke"


async def measure_python(uri: str, iterations: int, concurrency: int) -> dict[str, Any]:
    client = await KurentoClient.connect(uri)
    try:
        pipeline = await client.create_pipeline()
        for _ in range(min(WARMUP, iterations)):
            ep = await pipeline.create_webrtc_endpoint()
            await ep.release()
            await pipeline.get_name()

        start = time.perf_counter()
        for _ in range(iterations):
            ep = await pipeline.create_webrtc_endpoint()
            await ep.release()
        create_release = iterations / (time.perf_counter() - start)

        start = time.perf_counter()
        cpu_start = time.process_time()
        for _ in range(iterations):
            await pipeline.get_name()
        invoke = iterations / (time.perf_counter() - start)
        cpu_per_invoke = (time.process_time() - cpu_start) / iterations * 1e6

        start = time.perf_counter()
        done = 0
        while done < iterations:
            batch = min(concurrency, iterations - done)
            await asyncio.gather(*(pipeline.get_name() for _ in range(batch)))
            done += batch
        concurrent = iterations / (time.perf_counter() - start)
        await pipeline.release()
    finally:
        await client.close()
    return {
        "client": "kms_client",
        "create_release_per_s": create_release,
        "invoke_per_s": invoke,
        "concurrent_invoke_per_s": concurrent,
        "cpu_us_per_invoke": cpu_per_invoke,
    }


def measure_node(uri: str, iterations: int, concurrency: int) -> dict[str, Any]:
    proc = subprocess.run(
        ["node", str(NODE_SCRIPT), uri, str(iterations), str(concurrency)],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"node benchmark failed:\n{proc.stdout}\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_minikms(kms_version: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "minikms",
            "--address",
            "127.0.0.1",
            "--port",
            str(port),
            "--kms-version",
            kms_version,
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"minikms exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, f"ws://127.0.0.1:{port}/kurento"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("minikms did not start listening")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--uri", help="benchmark an already running media server instead of a minikms")
    parser.add_argument("--kms-version", default="7.3.0", help="version the started minikms reports")
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    proc = None
    uri = args.uri
    if uri is None:
        proc, uri = start_minikms(args.kms_version)
    try:
        best: dict[str, dict[str, float]] = {"kms_client": {}, "kurento-client": {}}
        for round_no in range(1, args.rounds + 1):
            runs = [
                asyncio.run(measure_python(uri, args.iterations, args.concurrency)),
                measure_node(uri, args.iterations, args.concurrency),
            ]
            for run in runs:
                name = str(run["client"])
                line = "  ".join(f"{k}={run[k]:9.1f}" for k in (*FIGURES, CPU_FIGURE))
                print(f"round {round_no}  {name:15s} {line}", flush=True)
                for key in FIGURES:
                    best[name][key] = max(best[name].get(key, 0.0), float(run[key]))
                cpu = float(run[CPU_FIGURE])
                best[name][CPU_FIGURE] = min(best[name].get(CPU_FIGURE, cpu), cpu)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()

    print(f"\nmedia server: {uri}  iterations: {args.iterations}  concurrency: {args.concurrency}")
    print(f"{'figure':26s} {'kms_client':>12s} {'kurento-client':>15s} {'ratio':>7s}")
    for key in FIGURES:
        ours, theirs = best["kms_client"][key], best["kurento-client"][key]
        print(f"{key:26s} {ours:12.1f} {theirs:15.1f} {ours / theirs:7.2f}")
    ours, theirs = best["kms_client"][CPU_FIGURE], best["kurento-client"][CPU_FIGURE]
    print(f"{CPU_FIGURE:26s} {ours:12.1f} {theirs:15.1f} {theirs / ours:7.2f}")


if __name__ == "__main__":
    main()
