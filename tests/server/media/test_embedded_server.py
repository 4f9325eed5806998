"""The default configuration: ``kms.uris=[embedded]`` gives a working server with its own media server child,
which is stopped with the server and handed over (not restarted) across ``POST /pro/restart``."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import psutil

from tests.support.participants import join, participants, publish, rest
from tests.support.restart import wait_restarted
from tests.support.server import ServerProcess


def minikms_children(server: ServerProcess) -> list[int]:
    assert server.proc is not None
    children = psutil.Process(server.proc.pid).children()
    return [c.pid for c in children if "minikms" in " ".join(c.cmdline())]


async def test_embedded_media_server_lives_and_dies_with_the_server(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    settings = {"kms.uris": ["embedded"], "openvidu.pro.cluster": True}
    server = ServerProcess(settings, state_dir=tmp_path / "state").start()
    try:
        (child,) = minikms_children(server)
        (media_server,) = rest(server, "GET", "/pro/media-servers").json()["content"]
        assert media_server["uri"].startswith("ws://127.0.0.1:") and media_server["connected"] is True
        async with participants() as clients:
            alice = await join(server)
            clients.append(alice)
            answer = await publish(alice)
            assert answer["sdpAnswer"].startswith("v=0")

            assert rest(server, "POST", "/pro/restart", {"openvidu.secret": "AFTER"}).status_code == 200
            evicted = await alice.wait_notification("participantEvicted", timeout=15)
            assert evicted["reason"] == "openviduServerStopped"
            await asyncio.to_thread(wait_restarted, server, "AFTER", time.monotonic())
        server.overrides["openvidu.secret"] = "AFTER"
        assert minikms_children(server) == [child]  # the same child, adopted by the new image
        (after,) = rest(server, "GET", "/pro/media-servers").json()["content"]
        assert after["uri"] == media_server["uri"] and after["connected"] is True
        async with participants() as clients:
            bob = await join(server)
            clients.append(bob)
            await publish(bob)
    finally:
        assert server.stop() == 0
        server.cleanup()
    assert not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE
