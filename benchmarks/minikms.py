"""minikms media benchmark: CPU per relayed subscriber stream, memory per idle endpoint, create/release rate.

Moves media over loopback, so run it in a loopback-only network namespace:
  unshare -n sh -c 'ip link set lo up && python3 benchmarks/minikms.py'
Options: --subscribers 0,1,2,4 --window 8 --endpoints 50 --ops 300 (see --help).

- CPU: the media engine runs in this process; a child process (this script with --client) publishes a
  moving 640x480 20 fps test pattern plus a tone and receives N relayed subscriber streams. This process's
  CPU time is sampled per N; the slope is the cost of one relayed subscriber stream (aiortc re-encodes).
- Memory: RSS growth per WebRtcEndpoint node, created idle and created + negotiated (generateOffer).
- Operations: a real ``python -m minikms`` process; create + release of a WebRtcEndpoint / PassThrough
  through the Kurento JSON-RPC protocol, sequential and with several requests in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import socket
import subprocess
import sys
import time
import tracemalloc
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from minikms.media import MediaEngine, MediaParams, PassThroughNode, WebRtcNode  # noqa: E402
from minikms.media.ice import patch_host_addresses  # noqa: E402

LOOPBACK = "127.0.0.1"
WIDTH, HEIGHT, FPS = 640, 480, 20
AUDIO_RATE, AUDIO_SAMPLES = 48000, 960
WARMUP_SECONDS = 3.0
CLIENT_TIMEOUT = 60.0
SERVER_START_TIMEOUT = 20.0
PORT_POLL_INTERVAL = 0.05
CONCURRENCY = 8
HEALTHY_FPS_SHARE = 0.8


# -- the client side (child process) --------------------------------------------------------------------


def client_main() -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import MediaStreamTrack
    from av.audio.frame import AudioFrame
    from av.video.frame import VideoFrame

    patch_host_addresses(LOOPBACK)

    class Pattern(MediaStreamTrack):
        """A moving gradient with noise: content an encoder has to work on, like a camera."""

        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            rng = np.random.default_rng(1)
            x = np.arange(WIDTH * 2, dtype=np.uint16)
            base = ((x[None, :] + np.arange(HEIGHT)[:, None]) % 256).astype(np.uint8)
            self.luma = np.clip(base + rng.integers(0, 24, base.shape, dtype=np.uint8), 0, 255).astype(
                np.uint8
            )
            self.count = 0
            self.start = time.monotonic()

        async def recv(self) -> VideoFrame:
            wait = self.start + self.count / FPS - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            shift = (self.count * 7) % WIDTH
            data = np.full((HEIGHT * 3 // 2, WIDTH), 128, dtype=np.uint8)
            data[:HEIGHT] = self.luma[:, shift : shift + WIDTH]
            frame = VideoFrame.from_ndarray(data, format="yuv420p")
            frame.pts = self.count * (90000 // FPS)
            frame.time_base = Fraction(1, 90000)
            self.count += 1
            return frame

    class Tone(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.pts = 0
            self.start = time.monotonic()

        async def recv(self) -> AudioFrame:
            wait = self.start + self.pts / AUDIO_RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            t = (self.pts + np.arange(AUDIO_SAMPLES)) / AUDIO_RATE
            mono = (np.sin(2 * math.pi * 440 * t) * 8000).astype(np.int16)
            frame = AudioFrame.from_ndarray(np.repeat(mono, 2).reshape(1, -1), format="s16", layout="stereo")
            frame.sample_rate = AUDIO_RATE
            frame.pts = self.pts
            frame.time_base = Fraction(1, AUDIO_RATE)
            self.pts += AUDIO_SAMPLES
            return frame

    async def run() -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        pcs: dict[str, Any] = {}
        frames: dict[str, int] = {}

        async def consume(peer: str, track: MediaStreamTrack) -> None:
            try:
                while True:
                    await track.recv()
                    if track.kind == "video":
                        frames[peer] = frames.get(peer, 0) + 1
            except Exception:
                return

        def reply(obj: dict[str, Any]) -> None:
            sys.stdout.write(json.dumps(obj) + "\n")
            sys.stdout.flush()

        while True:
            line = await reader.readline()
            if not line:
                break
            req = json.loads(line)
            cmd, peer = req["cmd"], req.get("peer", "")
            if cmd in ("publish", "subscribe"):
                pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
                pcs[peer] = pc
                if cmd == "publish":
                    pc.addTransceiver(Tone(), direction="sendonly")
                    pc.addTransceiver(Pattern(), direction="sendonly")
                else:
                    pc.addTransceiver("audio", direction="recvonly")
                    pc.addTransceiver("video", direction="recvonly")
                    pc.on("track", lambda track, p=peer: loop.create_task(consume(p, track)))
                await pc.setLocalDescription(await pc.createOffer())
                reply({"sdp": pc.localDescription.sdp})
            elif cmd == "answer":
                await pcs[peer].setRemoteDescription(RTCSessionDescription(req["sdp"], "answer"))
                reply({})
            elif cmd == "frames":
                reply({"frames": dict(frames)})
            elif cmd == "quit":
                for pc in pcs.values():
                    await pc.close()
                reply({})
                break

    asyncio.run(run())


class Client:
    """The child process, spoken to with JSON lines."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--client"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    async def call(self, **req: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), CLIENT_TIMEOUT)
        return dict(json.loads(line))

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.proc.pid).cpu_times()
        return float(times.user + times.system)

    async def close(self) -> None:
        await self.call(cmd="quit")
        self.proc.wait(CLIENT_TIMEOUT)


