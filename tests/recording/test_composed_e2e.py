"""COMPOSED video recordings: this server's BEST_FIT layout page joins as RECORDER in a local process group
(Xvfb + PulseAudio + Chromium + ffmpeg) and records openvidu-browser 2.10/2.11 publishers to an H.264/AAC mp4.

    unshare -n sh -c 'ip link set lo up && python -m pytest tests/recording/test_composed_e2e.py'
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser_fixtures import MEDIA_TIMEOUT, media_server_stack, new_session, new_token
from tests.recording.media_checks import decodes, ffprobe, max_volume, stream_types
from tests.recording.test_kurento_recordings_e2e import close_pages, connect, wait_event
from tests.support.browser import Browser, StaticServer

pytestmark = [pytest.mark.e2e, pytest.mark.media]

RECORD_SECONDS = 4.0
RECORDER_MARK = "ov-recorder-"


@pytest.fixture(scope="module")
def pages() -> Iterator[StaticServer]:
    with StaticServer() as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as b:
        yield b


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
            with server.client(timeout=60.0) as http:
                started = http.post("/api/recordings/start", json=body)
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
