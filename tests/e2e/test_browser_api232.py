"""openvidu-browser 2.32.2 in headless Chromium with connections made through /openvidu/api.

Two pages join with the tokens of ``POST /openvidu/api/sessions/<id>/connection``, publish and play each other;
the pending connections turn active (same ``con_`` ids) with their publishers in ``GET /openvidu/api/sessions``;
``PATCH`` to SUBSCRIBER reaches the page and stops it from publishing; REST signals reach the pages.

Run inside a loopback-only network namespace (media moves):
    unshare -n sh -c 'ip link set lo up && python3 -m pytest tests/e2e/test_browser_api232.py -x -q'
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

import pytest

from tests.e2e.browser_fixtures import (
    MEDIA_TIMEOUT,
    join,
    media_server_stack,
    wait_event,
    wait_remote_playing,
)
from tests.support.browser import Browser, StaticServer
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.media]

API = "/openvidu/api"
STREAM_ID = re.compile(r"str_CAM_[A-Z][A-Za-z0-9]{3}_(con_[A-Z][A-Za-z0-9]{9})")


def connections(server: ServerProcess, sid: str, query: str = "") -> dict[str, dict[str, Any]]:
    with server.client() as api:
        resp = api.get(f"{API}/sessions/{sid}{query}")
    assert resp.status_code == 200, resp.text
    return {c["id"]: c for c in resp.json()["connections"]["content"]}


def test_browser_232_with_connection_api(browser: Browser, pages: StaticServer) -> None:
    with media_server_stack() as (server, _kms):
        with server.client() as api:
            sid = api.post(f"{API}/sessions").json()["id"]
            con_a = api.post(f"{API}/sessions/{sid}/connection", json={"data": "srv-a"}).json()
            con_b = api.post(
                f"{API}/sessions/{sid}/connection", json={"role": "PUBLISHER", "record": False}
            ).json()
        assert connections(server, sid) == {}
        assert set(connections(server, sid, "?pendingConnections=true")) == {con_a["id"], con_b["id"]}
        a = browser.open(pages.page_url("2.32"))
        b = browser.open(pages.page_url("2.32"))
        try:
            assert join(a, con_a["token"], '{"name":"ann"}') == con_a["id"]
            assert join(b, con_b["token"], '{"name":"bob"}') == con_b["id"]
            stream_a = a.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            stream_b = b.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            assert STREAM_ID.fullmatch(stream_a)[1] == con_a["id"]  # type: ignore[index]
            assert STREAM_ID.fullmatch(stream_b)[1] == con_b["id"]  # type: ignore[index]
            assert [v["streamId"] for v in wait_remote_playing(a, 1)] == [stream_b]
            assert [v["streamId"] for v in wait_remote_playing(b, 1)] == [stream_a]
            assert wait_event(b, "connectionCreated", f"e.connectionId === {con_a['id']!r}")["data"] == (
                '{"name":"ann"}%/%srv-a'
            )

            # The pending connections are active now, with their publishers and subscribers.
            live = connections(server, sid)
            assert set(live) == {con_a["id"], con_b["id"]}
            ca, cb = live[con_a["id"]], live[con_b["id"]]
            for raw, pending in ((ca, con_a), (cb, con_b)):
                assert raw["status"] == "active" and raw["token"] == pending["token"]
                assert raw["createdAt"] == pending["createdAt"] and raw["activeAt"] >= raw["createdAt"]
                assert raw["platform"] and raw["location"] and raw["type"] == "WEBRTC"
            assert (ca["clientData"], ca["serverData"], cb["record"]) == ('{"name":"ann"}', "srv-a", False)
            assert [p["streamId"] for p in ca["publishers"]] == [stream_a]
            assert ca["publishers"][0]["mediaOptions"]["hasVideo"] is True
            assert [s["streamId"] for s in ca["subscribers"]] == [stream_b]
            assert [s["streamId"] for s in cb["subscribers"]] == [stream_a]
            with server.client() as api:
                assert api.get(f"/api/sessions/{sid}").json()["sessionId"] == sid  # seen through 2.11 too
                stats = api.get(f"{API}/sessions/{sid}/connection/{con_a['id']}").json()
                assert stats["publishers"][0]["streamId"] == stream_a
            with_stats = connections(server, sid, "?webRtcStats=true")[con_a["id"]]["publishers"][0]
            assert with_stats["remoteSdp"].startswith("v=0") and with_stats["webrtcEndpointName"]

            # REST signals reach the pages: to everybody (no "from"), then to one connection.
            with server.client() as api:
                sent = api.post(f"{API}/signal", json={"session": sid, "type": "signal:note", "data": "all"})
                assert sent.status_code == 200
                sent = api.post(f"{API}/signal", json={"session": sid, "to": [con_b["id"]], "data": "only-b"})
                assert sent.status_code == 200
                bad = api.post(f"{API}/signal", json={"session": sid, "to": ["con_Nope"]})
                assert bad.status_code == 406
            for page in (a, b):
                got = wait_event(page, "signal", "e.data === 'all'")
                assert got["from"] is None and got["signalType"] == "signal:note"
            wait_event(b, "signal", "e.data === 'only-b'")
            assert not [e for e in a.eval("ovEventsOf('signal')") if e["data"] == "only-b"]

            # PATCH to SUBSCRIBER: the page is told, and publishing again is refused.
            with server.client() as api:
                patched = api.patch(
                    f"{API}/sessions/{sid}/connection/{con_b['id']}", json={"role": "SUBSCRIBER"}
                )
            assert patched.status_code == 200 and patched.json()["role"] == "SUBSCRIBER"
            changed = wait_event(b, "connectionPropertyChanged")
            assert (changed["property"], changed["newValue"]) == ("role", "SUBSCRIBER")
            b.eval("ovUnpublish()")
            wait_event(a, "streamDestroyed", f"e.streamId === {stream_b!r}")
            with pytest.raises(Exception, match="publish failed"):
                b.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            assert "OPENVIDU_PERMISSION_DENIED" in b.eval("ovErrors.join(' | ')")  # the role reached the page
            assert connections(server, sid)[con_b["id"]]["publishers"] == []

            # DELETE the active connection: the page is evicted.
            with server.client() as api:
                assert api.delete(f"{API}/sessions/{sid}/connection/{con_b['id']}").status_code == 204
            wait_event(b, "sessionDisconnected", "e.reason === 'forceDisconnectByServer'")
            assert set(connections(server, sid)) == {con_a["id"]}
        finally:
            for page in (a, b):
                with contextlib.suppress(Exception):
                    page.close()
