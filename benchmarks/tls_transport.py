"""The TLS transports alone: an echo server on asyncio's loop, over plain TCP, asyncio's TLS transport, or the
server's TLS socket transport (``server.http.tls_transport``); client processes open connections that each do
the handshake and a few request/answer round trips of a signaling message's size, then close.

Prints the server's CPU per connection for each kind, in alternating runs, so the transports are compared on
the same host minute (this host's speed moves by a third within an hour). Run it in a loopback-only namespace:

    unshare -n sh -c 'ip link set lo up && exec python3 benchmarks/tls_transport.py'
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.http.tls import make_self_signed
from server.http.tls_transport import TLSSocketEventLoop

KINDS = ("plain", "asyncio-tls", "socket-tls")


class Echo(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


def serve(kind: str, cert: Path, key: str, ready: Any) -> None:
    context = None
    if kind != "plain":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.num_tickets = 0
    loop = TLSSocketEventLoop() if kind == "socket-tls" else asyncio.SelectorEventLoop()

    async def main() -> None:
        server = await loop.create_server(Echo, "127.0.0.1", 0, ssl=context, backlog=1024)
        ready.send(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    loop.run_until_complete(main())


def client(port: int, tls: bool, connections: int, concurrency: int, round_trips: int, size: int) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    message = b"m" * size

    async def one(limit: asyncio.Semaphore) -> None:
        async with limit:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context if tls else None)
            for _ in range(round_trips):
                writer.write(message)
                await reader.readexactly(size)
            writer.close()
            await writer.wait_closed()

    async def main() -> None:
        limit = asyncio.Semaphore(concurrency)
        await asyncio.gather(*(one(limit) for _ in range(connections)))

    asyncio.run(main())


def measure(kind: str, cert: Path, key: Path, args: argparse.Namespace) -> float:
    """Server CPU seconds per connection for one run of ``kind``."""
    here, there = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(kind, cert, str(key), there), daemon=True)
    server.start()
    port = here.recv()
    process = psutil.Process(server.pid)
    time.sleep(0.3)
    before = sum(process.cpu_times()[:2])
    per_client: int = args.connections // args.workers
    clients = [
        multiprocessing.Process(
            target=client,
            args=(
                port,
                kind != "plain",
                per_client,
                args.concurrency // args.workers,
                args.round_trips,
                args.size,
            ),
        )
        for _ in range(args.workers)
    ]
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    time.sleep(0.2)  # the last closes finish on the server
    used: float = sum(process.cpu_times()[:2]) - before
    server.kill()
    server.join()
    return used / (per_client * len(clients))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--round-trips", type=int, default=4, help="request/answer pairs per connection")
    parser.add_argument("--size", type=int, default=300, help="bytes per message")
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each kind")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tls-bench-"))
    cert, key = folder / "cert.pem", folder / "key.pem"
    make_self_signed(cert, key, [])
    print(
        f"TLS transports: {args.connections} connections, {args.round_trips} round trips of {args.size} bytes "
        f"each, concurrency {args.concurrency}, {args.workers} client processes, {args.rounds} rounds"
    )
    results: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for _ in range(args.rounds):
        for kind in KINDS:
            results[kind].append(measure(kind, cert, key, args))
    for kind in KINDS:
        runs = ", ".join(f"{1e6 * x:.0f}" for x in results[kind])
        print(
            f"{kind:12} server CPU per connection: median {1e6 * statistics.median(results[kind]):.0f} us ({runs})"
        )
    pairs = [s / a for s, a in zip(results["socket-tls"], results["asyncio-tls"], strict=True)]
    print(f"socket-tls / asyncio-tls, per round: {', '.join(f'{p:.2f}' for p in pairs)}")


if __name__ == "__main__":
    main()
