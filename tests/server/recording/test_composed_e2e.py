"""COMPOSED video recordings: this server's BEST_FIT layout page joins as RECORDER in a local process group
(Xvfb + PulseAudio + Chromium + ffmpeg) and records openvidu-browser 2.10/2.11 publishers to an H.264/AAC mp4.

    unshare -n sh -c 'ip link set lo up && python -m pytest tests/server/recording/test_composed_e2e.py'
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.browser_fixtures import (
    MEDIA_TIMEOUT,
    close_pages,
    connect,
    media_server_stack,
    new_session,
    new_token,
    wait_event,
)
from tests.support.browser import OPENVIDU_BROWSER_BUNDLES, Browser, StaticServer
from tests.support.media_checks import decodes, ffprobe, max_volume, stream_types
from tests.support.procs import REPO_ROOT, free_port, wait_port
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.media]

RECORD_SECONDS = 4.0
RECORDER_MARK = "ov-recorder-"


def poll_while_starting(server: ServerProcess, sid: str, starting: Future[Any]) -> dict[str, Any]:
    with server.client() as http:
        while not starting.done():
            got = http.get(f"/api/recordings/{sid}")
            if got.status_code == 200 and got.json()["status"] == "starting":
                return {
                    "get": "starting",
                    "stop": http.post(f"/api/recordings/stop/{sid}").status_code,
                    "delete": http.delete(f"/api/recordings/{sid}").status_code,
                }
            time.sleep(0.05)
    return {"get": "never seen"}


def lit_fraction(video: Path, at: float) -> float:
    """The fraction of pixels that are not black in the frame at ``at`` seconds (a black page gives 0)."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at:.2f}", "-i", str(video), "-vframes", "1", "-s", "160x120",
         "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    return sum(1 for value in raw if value > 20) / max(1, len(raw))


