"""The 2.32 Pro media-node API (/openvidu/api/media-nodes), health and restart against real minikms processes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.support.participants import join, participants, rest
from tests.support.polling import wait_for
from tests.support.procs import MinikmsProcess
from tests.support.server import ServerProcess

NODES = "/openvidu/api/media-nodes"
FAST_KMS = {"kms.ping-interval": 0.5, "kms.ping-timeout": 1.0, "kms.reconnect-window": 2.0}


def cluster(kms: list[MinikmsProcess], tmp_path: Path, **overrides: Any) -> ServerProcess:
    settings: dict[str, Any] = {
        "kms.uris": [k.uri for k in kms],
        "openvidu.pro.cluster": True,
        "openvidu.pro.cluster.load.strategy": "sessions",
        "openvidu.pro.stats.monitoring-interval": 0,
        "openvidu.pro.stats.webrtc-interval": 0,
        **FAST_KMS,
        **overrides,
    }
    state = tmp_path / f"state-{time.monotonic_ns()}"
    state.mkdir()
    return ServerProcess(settings, state_dir=state)


def nodes(server: ServerProcess, query: str = "") -> list[dict[str, Any]]:
    response = rest(server, "GET", NODES + query)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["numberOfElements"] == len(body["content"])
    return list(body["content"])


async def test_media_nodes_objects_and_deletion_strategies(
    kms_pair: list[MinikmsProcess], tmp_path: Path
) -> None:
    with cluster(kms_pair, tmp_path) as server:
        listed = nodes(server)
        assert [n["uri"] for n in listed] == [k.uri for k in kms_pair]
        for node in listed:
            assert list(node) == [
                "id", "object", "environmentId", "ip", "uri", "launchingTime", "connected", "connectionTime",
                "load", "status",
            ]  # fmt: skip
            assert (node["object"], node["status"], node["connected"]) == ("mediaNode", "running", True)
            assert isinstance(node["load"], float) and isinstance(node["launchingTime"], int)
        first, second = listed[0]["id"], listed[1]["id"]
        # the same nodes through the 2.11 Pro API
        assert [m["id"] for m in rest(server, "GET", "/pro/media-servers").json()["content"]] == [
            first,
            second,
        ]
        assert rest(server, "GET", f"{NODES}/nope").status_code == 404
        extra = rest(server, "GET", f"{NODES}/{first}?extra-info=true&recordings=true").json()
        assert extra["kurentoInfo"]["version"] and extra["recordingIds"] == [] and extra["broadcasts"] == []

        async with participants() as clients:
            clients.append(await join(server))
            clients.append(await join(server))
            hosted = {n["id"]: [s["id"] for s in n["sessions"]] for n in nodes(server, "?sessions=true")}
            assert len(hosted[first]) == 1 and len(hosted[second]) == 1
            session_on_second = hosted[second][0]
            assert rest(server, "DELETE", f"{NODES}/{second}").status_code == 409  # if-no-sessions
            bad = rest(server, "DELETE", f"{NODES}/{second}?deletion-strategy=later")
            assert bad.status_code == 400
            waiting = rest(server, "DELETE", f"{NODES}/{second}?deletion-strategy=when-no-sessions")
            assert waiting.status_code == 202 and waiting.json()["status"] == "waiting-idle-to-terminate"
            # new sessions avoid the node waiting to terminate
            clients.append(await join(server))
            clients.append(await join(server))
            hosted = {n["id"]: [s["id"] for s in n["sessions"]] for n in nodes(server, "?sessions=true")}
            assert hosted[second] == [session_on_second] and len(hosted[first]) == 3
            # PATCH back to running, then again to waiting
            back = rest(server, "PATCH", f"{NODES}/{second}", {"status": "running"})
            assert back.status_code == 200 and back.json()["status"] == "running"
            assert rest(server, "PATCH", f"{NODES}/{second}", {"status": "running"}).status_code == 204
            assert rest(server, "PATCH", f"{NODES}/{second}", {"status": "launching"}).status_code == 400
            again = rest(server, "PATCH", f"{NODES}/{second}", {"status": "waiting-idle-to-terminate"})
            assert again.status_code == 200 and again.json()["status"] == "waiting-idle-to-terminate"
            # its last session closes: the node goes
            assert rest(server, "DELETE", f"/openvidu/api/sessions/{session_on_second}").status_code == 204
            wait_for(lambda: rest(server, "GET", f"{NODES}/{second}").status_code == 404, what="node removal")
            assert [n["id"] for n in nodes(server)] == [first]

            # PUT autodiscovers the kms.uris entry that is not in the cluster any more
            found = rest(server, "PUT", NODES).json()
            assert [n["uri"] for n in found["content"]] == [kms_pair[1].uri] and found[
                "numberOfElements"
            ] == 1
            assert rest(server, "PUT", NODES).json() == {"numberOfElements": 0, "content": []}
            rediscovered = found["content"][0]["id"]

            # deletion-strategy=now closes the sessions hosted there
            now = rest(server, "DELETE", f"{NODES}/{first}?deletion-strategy=now&wait=true")
            assert now.status_code == 204
            assert [n["id"] for n in nodes(server)] == [rediscovered]
            assert rest(server, "GET", "/openvidu/api/sessions").json()["numberOfElements"] == 0

        added = rest(server, "POST", NODES, {"uri": kms_pair[0].uri, "environmentId": "onprem-1"})
        assert added.status_code == 200
        assert (added.json()["environmentId"], added.json()["status"]) == ("onprem-1", "running")
        assert rest(server, "POST", NODES, {"uri": kms_pair[0].uri}).status_code == 409
        assert rest(server, "POST", NODES, {}).status_code == 501
        assert rest(server, "POST", NODES, {"uri": "ws://127.0.0.1:1/kurento"}).status_code == 404
        assert rest(server, "POST", NODES, {"uri": 3}).status_code == 400


def test_health_up_unstable_down(kms_pair: list[MinikmsProcess], tmp_path: Path) -> None:
    with cluster(kms_pair, tmp_path) as server:
        response = rest(server, "GET", "/openvidu/api/health")
        assert (response.status_code, response.json()) == (
            200,
            {"status": "UP", "disconnectedMediaNodes": []},
        )
        ids = [n["id"] for n in nodes(server)]
        kms_pair[1].kill()
        wait_for(lambda: rest(server, "GET", "/openvidu/api/health").status_code == 409, what="UNSTABLE")
        assert rest(server, "GET", "/openvidu/api/health").json() == {
            "status": "UNSTABLE",
            "disconnectedMediaNodes": [ids[1]],
        }
        kms_pair[0].kill()
        wait_for(lambda: rest(server, "GET", "/openvidu/api/health").status_code == 503, what="DOWN")
        assert rest(server, "GET", "/openvidu/api/health").json()["status"] == "DOWN"
        with server.client(auth=False) as anon:
            assert anon.get("/openvidu/api/health").status_code == 401


def test_restart_with_openvidu_keys(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    with ServerProcess({"openvidu.pro.stats.monitoring-interval": 0}, state_dir=state) as server:
        bad = rest(server, "POST", "/openvidu/api/restart", {"OPENVIDU_SECRET": "x"})
        assert bad.status_code == 400 and "'OPENVIDU_SECRET'" in bad.json()["message"]
        assert bad.json()["path"] == "/openvidu/api/restart"
        wrong = rest(server, "POST", "/openvidu/api/restart", {"OPENVIDU_CDR": "maybe"})
        assert wrong.status_code == 400 and "'OPENVIDU_CDR'" in wrong.json()["message"]
        ok = rest(server, "POST", "/openvidu/api/restart", {"OPENVIDU_CDR": True})
        assert ok.status_code == 200, ok.text
        wait_for(
            lambda: (
                "openvidu.cdr" in (state / "overrides.yaml").read_text(errors="replace")
                if (state / "overrides.yaml").exists()
                else False
            ),
            what="persisted override",
        )

        def applied() -> bool:
            try:
                return bool(rest(server, "GET", "/openvidu/api/config").json()["OPENVIDU_CDR"])
            except Exception:
                return False  # the server is re-executing itself

        wait_for(applied, timeout=30.0, what="restarted server with OPENVIDU_CDR=true")
