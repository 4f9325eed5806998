"""The recording operations of the official openvidu-node-client (2.10.0 and 2.11.0) against a real server
(spec §3.8-§3.12): recordings already in the folder are listed, read and deleted; starts fail with the
statuses of the original."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.node import node_available, run_node_json
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

SECRET = "NodeRecordingSecret"
NODE_TIMEOUT = 90.0
CLIENTS = ["openvidu-node-client", "openvidu-node-client-2.11"]
READY = {
    "id": "ses1", "name": "meeting", "outputMode": "COMPOSED", "resolution": "1280x720",
    "recordingLayout": "BEST_FIT", "sessionId": "ses1", "createdAt": 1564400010000, "size": 4512345,
    "duration": 49.87, "url": None, "hasAudio": True, "hasVideo": False, "status": "ready",
}  # fmt: skip
STARTED = {
    "id": "ses2", "name": "ses2", "outputMode": "INDIVIDUAL", "sessionId": "ses2", "createdAt": 1564400020000,
    "size": 0, "duration": 0.0, "url": None, "hasAudio": True, "hasVideo": True, "status": "started",
}  # fmt: skip


def write_recording(folder: Path, recording: dict[str, object]) -> None:
    rec_dir = folder / str(recording["id"])
    rec_dir.mkdir(parents=True, exist_ok=True)
    (rec_dir / f".recording.{recording['id']}").write_text(json.dumps(recording))


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("node-recordings")


@pytest.fixture(scope="module")
def server(recordings: Path) -> Iterator[ServerProcess]:
    if not node_available():
        pytest.fail("node and tests/e2e/node/node_modules are required for the e2e tests")
    overrides = {
        "openvidu.secret": SECRET,
        "openvidu.recording": True,
        "openvidu.recording.path": str(recordings),
    }
    with ServerProcess(overrides) as proc:
        yield proc


@pytest.mark.parametrize("package", CLIENTS)
def test_node_client_recording_operations(server: ServerProcess, recordings: Path, package: str) -> None:
    write_recording(recordings, READY)
    write_recording(recordings, STARTED)
    write_recording(recordings, dict(READY, id="del1", name="del1"))
    with server.client() as api:
        idle = api.post("/api/sessions").json()["id"]
        out = run_node_json(
            "node_client_recordings.js",
            f"https://127.0.0.1:{server.port}",
            SECRET,
            package,
            idle,
            env={"NODE_TLS_REJECT_UNAUTHORIZED": "0"},
            timeout=NODE_TIMEOUT,
        )
        api.delete(f"/api/sessions/{idle}")

    ready_view = {
        "id": "ses1",
        "sessionId": "ses1",
        "createdAt": 1564400010000,
        "size": 4512345,
        "duration": 49.87,
        "url": None,
        "status": "ready",
        "properties": {
            "name": "meeting",
            "outputMode": "COMPOSED",
            "hasAudio": True,
            "hasVideo": False,
            "resolution": "1280x720",
            "recordingLayout": "BEST_FIT",
        },
    }
    assert out["get"] == ready_view
    assert [r["id"] for r in out["list"]] == ["del1", "ses1", "ses2"]
    assert out["list"][1] == ready_view
    assert out["list"][2]["properties"] == {
        "name": "ses2",
        "outputMode": "INDIVIDUAL",
        "hasAudio": True,
        "hasVideo": True,
    }
    assert out["getMissing"] == "404"
    assert out["stopUnknown"] == "404"
    assert out["deleteStarted"] == "resolved"  # a leftover "started" file: the original deletes it too
    assert out["deleteDone"] == "resolved"
    assert out["deleteAgain"] == "404"
    assert out["listAfterDelete"] == ["ses1"]
    assert not (recordings / "del1").exists()
    assert out["startUnknownSession"] == "404"
    assert out["startNeverJoined"] == "406"
    assert out["startWithoutTracks"] == "422"
    assert out["startBadResolution"] == "422"


def test_node_client_start_is_501_without_the_recording_module(tmp_path: Path) -> None:
    script = "node_client_recordings.js"
    overrides = {"openvidu.secret": SECRET, "openvidu.recording.path": str(tmp_path)}
    with ServerProcess(overrides) as plain, plain.client() as api:
        idle = api.post("/api/sessions").json()["id"]
        # The script's first call lists recordings (empty folder here) and goes on to the starts.
        out = run_node_json(
            script,
            f"https://127.0.0.1:{plain.port}",
            SECRET,
            "openvidu-node-client-2.11",
            idle,
            env={"NODE_TLS_REJECT_UNAUTHORIZED": "0"},
            timeout=NODE_TIMEOUT,
        )
    assert out["list"] == [] and out["get"] == "404"
    assert out["startNeverJoined"] == "501"
    assert out["startWithoutTracks"] == "501"
