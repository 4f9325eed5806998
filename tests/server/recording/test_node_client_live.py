"""Every recording method of openvidu-node-client 2.10.0 and 2.11.0 on a session with a publisher (real server,
real minikms): start, get, list, stop and delete of INDIVIDUAL and COMPOSED audio-only recordings, the fields
compared with spec openvidu-rest.md §4.4."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.recording.test_lifecycle import Clients
from tests.server.rpc.test_signaling import sdp_offer
from tests.support.node import node_available, run_node_json
from tests.support.participants import publish_params
from tests.support.procs import MinikmsProcess
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

SECRET = "NodeLiveSecret"
NODE_TIMEOUT = 90.0


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[tuple[ServerProcess, Clients, Path]]:
    if not node_available():
        pytest.fail("node and tests/e2e/node/node_modules are required for the e2e tests")
    recordings = tmp_path / "recordings"
    with (
        MinikmsProcess() as kms,
        ServerProcess(
            {
                "kms.uris": [kms.uri],
                "openvidu.secret": SECRET,
                "openvidu.recording": True,
                "openvidu.recording.path": str(recordings),
            }
        ) as server,
    ):
        clients = Clients(server)
        try:
            yield server, clients, recordings
        finally:
            await clients.close()


@pytest.mark.parametrize("package", ["openvidu-node-client", "openvidu-node-client-2.11"])
async def test_every_recording_method(stack: tuple[ServerProcess, Clients, Path], package: str) -> None:
    server, clients, recordings = stack
    with server.client() as http:
        sid = http.post("/api/sessions", json={}).json()["id"]
    publisher, _ = await clients.joined(sid)
    await publisher.call("publishVideo", publish_params(await sdp_offer()))
    out: dict[str, Any] = run_node_json(
        "node_client_recordings_live.js",
        f"https://127.0.0.1:{server.port}",
        SECRET,
        package,
        sid,
        env={"NODE_TLS_REJECT_UNAUTHORIZED": "0"},
        timeout=NODE_TIMEOUT,
    )
    started = out["started"]
    assert started["id"] == sid and started["sessionId"] == sid and started["status"] == "started"
    assert started["size"] == 0 and started["duration"] == 0 and started["url"] is None
    assert started["properties"] == {
        "name": "live",
        "outputMode": "INDIVIDUAL",
        "hasAudio": True,
        "hasVideo": True,
    }
    assert out["getStarted"] == started
    assert out["listed"] == [started]
    assert out["startAgain"] == "409" and out["deleteRunning"] == "409"
    stopped = out["stopped"]
    # the SDP-only publisher sends no media: the zip holds an empty stream file; the times are Kurento's events
    assert stopped["status"] == "ready" and stopped["size"] >= 0 and stopped["duration"] >= 0.9
    assert stopped["createdAt"] == started["createdAt"] and stopped["properties"] == started["properties"]
    assert out["stopAgain"] == "404"
    audio = out["audioStarted"]
    assert audio["id"] == f"{sid}-1" and audio["properties"] == {
        "name": f"{sid}-1",
        "outputMode": "COMPOSED",
        "hasAudio": True,
        "hasVideo": False,
        # not in the server's JSON (COMPOSED audio-only has no layout): the client's own defaults
        "resolution": "1920x1080",
        "recordingLayout": "BEST_FIT",
    }
    assert out["audioStopped"]["status"] in ("ready", "failed")  # the SDP-only publisher sends no sound
    assert out["getAudio"] == out["audioStopped"]
    assert out["deleteIndividual"] == "resolved" and out["deleteAudio"] == "resolved"
    assert out["getDeleted"] == "404" and out["listAfter"] == []
    assert list(recordings.iterdir()) == []
