"""Signaling benchmark: websocket clients without media over TLS against a real server and a real minikms.

Measures, for N participants in sessions of 10 (``--per-session``), the clients spread over ``--workers``
processes (benchmarks/lean_client.py on uvloop, garbage collector frozen; each raises its descriptor limit and
reports its own CPU use and how late its own event loop wakes, so one can check it is not what is measured):
- join latency (joinRoom request to response, p50/p99) and joins per second while all join (each client opens
  its TLS websocket, pings with the interval, joins; ``--concurrency`` in flight in all);
- server CPU per join (process CPU over the join phase / N: TLS handshake, websocket upgrade, ping, joinRoom);
- server RSS per participant (RSS growth of the server process over the join phase / N);
- ping round trip with every socket open: all at once (each client pings 3 times, all together), and spread
  over the 5 s interval as browsers send them (every client's heartbeat on a fixed cadence from a random start,
  over ``--spread-seconds``, from one interval after the burst: its first second measured the burst's backlog);
- with ``--ceiling``: the same open / ping / join sequence against ``benchmarks/bare_ws.py`` (uvicorn,
  websockets, asyncio TLS, permessage-deflate on, answers padded to the size of a joinRoom answer) in the same
  run, and the ratios ours/bare for joins per second, CPU per join and RSS per participant.

Usage: python benchmarks/signaling.py [--participants 1000] [--workers 2] [--concurrency 50] [--ceiling]
       [--server-root DIR] [--server-flag name=value ...] [--tracemalloc] [--gc-log] [--loop-log]
``--server-root`` runs the server from another checkout (a before/after pair with the same benchmark);
``--server-flag`` adds a server property (e.g. ``openvidu.rpc.websocket-compression=true``); ``--tracemalloc``
prints where the server's Python allocations per participant go (latency and CPU figures are then meaningless);
``--gc-log`` times every garbage collection of the server (benchmarks/gc_probe.py) and prints them by generation;
``--loop-log`` logs the server's event-loop iterations busy 1 ms or more (benchmarks/loop_probe.py) by phase.
Everything runs on 127.0.0.1; every phase is bounded in time. Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import multiprocessing
import multiprocessing.connection
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.lean_client import LeanClient
from tests.support.procs import LOOPBACK, MinikmsProcess, free_port, wait_port
from tests.support.rpc_client import insecure_ssl
from tests.support.server import ServerProcess, clean_environ

PHASE_TIMEOUT = 600.0
"""Seconds each phase may take, at least (``--phase-timeout``; by default it grows with the participants:
``PHASE_SECONDS_PER_PARTICIPANT`` each, so that a 10,000 run on a loaded machine still finishes its bare run)."""
PHASE_SECONDS_PER_PARTICIPANT = 0.15
SETTLE_SECONDS = 2.0
PINGS_PER_CLIENT = 3
HEARTBEAT_SECONDS = 5.0  # openvidu-browser pings every 5 s; the server evicts sockets that stop
JOIN_RESPONSE_BYTES = 300  # a joinRoom answer in a session being filled (measured: 250-400 bytes)
CLOSE_CONCURRENCY = 200
LAG_PROBE_SECONDS = 0.01


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def fmt_ms(values: list[float]) -> str:
    if not values:
        return "none"
    return (
        f"p50 {percentile(values, 50) * 1000:.1f} ms, p99 {percentile(values, 99) * 1000:.1f} ms, "
        f"max {max(values) * 1000:.1f} ms, mean {statistics.fmean(values) * 1000:.1f} ms (n={len(values)})"
    )


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def rss_kb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 1024


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ----- client worker (one process each) -------------------------------------------------------------------


async def _worker(
    url: str, pairs: list[tuple[str, str]], concurrency: int, pipe: Any, phase_timeout: float
) -> None:
    me = psutil.Process()
    clients: list[LeanClient] = []
    ctx = insecure_ssl() if url.startswith("wss:") else None
    heartbeats: list[asyncio.Task[None]] = []
    state: dict[str, Any] = {"spread": None}
    errors: list[str] = []
    limits = asyncio.Semaphore(concurrency)

    async def heartbeat(client: LeanClient) -> None:
        """openvidu-browser's ``setInterval``: pings on a fixed cadence from a random start. A tick this
        process wakes late for (its loop is busy with the burst) does not move the following ones; keeping the
        late time as the new phase had packed every heartbeat due during the burst into one clump, 200 pings
        in 10 ms instead of 20, that came back every interval (the server answered them in turn, 20 ms)."""
        due = time.perf_counter() + random.uniform(0, HEARTBEAT_SECONDS)
        while not client.closed.is_set():
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            t0 = time.perf_counter()
            rtts = state["spread"]  # only pings sent inside the spread window count (not those of the burst)
            with contextlib.suppress(Exception):
                await client.ping(interval=None)
                if rtts is not None and rtts is state["spread"]:
                    rtts.append(time.perf_counter() - t0)
            due += HEARTBEAT_SECONDS * max(1, math.ceil((time.perf_counter() - due) / HEARTBEAT_SECONDS))

    join_latency: list[float] = []
    join_done: list[float] = []
    lags: list[float] = []

    async def lag_monitor() -> None:
        """How late this client process's own loop wakes up (a late client would inflate the latencies)."""
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(LAG_PROBE_SECONDS)
            lags.append(time.perf_counter() - t0 - LAG_PROBE_SECONDS)

    def lag_report() -> float:
        worst = percentile(lags, 99)
        lags.clear()
        return worst

    monitor = asyncio.create_task(lag_monitor())

    async def join(sid: str, token: str) -> None:
        async with limits:
            try:
                client = await LeanClient(url, ctx).open()
                clients.append(client)
                await client.ping()
                heartbeats.append(asyncio.create_task(heartbeat(client)))
                started = time.perf_counter()
                await client.join(token, sid)
                join_latency.append(time.perf_counter() - started)
                join_done.append(time.perf_counter())
            except Exception as exc:  # counted and reported, never hidden
                errors.append(repr(exc)[:200])

    pipe.send("ready")
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # "join"
    cpu0, wall0 = me.cpu_times(), time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(join(s, t) for s, t in pairs)), phase_timeout)
    cpu1, wall1 = me.cpu_times(), time.perf_counter()
    busy = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / max(1e-9, wall1 - wall0)
    pipe.send(
        {"latency": join_latency, "done": join_done, "errors": errors, "busy": busy, "lag": lag_report()}
    )

    while True:
        command = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        if command == "burst":
            rtts: list[float] = []

            async def pings(client: LeanClient, rtts: list[float] = rtts) -> None:
                for _ in range(PINGS_PER_CLIENT):
                    t0 = time.perf_counter()
                    with contextlib.suppress(Exception):
                        await client.ping(interval=None)
                        rtts.append(time.perf_counter() - t0)

            lag_report()
            cpu0, wall0 = me.cpu_times(), time.perf_counter()
            await asyncio.wait_for(asyncio.gather(*(pings(c) for c in clients)), phase_timeout)
            cpu1, wall1 = me.cpu_times(), time.perf_counter()
            busy = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / max(1e-9, wall1 - wall0)
            pipe.send({"rtts": rtts, "busy": busy, "lag": lag_report()})
        elif isinstance(command, tuple) and command[0] == "spread":
            spread: list[float] = []
            lag_report()
            cpu0, wall0 = me.cpu_times(), time.perf_counter()
            state["spread"] = spread
            await asyncio.sleep(float(command[1]))
            state["spread"] = None
            cpu1, wall1 = me.cpu_times(), time.perf_counter()
            busy = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / max(1e-9, wall1 - wall0)
            pipe.send({"rtts": spread, "busy": busy, "lag": lag_report()})
        else:  # "close"
            monitor.cancel()
            for task in heartbeats:
                task.cancel()
            closing = asyncio.Semaphore(CLOSE_CONCURRENCY)

            async def close(client: LeanClient, closing: asyncio.Semaphore = closing) -> None:
                async with closing:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(client.close(), 10)

            await asyncio.gather(*(close(c) for c in clients))
            pipe.send("closed")
            return


