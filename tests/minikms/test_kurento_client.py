"""minikms driven by the official npm kurento-client: 7.3.0 against --kms-version 7.3.0 and 6.18.0
(package alias kurento-client-6) against --kms-version 6.18.0 (scripts/kurento_client_core.js)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.node import NODE_DIR, SCRIPTS_DIR, node_available, run_node_json
from tests.support.procs import MinikmsProcess

pytestmark = pytest.mark.e2e

NODE_TIMEOUT = 120.0


@pytest.fixture(autouse=True)
def _need_node() -> None:
    if not node_available():
        pytest.fail("node and tests/e2e/node/node_modules are required (scripts/test.sh installs them)")


def run_core_script(version: str, recording_dir: Path) -> dict[str, Any]:
    major = version.split(".")[0]
    env = {"RECORDING_DIR": str(recording_dir)}
    with MinikmsProcess(kms_version=version) as kms:
        result = run_node_json("kurento_client_core.js", kms.uri, major, timeout=NODE_TIMEOUT, env=env)
    assert isinstance(result, dict)
    return result


@pytest.mark.parametrize("version", ["7.3.0", "6.18.0"])
def test_official_client_core_flow(version: str, tmp_path: Path) -> None:
    out = run_core_script(version, tmp_path)
    ids = out["ids"]
    pipeline, webrtc, passthrough = ids["pipeline"], ids["webrtc"], ids["passThrough"]

    # Server manager (the client's strict module check passed, or nothing would have run).
    assert out["info"]["version"] == version
    assert out["info"]["type"] == "KMS" and out["info"]["capabilities"] == ["transactions"]
    assert [m["name"] for m in out["info"]["modules"]] == ["core", "elements", "filters"]
    assert out["cpuCount"] >= 1 and out["usedMemory"] > 1000 and out["usedCpu"] >= 0
    assert out["kmdCoreName"] == "core"

    # Objects and ids.
    assert webrtc.startswith(pipeline + "/") and webrtc.endswith("_kurento.WebRtcEndpoint")
    assert {webrtc, passthrough} <= set(out["objectCreated"])
    assert out["mediaPipelineOfWebrtc"] == pipeline
    assert out["children"] == sorted([webrtc, passthrough])
    assert isinstance(out["creationTime"], int)

    # connect without and with a media type, events through the client's emitter.
    kinds = [e["mediaType"] for e in out["elementConnected"]]
    assert sorted(kinds) == ["AUDIO", "DATA", "VIDEO"]  # the second VIDEO connect was already there
    for event in out["elementConnected"]:
        assert (
            event["type"] == "ElementConnected" and event["sink"] == passthrough and event["source"] == webrtc
        )
        assert event["tags"] == [] and event["timestampMillis"].isdigit()
        if version.startswith("6."):
            assert event["timestamp"].isdigit()
        else:
            assert "timestamp" not in event
    assert sorted(c["type"] for c in out["sourceConnections"]) == ["AUDIO", "DATA", "VIDEO"]
    assert all(c["source"] == webrtc and c["sink"] == passthrough for c in out["sourceConnections"])
    assert out["sinkConnectionsVideo"] == 1
    assert out["afterDisconnect"] == ["DATA", "VIDEO"]

    # Properties.
    assert out["bandwidth"] == [600, 100, 900, 150]
    assert out["stun"] == ["127.0.0.1", 3478]
    assert out["name"] == "publisher-1"
    assert out["tags"] == [["room", "r1"]] and out["tag"] == "r1"
    assert out["mediaState"] == "DISCONNECTED" and out["connectionState"] == "DISCONNECTED"
    assert out["statsKeys"] == [webrtc] and out["statsTypes"] == ["endpoint"]

    # describe through getMediaobjectById from another client.
    assert out["describedType"] == "WebRtcEndpoint" and out["describedName"] == "publisher-1"
    assert out["unknownId"]["code"] == 40101 and out["unknownId"]["constructor"] == "ReferenceError"
    assert out["unknownId"]["type"] == "MEDIA_OBJECT_NOT_FOUND"

    # Transactions (explicit with newref, and client.transaction()).
    tx = out["transaction"]
    assert tx["a"].startswith(tx["pipeline"] + "/") and tx["b"].startswith(tx["pipeline"] + "/")
    assert tx["connections"] == 3
    implicit = out["implicitTransaction"]
    assert implicit["element"].startswith(implicit["pipeline"] + "/") and implicit["type"] == "WebRtcEndpoint"

    # Composite + HubPorts + RecorderEndpoint, and a (pass-through) GStreamerFilter.
    recorder = out["recorder"]
    assert out["recorderStateRecording"] == "START"
    assert recorder["events"] == [
        ["Recording", None],
        ["UriEndpointStateChanged", "START"],
        ["Stopped", None],
        ["UriEndpointStateChanged", "STOP"],
    ]
    assert recorder["state"] == "STOP" and recorder["uri"] == f"file://{tmp_path}/composed.webm"
    assert recorder["portParent"] == recorder["composite"] and recorder["port"].startswith(
        recorder["composite"] + "/"
    )
    assert (tmp_path / "composed.webm").exists()
    assert out["filter"] == {"command": "videoflip method=1", "sinks": 3}

    # Error paths as the client surfaces them.
    assert out["unknownFactory"] == {
        "code": 40108,
        "message": "Factory 'RtpEndpoint' not found",
        "constructor": "Error",
        "type": "MEDIA_OBJECT_NOT_AVAILABLE",
    }
    assert out["emptyOffer"]["code"] == 40201 and out["emptyOffer"]["type"] == "SDP_PARSE_ERROR"
    assert out["missingTag"]["code"] == 40110
    assert out["crossPipeline"] == {
        "code": 40004,
        "message": "Media elements do not share pipeline",
        "constructor": "Error",
        "type": "CONNECT_ERROR",
    }

    # Release: recursive, children first, seen by ObjectDestroyed, ids gone.
    destroyed = out["destroyed"]
    assert {pipeline, webrtc, passthrough, tx["pipeline"], tx["a"], tx["b"], implicit["pipeline"]} <= set(
        destroyed
    )
    assert destroyed.index(webrtc) < destroyed.index(pipeline)
    assert out["afterRelease"]["code"] == 40101
    assert out["pipelinesLeft"] == []


@pytest.mark.parametrize("version", ["7.3.0", "6.18.0"])
def test_official_client_reconnects_to_a_restarted_server(version: str) -> None:
    major = version.split(".")[0]
    kms = MinikmsProcess(kms_version=version)
    kms.start()
    script = SCRIPTS_DIR / "kurento_client_reconnect.js"
    proc = subprocess.Popen(
        ["node", str(script), kms.uri, major],
        cwd=NODE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        assert ready.startswith("READY "), (ready, proc.stderr.read() if proc.stderr else "")
        old_pipeline = ready.split()[1]
        kms.stop()
        kms.start()
        stdout, stderr = proc.communicate(timeout=NODE_TIMEOUT)
        assert proc.returncode == 0, stderr
        out = json.loads(stdout.strip().splitlines()[-1])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        kms.stop()
    # connect {sessionId} to the new process got 40007: the client reports a different session.
    assert out["sameSession"] is False
    assert out["oldPipeline"] == {"code": 40101, "type": "MEDIA_OBJECT_NOT_FOUND"}
    assert out["freshPipeline"] != old_pipeline and out["freshPipeline"].endswith("_kurento.MediaPipeline")
    # kurento-client keeps its sessionId after a 40007; the new server simply starts that session on create.
    assert out["sessionAfter"] == out["sessionBefore"]
    assert out["version"] == version
