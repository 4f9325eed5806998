"""The official openvidu-node-client (2.10.0 and 2.11.0) against a real server over HTTPS.

Each result the client returns is compared with spec §4, and the raw JSON the server sent is checked as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support.node import node_available, run_node_json
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

SECRET = "NodeClientSecret"
NODE_TIMEOUT = 90.0
CLIENTS = ["openvidu-node-client", "openvidu-node-client-2.11"]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    if not node_available():
        pytest.fail("node and tests/e2e/node/node_modules are required for the e2e tests")
    with ServerProcess({"openvidu.secret": SECRET}) as proc:
        yield proc


@pytest.mark.parametrize("package", CLIENTS)
def test_node_client_session_and_token_cycle(server: ServerProcess, package: str) -> None:
    with server.client() as api:
        # Start from a clean server: the script uses a fixed customSessionId.
        api.delete("/api/sessions/node-all-props")
        out = run_node_json(
            "node_client.js",
            f"https://127.0.0.1:{server.port}",
            SECRET,
            package,
            env={"NODE_TLS_REJECT_UNAUTHORIZED": "0"},
            timeout=NODE_TIMEOUT,
        )

        assert out["created"]["sessionId"] == "node-all-props"
        assert isinstance(out["created"]["createdAt"], int)
        # 409 for the second creation: resolved with the custom id, no createdAt.
        assert out["createdAgain"] == {"sessionId": "node-all-props", "createdAt": None}
        assert re.fullmatch(r"[a-z0-9]{16}", out["plain"]["sessionId"])

        prefix = rf"wss://localhost:{server.port}\?sessionId=node-all-props&token=[a-z0-9]{{16}}"
        for item in out["tokens"]:
            assert re.fullmatch(rf"{prefix}&role={item['role']}&version=2\.11\.0", item["token"]), item
        assert re.fullmatch(
            rf"wss://localhost:{server.port}\?sessionId={out['plain']['sessionId']}&token=[a-z0-9]{{16}}"
            r"&role=PUBLISHER&version=2\.11\.0",
            out["defaultToken"],
        )
        assert out["kurentoToken"].endswith("&role=PUBLISHER&version=2.11.0")
        assert len({t["token"] for t in out["tokens"]} | {out["kurentoToken"]}) == 4

        fetched = out["fetched"]
        assert fetched == {
            "sessionId": "node-all-props",
            "createdAt": out["created"]["createdAt"],
            "recording": False,
            "properties": {
                "mediaMode": "ROUTED",
                "recordingMode": "ALWAYS",
                "defaultOutputMode": "COMPOSED",
                "defaultRecordingLayout": "CUSTOM",
                "customSessionId": "node-all-props",
                "defaultCustomLayout": "my-layout",
            },
            "activeConnections": 0,
        }
        # The client keeps both objects of the 409 path in activeSessions; fetch() refreshed the first one.
        listed = [s for s in out["listed"] if s["sessionId"] == "node-all-props"]
        assert fetched in listed
        assert out["plain"]["sessionId"] in {s["sessionId"] for s in out["listed"]}
        assert set(out["fetchWebRtc"]["sessions"]) >= {"node-all-props", out["plain"]["sessionId"]}

        # Never-joined session: 404 for force-disconnect/unpublish (spec §3.5/§3.6).
        assert out["forceDisconnectNeverJoined"] == "404"
        assert out["forceUnpublishNeverJoined"] == "404"
        assert out["closePlain"] == "resolved"
        assert out["closePlainAgain"] == "404"
        assert out["tokenAfterClose"] == "404"
        assert out["fetchAfterClose"] == "404"
        assert out["plain"]["sessionId"] not in out["activeAfterClose"]
        assert out["wrongSecret"] == "401"

        # The raw JSON behind what the client parsed (spec §4.1): exact keys, order and number types.
        raw = api.get("/api/sessions/node-all-props")
        assert raw.status_code == 200
        assert raw.text == (
            '{"sessionId":"node-all-props","createdAt":' + str(out["created"]["createdAt"]) + ","
            '"mediaMode":"ROUTED","recordingMode":"ALWAYS",'
            '"defaultOutputMode":"COMPOSED","defaultRecordingLayout":"CUSTOM","defaultCustomLayout":"my-layout",'
            '"customSessionId":"node-all-props","connections":{"numberOfElements":0,"content":[]},'
            '"recording":false}'
        )
        # The tokens the client got are really in the session: a fresh one is still unique.
        token = api.post("/api/tokens", json={"session": "node-all-props", "kurentoOptions": {}}).json()
        assert token["kurentoOptions"] == {}
        assert token["token"] not in {t["token"] for t in out["tokens"]}
        assert api.delete("/api/sessions/node-all-props").status_code == 204
