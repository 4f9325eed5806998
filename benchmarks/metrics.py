"""What the metrics cost: the REST latency middleware per request, and one scrape of the page.

    python3 benchmarks/metrics.py [--requests 20000] [--sessions 1000] [--participants 3]

In process, no network (the figures do not depend on the noisy shared machine as much as wrk runs do):
- middleware: a trivial ASGI app called directly, with and without :class:`RestMetricsMiddleware` in front
  (the route set in the scope as Starlette's router does), microseconds per request;
- scrape: ``render()`` of the server's registry with N sessions of M participants (one publisher each, every
  other participant subscribed to it) over two media servers, milliseconds per scrape and page size. The page
  is rendered on the event loop, so this is how long a scrape holds it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from prometheus_client import CollectorRegistry
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.core.enums import OpenViduRole
from server.core.participants import MediaOptions, Participant, Publisher, Subscriber
from server.core.sessions import Session, SessionProperties
from server.core.tokens import Token
from server.observability.rest import RestMetrics, RestMetricsMiddleware
from server.observability.sessions import SessionsCollector
from server.stats.metrics import StatsMetrics


async def _app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _noop_send(message: Any) -> None:
    return None


async def _receive() -> Any:
    return {"type": "http.request", "body": b"", "more_body": False}


async def per_request_us(app: Any, requests: int, scope: dict[str, Any]) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        await app(dict(scope), _receive, _noop_send)
    return (time.perf_counter() - started) / requests * 1e6


def middleware(requests: int) -> tuple[float, float]:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/tokens",
        "app": SimpleNamespace(router=SimpleNamespace(routes=[])),
        "route": Route("/api/tokens", _app),
    }
    wrapped = RestMetricsMiddleware(_app, RestMetrics(CollectorRegistry()))
    bare = min(asyncio.run(per_request_us(_app, requests, scope)) for _ in range(3))
    measured = min(asyncio.run(per_request_us(wrapped, requests, scope)) for _ in range(3))
    return bare, measured


@dataclass(frozen=True, slots=True)
class _HostedOn:
    """A session's media as the core sees it: only its hosting media server."""

    server_id: str | None


def sessions(count: int, per_session: int) -> list[Session]:
    result = []
    options = MediaOptions(True, True, True, True)
    for index in range(count):
        session = Session(f"ses{index}", SessionProperties(), 0, media=_HostedOn(f"kms_{index % 2}"))
        publisher_id = f"con{index}_0"
        for seat in range(per_session):
            cid = f"con{index}_{seat}"
            token = Token(f"tok{cid}", session.session_id, OpenViduRole.PUBLISHER, "", None, "")
            participant = Participant(cid, session.session_id, 0, token, "bench", "")
            if seat == 0:
                participant.publisher = Publisher(f"{cid}_CAMERA_ABCDE", 0, options)
            else:
                stream = f"{publisher_id}_CAMERA_ABCDE"
                participant.subscribers[stream] = Subscriber(stream, 0)
            session.participants[cid] = participant
        result.append(session)
    return result


def scrape(count: int, per_session: int) -> tuple[float, int]:
    metrics = StatsMetrics()
    live = sessions(count, per_session)
    servers: list[Any] = [
        SimpleNamespace(id=f"kms_{i}", uri=f"ws://127.0.0.1:{8888 + i}/kurento", connected=True)
        for i in (0, 1)
    ]
    metrics.registry.register(SessionsCollector(lambda: live, lambda: servers, lambda _id: 0.0, "streams"))
    page = metrics.render()
    rounds = 20
    started = time.perf_counter()
    for _ in range(rounds):
        metrics.render()
    return (time.perf_counter() - started) / rounds * 1000, len(page)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--requests", type=int, default=20000, help="requests per middleware run (default 20000)"
    )
    parser.add_argument("--sessions", type=int, default=1000, help="sessions for the scrape (default 1000)")
    parser.add_argument("--participants", type=int, default=3, help="participants per session (default 3)")
    args = parser.parse_args()
    bare, measured = middleware(args.requests)
    print(
        f"REST metrics middleware: {measured - bare:.1f} us per request ({bare:.1f} us bare ASGI call, {measured:.1f} us with it)"
    )
    ms, size = scrape(args.sessions, args.participants)
    print(
        f"scrape with {args.sessions} sessions x {args.participants} participants: {ms:.2f} ms per render, "
        f"{size} bytes"
    )


if __name__ == "__main__":
    main()
