"""/openvidu/api/recordings and /openvidu/api/broadcast without media (real server process): the 2.32 shape of
recordings already in the folder next to their 2.11 shape at /api/recordings, the start/stop/delete statuses
that need no publisher, the broadcast checks, and 415 for a body that is not JSON on both surfaces."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess

API = "/openvidu/api"
COMPOSED = {
    "id": "ses_A", "object": "recording", "name": "meeting", "outputMode": "COMPOSED_QUICK_START",
    "resolution": "1280x720", "frameRate": 25, "recordingLayout": "CUSTOM", "customLayout": "mine",
    "sessionId": "ses_A", "mediaNode": "media_1", "createdAt": 1700000000000, "size": 1234, "duration": 4.5,
    "url": None, "hasAudio": True, "hasVideo": True, "status": "ready",
}  # fmt: skip
OLD_AUDIO = {
    "id": "old", "name": "my talk", "outputMode": "COMPOSED", "sessionId": "old", "createdAt": 1564400010000,
    "size": 10, "duration": 1.0, "url": None, "hasAudio": True, "hasVideo": False, "status": "failed",
}  # fmt: skip
STARTED = {
    "id": "ses_B", "object": "recording", "name": "ind", "outputMode": "INDIVIDUAL", "sessionId": "ses_B",
    "createdAt": 1700000001000, "size": 0, "duration": 0.0, "url": None, "hasAudio": True, "hasVideo": True,
    "status": "started",
}  # fmt: skip


def write(folder: Path, doc: dict[str, object]) -> None:
    target = folder / str(doc["id"])
    target.mkdir(parents=True, exist_ok=True)
    (target / f".recording.{doc['id']}").write_text(json.dumps(doc))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rec232")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[ServerProcess]:
    overrides = {"openvidu.recording": True, "openvidu.recording.path": str(folder)}
    with ServerProcess(overrides) as proc:
        yield proc


def test_stored_recordings_in_both_shapes(server: ServerProcess, folder: Path, api: httpx.Client) -> None:
    for doc in (COMPOSED, OLD_AUDIO, STARTED):
        write(folder, doc)
    public = api.get(f"{API}/config/openvidu-publicurl").text.rstrip("/")
    new = api.get(f"{API}/recordings/ses_A").json()
    assert list(new) == [
        "id", "object", "name", "outputMode", "resolution", "frameRate", "recordingLayout", "customLayout",
        "sessionId", "mediaNode", "createdAt", "size", "duration", "url", "hasAudio", "hasVideo", "status",
    ]  # fmt: skip
    assert new["url"] == f"{public}/openvidu/recordings/ses_A/meeting.mp4"
    assert (new["outputMode"], new["frameRate"], new["mediaNode"]) == ("COMPOSED_QUICK_START", 25, "media_1")
    old = api.get("/api/recordings/ses_A").json()
    assert list(old) == [
        "id", "name", "outputMode", "resolution", "recordingLayout", "customLayout", "sessionId", "createdAt",
        "size", "duration", "url", "hasAudio", "hasVideo", "status",
    ]  # fmt: skip
    assert old["outputMode"] == "COMPOSED" and old["url"] is None
    # a 2.11 audio-only recording: no layout keys, a failed one gets its url in 2.32 (webm, name quoted)
    audio = api.get(f"{API}/recordings/old").json()
    assert "frameRate" not in audio and "resolution" not in audio and audio["object"] == "recording"
    assert audio["url"] == f"{public}/openvidu/recordings/old/my%20talk.webm"
    assert api.get("/api/recordings/old").json() == OLD_AUDIO  # 2.11 keeps the stored document
    started = api.get(f"{API}/recordings/ses_B").json()
    assert started["url"] is None and started["status"] == "started" and "frameRate" not in started
    listed = api.get(f"{API}/recordings").json()
    assert listed["count"] == 3 and {r["id"] for r in listed["items"]} == {"ses_A", "old", "ses_B"}
    assert all(r["object"] == "recording" for r in listed["items"])
    assert all("object" not in r for r in api.get("/api/recordings").json()["items"])
    assert api.get(f"{API}/recordings/nope").status_code == 404
    assert api.delete(f"{API}/recordings/old").status_code == 204
    assert api.delete(f"{API}/recordings/old").status_code == 404
    assert api.get("/api/recordings/old").status_code == 404
    assert api.post(f"{API}/recordings/stop/ses_B").status_code == 404  # not running on this server


def test_start_statuses_without_publishers(api: httpx.Client) -> None:
    start = f"{API}/recordings/start"
    missing = api.post(start, json={})
    assert missing.status_code == 400 and missing.json()["message"] == '"session" parameter is mandatory'
    assert missing.json()["path"] == start
    typed = api.post(start, json={"session": 5})
    assert typed.status_code == 400 and typed.json()["message"] == 'Type error in parameter "session"'
    assert api.post(start, json={"session": "nope"}).status_code == 404
    sid = api.post(f"{API}/sessions", json={}).json()["id"]
    assert (
        api.post(start, json={"session": sid, "frameRate": 500}).status_code == 406
    )  # before the body checks
    relayed = api.post(f"{API}/sessions", json={"mediaMode": "RELAYED"}).json()["id"]
    assert api.post(start, json={"session": relayed}).status_code == 409
    session = api.get(f"{API}/sessions/{sid}").json()
    assert (session["recording"], session["broadcasting"]) == (False, False)


def test_broadcast_checks(api: httpx.Client) -> None:
    start, stop = f"{API}/broadcast/start", f"{API}/broadcast/stop"
    sid = api.post(f"{API}/sessions", json={}).json()["id"]
    no_url = api.post(start, json={"session": sid})
    assert no_url.status_code == 400 and no_url.json()["message"] == '"broadcastUrl" parameter is mandatory'
    for bad in ("http://127.0.0.1/x", "rtmp://", "rtmp:///x", "rtmp://h/a b"):
        resp = api.post(start, json={"session": sid, "broadcastUrl": bad})
        assert resp.status_code == 400, bad
    assert api.post(start, json={"session": sid, "broadcastUrl": 3}).status_code == 400
    assert api.post(start, json={"broadcastUrl": "rtmp://127.0.0.1/x"}).status_code == 400
    assert api.post(start, json={"session": "nope", "broadcastUrl": "rtmp://127.0.0.1/x"}).status_code == 404
    assert api.post(start, json={"session": sid, "broadcastUrl": "rtmp://127.0.0.1/x"}).status_code == 406
    assert api.post(stop, json={"session": sid}).status_code == 409
    assert api.post(stop, json={"session": "nope"}).status_code == 404
    assert api.post(stop, json={}).status_code == 400


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        (f"{API}/sessions", "text/plain"),
        (f"{API}/sessions", "application/x-www-form-urlencoded"),
        ("/api/sessions", "text/plain;charset=UTF-8"),
        ("/api/tokens", "multipart/form-data; boundary=x"),
        (f"{API}/recordings/start", "text/plain"),
        (f"{API}/broadcast/start", "text/plain"),
    ],
)
def test_non_json_bodies_are_415(api: httpx.Client, path: str, content_type: str) -> None:
    """A cross-site form or ``text/plain`` POST (which a browser sends with cached Basic credentials and no
    preflight) is refused before anything happens, as Spring does."""
    before = api.get(f"{API}/sessions").json()["numberOfElements"]
    resp = api.post(path, content=b'{"customSessionId":"csrf"}', headers={"Content-Type": content_type})
    assert resp.status_code == 415, resp.text
    body = resp.json()
    assert (body["status"], body["error"], body["path"]) == (415, "Unsupported Media Type", path)
    assert content_type in body["message"]
    assert resp.headers["accept"] == "application/json, application/*+json"
    assert api.get(f"{API}/sessions").json()["numberOfElements"] == before
    # a JSON body without any Content-Type is octet-stream to Spring: 415 too
    assert api.post(path, content=b"{}").status_code == 415


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json;charset=UTF-8", "application/vnd.x+json"]
)
def test_json_content_types_pass(api: httpx.Client, content_type: str) -> None:
    resp = api.post(f"{API}/sessions", content=b"{}", headers={"Content-Type": content_type})
    assert resp.status_code == 200, resp.text
    api.delete(f"{API}/sessions/{resp.json()['id']}")
    # no body and no Content-Type: no body at all (POST /api/sessions of the 2.11 clients)
    bare = api.post("/api/sessions")
    assert bare.status_code == 200
    api.delete(f"/api/sessions/{bare.json()['id']}")
