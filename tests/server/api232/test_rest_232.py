"""The 2.32 REST surface at /openvidu/api on a real server process (no media servers needed): auth, sessions,
connections (pending), tokens, signal errors, config, files, speech-to-text and recordings while disabled, and the
same sessions seen through both surfaces."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import ServerProcess

SECRET = "Rest232Secret"
SES_ID = re.compile(r"ses_[A-Z][A-Za-z0-9]{9}")
CON_ID = re.compile(r"con_[A-Z][A-Za-z0-9]{9}")
API = "/openvidu/api"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess({"openvidu.secret": SECRET}) as proc:
        yield proc


def test_auth_challenge_not_404(server: ServerProcess) -> None:
    with server.client(auth=False) as anon:
        for method, path in [
            ("GET", f"{API}/sessions"),
            ("POST", f"{API}/sessions"),
            ("GET", f"{API}/config"),
            ("DELETE", f"{API}/sessions/x/connection/y"),
            ("GET", "/openvidu/cdr"),
        ]:
            resp = anon.request(method, path)
            assert resp.status_code == 401, (method, path, resp.status_code)
            assert resp.headers["www-authenticate"] == 'Basic realm="Realm"'
        assert anon.get(f"{API}/config/openvidu-publicurl").status_code == 200
        assert anon.get("/openvidu/accept-certificate").status_code == 200


def test_session_lifecycle_and_shape(server: ServerProcess) -> None:
    with server.client() as api:
        resp = api.post(f"{API}/sessions", json={"forcedVideoCodec": "VP8", "allowTranscoding": True})
        assert resp.status_code == 200
        session = resp.json()
        assert SES_ID.fullmatch(session["id"])
        assert list(session) == [
            "id", "object", "sessionId", "createdAt", "recording", "broadcasting", "mediaMode", "recordingMode",
            "defaultRecordingProperties", "customSessionId", "forcedVideoCodec", "allowTranscoding", "connections",
        ]  # fmt: skip
        assert session["object"] == "session" and session["sessionId"] == session["id"]
        assert isinstance(session["createdAt"], int)
        assert session["defaultRecordingProperties"] == {
            "name": "",
            "hasAudio": True,
            "hasVideo": True,
            "outputMode": "COMPOSED",
            "recordingLayout": "BEST_FIT",
            "resolution": "1280x720",
            "frameRate": 25,
            "shmSize": 536870912,
        }
        assert (session["forcedVideoCodec"], session["allowTranscoding"]) == ("VP8", True)
        assert session["connections"] == {"numberOfElements": 0, "content": []}
        sid = session["id"]
        assert api.get(f"{API}/sessions/{sid}").json()["id"] == sid
        listed = api.get(f"{API}/sessions").json()
        assert sid in [s["id"] for s in listed["content"]]
        # The same session through the 2.11 surface, in its own shape.
        old = api.get(f"/api/sessions/{sid}").json()
        assert old["sessionId"] == sid and "object" not in old
        assert (old["defaultOutputMode"], old["defaultRecordingLayout"]) == ("COMPOSED", "BEST_FIT")
        body = {"defaultRecordingProperties": {"outputMode": "INDIVIDUAL"}}
        individual = api.post(f"{API}/sessions", json=body).json()["id"]
        assert api.get(f"/api/sessions/{individual}").json()["defaultOutputMode"] == "INDIVIDUAL"
        assert api.delete(f"{API}/sessions/{individual}").status_code == 204
        assert api.post(f"{API}/sessions", json={"customSessionId": "dup-232"}).status_code == 200
        assert api.post(f"{API}/sessions", json={"customSessionId": "dup-232"}).status_code == 409
        assert api.post("/api/sessions", json={"customSessionId": "dup-232"}).status_code == 409
        assert api.delete(f"{API}/sessions/{sid}").status_code == 204
        assert api.delete(f"{API}/sessions/{sid}").status_code == 404
        assert api.get(f"{API}/sessions/{sid}").status_code == 404
        assert api.delete(f"{API}/sessions/dup-232").status_code == 204


def test_session_made_through_211_seen_through_232(server: ServerProcess) -> None:
    with server.client() as api:
        sid = api.post("/api/sessions", json={"defaultOutputMode": "INDIVIDUAL"}).json()["id"]
        token = api.post("/api/tokens", json={"session": sid, "data": "d"}).json()
        session = api.get(f"{API}/sessions/{sid}?pendingConnections=true").json()
        assert session["defaultRecordingProperties"]["outputMode"] == "INDIVIDUAL"
        assert session["defaultRecordingProperties"]["ignoreFailedStreams"] is False
        [pending] = session["connections"]["content"]
        assert pending["token"] == token["token"] and pending["status"] == "pending"
        assert pending["serverData"] == "d"
        api.delete(f"/api/sessions/{sid}")


def test_session_bad_params(server: ServerProcess) -> None:
    with server.client() as api:
        cases = [
            ({"mediaMode": "BAD"}, "No enum constant io.openvidu.java.client.MediaMode.BAD"),
            ({"recordingMode": 3}, "Type error in some parameter"),
            ({"customSessionId": "a b"}, "Parameter 'customSessionId' is wrong"),
            ({"forcedVideoCodec": "AV1"}, "Invalid value for parameter 'forcedVideoCodec'"),
            ({"defaultRecordingProperties": {"hasAudio": False, "hasVideo": False}}, "both"),
            ({"mediaNode": {"x": 1}}, "Property 'id' not found"),
        ]
        for body, fragment in cases:
            resp = api.post(f"{API}/sessions", json=body)
            assert resp.status_code == 400, body
            error = resp.json()
            assert error["status"] == 400 and error["error"] == "Bad Request"
            assert error["path"] == f"{API}/sessions" and isinstance(error["timestamp"], int)
            assert fragment in error["message"], (body, error["message"])


def test_connections_pending(server: ServerProcess) -> None:
    with server.client() as api:
        sid = api.post(f"{API}/sessions").json()["id"]
        body = {
            "data": "srv",
            "record": False,
            "role": "MODERATOR",
            "kurentoOptions": {"videoMaxRecvBandwidth": 500, "allowedFilters": ["GStreamerFilter"]},
            "customIceServers": [{"url": "turn:127.0.0.1:3478", "username": "u", "credential": "c"}],
        }
        resp = api.post(f"{API}/sessions/{sid}/connection", json=body)
        assert resp.status_code == 200
        conn = resp.json()
        assert CON_ID.fullmatch(conn["id"]) and conn["connectionId"] == conn["id"]
        assert re.fullmatch(rf"wss://[^?]+\?sessionId={sid}&token=tok_[A-Z][A-Za-z0-9]{{15}}", conn["token"])
        assert conn == {
            "id": conn["id"],
            "object": "connection",
            "status": "pending",
            "connectionId": conn["id"],
            "sessionId": sid,
            "createdAt": conn["createdAt"],
            "type": "WEBRTC",
            "record": False,
            "role": "MODERATOR",
            "kurentoOptions": {"videoMaxRecvBandwidth": 500, "allowedFilters": ["GStreamerFilter"]},
            "customIceServers": [{"url": "turn:127.0.0.1:3478", "username": "u", "credential": "c"}],
            "rtspUri": None,
            "adaptativeBitrate": None,
            "onlyPlayWithSubscribers": None,
            "networkCache": None,
            "serverData": "srv",
            "token": conn["token"],
            "activeAt": None,
            "location": None,
            "ip": None,
            "platform": None,
            "clientData": None,
            "publishers": None,
            "subscribers": None,
        }
        cid = conn["id"]
        assert api.get(f"{API}/sessions/{sid}/connection/{cid}").json() == conn
        assert api.get(f"{API}/sessions/{sid}/connection").json() == {
            "numberOfElements": 1,
            "content": [conn],
        }
        listed = api.get(f"{API}/sessions/{sid}/connection?pendingConnections=false").json()
        assert listed == {"numberOfElements": 0, "content": []}
        assert api.get(f"{API}/sessions/{sid}").json()["connections"]["numberOfElements"] == 0
        assert api.get(f"{API}/sessions/{sid}?pendingConnections=true").json()["connections"]["content"] == [
            conn
        ]
        patched = api.patch(
            f"{API}/sessions/{sid}/connection/{cid}", json={"role": "SUBSCRIBER", "record": True}
        )
        assert patched.status_code == 200
        assert (patched.json()["role"], patched.json()["record"]) == ("SUBSCRIBER", True)
        assert api.get(f"{API}/sessions/{sid}/connection/{cid}").json()["role"] == "SUBSCRIBER"
        assert (
            api.patch(f"{API}/sessions/{sid}/connection/con_Nope", json={"role": "PUBLISHER"}).status_code
            == 404
        )
        assert api.get(f"{API}/sessions/{sid}/connection/con_Nope").status_code == 404
        assert api.get(f"{API}/sessions/ses_Nope/connection/{cid}").status_code == 400
        assert api.delete(f"{API}/sessions/{sid}/connection/{cid}").status_code == 204
        assert api.delete(f"{API}/sessions/{sid}/connection/{cid}").status_code == 404
        assert api.delete(f"{API}/sessions/ses_Nope/connection/{cid}").status_code == 400
        assert api.post(f"{API}/sessions/ses_Nope/connection").status_code == 404
        bad = api.post(f"{API}/sessions/{sid}/connection", json={"role": "KING"})
        assert bad.status_code == 400 and bad.json()["message"] == "Parameter role KING is not defined"
        assert bad.json()["path"] == f"{API}/sessions/{sid}/connection"
        bad = api.post(f"{API}/sessions/{sid}/connection", json={"type": "IPCAM", "rtspUri": "ftp://x"})
        assert bad.status_code == 400 and "valid protocol" in bad.json()["message"]
        api.delete(f"{API}/sessions/{sid}")


def test_deprecated_tokens(server: ServerProcess) -> None:
    with server.client() as api:
        sid = api.post(f"{API}/sessions").json()["id"]
        resp = api.post(
            f"{API}/tokens", json={"session": sid, "role": "SUBSCRIBER", "data": "x", "record": False}
        )
        assert resp.status_code == 200
        token = resp.json()
        assert list(token) == ["id", "token", "createdAt", "connectionId", "session", "data", "role"]
        assert token["id"] == token["token"] and CON_ID.fullmatch(token["connectionId"])
        pending = api.get(f"{API}/sessions/{sid}/connection/{token['connectionId']}").json()
        assert pending["record"] is True  # 2.32 drops "record" from the tokens body
        missing = api.post(f"{API}/tokens", json={"session": "ses_Nope"})
        assert missing.status_code == 404 and missing.json()["message"] == "Session ses_Nope not found"
        assert api.post(f"{API}/tokens", json={}).json()["message"] == '"session" parameter is mandatory'
        api.delete(f"{API}/sessions/{sid}")


def test_signal_statuses_without_participants(server: ServerProcess) -> None:
    with server.client() as api:
        sid = api.post(f"{API}/sessions").json()["id"]
        assert api.post(f"{API}/signal", json={"session": "ses_Nope"}).status_code == 404
        assert api.post(f"{API}/signal", json={"session": sid}).status_code == 406  # not active yet
        assert api.post(f"{API}/signal", json={"session": sid, "to": "x"}).json()["message"] == (
            "Type error in some parameter"
        )
        assert api.post(f"{API}/signal", json={}).json()["message"] == '"session" parameter is mandatory'
        api.delete(f"{API}/sessions/{sid}")


def test_config_and_subpaths(server: ServerProcess) -> None:
    with server.client() as api:
        config = api.get(f"{API}/config").json()
        assert config["OPENVIDU_RECORDING"] is False and config["OPENVIDU_CDR"] is False
        assert config["OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH"] == 1000
        assert config["HTTPS_PORT"] == server.port
        assert "OPENVIDU_RECORDING_PATH" not in config and "OPENVIDU_WEBHOOK_ENDPOINT" not in config
        assert api.get(f"{API}/config/openvidu-recording").text == "false"
        assert api.get(f"{API}/config/openvidu-cdr").text == "false"
        assert api.get(f"{API}/config/openvidu-version").text == config["VERSION"]
        assert api.get("/openvidu/cdr").json() == api.get("/cdr").json()


def test_recordings_and_stt_answer_501_when_disabled(server: ServerProcess) -> None:
    with server.client() as api:
        assert api.post(f"{API}/recordings/start", json={"session": "s"}).status_code == 501
        assert api.post(f"{API}/recordings/stop/r").status_code == 501
        assert api.get(f"{API}/recordings").status_code == 501
        assert api.get(f"{API}/recordings/r").status_code == 501
        assert api.delete(f"{API}/recordings/r").status_code == 501
        assert api.post(f"{API}/speech-to-text/load", json={"lang": "en-US"}).status_code == 501


def test_recording_and_layout_files(tmp_path: Path) -> None:
    recordings, layouts = tmp_path / "recordings", tmp_path / "layouts"
    (recordings / "rec-1").mkdir(parents=True)
    (recordings / "rec-1" / "rec-1.webm").write_bytes(b"webm-bytes")
    (layouts / "grid").mkdir(parents=True)
    (layouts / "grid" / "index.html").write_text("<html>grid</html>")
    settings = {
        "openvidu.recording.path": str(recordings),
        "openvidu.recording.custom-layout": str(layouts),
        "openvidu.recording.public-access": True,
    }
    with ServerProcess(settings) as proc, proc.client(auth=False) as anon, proc.client() as api:
        assert anon.get("/openvidu/recordings/rec-1/rec-1.webm").content == b"webm-bytes"  # public access
        assert anon.get("/openvidu/recordings/rec-1/missing.webm").status_code == 404
        assert anon.get("/openvidu/layouts/grid/index.html").status_code == 401
        assert api.get("/openvidu/layouts/grid/index.html").text == "<html>grid</html>"
