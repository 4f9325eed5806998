"""Process-level behaviour of minikms: garbage collection of unbound sessions, serverId across a
restart, clean SIGTERM shutdown."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

from tests.minikms.kms_wire import RawKms
from tests.support.procs import LOOPBACK, REPO_ROOT, MinikmsProcess, free_port, wait_port

MANAGER = "manager_ServerManager"
GC_PERIOD = 2.0  # seconds; the tests wait several periods with generous slack
DESTROY_WAIT = 10 * GC_PERIOD


async def test_unbound_session_is_collected_but_a_bound_one_survives() -> None:
    with MinikmsProcess(extra_args=["--gc-period", str(GC_PERIOD)]) as kms:
        async with RawKms(kms.uri) as observer, RawKms(kms.uri) as keeper:
            await observer.value("subscribe", {"object": MANAGER, "type": "ObjectDestroyed"})
            kept = await keeper.create("MediaPipeline")
            shared = await keeper.create("MediaPipeline")
            async with RawKms(kms.uri) as leaver:
                session = (await leaver.result("connect"))["sessionId"]
                doomed = await leaver.create("MediaPipeline")
                child = await leaver.create("PassThrough", mediaPipeline=doomed)
                await leaver.invoke(shared, "getName")  # co-owner of the keeper's pipeline
            # Reconnecting right away (well within one period) finds the session alive.
            async with RawKms(kms.uri, first_id=100) as back:
                assert (await back.result("connect", {"sessionId": session}))["sessionId"] == session
                assert await back.invoke(child, "getName") == child
            # Then nobody is bound: the session's objects go within two periods.
            destroyed: set[str] = set()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + DESTROY_WAIT
            while not {doomed, child} <= destroyed:
                event = await observer.event_of("ObjectDestroyed", timeout=max(deadline - loop.time(), 0.1))
                destroyed.add(event["data"]["objectId"])
            async with RawKms(kms.uri, first_id=200) as late:
                error = await late.error("connect", {"sessionId": session})
                assert error["code"] == 40007
                assert (await late.error("invoke", {"object": doomed, "operation": "getName"}))[
                    "code"
                ] == 40101
            # The keeper's socket stayed bound the whole time: its objects, even the co-owned one, survive.
            assert await keeper.invoke(kept, "getName") == kept
            assert await keeper.invoke(shared, "getName") == shared
            assert kept not in destroyed and shared not in destroyed


async def test_server_id_changes_after_restart_and_old_ids_are_gone() -> None:
    kms = MinikmsProcess()
    kms.start()
    try:
        async with RawKms(kms.uri) as c:
            hello = await c.result("connect")
            pipeline = await c.create("MediaPipeline")
        kms.stop()
        kms.start()
        async with RawKms(kms.uri, first_id=100) as c:
            error = await c.error("connect", {"sessionId": hello["sessionId"]})
            assert error == {"code": 40007, "data": {"type": "INVALID_SESSION"}, "message": "Invalid session"}
            fresh = await c.result("connect")
            assert fresh["serverId"] != hello["serverId"]
            assert fresh["sessionId"] != hello["sessionId"]
            assert (await c.error("invoke", {"object": pipeline, "operation": "getName"}))["code"] == 40101
    finally:
        kms.stop()


async def test_sigterm_shuts_down_cleanly_with_clients_and_objects() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "minikms", "--address", LOOPBACK, "--port", str(port)],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_port(port, timeout=20, proc=proc)
        async with RawKms(f"ws://{LOOPBACK}:{port}/kurento") as c:
            pipeline = await c.create("MediaPipeline")
            await c.create("WebRtcEndpoint", mediaPipeline=pipeline)
            await c.create("PassThrough", mediaPipeline=pipeline)
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(proc.wait, 20)
        assert code == 0
        assert proc.stderr is not None
        log = proc.stderr.read().decode()
        assert "shutting down" in log
        assert "Traceback" not in log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
