"""The bare Starlette ceiling for benchmarks/rest.py: endpoints that only return precomputed JSON bodies.

usage: python benchmarks/bare_app.py PORT BODIES_JSON [CERT_PEM KEY_PEM]
BODIES_JSON maps ``"METHOD /path"`` to the body text to return (same sizes as the real server's answers).
Served by uvicorn with the same options as ``openvidu-server`` (plain HTTP, no access log, no server header).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def make_app(bodies: dict[str, str]) -> Starlette:
    routes = []
    for key, text in bodies.items():
        method, path = key.split(" ", 1)
        payload = text.encode()

        async def endpoint(request: Request, payload: bytes = payload) -> Response:
            await request.body()
            return Response(payload, media_type="application/json")

        routes.append(Route(path, endpoint, methods=[method]))
    return Starlette(routes=routes)


def main() -> None:
    port = int(sys.argv[1])
    bodies = json.loads(Path(sys.argv[2]).read_text())
    tls = sys.argv[3:5] if len(sys.argv) >= 5 else [None, None]
    uvicorn.run(
        make_app(bodies),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        lifespan="on",
        ssl_certfile=tls[0],
        ssl_keyfile=tls[1],
    )


if __name__ == "__main__":
    main()
