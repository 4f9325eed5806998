"""Issue 14, REST side: every reproduction against a real server process (no media server needed).

Bad text (lone surrogates), NaN/Infinity, numbers out of range and deep nesting are refused with 400 naming the
field; NUL bytes and over-long names under the static folders are 404; symlinks never lead out of the CDR and
recordings folders. Each test also checks the server keeps serving and logged no traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess

SURROGATE = '"\\ud800"'


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("folders")
    made = {name: base / name for name in ("cdr", "recordings", "layouts", "outside")}
    for path in made.values():
        path.mkdir()
    return made


@pytest.fixture(scope="module")
def server(folders: dict[str, Path]) -> Iterator[ServerProcess]:
    overrides = {
        "openvidu.cdr.path": str(folders["cdr"]),
        "openvidu.recording.path": str(folders["recordings"]),
        "openvidu.recording.custom-layout": str(folders["layouts"]),
        "openvidu.recording.public-access": True,
        "server.ssl.enabled": False,
    }
    with ServerProcess(overrides) as srv:
        yield srv


def post_raw(server: ServerProcess, path: str, body: str | bytes) -> httpx.Response:
    with server.client() as client:
        return client.post(path, content=body, headers={"Content-Type": "application/json"})


def still_serving(server: ServerProcess) -> None:
    with server.client() as client:
        assert client.get("/api/sessions").status_code == 200
    assert "Traceback" not in server.log_text()


def test_lone_surrogate_session_id_is_400_and_creates_nothing(server: ServerProcess) -> None:
    response = post_raw(server, "/api/sessions", '{"customSessionId":' + SURROGATE + "}")
    assert response.status_code == 400
    assert "customSessionId" in response.json()["message"]
    with server.client() as client:
        listing = client.get("/api/sessions")
        assert listing.status_code == 200
        assert all(s["sessionId"] != "\ud800" for s in listing.json()["content"])
    still_serving(server)


def test_lone_surrogate_token_session_is_400(server: ServerProcess) -> None:
    response = post_raw(server, "/api/tokens", '{"session":' + SURROGATE + "}")
    assert response.status_code == 400
    assert "session" in response.json()["message"]
    still_serving(server)


@pytest.mark.parametrize(
    "body, field",
    [
        ('{"session":"s","kurentoOptions":{"videoMaxRecvBandwidth":NaN}}', ""),
        ('{"session":"s","kurentoOptions":{"videoMaxRecvBandwidth":Infinity}}', ""),
        ('{"session":"s","kurentoOptions":{"videoMaxRecvBandwidth":1e400}}', ""),
        ('{"session":"s","kurentoOptions":{"videoMaxRecvBandwidth":' + "9" * 400 + "}}", ""),
        ('{"session":"s","data":{"k\\udc00":1}}', "data"),
    ],
)
def test_non_json_numbers_and_bad_keys_are_400(server: ServerProcess, body: str, field: str) -> None:
    response = post_raw(server, "/api/tokens", body)
    assert response.status_code == 400
    assert field in response.json()["message"]
    still_serving(server)


@pytest.mark.parametrize("path", ["/api/sessions", "/api/tokens", "/api/recordings/start", "/pro/restart"])
def test_deep_nesting_is_400_on_every_post(server: ServerProcess, path: str) -> None:
    depth = 990
    response = post_raw(server, path, '{"a":' + "[" * depth + "]" * depth + "}")
    assert response.status_code == 400, response.text
    assert "nesting" in response.json()["message"]
    still_serving(server)


def test_oversized_body_is_400(server: ServerProcess) -> None:
    response = post_raw(server, "/api/sessions", '{"customSessionId":"' + "a" * (2 * 1024 * 1024) + '"}')
    assert response.status_code == 400
    still_serving(server)


@pytest.mark.parametrize(
    "path",
    [
        "/recordings/%00",
        "/recordings/a%00b/file.mp4",
        "/layouts/custom/%00",
        "/recordings/" + "a" * 300,
        "/recordings/" + "a" * 300 + "/x.mp4",
        "/layouts/custom/" + "b" * 300,
        "/cdr/" + "c" * 300 + ".log",
        "/cdr/%00.log",
        "/api/recordings/" + "d" * 300,
        "/api/recordings/%00",
    ],
)
def test_bad_file_names_are_404_without_credentials(server: ServerProcess, path: str) -> None:
    with server.client(auth=not path.startswith("/recordings/")) as client:
        response = client.get(path)
        assert response.status_code == 404, (path, response.status_code, response.text)
        if path.startswith("/api/recordings/"):
            assert client.delete(path).status_code == 404
    still_serving(server)


def test_cdr_does_not_follow_symlinks_out(server: ServerProcess, folders: dict[str, Path]) -> None:
    secret = folders["outside"] / "secret.log"
    secret.write_text("outside\n")
    (folders["cdr"] / "passwd.log").symlink_to("/etc/passwd")
    (folders["cdr"] / "secret.log").symlink_to(secret)
    (folders["cdr"] / "real.log").write_text("{}\n")
    with server.client() as client:
        assert client.get("/cdr/passwd.log").status_code == 404
        assert client.get("/cdr/secret.log").status_code == 404
        assert client.get("/cdr/real.log").status_code == 200
        names = client.get("/cdr").json()
    assert "real.log" in names and "passwd.log" not in names and "secret.log" not in names
    still_serving(server)


def test_static_files_do_not_follow_symlinks_out(server: ServerProcess, folders: dict[str, Path]) -> None:
    (folders["recordings"] / "etc").symlink_to("/etc")
    (folders["layouts"] / "passwd.html").symlink_to("/etc/passwd")
    with server.client(auth=False) as client:
        assert client.get("/recordings/etc/passwd").status_code == 404
    with server.client() as client:
        assert client.get("/layouts/custom/passwd.html").status_code == 404
    still_serving(server)


def test_recording_folder_symlinked_outside_is_not_listed_nor_deleted(
    server: ServerProcess, folders: dict[str, Path]
) -> None:
    target = folders["outside"] / "rec1"
    target.mkdir()
    (target / ".recording.rec1").write_text('{"id":"rec1","status":"ready"}')
    (folders["recordings"] / "rec1").symlink_to(target, target_is_directory=True)
    inside = folders["recordings"] / "rec2"
    inside.mkdir()
    (inside / ".recording.rec2").write_text('{"id":"rec2","status":"ready"}')
    with server.client() as client:
        ids = [item["id"] for item in client.get("/api/recordings").json()["items"]]
        assert ids == ["rec2"]
        assert client.get("/api/recordings/rec1").status_code == 404
        assert client.delete("/api/recordings/rec1").status_code == 404
    assert (target / ".recording.rec1").exists()
    assert os.path.islink(folders["recordings"] / "rec1")
    still_serving(server)