# -- measurements -----------------------------------------------------------------------------------------


def own_cpu_seconds() -> float:
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


def rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


async def cpu_per_subscriber(counts: list[int], window: float, share: bool) -> list[dict[str, float]]:
    engine = MediaEngine(LOOPBACK, MediaParams(share_video_encoders=share))
    client = Client()
    rows: list[dict[str, float]] = []
    try:
        pub = WebRtcNode(engine)
        passthrough = PassThroughNode(engine)
        pub.connect(passthrough)
        offer = await client.call(cmd="publish", peer="pub")
        await client.call(cmd="answer", peer="pub", sdp=await pub.process_offer(offer["sdp"]))
        subs: list[WebRtcNode] = []
        for target in counts:
            while len(subs) < target:
                name = f"s{len(subs)}"
                sub = WebRtcNode(engine)
                passthrough.connect(sub)
                offer = await client.call(cmd="subscribe", peer=name)
                await client.call(cmd="answer", peer=name, sdp=await sub.process_offer(offer["sdp"]))
                subs.append(sub)
            await asyncio.sleep(WARMUP_SECONDS)
            before = (await client.call(cmd="frames"))["frames"]
            cpu0, ccpu0, t0 = own_cpu_seconds(), client.cpu_seconds(), time.monotonic()
            await asyncio.sleep(window)
            cpu1, ccpu1, t1 = own_cpu_seconds(), client.cpu_seconds(), time.monotonic()
            after = (await client.call(cmd="frames"))["frames"]
            elapsed = t1 - t0
            fps = [(after.get(k, 0) - before.get(k, 0)) / elapsed for k in after]
            rows.append(
                {
                    "subscribers": float(target),
                    "server_cpu_pct": 100 * (cpu1 - cpu0) / elapsed,
                    "client_cpu_pct": 100 * (ccpu1 - ccpu0) / elapsed,
                    "server_rss_mb": rss_mb(),
                    "min_sub_fps": min(fps) if fps else 0.0,
                }
            )
        await client.close()
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
        await engine.close()
    return rows


