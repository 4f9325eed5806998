"""Signaling benchmark: websocket clients without media over TLS against a real server and a real minikms.

Measures, for N participants spread over S sessions:
- join latency (joinRoom request to response, p50/p99) and sustained joins per second while all join;
- signal delivery latency (sendMessage to everybody in the session, p50/p99 over all recipients);
- ping round trip under load (p50/p99);
- server memory per participant (RSS growth of the server process divided by N).

Usage: python3 benchmarks/signaling.py [--participants 1000] [--sessions 100] [--concurrency 50]
Everything runs on 127.0.0.1; every loop is bounded in count and time. Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.rpc.rpc_client import RpcClient
from tests.support.procs import MinikmsProcess
from tests.support.server import ServerProcess

PHASE_TIMEOUT = 300.0
SETTLE_SECONDS = 2.0
SIGNAL_WAIT_SECONDS = 30.0
PINGS_PER_CLIENT = 3
HEARTBEAT_SECONDS = 5.0  # openvidu-browser pings every 5 s; the server evicts sockets that stop


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def fmt_ms(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50) * 1000:.1f} ms, p99 {percentile(values, 99) * 1000:.1f} ms, "
        f"mean {statistics.fmean(values) * 1000:.1f} ms (n={len(values)})"
    )


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / (1024 * 1024)


async def make_tokens(
    server: ServerProcess, sessions: int, participants: int, concurrency: int
) -> list[tuple[str, str]]:
    limits = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(
        base_url=server.url, verify=False, headers=server.auth_header, timeout=30
    ) as http:
        session_ids = []
        for _ in range(sessions):
            resp = await http.post("/api/sessions", json={})
            session_ids.append(resp.json()["id"])

        async def one(i: int) -> tuple[str, str]:
            sid = session_ids[i % sessions]
            async with limits:
                resp = await http.post("/api/tokens", json={"session": sid})
            return sid, str(resp.json()["token"])

        return list(await asyncio.gather(*(one(i) for i in range(participants))))


async def run(args: argparse.Namespace) -> None:
    with (
        MinikmsProcess() as kms,
        ServerProcess({"kms.uris": [kms.uri], "logging.level.root": "warn"}) as server,
    ):
        assert server.proc is not None
        pid = server.proc.pid
        url = server.url.replace("https://", "wss://") + "/openvidu"
        tokens = await make_tokens(server, args.sessions, args.participants, args.concurrency)
        await asyncio.sleep(SETTLE_SECONDS)
        base_rss = rss_mb(pid)

        clients: list[RpcClient] = []
        heartbeats: list[asyncio.Task[None]] = []

        async def heartbeat(client: RpcClient) -> None:
            while not client.closed.is_set():
                await asyncio.sleep(HEARTBEAT_SECONDS)
                with contextlib.suppress(Exception):
                    await client.ping(interval=None)

        join_latency: list[float] = []
        join_done: list[float] = []
        results: list[dict[str, Any]] = []
        limits = asyncio.Semaphore(args.concurrency)

        async def join(sid: str, token: str) -> None:
            async with limits:
                client = await RpcClient(url).open()
                clients.append(client)
                await client.ping()
                heartbeats.append(asyncio.create_task(heartbeat(client)))
                started = time.perf_counter()
                result = await client.join(token, sid)
                join_latency.append(time.perf_counter() - started)
                join_done.append(time.perf_counter())
                results.append({"sid": sid, "id": result["id"], "client": client})

        cpu_before_join = cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(join(s, t) for s, t in tokens)), PHASE_TIMEOUT)
        cpu_join = cpu_seconds(pid) - cpu_before_join
        join_wall = time.perf_counter() - started
        await asyncio.sleep(SETTLE_SECONDS)
        joined_rss = rss_mb(pid)
        media_rss = rss_mb(kms.proc.pid) if kms.proc is not None else float("nan")

        # pings under load: every client pings a few times, all at once
        ping_rtt: list[float] = []

        async def pings(client: RpcClient) -> None:
            for _ in range(PINGS_PER_CLIENT):
                t0 = time.perf_counter()
                await client.ping(interval=None)
                ping_rtt.append(time.perf_counter() - t0)

        cpu_before_ping = cpu_seconds(pid)
        await asyncio.wait_for(asyncio.gather(*(pings(c) for c in clients)), PHASE_TIMEOUT)
        cpu_ping = cpu_seconds(pid) - cpu_before_ping

        # signals: one sender per session broadcasts, every recipient timestamps the arrival
        by_session: dict[str, list[dict[str, Any]]] = {}
        for entry in results:
            by_session.setdefault(entry["sid"], []).append(entry)
        signal_latency: list[float] = []

        async def broadcast(members: list[dict[str, Any]], n: int) -> None:
            sender: RpcClient = members[0]["client"]
            for k in range(n):
                tag = f"{members[0]['id']}-{k}"
                sent = time.perf_counter()
                await sender.call(
                    "sendMessage", {"message": json.dumps({"to": [], "data": tag, "type": "signal"})}
                )
                for member in members:
                    client: RpcClient = member["client"]
                    await client.wait_notification(
                        "sendMessage", lambda p, tag=tag: p["data"] == tag, timeout=SIGNAL_WAIT_SECONDS
                    )
                    signal_latency.append(time.perf_counter() - sent)

        cpu_before_signal = cpu_seconds(pid)
        await asyncio.wait_for(
            asyncio.gather(*(broadcast(m, args.signals) for m in by_session.values())), PHASE_TIMEOUT
        )
        cpu_signal = cpu_seconds(pid) - cpu_before_signal

        leave_started = time.perf_counter()

        async def leave(client: RpcClient) -> None:
            async with limits:
                await client.call("leaveRoom", {})
                await client.close()

        await asyncio.wait_for(asyncio.gather(*(leave(c) for c in clients)), PHASE_TIMEOUT)
        leave_wall = time.perf_counter() - leave_started
        for task in heartbeats:
            task.cancel()

        n = len(join_latency)
        print(
            f"signaling benchmark: {n} participants in {args.sessions} sessions, concurrency {args.concurrency}, TLS"
        )
        print(f"join latency: {fmt_ms(join_latency)}")
        print(f"sustained joins: {n / join_wall:.1f} joins/s ({n} joins in {join_wall:.2f} s)")
        steps = sorted(join_done)
        bucket = max(1, n // 10)
        rates = []
        for i in range(0, n - bucket + 1, bucket):
            span = steps[i + bucket - 1] - (steps[i - 1] if i else started)
            rates.append(f"{i + bucket}: {bucket / span:.0f}/s" if span > 0 else f"{i + bucket}: -")
        print("joins/s as the server fills up: " + ", ".join(rates))
        print(f"ping round trip with {n} sockets: {fmt_ms(ping_rtt)}")
        print(
            f"signal delivery (broadcast in sessions of {args.participants // args.sessions}): {fmt_ms(signal_latency)}"
        )
        print(f"leave: {n / leave_wall:.1f} leaves/s")
        print(
            f"server CPU: {cpu_join / max(1, n) * 1000:.2f} ms per join (TLS handshake, upgrade, ping, joinRoom), "
            f"{cpu_ping / max(1, len(ping_rtt)) * 1000:.3f} ms per ping, "
            f"{cpu_signal / max(1, len(signal_latency)) * 1000:.3f} ms per signal delivered"
        )
        print(
            f"server RSS: {base_rss:.1f} MB before, {joined_rss:.1f} MB with {n} participants -> "
            f"{(joined_rss - base_rss) * 1024 / max(1, n):.1f} KB per participant"
        )
        print(f"media server RSS with {args.sessions} pipelines: {media_rss:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--signals", type=int, default=3, help="broadcast signals per session")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