def recorder_processes() -> list[str]:
    """Command lines of live processes started by a local COMPOSED recorder (its work folder is in them)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if RECORDER_MARK in cmdline or "x11grab" in cmdline:
            found.append(cmdline)
    return found


@pytest.mark.parametrize("version", ["2.10", "2.11"])
def test_composed_video_recording(
    browser: Browser, pages: StaticServer, tmp_path: Path, version: str
) -> None:
    recordings = tmp_path / "recordings"
    with media_server_stack({"openvidu.recording": True, "openvidu.recording.path": str(recordings)}) as (
        server,
        _kms,
    ):
        sid = new_session(server)
        a = browser.open(pages.page_url(version))
        try:
            connect(a, new_token(server, sid), "ann")
            a.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            body = {"session": sid, "outputMode": "COMPOSED", "resolution": "640x480", "name": "call"}
            with server.client(timeout=60.0) as http, ThreadPoolExecutor(1) as pool:
                starting = pool.submit(http.post, "/api/recordings/start", json=body)
                seen = poll_while_starting(server, sid, starting)
                # while the recorder starts: GET says starting, stop is 406, delete is 409
                assert seen["get"] == "starting" and seen["stop"] == 406 and seen["delete"] == 409, seen
                started = starting.result()
                t0 = time.monotonic()
                assert started.status_code == 200, started.text + server.log_text()[-3000:]
                rec = started.json()
                assert list(rec) == [
                    "id", "name", "outputMode", "resolution", "recordingLayout", "sessionId", "createdAt",
                    "size", "duration", "url", "hasAudio", "hasVideo", "status",
                ]  # fmt: skip
                assert rec["status"] == "started" and rec["resolution"] == "640x480"
                assert rec["recordingLayout"] == "BEST_FIT"
                # recordingStarted once the RECORDER subscribed; the RECORDER stays hidden
                assert wait_event(a, "recordingStarted")["id"] == sid
                session = http.get(f"/api/sessions/{sid}").json()
                assert [c["connectionId"] for c in session["connections"]["content"]] != ["RECORDER"]
                assert "RECORDER" not in [c["connectionId"] for c in session["connections"]["content"]]
                assert not [e for e in a.eval("ovEvents") if e.get("connectionId") == "RECORDER"]
                time.sleep(RECORD_SECONDS)
                stopped = http.post(f"/api/recordings/stop/{sid}")
                elapsed = time.monotonic() - t0
            assert stopped.status_code == 200, stopped.text
            final = stopped.json()
            assert final["status"] == "ready", server.log_text()[-3000:]
            assert abs(final["duration"] - elapsed) < 2.0, (final, elapsed)
            assert final["resolution"] == "640x480" and final["hasAudio"] and final["hasVideo"]
            assert wait_event(a, "recordingStopped")["reason"] == "recordingStoppedByServer"
            folder = recordings / sid
            assert {p.name for p in folder.iterdir()} == {f".recording.{sid}", f"{sid}.jpg", "call.mp4"}
            probe = ffprobe(folder / "call.mp4")
            assert stream_types(probe) == ["audio", "video"]
            codecs = {s["codec_type"]: s for s in probe["streams"]}
            assert codecs["video"]["codec_name"] == "h264" and codecs["audio"]["codec_name"] == "aac"
            assert (codecs["video"]["width"], codecs["video"]["height"]) == (640, 480)
            assert abs(float(probe["format"]["duration"]) - final["duration"]) < 0.01
            assert final["size"] == (folder / "call.mp4").stat().st_size
            assert decodes(folder / "call.mp4")
            thumb = ffprobe(folder / f"{sid}.jpg")["streams"][0]
            assert (thumb["width"], thumb["height"]) == (480, 360)
            assert recorder_processes() == []
            # the picture is the publisher's fake camera (green, filling the tile), not a black page
            assert lit_fraction(folder / "call.mp4", final["duration"] - 0.5) > 0.5
            assert max_volume(folder / "call.mp4") > -30.0  # the fake microphone's beeps, not silence
        finally:
            close_pages(a)


CUSTOM_LAYOUT = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<style>body{margin:0;background:#000} video{width:100%;height:100vh;object-fit:cover}</style></head>
<body><div id="videos"></div>
<script src="openvidu-browser-2.11.0.js"></script>
<script>
  // The custom layout of the OpenVidu 2.11 docs: read the session and secret, join as recorder, subscribe.
  var url = new URL(window.location.href);
  var SESSION_ID = url.searchParams.get('sessionId');
  var SECRET = url.searchParams.get('secret');
  var OV = new OpenVidu();
  var session = OV.initSession();
  session.on('streamCreated', function (event) { session.subscribe(event.stream, 'videos'); });
  session.connect('wss://' + location.hostname + ':' + location.port + '?sessionId=' + SESSION_ID +
    '&secret=' + SECRET + '&recorder=true');
</script></body></html>
"""


def test_two_composed_recordings_at_once_one_with_a_custom_layout(
    browser: Browser, pages: StaticServer, tmp_path: Path
) -> None:
    recordings, layouts = tmp_path / "recordings", tmp_path / "layouts"
    (layouts / "mine").mkdir(parents=True)
    (layouts / "mine" / "index.html").write_text(CUSTOM_LAYOUT)
    shutil.copy(OPENVIDU_BROWSER_BUNDLES["2.11"], layouts / "mine" / "openvidu-browser-2.11.0.js")
    extra = {
        "openvidu.recording": True,
        "openvidu.recording.path": str(recordings),
        "openvidu.recording.custom-layout": str(layouts),
    }
    with media_server_stack(extra) as (server, _kms):
        first, second = new_session(server), new_session(server)
        a = browser.open(pages.page_url("2.11"))
        b = browser.open(pages.page_url("2.10"))
        try:
            connect(a, new_token(server, first), "ann")
            connect(b, new_token(server, second), "bob")
            a.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            b.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            composed = {"outputMode": "COMPOSED", "resolution": "320x240"}
            with server.client(timeout=60.0) as http:
                one = http.post("/api/recordings/start", json={"session": first, **composed})
                two = http.post(
                    "/api/recordings/start",
                    json={"session": second, **composed, "recordingLayout": "CUSTOM", "customLayout": "mine"},
                )
                assert one.status_code == 200 and two.status_code == 200, one.text + two.text
                assert two.json()["recordingLayout"] == "CUSTOM" and two.json()["customLayout"] == "mine"
                assert wait_event(a, "recordingStarted")["id"] == first
                assert wait_event(b, "recordingStarted")["id"] == second
                time.sleep(RECORD_SECONDS)
                finals = [http.post(f"/api/recordings/stop/{sid}").json() for sid in (first, second)]
            for sid, final in zip((first, second), finals, strict=True):
                assert final["status"] == "ready" and final["resolution"] == "320x240", final
                video = recordings / sid / f"{sid}.mp4"
                assert stream_types(ffprobe(video)) == ["audio", "video"]
                assert lit_fraction(video, final["duration"] - 0.5) > 0.5, sid
            assert finals[1]["customLayout"] == "mine"
            assert recorder_processes() == []
        finally:
            close_pages(a, b)