async def memory_per_endpoint(count: int) -> dict[str, float]:
    engine = MediaEngine(LOOPBACK)
    gc.collect()
    tracemalloc.start()
    base, py_base = rss_mb(), tracemalloc.get_traced_memory()[0]
    idle = [WebRtcNode(engine) for _ in range(count)]
    gc.collect()
    created, py_created = rss_mb(), tracemalloc.get_traced_memory()[0]
    for node in idle:
        await node.generate_offer()
    gc.collect()
    negotiated, py_negotiated = rss_mb(), tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    t0 = time.monotonic()
    for node in idle:
        await node.release()
    release_s = time.monotonic() - t0
    await engine.close()
    return {
        "endpoints": float(count),
        "idle_kb_per_endpoint": 1024 * (created - base) / count,
        "offered_kb_per_endpoint": 1024 * (negotiated - base) / count,
        "idle_py_kb_per_endpoint": (py_created - py_base) / 1024 / count,
        "offered_py_kb_per_endpoint": (py_negotiated - py_base) / 1024 / count,
        "engine_release_per_s": count / release_s if release_s else 0.0,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


async def protocol_ops(ops: int) -> dict[str, float]:
    import websockets

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "minikms", "--address", LOOPBACK, "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict[str, float] = {}
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                socket.create_connection((LOOPBACK, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(PORT_POLL_INTERVAL)
        async with websockets.connect(f"ws://{LOOPBACK}:{port}/kurento") as ws:
            next_id = 0
            pending: dict[int, asyncio.Future[dict[str, Any]]] = {}

            async def receive() -> None:
                async for raw in ws:
                    msg = json.loads(raw)
                    fut = pending.pop(msg.get("id", -1), None)
                    if fut is not None:
                        fut.set_result(msg)

            receiver = asyncio.create_task(receive())

            async def call(method: str, **params: Any) -> Any:
                nonlocal next_id
                next_id += 1
                fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
                pending[next_id] = fut
                await ws.send(
                    json.dumps({"jsonrpc": "2.0", "id": next_id, "method": method, "params": params})
                )
                msg = await fut
                if "error" in msg:
                    raise RuntimeError(msg["error"])
                return msg["result"].get("value")

            pipeline = await call("create", type="MediaPipeline", constructorParams={})

            async def create_release(kind: str) -> None:
                oid = await call("create", type=kind, constructorParams={"mediaPipeline": pipeline})
                await call("release", object=oid)

            for kind in ("WebRtcEndpoint", "PassThrough"):
                for _ in range(min(20, ops)):
                    await create_release(kind)
                t0 = time.monotonic()
                for _ in range(ops):
                    await create_release(kind)
                results[f"{kind}_create_release_per_s"] = ops / (time.monotonic() - t0)

                async def worker(n: int, k: str = kind) -> None:
                    for _ in range(n):
                        await create_release(k)

                t0 = time.monotonic()
                await asyncio.gather(*(worker(ops // CONCURRENCY) for _ in range(CONCURRENCY)))
                done = (ops // CONCURRENCY) * CONCURRENCY
                results[f"{kind}_create_release_per_s_{CONCURRENCY}_in_flight"] = done / (
                    time.monotonic() - t0
                )
            await call("release", object=pipeline)
            receiver.cancel()
    finally:
        proc.terminate()
        try:
            proc.wait(SERVER_START_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
    return results


async def main(args: argparse.Namespace) -> None:
    print(f"minikms media benchmark (pid {os.getpid()}, {psutil.cpu_count()} cpus); % = share of one core")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before the run: {load} (other work on the machine skews every figure)")
    counts = [int(c) for c in args.subscribers.split(",")]
    rows = await cpu_per_subscriber(counts, args.window, not args.no_share)
    mode = "one VP8 encode per subscriber" if args.no_share else "one shared VP8 encode per source"
    print(f"\nCPU per relayed subscriber stream (publisher 640x480 20 fps VP8 + Opus, {mode})")
    print(f"{'subs':>5} {'server CPU %':>13} {'client CPU %':>13} {'server RSS MB':>14} {'min sub fps':>12}")
    for row in rows:
        print(
            f"{int(row['subscribers']):>5} {row['server_cpu_pct']:>13.1f} {row['client_cpu_pct']:>13.1f}"
            f" {row['server_rss_mb']:>14.1f} {row['min_sub_fps']:>12.1f}"
        )
    # Only counts where every subscriber got (nearly) the full frame rate say what a stream costs;
    # beyond that the machine is saturated (2 shared cores) and CPU stops growing with the count.
    healthy = [r for r in rows if r["subscribers"] == 0 or r["min_sub_fps"] >= HEALTHY_FPS_SHARE * FPS]
    if len(healthy) < len(rows):
        print(
            f"   (saturated above {int(healthy[-1]['subscribers'])} subscribers: fps dropped; not in the fit)"
        )
    if len(healthy) >= 2:
        xs = np.array([r["subscribers"] for r in healthy])
        ys = np.array([r["server_cpu_pct"] for r in healthy])
        slope = float(np.polyfit(xs, ys, 1)[0])
        print(f"=> server CPU per relayed subscriber stream (fit): {slope:.1f} % of one core")
        by_count = {int(r["subscribers"]): r["server_cpu_pct"] for r in healthy}
        if 0 in by_count and 1 in by_count:
            print(f"   first subscriber (includes the source's encode): +{by_count[1] - by_count[0]:.1f} %")
        further = sorted(c for c in by_count if c >= 1)
        if len(further) >= 2:
            step = (by_count[further[-1]] - by_count[further[0]]) / (further[-1] - further[0])
            print(f"   each further subscriber: +{step:.1f} %")

    mem = await memory_per_endpoint(args.endpoints)
    print(f"\nMemory per idle WebRtcEndpoint node ({int(mem['endpoints'])} created)")
    print(
        f"  created, not negotiated: {mem['idle_kb_per_endpoint']:.0f} KiB RSS"
        f" ({mem['idle_py_kb_per_endpoint']:.0f} KiB of Python objects) each"
    )
    print(
        f"  after generateOffer (ICE gathered, sockets open): {mem['offered_kb_per_endpoint']:.0f} KiB RSS"
        f" ({mem['offered_py_kb_per_endpoint']:.0f} KiB of Python objects) each"
    )
    print(f"  engine-level release: {mem['engine_release_per_s']:.0f} endpoints/s")

    ops = await protocol_ops(args.ops)
    print(f"\nload average after the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"\nCreate + release through the Kurento protocol (python -m minikms, {args.ops} each)")
    for name, value in ops.items():
        print(f"  {name}: {value:.0f} ops/s")


if __name__ == "__main__":
    if "--client" in sys.argv:
        client_main()
    else:
        parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
        parser.add_argument("--subscribers", default="0,1,2,4", help="subscriber counts to measure")
        parser.add_argument("--window", type=float, default=8.0, help="seconds of CPU sampling per count")
        parser.add_argument("--endpoints", type=int, default=200, help="endpoints for the memory figure")
        parser.add_argument(
            "--no-share", action="store_true", help="one VP8 encoder per subscriber (aiortc's default)"
        )
        parser.add_argument("--ops", type=int, default=300, help="create+release pairs per type")
        asyncio.run(main(parser.parse_args()))
