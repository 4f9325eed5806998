"""The embedded media server is a real minikms child process, watched and stopped with the server."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import websockets

from server.cluster.embedded import EmbeddedMediaServer


async def _ping(uri: str) -> dict[str, object]:
    async with websockets.connect(uri) as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"interval": 1000}}))
        reply: dict[str, object] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        return reply


async def _connect(uri: str) -> str:
    async with websockets.connect(uri) as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "connect"}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        return str(reply["result"]["serverId"])


async def test_embedded_server_starts_answers_restarts_and_stops() -> None:
    kms = EmbeddedMediaServer(restart_delay=0.2)
    uri = await kms.start()
    try:
        assert uri == f"ws://127.0.0.1:{kms.port}/kurento"
        reply = await _ping(uri)
        assert reply["result"] == {"value": "pong"}
        first_server = await _connect(uri)
        pid = kms.pid
        assert pid is not None

        os.kill(pid, signal.SIGKILL)  # a crash: the watcher brings it back on the same port
        for _ in range(200):
            if kms.restarts == 1 and kms.pid not in (None, pid):
                break
            await asyncio.sleep(0.05)
        assert kms.restarts == 1
        assert kms.pid not in (None, pid)
        assert await _connect(uri) != first_server  # a new process: a new serverId
    finally:
        last_pid = kms.pid
        await kms.stop()
    assert kms.pid is None
    assert last_pid is not None
    try:
        os.kill(last_pid, 0)
    except ProcessLookupError:
        pass
    else:  # still there: only acceptable as an unreaped zombie, which kill(0) cannot tell apart
        with open(f"/proc/{last_pid}/stat") as stat:
            assert stat.read().split()[2] == "Z"
