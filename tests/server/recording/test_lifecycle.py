"""The lifecycle of recordings on a real server and real minikms processes, with JSON-RPC clients that publish
real SDP (spec recording.md §8, §9): autostop, ALWAYS mode, session close, shutdown, restart, media-server loss."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.rpc.test_signaling import publish_params, sdp_offer
from tests.support.procs import MinikmsProcess
from tests.support.restart import wait_restarted
from tests.support.rpc_client import RpcClient
from tests.support.server import ServerProcess

AUTOSTOP = 2
EVENT_TIMEOUT = 20.0
START = "/api/recordings/start"


@pytest.fixture
def kms() -> Iterator[MinikmsProcess]:
    with MinikmsProcess() as proc:
        yield proc


def overrides(kms: MinikmsProcess, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "kms.uris": [kms.uri],
        "openvidu.recording": True,
        "openvidu.recording.path": str(tmp_path / "recordings"),
        "openvidu.recording.autostop-timeout": AUTOSTOP,
        "openvidu.cdr": True,
        "openvidu.cdr.path": str(tmp_path / "cdr"),
        **extra,
    }


class Clients:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.open: list[RpcClient] = []

    async def joined(self, session_id: str, role: str = "PUBLISHER") -> tuple[RpcClient, dict[str, Any]]:
        with self.server.client() as http:
            token = http.post("/api/tokens", json={"session": session_id, "role": role}).json()["token"]
        client = await RpcClient(f"wss://127.0.0.1:{self.server.port}/openvidu").open()
        self.open.append(client)
        return client, await client.join(token, session_id)

    async def close(self) -> None:
        for client in self.open:
            await client.close()


@pytest.fixture
async def started(kms: MinikmsProcess, tmp_path: Path) -> AsyncIterator[tuple[ServerProcess, Clients]]:
    with ServerProcess(overrides(kms, tmp_path)) as server:
        clients = Clients(server)
        try:
            yield server, clients
        finally:
            await clients.close()


def new_session(server: ServerProcess, **body: Any) -> str:
    with server.client() as http:
        return str(http.post("/api/sessions", json=body).json()["id"])


async def wait_status(server: ServerProcess, recording_id: str, statuses: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + EVENT_TIMEOUT
    last: Any = None
    while time.monotonic() < deadline:
        with server.client() as http:
            response = http.get(f"/api/recordings/{recording_id}")
        if response.status_code == 200:
            last = response.json()
            if last["status"] in statuses:
                return dict(last)
        await asyncio.sleep(0.1)
    raise AssertionError(f"recording {recording_id} never reached {statuses}: {last}")


def cdr(tmp_path: Path) -> list[tuple[str, dict[str, Any]]]:
    (path,) = list((tmp_path / "cdr").iterdir())
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [(next(iter(line)), next(iter(line.values()))) for line in lines]


def status_changes(tmp_path: Path, recording_id: str) -> list[tuple[str, str | None]]:
    return [
        (props["status"], props.get("reason"))
        for name, props in cdr(tmp_path)
        if name == "recordingStatusChanged" and props["id"] == recording_id
    ]


async def test_autostop_when_nobody_publishes(started: tuple[ServerProcess, Clients], tmp_path: Path) -> None:
    server, clients = started
    sid = new_session(server)
    mod, _ = await clients.joined(sid, "MODERATOR")
    sub, _ = await clients.joined(sid, "SUBSCRIBER")
    with server.client() as http:
        assert http.post(START, json={"session": sid, "outputMode": "INDIVIDUAL"}).status_code == 200
    began = time.monotonic()
    assert await mod.wait_notification("recordingStarted") == {"id": sid, "name": sid}
    stopped = await mod.wait_notification("recordingStopped", timeout=EVENT_TIMEOUT)
    assert stopped == {"id": sid, "name": sid, "reason": "automaticStop"}
    assert time.monotonic() - began >= AUTOSTOP - 0.5
    assert not sub.notifications_of("recordingStarted")  # publisher_moderator: subscribers are not told
    final = await wait_status(server, sid, {"ready"})
    assert final["size"] == 0
    with server.client() as http:  # participants were there: only the recording stopped
        assert http.get(f"/api/sessions/{sid}").status_code == 200
    assert status_changes(tmp_path, sid) == [
        ("started", None),
        ("stopped", "automaticStop"),
        ("ready", "automaticStop"),
    ]


async def test_publishing_aborts_the_autostop_and_leaving_closes_the_session(
    started: tuple[ServerProcess, Clients], tmp_path: Path
) -> None:
    server, clients = started
    sid = new_session(server)
    pub, _ = await clients.joined(sid)
    with server.client() as http:
        assert http.post(START, json={"session": sid, "outputMode": "INDIVIDUAL"}).status_code == 200
    await pub.call("publishVideo", publish_params(await sdp_offer()))  # within the countdown: aborted
    await asyncio.sleep(AUTOSTOP + 1)
    assert (await wait_status(server, sid, {"started"}))["status"] == "started"
    await pub.call("leaveRoom", {})
    with server.client() as http:  # the last participant left a recorded session: it stays for the countdown
        assert http.get(f"/api/sessions/{sid}").status_code == 200
    await wait_status(server, sid, {"ready", "failed"})
    deadline = time.monotonic() + EVENT_TIMEOUT
    while time.monotonic() < deadline:
        with server.client() as http:
            if http.get(f"/api/sessions/{sid}").status_code == 404:
                break
        await asyncio.sleep(0.1)
    destroyed = [p for n, p in cdr(tmp_path) if n == "sessionDestroyed" and p["sessionId"] == sid]
    assert [p["reason"] for p in destroyed] == ["automaticStop"]
    assert status_changes(tmp_path, sid)[-1][1] == "automaticStop"


async def test_always_mode_records_at_the_first_publish(
    started: tuple[ServerProcess, Clients], tmp_path: Path
) -> None:
    server, clients = started
    sid = new_session(server, recordingMode="ALWAYS", defaultOutputMode="INDIVIDUAL")
    pub, _ = await clients.joined(sid)
    await pub.call("publishVideo", publish_params(await sdp_offer()))
    assert await pub.wait_notification("recordingStarted") == {"id": sid, "name": sid}
    recording = await wait_status(server, sid, {"started"})
    assert recording["outputMode"] == "INDIVIDUAL" and recording["hasAudio"] and recording["hasVideo"]
    with server.client() as http:
        assert http.get(f"/api/sessions/{sid}").json()["recording"] is True
        assert http.post(f"/api/recordings/stop/{sid}").json()["status"] == "ready"
    assert (await pub.wait_notification("recordingStopped"))["reason"] == "recordingStoppedByServer"
    # manually stopped: publishing again does not record again
    await pub.call("unpublishVideo", {})
    await pub.call("publishVideo", publish_params(await sdp_offer()))
    await asyncio.sleep(1.0)
    with server.client() as http:
        assert http.get(f"/api/recordings/{sid}-1").status_code == 404
        assert http.get(f"/api/sessions/{sid}").json()["recording"] is False


async def test_closing_the_session_stops_its_recording(
    started: tuple[ServerProcess, Clients], tmp_path: Path
) -> None:
    server, clients = started
    sid = new_session(server)
    pub, _ = await clients.joined(sid)
    await pub.call("publishVideo", publish_params(await sdp_offer()))
    with server.client() as http:
        assert (
            http.post(START, json={"session": sid, "outputMode": "COMPOSED", "hasVideo": False}).status_code
            == 200
        )
        assert http.delete(f"/api/sessions/{sid}").status_code == 204
    assert status_changes(tmp_path, sid)[1:] in (
        [("stopped", "sessionClosedByServer"), ("ready", "sessionClosedByServer")],
        [("stopped", "sessionClosedByServer"), ("failed", "sessionClosedByServer")],
    )
    assert not pub.notifications_of("recordingStopped")  # the session is closed: nobody is told


async def test_shutdown_and_restart_stop_recordings_that_survive_in_the_listing(
    kms: MinikmsProcess, tmp_path: Path
) -> None:
    server = ServerProcess(overrides(kms, tmp_path)).start()
    clients = Clients(server)
    try:
        sid = new_session(server)
        pub, _ = await clients.joined(sid)
        await pub.call("publishVideo", publish_params(await sdp_offer()))
        with server.client() as http:
            assert http.post(START, json={"session": sid, "outputMode": "INDIVIDUAL"}).status_code == 200
            assert (
                http.post("/pro/restart", json={"openvidu.recording.autostop-timeout": 3}).status_code == 200
            )
        await asyncio.to_thread(wait_restarted, server, "MY_SECRET", time.monotonic())
        with server.client() as http:
            listed = http.get("/api/recordings").json()
        assert [(r["id"], r["status"]) for r in listed["items"]] == [(sid, "ready")]
        assert status_changes(tmp_path, sid)[-1] == ("ready", "openviduServerStopped")
        # and a plain shutdown (SIGTERM) too
        sid2 = new_session(server)
        await clients.joined(sid2)
        with server.client() as http:
            assert http.post(START, json={"session": sid2, "outputMode": "INDIVIDUAL"}).status_code == 200
        assert await asyncio.to_thread(server.stop) == 0
        stored = json.loads((tmp_path / "recordings" / sid2 / f".recording.{sid2}").read_text())
        assert stored["status"] == "ready"
    finally:
        await clients.close()
        server.stop()
        server.cleanup()


async def test_media_server_killed_during_an_individual_recording(
    kms: MinikmsProcess, tmp_path: Path
) -> None:
    with ServerProcess(overrides(kms, tmp_path, **{"kms.reconnect-window": 1})) as server:
        clients = Clients(server)
        try:
            sid = new_session(server)
            pub, _ = await clients.joined(sid)
            published = await pub.call("publishVideo", publish_params(await sdp_offer()))
            with server.client() as http:
                assert http.post(START, json={"session": sid, "outputMode": "INDIVIDUAL"}).status_code == 200
            await asyncio.sleep(1.0)
            kms.kill()
            final = await wait_status(server, sid, {"failed", "ready"})
            assert final["status"] == "failed"
            assert status_changes(tmp_path, sid)[-1] == ("failed", "mediaServerDisconnect")
            folder = tmp_path / "recordings" / sid
            assert (folder / f"{sid}.zip").exists()  # what was written is kept
            with server.client() as http:  # the server keeps serving
                assert http.get("/api/recordings").status_code == 200
                assert http.post("/api/sessions", json={}).status_code == 200
                assert http.get(f"/api/sessions/{sid}").status_code == 404
            assert published["id"]
        finally:
            await clients.close()


@pytest.mark.parametrize("kms_version", ["6.18.0", "7.3.0"])
async def test_kurento_recorders_on_6x_and_7x(tmp_path: Path, kms_version: str) -> None:
    """INDIVIDUAL and COMPOSED audio-only on a media server speaking Kurento 6.x or 7.x (event names differ)."""
    with MinikmsProcess(kms_version=kms_version) as kms, ServerProcess(overrides(kms, tmp_path)) as server:
        clients = Clients(server)
        try:
            sid = new_session(server)
            pub, _ = await clients.joined(sid)
            await pub.call("publishVideo", publish_params(await sdp_offer()))
            for body, recording_id in (
                ({"outputMode": "INDIVIDUAL"}, sid),
                ({"outputMode": "COMPOSED", "hasVideo": False}, f"{sid}-1"),
            ):
                with server.client() as http:
                    started = http.post(START, json={"session": sid, **body})
                    assert started.status_code == 200, started.text
                    await asyncio.sleep(1.0)
                    final = http.post(f"/api/recordings/stop/{recording_id}").json()
                assert final["id"] == recording_id
                if recording_id == sid:  # INDIVIDUAL: times from the Recording/Stopped events of that version
                    assert final["status"] == "ready" and final["duration"] >= 0.9, final
                else:  # the SDP-only publisher sends no sound: an empty mix is failed
                    assert final["status"] in ("ready", "failed")
            assert (tmp_path / "recordings" / sid / f"{sid}.zip").exists()
        finally:
            await clients.close()
