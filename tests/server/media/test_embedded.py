"""The embedded media server is a real minikms child process, watched and stopped with the server."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import websockets

from server.media.embedded import EmbeddedMediaServer


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


async def test_detached_child_is_adopted_on_the_same_port_and_watched() -> None:
    first = EmbeddedMediaServer(restart_delay=0.2)
    await first.start()
    entry = await first.detach()
    assert entry == f"{first.port}:{first.pid}"
    pid = first.pid
    assert pid is not None
    os.kill(pid, 0)  # still running after detach

    second = EmbeddedMediaServer(port=first.port, restart_delay=0.2)
    try:
        assert await second.adopt(pid) == first.uri
        assert second.pid == pid
        assert (await _ping(second.uri))["result"] == {"value": "pong"}
        os.kill(pid, signal.SIGKILL)  # the adopted child dies: it is replaced like a spawned one
        for _ in range(200):
            if second.restarts == 1:
                break
            await asyncio.sleep(0.05)
        assert second.restarts == 1 and second.pid not in (None, pid)
        assert (await _ping(second.uri))["result"] == {"value": "pong"}
    finally:
        await second.stop()
    assert second.pid is None


def test_handover_variable_round_trip() -> None:
    from server.media.embedded import EMBEDDED_HANDOVER_ENV, hand_over, handed_over

    env: dict[str, str] = {}
    hand_over(env, ["4001:123", "4002:456"])
    assert env[EMBEDDED_HANDOVER_ENV] == "4001:123,4002:456"
    assert handed_over(env) == [(4001, 123), (4002, 456)]
    assert EMBEDDED_HANDOVER_ENV not in env
    env[EMBEDDED_HANDOVER_ENV] = "garbage,4003:789"
    assert handed_over(env) == [(4003, 789)]
    hand_over(env, [])
    assert EMBEDDED_HANDOVER_ENV not in env
