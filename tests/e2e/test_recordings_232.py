"""Recording and broadcast through /openvidu/api with openvidu-browser 2.32.2 publishers in headless Chromium,
driven by the official openvidu-node-client 2.32.2 (real server, real minikms, the local COMPOSED pipeline).

- COMPOSED (640x480 at 15 fps): an H.264/AAC mp4 whose frame rate is the one asked; INDIVIDUAL: a zip holding
  only the publisher whose connection was made with ``record: true``;
- both recordings read back through ``GET /openvidu/api/recordings/<id>`` (2.32 shape, ``url`` set) and
  ``GET /api/recordings/<id>`` (2.11 shape), the node client's parsed fields equal to the raw JSON;
- broadcast to an RTMP listener made by the test (``ffmpeg -listen 1``): the received FLV has audio and video;
  the session's ``broadcasting`` flag; 409 for a second start, for a stop with nothing running and for a COMPOSED
  recording while broadcasting (both need the RECORDER slot).

    unshare -n sh -c 'ip link set lo up && python -m pytest tests/e2e/test_recordings_232.py'
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser_fixtures import MEDIA_TIMEOUT, close_pages, connect, media_server_stack
from tests.support.browser import Browser, StaticServer
from tests.support.media_checks import ffprobe, stream_types
from tests.support.node import node_available, run_node_json
from tests.support.procs import free_port
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.media]

API = "/openvidu/api"
SECRET = "Rec232Secret"
NODE_TIMEOUT = 300.0
KEYS_232 = [
    "id", "object", "name", "outputMode", "resolution", "frameRate", "recordingLayout", "sessionId",
    "createdAt", "size", "duration", "url", "hasAudio", "hasVideo", "status",
]  # fmt: skip
KEYS_211 = [
    "id", "name", "outputMode", "resolution", "recordingLayout", "sessionId", "createdAt", "size", "duration",
    "url", "hasAudio", "hasVideo", "status",
]  # fmt: skip
INDIVIDUAL_232 = [
    "id", "object", "name", "outputMode", "sessionId", "createdAt", "size", "duration", "url", "hasAudio",
    "hasVideo", "status",
]  # fmt: skip


def node_view(raw: dict[str, Any]) -> dict[str, Any]:
    """What openvidu-node-client 2.32.2 makes of a raw 2.32 Recording (Recording constructor)."""
    props: dict[str, Any] = {
        "name": raw["name"],
        "hasAudio": raw["hasAudio"],
        "hasVideo": raw["hasVideo"],
        "outputMode": raw["outputMode"],
    }
    if raw["outputMode"] == "COMPOSED" and raw["hasVideo"]:
        props.update(
            recordingLayout=raw["recordingLayout"],
            resolution=raw["resolution"],
            frameRate=raw["frameRate"],
            shmSize=536870912,  # not in the server's JSON: the client's default
        )
    if raw["outputMode"] == "INDIVIDUAL":
        props["ignoreFailedStreams"] = False
    return {
        "id": raw["id"],
        "sessionId": raw["sessionId"],
        "createdAt": raw["createdAt"],
        "size": raw["size"],
        "duration": raw["duration"],
        "url": raw["url"],
        "status": raw["status"],
        "properties": props,
    }


def test_record_and_broadcast_232(browser: Browser, pages: StaticServer, tmp_path: Path) -> None:
    if not node_available():
        pytest.fail("node and tests/e2e/node/node_modules are required for the e2e tests")
    recordings = tmp_path / "recordings"
    received = tmp_path / "received.flv"
    rtmp_port = free_port()
    rtmp_url = f"rtmp://127.0.0.1:{rtmp_port}/live/x"
    listener = subprocess.Popen(
        ["ffmpeg", "-v", "error", "-listen", "1", "-i", rtmp_url, "-c", "copy", "-f", "flv", str(received)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    hook = WebhookReceiver().__enter__()
    overrides = {
        "openvidu.secret": SECRET,
        "openvidu.recording": True,
        "openvidu.recording.path": str(recordings),
        "openvidu.webhook": True,
        "openvidu.webhook.endpoint": hook.url,
        "openvidu.webhook.events": ["broadcastStarted", "broadcastStopped", "recordingStatusChanged"],
    }
    try:
        with media_server_stack(overrides) as (server, _kms):
            public = f"https://127.0.0.1:{server.port}"
            with server.client() as api:
                sid = api.post(f"{API}/sessions", json={}).json()["id"]
                recorded = api.post(f"{API}/sessions/{sid}/connection", json={}).json()
                unrecorded = api.post(f"{API}/sessions/{sid}/connection", json={"record": False}).json()
            a = browser.open(pages.page_url("2.32"))
            b = browser.open(pages.page_url("2.32"))
            try:
                assert connect(a, recorded["token"], '{"name":"a"}') == recorded["id"]
                assert connect(b, unrecorded["token"], '{"name":"b"}') == unrecorded["id"]
                a.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
                b.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
                out: dict[str, Any] = run_node_json(
                    "node_client_recordings_232.js", public, SECRET, sid, "record", rtmp_url,
                    env={"NODE_TLS_REJECT_UNAUTHORIZED": "0"}, timeout=NODE_TIMEOUT,
                )  # fmt: skip
            finally:
                close_pages(a, b)
            listener.wait(timeout=60)

            composed_id = out["composedStarted"]["id"]
            individual_id = out["individualStarted"]["id"]
            assert (composed_id, individual_id) == (sid, f"{sid}~1")  # 2.16+ ids: <sessionId>~<n>
            started = out["composedStarted"]
            assert started["status"] == "started" and started["url"] is None and started["size"] == 0
            assert started["properties"] == {
                "name": "comp232", "hasAudio": True, "hasVideo": True, "outputMode": "COMPOSED",
                "recordingLayout": "BEST_FIT", "resolution": "640x480", "frameRate": 15, "shmSize": 536870912,
            }  # fmt: skip
            assert out["sessionFound"] is True and out["sessionRecording"] is True
            assert out["getComposed"] == started and [r["id"] for r in out["listed"]] == [composed_id]
            for key in ("startAgain", "deleteRunning", "broadcastWhileComposed", "stopAgain"):
                assert out[key] in ("409", "404"), (key, out[key])
            assert (out["startAgain"], out["deleteRunning"], out["broadcastWhileComposed"]) == ("409",) * 3
            assert out["stopAgain"] == "404"

            with server.client() as api:
                raw = api.get(f"{API}/recordings/{composed_id}").json()
                old = api.get(f"/api/recordings/{composed_id}").json()
                raw_individual = api.get(f"{API}/recordings/{individual_id}").json()
                old_individual = api.get(f"/api/recordings/{individual_id}").json()
                listed = api.get(f"{API}/recordings").json()
                listed_211 = api.get("/api/recordings").json()
                download = api.get(raw["url"].removeprefix(public))
                session = api.get(f"{API}/sessions/{sid}").json()

            # COMPOSED: the 2.32 shape, its url, and the 2.11 shape of the same recording
            assert list(raw) == KEYS_232, raw
            assert raw["object"] == "recording" and raw["status"] == "ready"
            assert (raw["resolution"], raw["frameRate"], raw["recordingLayout"]) == (
                "640x480",
                15,
                "BEST_FIT",
            )
            assert raw["url"] == f"{public}/openvidu/recordings/{composed_id}/comp232.mp4"
            assert isinstance(raw["size"], int) and raw["size"] > 0 and isinstance(raw["duration"], float)
            assert raw["duration"] > 2.0
            assert out["composedStopped"] == node_view(raw)
            assert list(old) == KEYS_211 and old["url"] is None
            assert {k: old[k] for k in KEYS_211 if k != "url"} == {k: raw[k] for k in KEYS_211 if k != "url"}
            assert download.status_code == 200 and len(download.content) == raw["size"]
            mp4 = recordings / composed_id / "comp232.mp4"
            probe = ffprobe(mp4)
            assert stream_types(probe) == ["audio", "video"]
            video = next(s for s in probe["streams"] if s["codec_type"] == "video")
            assert (video["width"], video["height"]) == (640, 480)
            assert video["r_frame_rate"] == "15/1", video

            # INDIVIDUAL: only the record=true connection is in the zip
            assert list(raw_individual) == INDIVIDUAL_232 and raw_individual["status"] == "ready"
            assert raw_individual["url"] == f"{public}/openvidu/recordings/{individual_id}/ind232.zip"
            assert out["individualStopped"] == node_view(raw_individual) == out["getIndividual"]
            assert "object" not in old_individual and old_individual["url"] is None
            assert old_individual["outputMode"] == "INDIVIDUAL" and old_individual["id"] == individual_id
            with zipfile.ZipFile(recordings / individual_id / "ind232.zip") as archive:
                names = archive.namelist()
            assert any(recorded["id"] in n for n in names), names
            assert not any(unrecorded["id"] in n for n in names), names

            assert listed["count"] == 2 and {r["id"] for r in listed["items"]} == {composed_id, individual_id}
            assert all(r["object"] == "recording" for r in listed["items"])
            assert listed_211["count"] == 2 and all("object" not in r for r in listed_211["items"])

            # broadcast: flags, conflicts, and what the RTMP listener got
            assert (out["localBroadcasting"], out["fetchedBroadcasting"]) == (True, True)
            assert (out["broadcastAgain"], out["recordWhileBroadcast"]) == ("409", "409")
            assert (out["stopBroadcast"], out["stopBroadcastAgain"]) == ("resolved", "409")
            assert out["localAfterStop"] is False and session["broadcasting"] is False
            assert session["recording"] is False
            flv = ffprobe(received)
            assert stream_types(flv) == ["audio", "video"], flv
            assert float(flv["format"]["duration"]) > 2.0

            removed = run_node_json(
                "node_client_recordings_232.js", public, SECRET, sid, "delete", composed_id, individual_id,
                env={"NODE_TLS_REJECT_UNAUTHORIZED": "0"}, timeout=NODE_TIMEOUT,
            )  # fmt: skip
            assert removed[f"delete:{composed_id}"] == "resolved"
            assert removed[f"delete:{individual_id}"] == "resolved"
            assert removed["getDeleted"] == "404" and removed["listAfter"] == []
            assert not (recordings / composed_id).exists()

            # webhook: broadcastStarted/broadcastStopped (2.26+) with the URL
            hooked = hook.wait_for(lambda ev: any(e["event"] == "broadcastStopped" for e in ev))
            casts = [e for e in hooked if e["event"].startswith("broadcast")]
            assert [e["event"] for e in casts] == ["broadcastStarted", "broadcastStopped"]
            assert all(e["sessionId"] == sid and e["broadcastUrl"] == rtmp_url for e in casts)
            assert casts[1]["reason"] == "recordingStoppedByServer"
    finally:
        hook.__exit__(None, None, None)
        if listener.poll() is None:
            listener.kill()
            listener.wait()
