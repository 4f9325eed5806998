"""INDIVIDUAL and COMPOSED audio-only recordings of openvidu-browser 2.10/2.11 publishers in headless Chromium,
through the real server and a real minikms (RecorderEndpoint, Composite/HubPort), inside a loopback netns.

    unshare -n sh -c 'ip link set lo up && python -m pytest tests/server/recording/test_kurento_recordings_e2e.py'
"""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path
from typing import Any

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
from tests.support.browser import Browser, StaticServer
from tests.support.media_checks import decodes, ffprobe, max_volume, stream_types
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.media]

RECORD_SECONDS = 3.0


def cdr_events(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    files = list(folder.iterdir())
    assert len(files) == 1
    lines = [json.loads(line) for line in files[0].read_text().splitlines()]
    return [(next(iter(line)), next(iter(line.values()))) for line in lines]


@pytest.mark.parametrize("version", ["2.10", "2.11"])
def test_individual_recording(browser: Browser, pages: StaticServer, tmp_path: Path, version: str) -> None:
    recordings, cdr_dir = tmp_path / "recordings", tmp_path / "cdr"
    with (
        WebhookReceiver() as hook,
        media_server_stack(
            {
                "openvidu.recording": True,
                "openvidu.recording.path": str(recordings),
                "openvidu.cdr": True,
                "openvidu.cdr.path": str(cdr_dir),
                "openvidu.webhook": True,
                "openvidu.webhook.endpoint": hook.url,
            }
        ) as (server, _kms),
    ):
        sid = new_session(server)
        a = browser.open(pages.page_url(version))
        b = browser.open(pages.page_url(version))
        try:
            ca = connect(a, new_token(server, sid, data="srv-a"), "ann")
            cb = connect(b, new_token(server, sid), "bob")
            stream_a = a.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            time.sleep(1.0)  # media flowing before the recording starts
            with server.client() as http:
                started = http.post(
                    "/api/recordings/start", json={"session": sid, "outputMode": "INDIVIDUAL"}
                )
            assert started.status_code == 200, started.text
            rec = started.json()
            assert rec["id"] == sid and rec["status"] == "started" and rec["outputMode"] == "INDIVIDUAL"
            for page in (a, b):
                note = wait_event(page, "recordingStarted")
                assert note["id"] == sid
            # A publisher arriving during the recording gets its own recorder (audio only here).
            stream_b = b.eval("ovPublish({videoSource: false, publishVideo: false})", timeout=MEDIA_TIMEOUT)
            time.sleep(RECORD_SECONDS)
            with server.client() as http:
                stopped = http.post(f"/api/recordings/stop/{sid}")
                assert stopped.status_code == 200, stopped.text
                final = stopped.json()
                assert http.get(f"/api/recordings/{sid}").json() == final
            assert final["status"] == "ready" and final["size"] > 0
            assert RECORD_SECONDS < final["duration"] < RECORD_SECONDS + 4
            for page in (a, b):
                note = wait_event(page, "recordingStopped")
                assert note["id"] == sid and note["reason"] == "recordingStoppedByServer"
            folder = recordings / sid
            assert sorted(p.name for p in folder.iterdir()) == [f".recording.{sid}", f"{sid}.zip"]
            with zipfile.ZipFile(folder / f"{sid}.zip") as archive:
                assert sorted(archive.namelist()) == sorted(
                    [f"{stream_a}.webm", f"{stream_b}.webm", f"{sid}.json"]
                )
                archive.extractall(tmp_path / "unzipped")
            unzipped = tmp_path / "unzipped"
            assert stream_types(ffprobe(unzipped / f"{stream_a}.webm")) == ["audio", "video"]
            assert stream_types(ffprobe(unzipped / f"{stream_b}.webm")) == ["audio"]
            assert decodes(unzipped / f"{stream_a}.webm")
            sync = json.loads((unzipped / f"{sid}.json").read_text())
            assert list(sync) == ["createdAt", "id", "name", "sessionId", "files"]
            assert sync["createdAt"] == final["createdAt"] and sync["id"] == sid
            files = {f["streamId"]: f for f in sync["files"]}
            assert list(files[stream_a]) == [
                "connectionId", "streamId", "size", "clientData", "serverData", "hasAudio", "hasVideo",
                "typeOfVideo", "startTimeOffset", "endTimeOffset",
            ]  # fmt: skip
            assert files[stream_a]["connectionId"] == ca and files[stream_a]["serverData"] == "srv-a"
            assert files[stream_a]["clientData"] == "ann" and files[stream_a]["typeOfVideo"] == "CAMERA"
            assert files[stream_b]["hasVideo"] is False and "typeOfVideo" not in files[stream_b]
            assert files[stream_b]["connectionId"] == cb
            assert 0 <= files[stream_a]["startTimeOffset"] < files[stream_b]["startTimeOffset"]
            assert files[stream_b]["endTimeOffset"] > files[stream_b]["startTimeOffset"]
            assert sum(f["size"] for f in files.values()) == final["size"]
            assert a.errors == [] and b.errors == [], a.log_text() + b.log_text()
            with server.client() as http:
                assert http.delete(f"/api/recordings/{sid}").status_code == 204
            assert not folder.exists()
        finally:
            close_pages(a, b)
        hooked = hook.wait_for(
            lambda ev: (
                [e.get("status") for e in ev if e["event"] == "recordingStatusChanged"][-1:] == ["ready"]
            )
        )
    statuses = [e for e in hooked if e["event"] == "recordingStatusChanged"]
    assert [e["status"] for e in statuses] == ["started", "stopped", "ready"]
    assert list(statuses[2]) == [
        "sessionId", "timestamp", "startTime", "duration", "reason", "id", "name", "outputMode", "hasAudio",
        "hasVideo", "size", "status", "event",
    ]  # fmt: skip
    assert "reason" not in statuses[0] and statuses[1]["reason"] == "recordingStoppedByServer"
    assert statuses[2]["size"] == final["size"] and statuses[2]["duration"] == final["duration"]
    assert not [e for e in hooked if e["event"] in ("recordingStarted", "recordingStopped")]
    names = [name for name, _ in cdr_events(cdr_dir) if name.startswith("recording")]
    assert names == [
        "recordingStarted", "recordingStatusChanged", "recordingStopped", "recordingStatusChanged",
        "recordingStatusChanged",
    ]  # fmt: skip


def test_composed_audio_only_recording(browser: Browser, pages: StaticServer, tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    with media_server_stack({"openvidu.recording": True, "openvidu.recording.path": str(recordings)}) as (
        server,
        _kms,
    ):
        sid = new_session(server)
        a = browser.open(pages.page_url("2.11"))
        b = browser.open(pages.page_url("2.10"))
        try:
            connect(a, new_token(server, sid), "ann")
            connect(b, new_token(server, sid), "bob")
            a.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            b.eval("ovPublish({videoSource: false, publishVideo: false})", timeout=MEDIA_TIMEOUT)
            time.sleep(1.0)
            body = {"session": sid, "outputMode": "COMPOSED", "hasVideo": False, "name": "mix"}
            with server.client() as http:
                started = http.post("/api/recordings/start", json=body)
                assert started.status_code == 200, started.text
                assert "resolution" not in started.json() and started.json()["hasVideo"] is False
                time.sleep(RECORD_SECONDS)
                final = http.post(f"/api/recordings/stop/{sid}").json()
            assert final["status"] == "ready" and final["name"] == "mix", final
            assert RECORD_SECONDS - 1 < final["duration"] < RECORD_SECONDS + 3
            folder = recordings / sid
            assert sorted(p.name for p in folder.iterdir()) == [f".recording.{sid}", "mix.webm"]
            probe = ffprobe(folder / "mix.webm")
            assert stream_types(probe) == ["audio"]
            assert probe["streams"][0]["codec_name"] == "opus"
            assert final["size"] == (folder / "mix.webm").stat().st_size
            assert decodes(folder / "mix.webm")
            assert max_volume(folder / "mix.webm") > -30.0  # the fake microphones' beeps, mixed
        finally:
            close_pages(a, b)
