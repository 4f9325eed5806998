"""``/api/recordings`` (spec §3.8-§3.12), ``/cdr`` (§3.14) and the 405 ``Allow`` header, on real server processes.

The recordings folder and the CDR folder are filled with files before the server starts, as a previous run (or
another server sharing the folder) would have left them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.procs import MinikmsProcess
from tests.support.rpc_client import RpcClient
from tests.support.server import ServerProcess

START = "/api/recordings/start"
CDR_WAIT_SECONDS = 15.0
READY = {
    "id": "ses1",
    "name": "meeting",
    "outputMode": "COMPOSED",
    "resolution": "1280x720",
    "recordingLayout": "BEST_FIT",
    "sessionId": "ses1",
    "createdAt": 1564400010000,
    "size": 4512345,
    "duration": 49.87,
    "url": None,
    "hasAudio": True,
    "hasVideo": True,
    "status": "ready",
}
STARTED = {
    "id": "ses2",
    "name": "ses2",
    "outputMode": "INDIVIDUAL",
    "sessionId": "ses2",
    "createdAt": 1564400020000,
    "size": 0,
    "duration": 0.0,
    "url": None,
    "hasAudio": True,
    "hasVideo": True,
    "status": "started",
}


def write_recording(folder: Path, recording: dict[str, object]) -> None:
    rec_dir = folder / str(recording["id"])
    rec_dir.mkdir(parents=True)
    (rec_dir / f".recording.{recording['id']}").write_text(json.dumps(recording))
    (rec_dir / f"{recording['name']}.mp4").write_bytes(b"\0" * 16)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("rec-cdr")
    recordings, cdr = root / "recordings", root / "cdr"
    write_recording(recordings, READY)
    write_recording(recordings, STARTED)
    (recordings / "not-a-recording").mkdir()
    (recordings / "not-a-recording" / "file.txt").write_text("x")
    (cdr / "old").mkdir(parents=True)
    (cdr / "CDR.2019-07-29_10-00-00.log").write_text('{"sessionCreated":{"sessionId":"a","timestamp":1}}\n')
    (cdr / "old" / "CDR.2019-07-28_09-00-00.log").write_text("")
    (cdr / "notes.txt").write_text("not served")
    (root / "layouts" / "mine").mkdir(parents=True)
    (root / "layouts" / "mine" / "index.html").write_text("<html>custom</html>")
    return recordings, cdr


@pytest.fixture(scope="module")
def recording_server(folders: tuple[Path, Path], kms: MinikmsProcess) -> Iterator[ServerProcess]:
    recordings, cdr = folders
    overrides = {
        "kms.uris": [kms.uri],
        "openvidu.recording": True,
        "openvidu.recording.path": str(recordings),
        "openvidu.cdr.path": str(cdr),
        "openvidu.recording.custom-layout": str(cdr.parent / "layouts"),
    }
    with ServerProcess(overrides) as proc:
        yield proc


@pytest.fixture(scope="module")
def plain_server(folders: tuple[Path, Path]) -> Iterator[ServerProcess]:
    """Recording disabled (the default) but pointed at the same recordings folder, served publicly."""
    overrides = {"openvidu.recording.path": str(folders[0]), "openvidu.recording.public-access": True}
    with ServerProcess(overrides) as proc:
        yield proc


@pytest.fixture
def api(recording_server: ServerProcess) -> Iterator[httpx.Client]:
    with recording_server.client() as client:
        yield client


def assert_error(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["timestamp", "status", "error", "message", "path"]
    assert isinstance(body["timestamp"], int)
    assert (body["status"], body["message"], body["path"]) == (status, message, START)


def assert_bare(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.content == b""


# ----- recording module disabled -------------------------------------------------------------------------


def test_start_is_501_when_recording_is_disabled(plain_server: ServerProcess) -> None:
    with plain_server.client() as api:
        assert_bare(api.post(START, json={"session": "anything", "outputMode": "nonsense"}), 501)
        # The body is required before the module check (a Spring @RequestBody).
        missing = api.post(START)
        assert missing.status_code == 400 and isinstance(missing.json()["timestamp"], str)
        # The other recording operations do not look at openvidu.recording in 2.10/2.11.
        listed = api.get("/api/recordings")
        assert listed.status_code == 200
        assert [item["id"] for item in listed.json()["items"]] == ["ses1", "ses2"]
        assert_bare(api.post("/api/recordings/stop/ses1"), 404)


def test_recordings_need_credentials(plain_server: ServerProcess) -> None:
    with plain_server.client(auth=False) as anon:
        for method, path in [("GET", "/api/recordings"), ("POST", START), ("DELETE", "/api/recordings/x")]:
            response = anon.request(method, path)
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == 'Basic realm="Realm"'


# ----- reading, listing and deleting from the folder -----------------------------------------------------


def test_list_and_get_keep_the_stored_json(api: httpx.Client) -> None:
    listed = api.get("/api/recordings")
    assert listed.status_code == 200 and listed.headers["content-type"] == "application/json"
    body = listed.json()
    assert list(body) == ["count", "items"]
    assert body["count"] == 2
    assert body["items"] == [READY, STARTED]
    one = api.get("/api/recordings/ses1")
    assert one.status_code == 200
    assert list(one.json()) == list(READY)
    # Number types survive: duration stays a float, size and createdAt integers.
    assert '"duration":49.87' in one.text and '"size":4512345' in one.text and '"url":null' in one.text
    assert '"duration":0.0' in api.get("/api/recordings/ses2").text


@pytest.mark.parametrize("recording_id", ["nope", "not-a-recording", "%2E%2E", "start"])
def test_get_unknown_recording_is_bare_404(api: httpx.Client, recording_id: str) -> None:
    assert_bare(api.get(f"/api/recordings/{recording_id}"), 404)


def test_delete(api: httpx.Client, folders: tuple[Path, Path]) -> None:
    recordings = folders[0]
    write_recording(recordings, dict(READY, id="gone", name="gone"))
    assert_bare(api.delete("/api/recordings/gone"), 204)
    assert not (recordings / "gone").exists()
    assert_bare(api.delete("/api/recordings/gone"), 404)
    assert_bare(api.get("/api/recordings/gone"), 404)


def test_delete_a_started_file_left_by_another_run(api: httpx.Client, folders: tuple[Path, Path]) -> None:
    """409 is only for recordings the server itself is running; a file saying ``started`` (a crash) is deleted."""
    recordings = folders[0]
    write_recording(recordings, dict(STARTED, id="crashed", name="crashed"))
    assert api.get("/api/recordings/crashed").json()["status"] == "started"
    assert_bare(api.delete("/api/recordings/crashed"), 204)
    assert not (recordings / "crashed").exists()


def test_stop_unknown_recording_is_404(api: httpx.Client) -> None:
    assert_bare(
        api.post("/api/recordings/stop/ses2", headers={"content-type": "application/x-www-form-urlencoded"}),
        404,
    )


# ----- POST /api/recordings/start: the checks of §3.8 in their order -------------------------------------

TYPE_ERROR = "Type error in some parameter"
NO_TRACKS = 'Cannot start a recording with both "hasAudio" and "hasVideo" set to false'
BAD_RESOLUTION = 'Wrong "resolution" parameter. Acceptable values from 100 to 1999 for both width and height'


@pytest.mark.parametrize(
    "body",
    [
        {"session": 5},
        {"session": "s", "name": ["x"]},
        {"session": "s", "hasAudio": "true"},
        {"session": "s", "hasVideo": 1},
        {"session": "s", "resolution": 1920},
        {"hasAudio": "no"},  # a type error comes before the missing session
    ],
)
def test_start_type_errors(api: httpx.Client, body: dict[str, object]) -> None:
    assert_error(api.post(START, json=body), 400, TYPE_ERROR)


def test_start_validation_order(api: httpx.Client) -> None:
    assert_error(api.post(START, json={"name": "x"}), 400, '"session" parameter is mandatory')
    # Names become file names: a path is refused (2.11 took any name; 2.16+ refuse even more)
    for bad_name in ("../escape", "a/b", "..", "x" * 201):
        response = api.post(START, json={"session": "nope", "name": bad_name})
        assert response.status_code == 400 and "file name" in response.json()["message"], bad_name
    assert_error(api.post(START, json={"session": "nope", "outputMode": "MP4"}), 400, TYPE_ERROR)
    # Resolution and layout are only checked when the request says COMPOSED explicitly.
    composed = {"session": "nope", "outputMode": "COMPOSED"}
    assert_error(api.post(START, json=dict(composed, resolution="99x100")), 422, BAD_RESOLUTION)
    assert_error(api.post(START, json=dict(composed, resolution="2000x1000")), 422, BAD_RESOLUTION)
    assert_error(api.post(START, json=dict(composed, recordingLayout="GRID")), 400, TYPE_ERROR)
    assert_bare(
        api.post(START, json={"session": "nope", "resolution": "1x1", "recordingLayout": "GRID"}), 404
    )
    assert_bare(api.post(START, json=dict(composed, resolution="1999x100", recordingLayout="CUSTOM")), 404)
    # Both tracks off: 422, before the session is looked up; one of them off is fine.
    assert_error(
        api.post(START, json={"session": "nope", "hasAudio": False, "hasVideo": False}), 422, NO_TRACKS
    )
    assert_bare(api.post(START, json={"session": "nope", "hasAudio": False}), 404)
    # An empty outputMode means the session default.
    assert_bare(api.post(START, json={"session": "nope", "outputMode": ""}), 404)


def test_start_session_states(api: httpx.Client) -> None:
    routed = api.post("/api/sessions").json()["id"]
    relayed = api.post("/api/sessions", json={"mediaMode": "RELAYED"}).json()["id"]
    assert_bare(api.post(START, json={"session": routed}), 406)  # initialized, never joined
    assert_bare(api.post(START, json={"session": relayed}), 409)  # not ROUTED


async def test_start_and_stop_on_a_joined_session(
    recording_server: ServerProcess, api: httpx.Client, folders: tuple[Path, Path]
) -> None:
    """A session with one connected participant and no stream: INDIVIDUAL starts (started, size 0), the session
    says recording, a second start is 409, delete is 409 while it runs; the stop answers ready with an empty zip."""
    sid = api.post("/api/sessions").json()["id"]
    token = api.post("/api/tokens", json={"session": sid}).json()["token"]
    client = await RpcClient(f"wss://127.0.0.1:{recording_server.port}/openvidu").open()
    try:
        await client.join(token, sid)
        response = api.post(START, json={"session": sid, "outputMode": "INDIVIDUAL", "name": "solo"})
        assert response.status_code == 200, response.text
        started = response.json()
        assert list(started) == [
            "id", "name", "outputMode", "sessionId", "createdAt", "size", "duration", "url", "hasAudio",
            "hasVideo", "status",
        ]  # fmt: skip
        assert started["id"] == sid and started["name"] == "solo" and started["status"] == "started"
        assert started["size"] == 0 and started["duration"] == 0.0 and started["url"] is None
        assert api.get(f"/api/sessions/{sid}").json()["recording"] is True
        assert_bare(api.post(START, json={"session": sid}), 409)
        assert_bare(api.delete(f"/api/recordings/{sid}"), 409)
        assert api.get(f"/api/recordings/{sid}").json()["status"] == "started"
        stopped = api.post(f"/api/recordings/stop/{sid}")
        assert stopped.status_code == 200, stopped.text
        assert stopped.json()["status"] == "ready"
        assert_bare(api.post(f"/api/recordings/stop/{sid}"), 404)
        folder = folders[0] / sid
        assert sorted(p.name for p in folder.iterdir()) == [f".recording.{sid}", "solo.zip"]
        assert json.loads((folder / f".recording.{sid}").read_text())["status"] == "ready"
        assert api.get(f"/api/sessions/{sid}").json()["recording"] is False
        # The next recording of the same session gets the next free id.
        again = api.post(START, json={"session": sid, "outputMode": "INDIVIDUAL"})
        assert (
            again.status_code == 200
            and again.json()["id"] == f"{sid}-1"
            and again.json()["name"] == f"{sid}-1"
        )
        assert api.post(f"/api/recordings/stop/{sid}-1").status_code == 200
    finally:
        await client.close()


async def test_a_failed_start_is_500_with_a_text_body(
    recording_server: ServerProcess, api: httpx.Client, folders: tuple[Path, Path]
) -> None:
    sid = api.post("/api/sessions").json()["id"]
    (folders[0] / sid).write_text("a file where the recording folder should go")
    token = api.post("/api/tokens", json={"session": sid}).json()["token"]
    client = await RpcClient(f"wss://127.0.0.1:{recording_server.port}/openvidu").open()
    try:
        await client.join(token, sid)
        response = api.post(START, json={"session": sid, "outputMode": "INDIVIDUAL"})
        # The original's answer when the recording service throws: 500, JSON content type, plain-text body.
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/json"
        assert response.text.startswith("Error starting recording: ")
        assert api.get(f"/api/sessions/{sid}").json()["recording"] is False
    finally:
        await client.close()


# ----- /cdr ----------------------------------------------------------------------------------------------


def test_cdr_lists_file_names_recursively(api: httpx.Client) -> None:
    response = api.get("/cdr")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    names = response.json()
    assert isinstance(names, list) and all(isinstance(name, str) for name in names)
    expected = {"CDR.2019-07-29_10-00-00.log", "CDR.2019-07-28_09-00-00.log", "notes.txt"}
    assert expected <= set(names)
    assert not any("/" in name for name in names)


def test_cdr_file_download(api: httpx.Client) -> None:
    response = api.get("/cdr/CDR.2019-07-29_10-00-00.log")
    assert response.status_code == 200
    assert response.text == '{"sessionCreated":{"sessionId":"a","timestamp":1}}\n'
    # Only /cdr/*.log: other names, nested paths and unknown files are unknown paths.
    for path in ["/cdr/notes.txt", "/cdr/old/CDR.2019-07-28_09-00-00.log", "/cdr/missing.log"]:
        missing = api.get(path)
        assert missing.status_code == 404, path
        assert missing.json()["path"] == path


async def test_cdr_written_by_the_server_is_listed(kms: MinikmsProcess, tmp_path: Path) -> None:
    """The CDR file this server writes (openvidu.cdr=true) is listed with what else is there, and served."""
    cdr = tmp_path / "cdr"
    overrides = {"kms.uris": [kms.uri], "openvidu.cdr": True, "openvidu.cdr.path": str(cdr)}
    with ServerProcess(overrides) as proc, proc.client() as own:
        sid = own.post("/api/sessions").json()["id"]
        token = own.post("/api/tokens", json={"session": sid}).json()["token"]
        client = await RpcClient(f"wss://127.0.0.1:{proc.port}/openvidu").open()
        try:
            await client.join(token, sid)  # sessionCreated + participantJoined
        finally:
            await client.close()
        deadline = time.monotonic() + CDR_WAIT_SECONDS
        names: list[str] = own.get("/cdr").json()
        while not any(n.startswith("CDR.") for n in names) and time.monotonic() < deadline:
            time.sleep(0.2)
            names = own.get("/cdr").json()
        assert sorted(names) == sorted(p.name for p in cdr.rglob("*") if p.is_file())
        [cdr_name] = [n for n in names if n.startswith("CDR.")]
        served = own.get(f"/cdr/{cdr_name}")
        assert served.status_code == 200
        first = json.loads(served.text.splitlines()[0])
        assert list(first) == ["sessionCreated"] and first["sessionCreated"]["sessionId"] == sid


def test_cdr_needs_credentials(recording_server: ServerProcess) -> None:
    with recording_server.client(auth=False) as anon:
        for path in ["/cdr", "/cdr/CDR.2019-07-29_10-00-00.log"]:
            assert anon.get(path).status_code == 401


# ----- static files: /recordings/** and /layouts/custom/** ----------------------------------------------


def test_recording_files_are_served(recording_server: ServerProcess, api: httpx.Client) -> None:
    video = api.get("/recordings/ses1/meeting.mp4")
    assert video.status_code == 200 and video.content == b"\0" * 16
    metadata = api.get("/recordings/ses1/.recording.ses1")
    assert metadata.status_code == 200 and json.loads(metadata.content) == READY
    for path in ["/recordings/ses1/missing.mp4", "/recordings/ses1/%2E%2E/ses2/ses2.mp4", "/recordings/ses1"]:
        missing = api.get(path)
        assert missing.status_code == 404, path
        assert isinstance(missing.json()["timestamp"], str)
    with recording_server.client(auth=False) as anon:
        challenged = anon.get("/recordings/ses1/meeting.mp4")
        assert challenged.status_code == 401  # openvidu.recording.public-access=false
        assert challenged.headers["www-authenticate"] == 'Basic realm="Realm"'


def test_public_access_serves_recordings_without_credentials(plain_server: ServerProcess) -> None:
    with plain_server.client(auth=False) as anon:
        assert anon.get("/recordings/ses1/meeting.mp4").content == b"\0" * 16
        assert anon.get("/api/recordings/ses1").status_code == 401  # the API still needs credentials


def test_custom_layouts_are_served(recording_server: ServerProcess, api: httpx.Client) -> None:
    page = api.get("/layouts/custom/mine/index.html")
    assert page.status_code == 200 and page.text == "<html>custom</html>"
    assert api.get("/layouts/custom/mine/other.html").status_code == 404
    with recording_server.client(auth=False) as anon:
        assert anon.get("/layouts/custom/mine/index.html").status_code == 401


# ----- 405 -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/sessions", "GET, HEAD, POST"),
        ("POST", "/api/sessions/x", "DELETE, GET, HEAD"),
        ("GET", "/api/tokens", "POST"),
        ("PATCH", "/api/recordings/x", "DELETE, GET, HEAD"),
    ],
)
def test_405_allow_lists_every_method_of_the_path(
    api: httpx.Client, method: str, path: str, allowed: str
) -> None:
    response = api.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.json()["message"] == f"Request method '{method}' not supported"
