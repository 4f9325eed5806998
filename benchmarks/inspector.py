"""What an open Inspector console costs the server: CPU of the server process with and without a console.

A server (``python -m server``, no media server needed) gets ``--sessions`` sessions through REST, each with
``--tokens`` tokens. Then, for ``--duration`` seconds each, the server's CPU time (user + system, read from
/proc through psutil) is measured in two phases, in alternation for ``--rounds`` rounds:

- ``without``: nobody watches;
- ``with``: one console is open as the page keeps it open: its push stream (``GET /inspector/events``, read to
  the end of every message) and the page's own requests (``GET /api/recordings`` when the recordings channel
  moves, ``/inspector/api/history`` and ``/pro/config`` are only fetched when the operator opens those views, so
  one of each is made per phase).

Both phases run the same ``--churn`` activity (every ``1/churn`` seconds one session is created and the one of two
periods before deleted, through REST), so the console gets a new sessions document every push interval. Printed: CPU % of one core per phase (best and mean of the
rounds), the console's cost (with - without) and the bytes and messages the console received.

Run: ``python3 benchmarks/inspector.py [--sessions 100] [--duration 60] [--rounds 2] [--churn 1]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.server import ServerProcess


class Console:
    """A console's push stream, read in a thread."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.bytes = 0
        self.messages = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with (
            self.server.client(timeout=httpx.Timeout(5.0, read=None)) as client,
            client.stream("GET", "/inspector/events") as response,
        ):
            response.raise_for_status()
            for chunk in response.iter_raw():
                self.bytes += len(chunk)
                self.messages += chunk.count(b"\n\n")
                if self.stop.is_set():
                    return

    def __enter__(self) -> Console:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=15)


def churn(server: ServerProcess, rate: float, stop: threading.Event) -> None:
    if rate <= 0:
        return
    with server.client() as api:
        i = 0
        while not stop.wait(1.0 / rate):
            api.post("/api/sessions", json={"customSessionId": f"churn{i}"})
            if i >= 2:  # each churn session lives two periods, so every check of the console sees a change
                api.delete(f"/api/sessions/churn{i - 2}")
            i += 1


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def phase(
    server: ServerProcess, proc: psutil.Process, seconds: float, rate: float, watched: bool
) -> dict[str, float]:
    stop = threading.Event()
    driver = threading.Thread(target=churn, args=(server, rate, stop), daemon=True)
    console = Console(server) if watched else None
    if console is not None:
        console.__enter__()
        with (
            server.client() as api
        ):  # what the page asks when it opens (recordings, history and config views)
            for path in (
                "/api/recordings",
                "/inspector/api/history",
                "/pro/config",
                "/inspector/api/properties",
            ):
                api.get(path).raise_for_status()
    time.sleep(1.0)  # let the console's first full state go by
    driver.start()
    start_cpu, start = cpu_seconds(proc), time.monotonic()
    time.sleep(seconds)
    used, elapsed = cpu_seconds(proc) - start_cpu, time.monotonic() - start
    stop.set()
    driver.join()
    result = {"cpu_percent": 100.0 * used / elapsed}
    if console is not None:
        result.update(bytes=console.bytes, messages=console.messages)
        console.__exit__()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--tokens", type=int, default=2)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--churn", type=float, default=1.0, help="sessions created+deleted per second (0 = none)"
    )
    args = parser.parse_args()

    with ServerProcess({"server.ssl.enabled": False}) as server:
        proc = psutil.Process(server.proc.pid if server.proc else 0)
        with server.client() as api:
            for i in range(args.sessions):
                sid = api.post("/api/sessions", json={"customSessionId": f"bench{i}"}).json()["id"]
                for _ in range(args.tokens):
                    api.post("/api/tokens", json={"session": sid}).raise_for_status()
            doc = api.get("/inspector/api/state").content
        print(
            f"{args.sessions} sessions ({args.tokens} tokens each), state document {len(doc)} bytes; "
            f"{args.rounds} rounds of {args.duration:.0f} s per phase; churn {args.churn}/s"
        )
        without: list[float] = []
        with_console: list[float] = []
        received: list[dict[str, float]] = []
        for _ in range(args.rounds):
            without.append(phase(server, proc, args.duration, args.churn, watched=False)["cpu_percent"])
            watched = phase(server, proc, args.duration, args.churn, watched=True)
            with_console.append(watched["cpu_percent"])
            received.append(watched)
        for name, values in (("without a console", without), ("with a console", with_console)):
            print(
                f"server CPU {name:18s}: best {min(values):5.2f} %  mean {statistics.mean(values):5.2f} % of one core"
            )
        cost = statistics.mean(with_console) - statistics.mean(without)
        best = min(with_console) - min(without)
        print(f"console cost: {cost:+.2f} % of one core (means), {best:+.2f} % (bests); goal < 2 %")
        last = received[-1]
        print(
            f"console received {last['messages']:.0f} messages, {last['bytes'] / 1024:.0f} KiB in {args.duration:.0f} s"
        )


if __name__ == "__main__":
    main()