def test_composed_recording_through_the_recorder_agent(
    browser: Browser, pages: StaticServer, tmp_path: Path
) -> None:
    """The docker-compose layout without Docker: the capture runs in the recorder agent process (its own
    container there), writing into the shared recordings folder; the server probes and seals it."""
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    port = free_port()
    env = dict(os.environ, OPENVIDU_SECRET="AgentSecret")
    agent = subprocess.Popen(
        [sys.executable, "-m", "server.recording.agent", "--host", "127.0.0.1", "--port", str(port),
         "--recordings-path", str(recordings), "--max-captures", "1"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_port(port, proc=agent)  # type: ignore[arg-type]
        agent_url = f"http://127.0.0.1:{port}"
        assert httpx.post(f"{agent_url}/captures", json={}).status_code == 401
        bad = httpx.post(f"{agent_url}/captures", json={"id": "x"}, auth=("OPENVIDUAPP", "AgentSecret"))
        assert bad.status_code == 400 and "url" in bad.json()["error"]
        escape = {"id": "x", "url": "https://a", "width": 320, "height": 240, "audio": False,
                  "output": "../x.mp4", "startTimeout": 5}  # fmt: skip
        assert (
            httpx.post(f"{agent_url}/captures", json=escape, auth=("OPENVIDUAPP", "AgentSecret")).status_code
            == 400
        )
        extra = {
            "openvidu.secret": "AgentSecret",
            "openvidu.recording": True,
            "openvidu.recording.path": str(recordings),
            "openvidu.recording.composed-recorder": agent_url,
        }
        with media_server_stack(extra) as (server, _kms):
            sid = new_session(server)
            a = browser.open(pages.page_url("2.11"))
            try:
                connect(a, new_token(server, sid), "ann")
                a.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
                with server.client(timeout=60.0) as http:
                    body = {"session": sid, "outputMode": "COMPOSED", "resolution": "320x240"}
                    started = http.post("/api/recordings/start", json=body)
                    assert started.status_code == 200, started.text
                    assert httpx.get(f"{agent_url}/health").json() == {"captures": 1}
                    assert wait_event(a, "recordingStarted")["id"] == sid
                    time.sleep(RECORD_SECONDS)
                    final = http.post(f"/api/recordings/stop/{sid}").json()
                assert final["status"] == "ready" and final["resolution"] == "320x240", final
                video = recordings / sid / f"{sid}.mp4"
                assert stream_types(ffprobe(video)) == ["audio", "video"]
                assert lit_fraction(video, final["duration"] - 0.5) > 0.5
                assert httpx.get(f"{agent_url}/health").json() == {"captures": 0}
            finally:
                close_pages(a)
    finally:
        agent.terminate()
        agent.wait(15)
    assert recorder_processes() == []


def test_always_mode_composed_recording_stops_automatically(
    browser: Browser, pages: StaticServer, tmp_path: Path
) -> None:
    """ALWAYS: the first publish records with the session's defaults (COMPOSED, BEST_FIT, 1920x1080); when the
    last participant leaves, only the RECORDER remains, and the autostop closes the session (automaticStop)."""
    recordings, cdr_dir = tmp_path / "recordings", tmp_path / "cdr"
    extra = {
        "openvidu.recording": True,
        "openvidu.recording.path": str(recordings),
        "openvidu.recording.autostop-timeout": 2,
        "openvidu.cdr": True,
        "openvidu.cdr.path": str(cdr_dir),
    }
    with media_server_stack(extra) as (server, _kms):
        with server.client() as http:
            sid = http.post("/api/sessions", json={"recordingMode": "ALWAYS"}).json()["id"]
        a = browser.open(pages.page_url("2.10"))
        try:
            connect(a, new_token(server, sid), "ann")
            a.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            assert wait_event(a, "recordingStarted")["id"] == sid
            time.sleep(RECORD_SECONDS)
            a.eval("ovLeave()")
        finally:
            close_pages(a)
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status not in ("ready", "failed"):
            with server.client() as http:
                got = http.get(f"/api/recordings/{sid}")
                status = got.json()["status"] if got.status_code == 200 else None
            time.sleep(0.2)
        final = got.json()
        assert final["status"] == "ready", final
        assert final["resolution"] == "1920x1080" and final["recordingLayout"] == "BEST_FIT"
        probe = ffprobe(recordings / sid / f"{sid}.mp4")
        video = next(s for s in probe["streams"] if s["codec_type"] == "video")
        assert (video["width"], video["height"]) == (1920, 1080)
        with server.client() as http:
            deadline = time.monotonic() + 20
            while http.get(f"/api/sessions/{sid}").status_code != 404 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert http.get(f"/api/sessions/{sid}").status_code == 404
    (cdr_file,) = list(cdr_dir.iterdir())
    lines = [json.loads(line) for line in cdr_file.read_text().splitlines()]
    destroyed = [line["sessionDestroyed"] for line in lines if "sessionDestroyed" in line]
    assert [d["reason"] for d in destroyed] == ["automaticStop"]
    statuses = [
        (line["recordingStatusChanged"]["status"], line["recordingStatusChanged"].get("reason"))
        for line in lines
        if "recordingStatusChanged" in line
    ]
    assert statuses == [("started", None), ("stopped", "automaticStop"), ("ready", "automaticStop")]
    assert recorder_processes() == []


def wait_no_recorder_processes(timeout: float = 15.0) -> list[str]:
    deadline = time.monotonic() + timeout
    left = recorder_processes()
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = recorder_processes()
    return left


def test_recorder_processes_end_on_a_failed_start_and_with_a_killed_server(
    browser: Browser, pages: StaticServer, tmp_path: Path
) -> None:
    recordings = tmp_path / "recordings"
    body = {"outputMode": "COMPOSED", "resolution": "320x240"}
    # a start that cannot finish in time: 500, failed on disk, the process group is gone
    extra = {
        "openvidu.recording": True,
        "openvidu.recording.path": str(recordings),
        "openvidu.recording.composed-start-timeout": 0.01,
    }
    with media_server_stack(extra) as (server, _kms):
        sid = new_session(server)
        a = browser.open(pages.page_url("2.11"))
        try:
            connect(a, new_token(server, sid), "ann")
            with server.client(timeout=60.0) as http:
                failed = http.post("/api/recordings/start", json={"session": sid, **body})
                assert failed.status_code == 500 and "did not start" in failed.text, failed.text
                assert http.get(f"/api/recordings/{sid}").json()["status"] == "failed"
                assert http.get(f"/api/sessions/{sid}").json()["recording"] is False
            assert wait_no_recorder_processes() == []
        finally:
            close_pages(a)
    # the server killed (SIGKILL) mid-recording: its children die with it (PR_SET_PDEATHSIG)
    with media_server_stack({"openvidu.recording": True, "openvidu.recording.path": str(recordings)}) as (
        server,
        _kms,
    ):
        sid = new_session(server)
        a = browser.open(pages.page_url("2.11"))
        try:
            connect(a, new_token(server, sid), "ann")
            with server.client(timeout=60.0) as http:
                assert http.post("/api/recordings/start", json={"session": sid, **body}).status_code == 200
            assert recorder_processes() != []
            server.kill()
            assert wait_no_recorder_processes() == []
        finally:
            close_pages(a)
