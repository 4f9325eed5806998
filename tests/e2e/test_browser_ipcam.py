"""IP cameras (2.32 IPCAM connections): a PlayerEndpoint plays a source made by the test with ffmpeg and
openvidu-browser 2.32.2 pages subscribe to the camera's stream like to any other, in headless Chromium.

Sources: a live ``rtsp://`` camera (ffmpeg encoding to RTP behind the small RTSP server of tests/support/rtsp.py),
a ``file://`` recording, and the same recording served live over ``http://`` by ``ffmpeg -listen 1``.

Run inside a loopback-only network namespace (media moves):
    unshare -n sh -c 'ip link set lo up && python3 -m pytest tests/e2e/test_browser_ipcam.py -x -q'
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser_fixtures import (
    MEDIA_TIMEOUT,
    join,
    media_server_stack,
    wait_event,
    wait_remote_playing,
)
from tests.support.browser import Browser, StaticServer
from tests.support.procs import LOOPBACK, free_port
from tests.support.rtsp import RtspCamera

pytestmark = [pytest.mark.e2e, pytest.mark.media]

API = "/openvidu/api"
SOURCE_SECONDS = 60


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test pattern with a tone, VP8 + Opus in WebM."""
    path = tmp_path_factory.mktemp("ipcam") / "camera.webm"
    subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(SOURCE_SECONDS), "-c:v", "libvpx", "-b:v", "300k", "-c:a", "libopus", "-shortest", str(path),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    return path


@contextlib.contextmanager
def http_camera(source: Path) -> Iterator[str]:
    """ffmpeg serving the stream live over HTTP (one client, real-time pace)."""
    url = f"http://{LOOPBACK}:{free_port()}/camera.webm"
    proc = subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", str(source), "-c", "copy", "-f", "webm",
         "-listen", "1", url],
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield url
    finally:
        proc.kill()
        proc.wait(timeout=10)


@pytest.mark.parametrize("kind", ["rtsp", "file", "http"])
def test_ipcam_plays_in_browsers(
    browser: Browser, pages: StaticServer, camera_file: Path, tmp_path: Path, kind: str
) -> None:
    with media_server_stack() as (server, _kms), contextlib.ExitStack() as stack:
        if kind == "rtsp":
            uri = stack.enter_context(RtspCamera(tmp_path)).url
        elif kind == "http":
            uri = stack.enter_context(http_camera(camera_file))
        else:
            uri = camera_file.as_uri()
        with server.client() as api:
            sid = api.post(f"{API}/sessions").json()["id"]
            token = api.post(f"{API}/sessions/{sid}/connection").json()["token"]
        a = browser.open(pages.page_url("2.32"))
        b = browser.open(pages.page_url("2.32"))
        try:
            join(a, token, "early")
            with server.client() as api:
                resp = api.post(
                    f"{API}/sessions/{sid}/connection",
                    json={"type": "IPCAM", "rtspUri": uri, "data": "cam-1", "networkCache": 500},
                    timeout=60,
                )
            assert resp.status_code == 200, resp.text
            cam = resp.json()
            assert re.fullmatch(r"ipc_IPCAM_[a-z]+_[A-Z0-9]{4}_\w*", cam["id"]), cam["id"]
            assert (cam["type"], cam["status"], cam["platform"], cam["token"]) == (
                "IPCAM",
                "active",
                "IPCAM",
                None,
            )
            assert (cam["rtspUri"], cam["networkCache"], cam["role"], cam["serverData"]) == (
                uri,
                500,
                None,
                "cam-1",
            )
            [publisher] = cam["publishers"]
            assert publisher["streamId"] == f"str_IPC_{publisher['streamId'][8:12]}_{cam['id']}"
            assert publisher["rtspUri"] == uri and publisher["mediaOptions"]["typeOfVideo"] == "IPCAM"

            # the page already in the session is told and plays it; a page joining later finds it in joinRoom
            created = wait_event(a, "streamCreated", f"e.connectionId === {cam['id']!r}")
            assert created["streamId"] == publisher["streamId"]
            assert [v["streamId"] for v in wait_remote_playing(a, 1, timeout=MEDIA_TIMEOUT)] == [
                publisher["streamId"]
            ]
            with server.client() as api:
                late_token = api.post(f"{API}/sessions/{sid}/connection").json()["token"]
            join(b, late_token, "late")
            assert [v["streamId"] for v in wait_remote_playing(b, 1, timeout=MEDIA_TIMEOUT)] == [
                publisher["streamId"]
            ]
            assert wait_event(b, "connectionCreated", f"e.connectionId === {cam['id']!r}")["data"] == "cam-1"

            with server.client() as api:
                listed = api.get(f"{API}/sessions/{sid}").json()["connections"]["content"]
                assert {c["id"] for c in listed if c["type"] == "IPCAM"} == {cam["id"]}
                subscribed = [c for c in listed if c["type"] == "WEBRTC"]
                assert all(
                    s["streamId"] == publisher["streamId"] for c in subscribed for s in c["subscribers"]
                )
                assert api.delete(f"{API}/sessions/{sid}/stream/{publisher['streamId']}").status_code == 405
                assert api.delete(f"{API}/sessions/{sid}/connection/{cam['id']}").status_code == 204
            for page in (a, b):
                wait_event(page, "streamDestroyed", f"e.streamId === {publisher['streamId']!r}")
        finally:
            for page in (a, b):
                with contextlib.suppress(Exception):
                    page.close()


def test_ipcam_that_cannot_play_is_a_500(camera_file: Path) -> None:
    with media_server_stack() as (server, _kms), server.client() as api:
        sid = api.post(f"{API}/sessions").json()["id"]
        missing = camera_file.with_name("missing.webm").as_uri()
        resp = api.post(f"{API}/sessions/{sid}/connection", json={"type": "IPCAM", "rtspUri": missing})
        assert resp.status_code == 500 and "missing.webm" in resp.json()["message"]
        assert api.get(f"{API}/sessions/{sid}").json()["connections"]["numberOfElements"] == 0
