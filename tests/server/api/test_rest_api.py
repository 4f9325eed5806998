"""The REST API of a real server process over HTTPS (spec §1-§4): statuses, error bodies, JSON shapes."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import ServerProcess

ID_RE = re.compile(r"^[a-z0-9]{16}$")
SECRET = "S3cr3t-for-tests"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess({"openvidu.secret": SECRET}) as proc:
        yield proc


@pytest.fixture
def anon(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client(auth=False) as client:
        yield client


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def assert_controller_error(response: httpx.Response, status: int, message: str, path: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["timestamp", "status", "error", "message", "path"]
    assert isinstance(body["timestamp"], int) and abs(body["timestamp"] - now_ms()) < 60_000
    assert body["status"] == status
    assert body["error"] == {400: "Bad Request", 404: "Not Found"}[status]
    assert body["message"] == message
    assert body["path"] == path


def assert_framework_error(response: httpx.Response, status: int, path: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["status"] == status
    assert body["path"] == path
    assert isinstance(body["timestamp"], str)


def assert_bare(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    assert response.content == b""


# ----- authentication and CORS -------------------------------------------------------------------------------

PROTECTED = [
    ("GET", "/api/sessions"),
    ("POST", "/api/sessions"),
    ("GET", "/api/sessions/abc"),
    ("DELETE", "/api/sessions/abc"),
    ("DELETE", "/api/sessions/abc/connection/def"),
    ("DELETE", "/api/sessions/abc/stream/def"),
    ("POST", "/api/tokens"),
    ("GET", "/config"),
    ("GET", "/config/openvidu-version"),
    ("GET", "/config/openvidu-recording"),
    ("GET", "/config/openvidu-recording-path"),
    ("GET", "/config/openvidu-cdr"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_protected_paths_challenge_without_credentials(anon: httpx.Client, method: str, path: str) -> None:
    response = anon.request(method, path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="Realm"'
    assert_framework_error(response, 401, path)


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize(
    "headers",
    [
        basic("OPENVIDUAPP", "wrong"),
        basic("OTHER", SECRET),
        basic("OPENVIDUAPP", SECRET + "x"),
        {"Authorization": "Bearer " + SECRET},
        {"Authorization": "Basic !!!not-base64!!!"},
    ],
)
def test_wrong_credentials_are_refused(anon: httpx.Client, headers: dict[str, str]) -> None:
    response = anon.get("/api/sessions", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="Realm"'


def test_scheme_is_case_insensitive(anon: httpx.Client) -> None:
    header = basic("OPENVIDUAPP", SECRET)["Authorization"].replace("Basic", "basic")
    assert anon.get("/api/sessions", headers={"Authorization": header}).status_code == 200


def test_publicurl_is_public_but_a_wrong_basic_header_is_refused(
    anon: httpx.Client, server: ServerProcess
) -> None:
    response = anon.get("/config/openvidu-publicurl")
    assert response.status_code == 200
    assert response.text == f"https://localhost:{server.port}/"
    assert response.headers["content-type"].startswith("text/plain")
    assert anon.get("/config/openvidu-publicurl", headers=basic("OPENVIDUAPP", "bad")).status_code == 401


def test_cors_preflight_and_actual_request(anon: httpx.Client, api: httpx.Client) -> None:
    preflight = anon.options(
        "/api/sessions",
        headers={
            "Origin": "https://app.example.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "DELETE" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    actual = api.get("/api/sessions", headers={"Origin": "https://app.example.test"})
    assert actual.status_code == 200
    assert actual.headers["access-control-allow-origin"] == "*"


# ----- POST /api/sessions -------------------------------------------------------------------------------------


def test_create_session_without_body(api: httpx.Client) -> None:
    before = now_ms()
    response = api.post("/api/sessions")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["id", "createdAt"]
    assert ID_RE.match(body["id"])
    assert isinstance(body["createdAt"], int) and before - 1000 <= body["createdAt"] <= now_ms() + 1000


def test_create_session_with_every_property_and_fetch_it(api: httpx.Client) -> None:
    props = {
        "mediaMode": "ROUTED",
        "recordingMode": "ALWAYS",
        "customSessionId": "every-prop-session",
        "defaultOutputMode": "COMPOSED",
        "defaultRecordingLayout": "CUSTOM",
        "defaultCustomLayout": "my/layout",
    }
    created = api.post("/api/sessions", json=props)
    assert created.status_code == 200
    assert created.json()["id"] == "every-prop-session"
    fetched = api.get("/api/sessions/every-prop-session")
    assert fetched.status_code == 200
    assert fetched.text.startswith('{"sessionId":"every-prop-session","createdAt":')
    assert fetched.json() == {
        "sessionId": "every-prop-session",
        "createdAt": created.json()["createdAt"],
        "mediaMode": "ROUTED",
        "recordingMode": "ALWAYS",
        "defaultOutputMode": "COMPOSED",
        "defaultRecordingLayout": "CUSTOM",
        "defaultCustomLayout": "my/layout",
        "customSessionId": "every-prop-session",
        "connections": {"numberOfElements": 0, "content": []},
        "recording": False,
    }
    assert list(fetched.json()) == [
        "sessionId",
        "createdAt",
        "mediaMode",
        "recordingMode",
        "defaultOutputMode",
        "defaultRecordingLayout",
        "defaultCustomLayout",
        "customSessionId",
        "connections",
        "recording",
    ]


def test_layout_keys_follow_the_output_mode(api: httpx.Client) -> None:
    sid = api.post("/api/sessions", json={"defaultOutputMode": "INDIVIDUAL"}).json()["id"]
    body = api.get(f"/api/sessions/{sid}").json()
    assert "defaultRecordingLayout" not in body
    assert "defaultCustomLayout" not in body
    assert body["customSessionId"] == ""
    assert body["defaultOutputMode"] == "INDIVIDUAL"
    sid = api.post("/api/sessions", json={}).json()["id"]
    body = api.get(f"/api/sessions/{sid}").json()
    assert body["defaultRecordingLayout"] == "BEST_FIT"
    assert "defaultCustomLayout" not in body
    assert (body["mediaMode"], body["recordingMode"], body["defaultOutputMode"]) == (
        "ROUTED",
        "MANUAL",
        "COMPOSED",
    )


def test_custom_session_id_twice_is_409_without_body(api: httpx.Client) -> None:
    assert api.post("/api/sessions", json={"customSessionId": "twice"}).status_code == 200
    assert_bare(api.post("/api/sessions", json={"customSessionId": "twice"}), 409)
    assert api.delete("/api/sessions/twice").status_code == 204
    assert api.post("/api/sessions", json={"customSessionId": "twice"}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"mediaMode": 5}, {"customSessionId": True}, {"defaultCustomLayout": ["x"]}, {"recordingMode": {}}],
)
def test_create_session_type_error(api: httpx.Client, body: dict[str, object]) -> None:
    assert_controller_error(
        api.post("/api/sessions", json=body), 400, "Type error in some parameter", "/api/sessions"
    )


def test_create_session_unknown_enum_lists_the_four_values(api: httpx.Client) -> None:
    response = api.post("/api/sessions", json={"defaultOutputMode": "FOO", "mediaMode": "ROUTED"})
    assert_controller_error(
        response,
        400,
        "RecordingMode null | Default OutputMode FOO | Default RecordingLayout null | MediaMode ROUTED. "
        "Some parameter is not defined",
        "/api/sessions",
    )
    # Enum values are case-sensitive (Java Enum.valueOf).
    assert api.post("/api/sessions", json={"mediaMode": "routed"}).status_code == 400


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"'])
def test_create_session_unparseable_body_is_a_framework_400(api: httpx.Client, raw: bytes) -> None:
    response = api.post("/api/sessions", content=raw, headers={"Content-Type": "application/json"})
    assert_framework_error(response, 400, "/api/sessions")


def test_create_session_null_body_means_defaults(api: httpx.Client) -> None:
    response = api.post("/api/sessions", content=b"null", headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert ID_RE.match(response.json()["id"])


# ----- GET /api/sessions[/{id}] ----------------------------------------------------------------------------


def test_get_unknown_session_is_bare_404(api: httpx.Client) -> None:
    assert_bare(api.get("/api/sessions/does-not-exist"), 404)


def test_webrtc_stats_parameter(api: httpx.Client) -> None:
    sid = api.post("/api/sessions").json()["id"]
    for value in ("true", "false", "1", "no", "ON", ""):
        assert api.get(f"/api/sessions/{sid}", params={"webRtcStats": value}).status_code == 200
        assert api.get("/api/sessions", params={"webRtcStats": value}).status_code == 200
    assert_framework_error(
        api.get(f"/api/sessions/{sid}", params={"webRtcStats": "maybe"}), 400, f"/api/sessions/{sid}"
    )
    assert_framework_error(api.get("/api/sessions", params={"webRtcStats": "maybe"}), 400, "/api/sessions")
    # The name is case-sensitive: any other spelling is an unknown, ignored parameter.
    assert api.get(f"/api/sessions/{sid}", params={"webrtcStats": "maybe"}).status_code == 200


def test_list_sessions(api: httpx.Client) -> None:
    ids = {api.post("/api/sessions").json()["id"] for _ in range(3)}
    response = api.get("/api/sessions")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["numberOfElements", "content"]
    assert body["numberOfElements"] == len(body["content"])
    listed = {s["sessionId"]: s for s in body["content"]}
    assert ids <= set(listed)
    for sid in ids:
        assert listed[sid] == api.get(f"/api/sessions/{sid}").json()


def test_trailing_slash_is_accepted(api: httpx.Client) -> None:
    assert api.get("/api/sessions/").status_code == 200
    sid = api.post("/api/sessions/").json()["id"]
    assert api.get(f"/api/sessions/{sid}/").status_code == 200


# ----- DELETE -----------------------------------------------------------------------------------------------


def test_close_session(api: httpx.Client) -> None:
    sid = api.post("/api/sessions").json()["id"]
    api.post("/api/tokens", json={"session": sid})
    assert_bare(api.delete(f"/api/sessions/{sid}"), 204)
    assert_bare(api.get(f"/api/sessions/{sid}"), 404)
    assert_bare(api.delete(f"/api/sessions/{sid}"), 404)
    assert api.post("/api/tokens", json={"session": sid}).status_code == 404
    assert sid not in {s["sessionId"] for s in api.get("/api/sessions").json()["content"]}


def test_delete_connection_and_stream_statuses(api: httpx.Client) -> None:
    sid = api.post("/api/sessions").json()["id"]
    # Session exists but was never joined: 404. Unknown session: 400. No bodies.
    assert_bare(api.delete(f"/api/sessions/{sid}/connection/abcdefghij123456"), 404)
    assert_bare(api.delete(f"/api/sessions/{sid}/stream/abcdefghij123456_CAMERA_ABCDE"), 404)
    assert_bare(api.delete("/api/sessions/nosuchsession/connection/abcdefghij123456"), 400)
    assert_bare(api.delete("/api/sessions/nosuchsession/stream/abcdefghij123456_CAMERA_ABCDE"), 400)


# ----- POST /api/tokens --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["SUBSCRIBER", "PUBLISHER", "MODERATOR"])
def test_token_for_each_role(api: httpx.Client, server: ServerProcess, role: str) -> None:
    sid = api.post("/api/sessions").json()["id"]
    response = api.post("/api/tokens", json={"session": sid, "role": role, "data": "user-42"})
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["id", "session", "role", "data", "token"]
    assert body["id"] == body["token"]
    assert (body["session"], body["role"], body["data"]) == (sid, role, "user-42")
    pattern = (
        rf"^wss://localhost:{server.port}\?sessionId={sid}&token=[a-z0-9]{{16}}&role={role}&version=2\.11\.0$"
    )
    assert re.match(pattern, body["token"]), body["token"]


def test_token_defaults_and_uniqueness(api: httpx.Client) -> None:
    sid = api.post("/api/sessions").json()["id"]
    first = api.post("/api/tokens", json={"session": sid}).json()
    assert (first["role"], first["data"]) == ("PUBLISHER", "")
    tokens = {api.post("/api/tokens", json={"session": sid}).json()["token"] for _ in range(20)}
    assert len(tokens) == 20 and first["token"] not in tokens


def test_token_kurento_options_echo(api: httpx.Client) -> None:
    sid = api.post("/api/sessions").json()["id"]
    empty = api.post("/api/tokens", json={"session": sid, "kurentoOptions": {}}).json()
    assert empty["kurentoOptions"] == {}
    assert list(empty)[-1] == "kurentoOptions"
    options = {
        "videoMaxSendBandwidth": 600,
        "videoMinRecvBandwidth": 0,
        "allowedFilters": ["GStreamerFilter"],
    }
    body = api.post("/api/tokens", json={"session": sid, "kurentoOptions": options}).json()
    assert body["kurentoOptions"] == options
    no_filters = api.post(
        "/api/tokens", json={"session": sid, "kurentoOptions": {"allowedFilters": []}}
    ).json()
    assert no_filters["kurentoOptions"] == {}


def test_token_errors(api: httpx.Client) -> None:
    sid = api.post("/api/sessions").json()["id"]
    path = "/api/tokens"
    assert_framework_error(api.post(path), 400, path)
    assert_framework_error(
        api.post(path, content=b"{oops", headers={"Content-Type": "application/json"}), 400, path
    )
    assert_controller_error(api.post(path, json={}), 400, '"session" parameter is mandatory', path)
    assert_controller_error(
        api.post(path, json={"role": "PUBLISHER"}), 400, '"session" parameter is mandatory', path
    )
    assert_controller_error(api.post(path, json={"session": 5}), 400, "Type error in some parameter", path)
    assert_controller_error(
        api.post(path, json={"session": sid, "data": {"a": 1}}), 400, "Type error in some parameter", path
    )
    assert_controller_error(
        api.post(path, json={"session": sid, "role": "ADMIN"}),
        400,
        "Parameter role ADMIN is not defined",
        path,
    )
    assert_controller_error(
        api.post(path, json={"session": sid, "kurentoOptions": "x"}),
        400,
        "Error in parameter 'kurentoOptions'. It is not a valid JSON object",
        path,
    )
    assert_controller_error(
        api.post(path, json={"session": sid, "kurentoOptions": {"videoMaxRecvBandwidth": "lots"}}),
        400,
        "Type error in some parameter of 'kurentoOptions'",
        path,
    )
    assert_controller_error(
        api.post(path, json={"session": sid, "kurentoOptions": {"allowedFilters": "GStreamerFilter"}}),
        400,
        "Type error in some parameter of 'kurentoOptions'",
        path,
    )
    assert_controller_error(
        api.post(path, json={"session": "no-such-session"}),
        404,
        "sessionId [no-such-session] not found",
        path,
    )


# ----- /config ------------------------------------------------------------------------------------------------


def test_config(api: httpx.Client) -> None:
    response = api.get("/config")
    assert response.status_code == 200
    assert response.text == json.dumps(
        {
            "version": "2.11.0",
            "openviduPublicurl": "local",
            "openviduCdr": False,
            "maxRecvBandwidth": 1000,
            "minRecvBandwidth": 300,
            "maxSendBandwidth": 1000,
            "minSendBandwidth": 300,
            "openviduRecording": False,
            "openviduWebhook": False,
        },
        separators=(",", ":"),
    )


def test_config_sub_paths(api: httpx.Client) -> None:
    version = api.get("/config/openvidu-version")
    assert (version.status_code, version.text) == (200, "2.11.0")
    assert version.headers["content-type"].startswith("text/plain")
    recording = api.get("/config/openvidu-recording")
    assert (recording.status_code, recording.text) == (200, "false")
    assert recording.headers["content-type"].startswith("application/json")
    assert api.get("/config/openvidu-recording-path").text == "/opt/openvidu/recordings/"
    assert api.get("/config/openvidu-cdr").text == "false"


def test_unknown_path_and_wrong_method(api: httpx.Client) -> None:
    assert_framework_error(api.get("/api/nothing-here"), 404, "/api/nothing-here")
    response = api.put("/api/tokens")
    assert_framework_error(response, 405, "/api/tokens")
    assert "POST" in response.headers["allow"]


def test_node_style_form_content_type_on_bodiless_requests(api: httpx.Client) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    sid = api.post("/api/sessions").json()["id"]
    assert api.get(f"/api/sessions/{sid}", headers=headers).status_code == 200
    assert api.delete(f"/api/sessions/{sid}", headers=headers).status_code == 204


def test_accept_certificate_page_is_public(anon: httpx.Client) -> None:
    response = anon.get("/accept-certificate")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "certificate" in response.text
