"""The bare websocket ceiling for benchmarks/signaling.py: today's stack with no signaling code above it.

usage: python benchmarks/bare_ws.py PORT CERT_PEM KEY_PEM RESPONSE_BYTES
uvicorn + websockets (sans-I/O when available, as openvidu-server) + asyncio's TLS + permessage-deflate on, on
asyncio's loop with the default garbage collector: every frame that carries an ``id`` is answered with a JSON-RPC
result padded to RESPONSE_BYTES (the size of a joinRoom answer), so a client runs the same open / ping / join
sequence against it as against the real server.
"""

from __future__ import annotations

import asyncio.sslproto
import json
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


def make_app(response_bytes: int) -> Starlette:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                request = json.loads(await websocket.receive_text())
                base = {"id": request.get("id"), "jsonrpc": "2.0", "result": {"id": "bare", "pad": ""}}
                pad = max(0, response_bytes - len(json.dumps(base)))
                base["result"]["pad"] = "x" * pad
                await websocket.send_text(json.dumps(base))
        except WebSocketDisconnect:
            pass

    return Starlette(routes=[WebSocketRoute("/openvidu", endpoint)])


def _ws_impl() -> str:
    try:
        from uvicorn.protocols.websockets import websockets_sansio_impl  # noqa: F401
    except ImportError:
        return "auto"
    return "websockets-sansio"


TLS_READ_BUFFER_BYTES = 32 * 1024
"""As openvidu-server before issue 15 (asyncio's default, 256 KiB, would make the ceiling look worse)."""


def main() -> None:
    asyncio.sslproto.SSLProtocol.max_size = TLS_READ_BUFFER_BYTES  # type: ignore[attr-defined]
    port, cert, key, size = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    uvicorn.run(
        make_app(size),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        ssl_certfile=cert,
        ssl_keyfile=key,
        ws=_ws_impl(),
        ws_per_message_deflate=True,
        loop="asyncio",
        backlog=2048,
        limit_concurrency=None,
    )


if __name__ == "__main__":
    main()