def worker_main(
    url: str, pairs: list[tuple[str, str]], concurrency: int, pipe: Any, phase_timeout: float
) -> None:
    raise_nofile()
    import gc

    gc.freeze()  # the client's own collections would add to the latencies it measures
    gc.set_threshold(50_000, 50, 100)
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_worker(url, pairs, concurrency, pipe, phase_timeout))


class Clients:
    """The client processes; commands go to all, answers are gathered from all."""

    def __init__(
        self, url: str, pairs: list[tuple[str, str]], workers: int, concurrency: int, phase_timeout: float
    ) -> None:
        self.phase_timeout = phase_timeout
        ctx = multiprocessing.get_context("spawn")
        self.pipes: list[multiprocessing.connection.Connection] = []
        self.procs: list[Any] = []
        per_worker = max(1, concurrency // workers)
        for w in range(workers):
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(
                target=worker_main,
                args=(url, pairs[w::workers], per_worker, theirs, phase_timeout),
                daemon=True,
            )
            proc.start()
            self.pipes.append(mine)
            self.procs.append(proc)
        self.gather(wait_for="ready")

    def command(self, what: Any) -> list[Any]:
        for pipe in self.pipes:
            pipe.send(what)
        return self.gather()

    def gather(self, wait_for: str | None = None) -> list[Any]:
        answers = []
        for pipe in self.pipes:
            if not pipe.poll(self.phase_timeout + 60):
                raise TimeoutError("a client process did not answer")
            answers.append(pipe.recv())
        return answers

    def stop(self) -> None:
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()


# ----- one run against a server ----------------------------------------------------------------------------


SNAPSHOT_TIMEOUT = 120.0


def snapshot(folder: Path, name: str) -> Any:
    """Ask the traced server (benchmarks/memory_probe.py) for a tracemalloc snapshot and load it."""
    import tracemalloc

    (folder / f"{name}.want").touch()
    deadline = time.monotonic() + SNAPSHOT_TIMEOUT
    path = folder / f"{name}.snap"
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the traced server wrote no snapshot")
        time.sleep(0.1)
    return tracemalloc.Snapshot.load(str(path))


def print_memory(before: Any, after: Any, n: int, top: int = 25) -> None:
    by_file = after.compare_to(before, "filename")
    total = sum(s.size_diff for s in by_file)
    print(
        f"[tracemalloc] Python allocations grew {total / 1024 / max(1, n):.1f} KB per participant; by module:"
    )
    for stat in by_file[:top]:
        where = "/".join(Path(stat.traceback[0].filename).parts[-2:])
        print(f"  {stat.size_diff / max(1, n):8.0f} B  {stat.count_diff / max(1, n):6.1f} blocks  {where}")
    stats = after.compare_to(before, "lineno")
    print("[tracemalloc] largest sites:")
    for stat in stats[:top]:
        frame = stat.traceback[0]
        where = "/".join(Path(frame.filename).parts[-2:])
        print(
            f"  {stat.size_diff / max(1, n):8.0f} B  {stat.count_diff / max(1, n):6.1f} blocks  {where}:{frame.lineno}"
        )


def join_phase(
    pid: int,
    url: str,
    pairs: list[tuple[str, str]],
    args: argparse.Namespace,
    traced: Path | None = None,
    gc_log: Path | None = None,
) -> dict[str, Any]:
    clients = Clients(url, pairs, args.workers, args.concurrency, args.phase_timeout)
    try:
        time.sleep(SETTLE_SECONDS)
        before = snapshot(traced, "before") if traced else None
        base_rss = rss_kb(pid)
        marks: list[int] = []  # the phases' bounds: collections logged so far, and the time
        stamps: list[float] = []

        def phase_bound() -> None:
            marks.append(collections_so_far(gc_log))
            stamps.append(time.perf_counter())

        phase_bound()
        sys0 = psutil.Process(pid).cpu_times().system
        cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
        answers = clients.command("join")
        cpu_join, wall = cpu_seconds(pid) - cpu0, time.perf_counter() - wall0
        system_share = (psutil.Process(pid).cpu_times().system - sys0) / max(1e-9, cpu_join)
        phase_bound()
        time.sleep(SETTLE_SECONDS)
        joined_rss = rss_kb(pid)
        if traced:
            print_memory(before, snapshot(traced, "after"), sum(len(a["latency"]) for a in answers))
        latency = [x for a in answers for x in a["latency"]]
        done = sorted(x for a in answers for x in a["done"])
        errors = [x for a in answers for x in a["errors"]]
        out: dict[str, Any] = {
            "n": len(latency),
            "latency": latency,
            "done": done,
            "errors": errors,
            "wall": wall,
            "rate": len(latency) / wall,
            "cpu_per_join": cpu_join / max(1, len(latency)),
            "server_busy": cpu_join / wall,
            "system_share": system_share,
            "client_busy": [a["busy"] for a in answers],
            "client_cpu_per_join": sum(a["busy"] for a in answers) * wall / max(1, len(latency)),
            "client_lag": max(a["lag"] for a in answers),
            "rss_per": (joined_rss - base_rss) / max(1, len(latency)),
            "rss": joined_rss,
        }
        if args.pings:
            cpu0 = cpu_seconds(pid)
            burst = clients.command("burst")
            out["burst"] = [x for a in burst for x in a["rtts"]]
            out["burst_cpu"] = (cpu_seconds(pid) - cpu0) / max(1, len(out["burst"]))
            out["burst_client_busy"] = [a["busy"] for a in burst]
            out["burst_client_lag"] = max(a["lag"] for a in burst)
            # the burst's backlog drains: the spread window measures the steady state
            time.sleep(HEARTBEAT_SECONDS)
            phase_bound()
            cpu0 = cpu_seconds(pid)
            spread = clients.command(("spread", args.spread_seconds))
            out["spread"] = [x for a in spread for x in a["rtts"]]
            out["spread_cpu"] = (cpu_seconds(pid) - cpu0) / max(1, len(out["spread"]))
            out["spread_client_busy"] = [a["busy"] for a in spread]
            out["spread_client_lag"] = max(a["lag"] for a in spread)
            phase_bound()
        names = ["joining", "settling, pinging all at once, settling", "pinging spread over the interval"]
        if gc_log:
            out["gc"] = {name: (marks[i], marks[i + 1]) for i, name in enumerate(names[: len(marks) - 1])}
        out["phases"] = {name: (stamps[i], stamps[i + 1]) for i, name in enumerate(names[: len(stamps) - 1])}
        clients.command("close")
        return out
    finally:
        clients.stop()


def print_join(label: str, r: dict[str, Any]) -> None:
    n = r["n"]
    print(f"[{label}] joined {n} ({len(r['errors'])} failed{': ' + r['errors'][0] if r['errors'] else ''})")
    print(f"[{label}] join latency: {fmt_ms(r['latency'])}")
    print(
        f"[{label}] joins/s: {r['rate']:.1f} ({n} in {r['wall']:.2f} s); joins per second of server CPU: "
        f"{1 / max(1e-9, r['cpu_per_join']):.0f} (what one core would sustain)"
    )
    bucket = max(1, n // 10)
    rates, previous = [], r["done"][0] - (r["done"][bucket - 1] - r["done"][0]) if n else 0.0
    for i in range(0, n - bucket + 1, bucket):
        span = r["done"][i + bucket - 1] - previous
        previous = r["done"][i + bucket - 1]
        rates.append(f"{i + bucket}: {bucket / span:.0f}/s" if span > 0 else f"{i + bucket}: -")
    print(f"[{label}] joins/s as the server fills up: " + ", ".join(rates))
    print(
        f"[{label}] server CPU {r['cpu_per_join'] * 1000:.2f} ms per join ({r['system_share']:.0%} of it in the "
        f"kernel; server busy {r['server_busy']:.0%} of a core); client processes busy "
        f"{', '.join(f'{b:.0%}' for b in r['client_busy'])} of a core each ({r['client_cpu_per_join'] * 1000:.2f} ms "
        f"per join in all), their loops late by {r['client_lag'] * 1000:.1f} ms p99"
    )
    print(f"[{label}] server RSS {r['rss'] / 1024:.1f} MB joined -> {r['rss_per']:.1f} KB per participant")
    if "burst" in r:
        print(
            f"[{label}] ping, all at once ({PINGS_PER_CLIENT} per client): {fmt_ms(r['burst'])}; "
            f"{r['burst_cpu'] * 1000:.3f} ms server CPU per ping; clients busy "
            f"{', '.join(f'{b:.0%}' for b in r['burst_client_busy'])}, late by {r['burst_client_lag'] * 1000:.1f} ms p99"
        )
        print(
            f"[{label}] ping, spread over the {HEARTBEAT_SECONDS:.0f} s interval: {fmt_ms(r['spread'])}; "
            f"{r['spread_cpu'] * 1000:.3f} ms server CPU per ping; clients busy "
            f"{', '.join(f'{b:.0%}' for b in r['spread_client_busy'])}, late by {r['spread_client_lag'] * 1000:.1f} ms p99"
        )


class RootedServer(ServerProcess):
    """The server of another checkout (``--server-root``), for a before/after pair with one benchmark."""

    def __init__(self, root: Path, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.root = root

    def start(self, timeout: float = 60.0) -> ServerProcess:
        env = clean_environ()
        env.update(self.env)
        env["PYTHONPATH"] = str(self.root)
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open while the process runs
        try:
            self.proc = subprocess.Popen(
                self.command(), cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        finally:
            log.close()
        self.wait_until_ready(timeout)
        return self


class ProbedServer(ServerProcess):
    """The server run by a probe script of this folder (``python [options] PROBE ARG server flags...``):
    memory_probe.py under tracemalloc, gc_probe.py or loop_probe.py."""

    def __init__(self, probe: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.probe = probe

    def command(self) -> list[str]:
        return [sys.executable, *self.probe, *super().command()[3:]]


def collections_so_far(path: Path | None) -> int:
    return len(path.read_text().splitlines()) if path and path.exists() else 0


def print_gc(path: Path, phases: dict[str, tuple[int, int]]) -> None:
    """Collections by generation in each phase: how many, the longest pause, the total, the most objects one
    collection examined (frozen objects are never examined)."""
    lines = path.read_text().splitlines()
    for phase, (first, last) in phases.items():
        pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        tracked = 0
        for line in lines[first:last]:
            generation, pause, _, old, *_ = [*line.split(), "0"]
            pauses[int(generation)].append(float(pause))
            tracked = max(tracked, int(old))
        print(
            f"[ours] garbage collections {phase}: "
            + "; ".join(
                f"generation {g}: {len(p)}, longest {max(p, default=0):.1f} ms, total {sum(p):.0f} ms"
                for g, p in pauses.items()
            )
            + f"; at most {tracked} objects examined by one"
        )


def print_loop(path: Path, phases: dict[str, tuple[float, float]]) -> None:
    """The server's long loop iterations (busy at least loop_probe.LONG_MS) in each phase: how many, how many
    of 5 ms and more, the longest, and what the longest handled."""
    lines = path.read_text().splitlines() if path.exists() else []
    rows = [[float(x) for x in line.split()] for line in lines]
    for phase, (start, end) in phases.items():
        inside = [row for row in rows if start <= row[0] < end]
        longest = max(inside, key=lambda row: row[1], default=[0.0, 0.0, 0.0, 0.0])
        print(
            f"[ours] loop iterations busy 1 ms or more, {phase} ({end - start:.1f} s): {len(inside)}, "
            f"{sum(1 for row in inside if row[1] >= 5)} of 5 ms or more, longest {longest[1]:.1f} ms "
            f"({longest[2]:.0f} socket events, {longest[3]:.0f} callbacks), "
            f"{sum(row[1] for row in inside):.0f} ms in all"
        )


def make_tokens(server: ServerProcess, sessions: int, participants: int) -> list[tuple[str, str]]:
    async def go() -> list[tuple[str, str]]:
        limits = asyncio.Semaphore(50)
        async with httpx.AsyncClient(
            base_url=server.url, verify=False, headers=server.auth_header, timeout=60
        ) as http:

            async def session() -> str:
                async with limits:
                    return str((await http.post("/api/sessions", json={})).json()["id"])

            ids = list(await asyncio.gather(*(session() for _ in range(sessions))))

            async def one(i: int) -> tuple[str, str]:
                sid = ids[i % sessions]
                async with limits:
                    resp = await http.post("/api/tokens", json={"session": sid})
                return sid, str(resp.json()["token"])

            return list(await asyncio.gather(*(one(i) for i in range(participants))))

    return asyncio.run(go())


def run_ours(args: argparse.Namespace) -> dict[str, Any]:
    sessions = max(1, args.participants // args.per_session)
    flags: dict[str, Any] = {
        "logging.level.root": "warn",
        "server.max-connections": args.participants + 1000,
        "openvidu.rpc.join-timeout": 300,
    }
    for flag in args.server_flag:
        name, _, value = flag.partition("=")
        flags[name] = value
    with MinikmsProcess() as kms:
        flags["kms.uris"] = [kms.uri]
        traced = Path(tempfile.mkdtemp(prefix="tracemalloc-")) if args.tracemalloc else None
        gc_log = Path(tempfile.mkdtemp(prefix="gc-log-")) / "collections" if args.gc_log else None
        loop_log = Path(tempfile.mkdtemp(prefix="loop-log-")) / "iterations" if args.loop_log else None
        if traced:
            probe = [
                "-X",
                "tracemalloc=1",
                str(Path(__file__).resolve().parent / "memory_probe.py"),
                str(traced),
            ]
            server: ServerProcess = ProbedServer(probe, flags)
        elif gc_log:
            server = ProbedServer([str(Path(__file__).resolve().parent / "gc_probe.py"), str(gc_log)], flags)
        elif loop_log:
            server = ProbedServer(
                [str(Path(__file__).resolve().parent / "loop_probe.py"), str(loop_log)], flags
            )
        elif args.server_root:
            server = RootedServer(args.server_root, flags)
        else:
            server = ServerProcess(flags)
        with server:
            assert server.proc is not None
            url = server.url.replace("https://", "wss://").replace("http://", "ws://") + "/openvidu"
            pairs = make_tokens(server, sessions, args.participants)
            result = join_phase(server.proc.pid, url, pairs, args, traced, gc_log)
            result["log_tail"] = server.log_text()[-600:]
        if gc_log:
            print_gc(gc_log, result["gc"])
        if loop_log:
            print_loop(loop_log, result["phases"])
        return result


def run_bare(args: argparse.Namespace) -> dict[str, Any]:
    from server.http.tls import make_self_signed

    with tempfile.TemporaryDirectory(prefix="bare-ws-") as tmp:
        cert, key = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
        make_self_signed(cert, key, [LOOPBACK])
        port = free_port()
        script = Path(__file__).resolve().parent / "bare_ws.py"
        proc = subprocess.Popen(
            [sys.executable, str(script), str(port), str(cert), str(key), str(JOIN_RESPONSE_BYTES)],
            preexec_fn=raise_nofile,
        )
        try:
            wait_port(port)
            time.sleep(SETTLE_SECONDS)
            pairs = [("bare", "bare") for _ in range(args.participants)]
            bare_args = argparse.Namespace(**{**vars(args), "pings": False})
            return join_phase(proc.pid, f"wss://{LOOPBACK}:{port}/openvidu", pairs, bare_args)
        finally:
            proc.terminate()
            proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--per-session", type=int, default=10)
    parser.add_argument(
        "--concurrency", type=int, default=50, help="joins in flight, over all client processes"
    )
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument("--spread-seconds", type=float, default=2 * HEARTBEAT_SECONDS)
    parser.add_argument("--no-pings", dest="pings", action="store_false")
    parser.add_argument("--ceiling", action="store_true", help="also run the bare websocket server")
    parser.add_argument("--server-root", type=Path, default=None)
    parser.add_argument("--server-flag", action="append", default=[])
    parser.add_argument(
        "--tracemalloc", action="store_true", help="trace the server's Python allocations (slow; memory only)"
    )
    parser.add_argument("--gc-log", action="store_true", help="time the server's garbage collections")
    parser.add_argument(
        "--loop-log", action="store_true", help="log the server's loop iterations busy 1 ms or more"
    )
    parser.add_argument(
        "--phase-timeout", type=float, default=None, help="seconds per phase (default: grows with N)"
    )
    args = parser.parse_args()
    if args.phase_timeout is None:
        args.phase_timeout = max(PHASE_TIMEOUT, PHASE_SECONDS_PER_PARTICIPANT * args.participants)
    raise_nofile()
    print(
        f"signaling benchmark: {args.participants} participants, {args.per_session} per session, TLS, "
        f"{args.workers} client processes, concurrency {args.concurrency}"
        + (f", server from {args.server_root}" if args.server_root else "")
        + (f", flags {' '.join(args.server_flag)}" if args.server_flag else "")
    )
    ours = run_ours(args)
    print_join("ours", ours)
    if ours["errors"]:
        print("[ours] server log tail:\n" + ours["log_tail"])
    if args.ceiling:
        bare = run_bare(args)
        print_join("bare", bare)
        print(
            f"ours/bare: joins/s {ours['rate'] / bare['rate']:.2f}, "
            f"joins per second of server CPU {bare['cpu_per_join'] / ours['cpu_per_join']:.2f}, "
            f"CPU per join {ours['cpu_per_join'] / bare['cpu_per_join']:.2f}, "
            f"RSS per participant {ours['rss_per'] / bare['rss_per']:.2f}"
        )
        cores = len(os.sched_getaffinity(0))
        server, clients = max(1e-9, ours["cpu_per_join"]), max(1e-9, ours["client_cpu_per_join"])
        ceiling = min(1 / server, cores / (server + clients))
        free_server = cores / clients
        bare_rate = bare["rate"]
        print(
            f"ours' ceiling on these {cores} cores, at the CPU per join measured (one core for the server, the "
            f"{cores} shared by the server and the clients): {ceiling:.0f} joins/s, {ceiling / bare_rate:.2f} of "
            f"the bare stack's rate; with a server that cost nothing: {free_server:.0f} joins/s, "
            f"{free_server / bare_rate:.2f}"
        )


if __name__ == "__main__":
    main()
