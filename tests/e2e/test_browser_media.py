"""openvidu-browser 2.10, 2.11 and 2.32 in headless Chromium against the real server and real minikms processes.

Run inside a loopback-only network namespace (media moves):
    unshare -n sh -c 'ip link set lo up && python3 -m pytest tests/e2e/test_browser_media.py -x -q'
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser_fixtures import (
    MEDIA_TIMEOUT,
    close_pages,
    hosting_uri,
    join,
    media_server_stack,
    new_session,
    new_token,
    wait_event,
    wait_remote_playing,
)
from tests.support.browser import Browser, Page, StaticServer
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.media]

EVENT_TIMEOUT = 30.0


def events_of(page: Page, event_type: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.eval(f"ovEventsOf({event_type!r})")
    return result


@pytest.mark.parametrize("version", ["2.10", "2.11", "2.32"])
def test_two_participants_call(browser: Browser, pages: StaticServer, tmp_path: Path, version: str) -> None:
    cdr_dir = tmp_path / "cdr"
    with (
        WebhookReceiver() as hook,
        media_server_stack(
            {
                "openvidu.cdr": True,
                "openvidu.cdr.path": str(cdr_dir),
                "openvidu.webhook": True,
                "openvidu.webhook.endpoint": hook.url,
                "openvidu.webhook.headers": ["X-Test: yes"],
            }
        ) as (server, _kms),
    ):
        sid = new_session(server)
        a = browser.open(pages.page_url(version))
        b = browser.open(pages.page_url(version))
        try:
            ca = join(a, new_token(server, sid, data="srv-a"), '{"name":"ann"}')
            cb = join(b, new_token(server, sid), '{"name":"bob"}')
            stream_a = a.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            stream_b = b.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            assert stream_a.startswith(ca + "_CAMERA_") and stream_b.startswith(cb + "_CAMERA_")
            played_a = wait_remote_playing(a, 1)
            played_b = wait_remote_playing(b, 1)
            assert [v["streamId"] for v in played_a] == [stream_b]
            assert [v["streamId"] for v in played_b] == [stream_a]
            assert (
                wait_event(b, "connectionCreated", f"e.connectionId === {ca!r}")["data"]
                == '{"name":"ann"}%/%srv-a'
            )

            # REST shows the live call
            with server.client() as http:
                listed = http.get("/api/sessions").json()
            session = next(s for s in listed["content"] if s["sessionId"] == sid)
            conns = {c["connectionId"]: c for c in session["connections"]["content"]}
            assert set(conns) == {ca, cb}
            assert conns[ca]["publishers"][0]["streamId"] == stream_a
            assert conns[ca]["publishers"][0]["mediaOptions"]["hasVideo"] is True
            assert [s["streamId"] for s in conns[ca]["subscribers"]] == [stream_b]
            assert [s["streamId"] for s in conns[cb]["subscribers"]] == [stream_a]
            assert conns[ca]["serverData"] == "srv-a"

            # signals: to everybody (sender included), then to one chosen connection
            a.eval("ovSignal('hello all', 'chat', null)")
            for page in (a, b):
                got = wait_event(page, "signal", "e.data === 'hello all'")
                assert got["from"] == ca and got["signalType"] == "signal:chat"
            b.eval(f"ovSignal('for ann', 'private', [{ca!r}])")
            assert wait_event(a, "signal", "e.data === 'for ann'")["from"] == cb
            a.eval(f"ovSignal('to myself', 'note', [{ca!r}])")
            wait_event(a, "signal", "e.data === 'to myself'")
            assert not [e for e in events_of(b, "signal") if e["data"] in ("for ann", "to myself")]

            # mute reaches the other side as streamPropertyChanged
            a.eval("ovSetAudio(false)")
            changed = wait_event(b, "streamPropertyChanged", "e.changedProperty === 'audioActive'")
            assert changed["newValue"] in (False, "false") and changed["reason"] == "publishAudio"

            # unpublish reaches the other side as streamDestroyed(unpublish)
            a.eval("ovUnpublish()")
            destroyed = wait_event(b, "streamDestroyed", f"e.streamId === {stream_a!r}")
            assert destroyed["reason"] == "unpublish"

            # REST force-disconnect: the evicted page is disconnected, the other sees the connection go
            with server.client() as http:
                assert http.delete(f"/api/sessions/{sid}/connection/{cb}").status_code == 204
            assert wait_event(b, "sessionDisconnected")["reason"] == "forceDisconnectByServer"
            gone = wait_event(a, "connectionDestroyed", f"e.connectionId === {cb!r}")
            assert gone["reason"] == "forceDisconnectByServer"
            assert (
                wait_event(a, "streamDestroyed", f"e.streamId === {stream_b!r}")["reason"]
                == "forceDisconnectByServer"
            )

            # the last participant leaving closes the session
            a.eval("ovLeave()")
            deadline = time.monotonic() + EVENT_TIMEOUT
            status = 200
            while time.monotonic() < deadline and status != 404:
                with server.client() as http:
                    status = http.get(f"/api/sessions/{sid}").status_code
                time.sleep(0.2)
            assert status == 404
            assert a.errors == [] and b.errors == [], a.log_text() + b.log_text()
        finally:
            close_pages(a, b)
        hooked = hook.wait_for(lambda ev: any(e["event"] == "sessionDestroyed" for e in ev))
        assert all(r["headers"].get("X-Test") == "yes" for r in hook.received)
    cdr_files = list(cdr_dir.iterdir())
    assert len(cdr_files) == 1
    cdr = [json.loads(line) for line in cdr_files[0].read_text().splitlines()]
    names = [next(iter(entry)) for entry in cdr]
    assert [e["event"] for e in hooked] == names  # same events, same order
    assert names[0] == "sessionCreated" and names[-1] == "sessionDestroyed"
    assert names.count("participantJoined") == 2 and names.count("participantLeft") == 2
    assert names.count("webrtcConnectionCreated") == 4  # two publishers, two subscribers
    assert names.count("webrtcConnectionDestroyed") == 4
    props = [entry[name] for entry, name in zip(cdr, names, strict=True)]
    assert props[-1]["reason"] == "lastParticipantLeft"
    outbound = [
        p
        for p, n in zip(props, names, strict=True)
        if n == "webrtcConnectionCreated" and p["connection"] == "OUTBOUND"
    ]
    assert {p["streamId"] for p in outbound} == {stream_a, stream_b}
    assert json.loads(outbound[0]["videoDimensions"])["width"] > 0
    left = {
        p["participantId"]: p["reason"] for p, n in zip(props, names, strict=True) if n == "participantLeft"
    }
    assert left == {cb: "forceDisconnectByServer", ca: "disconnect"}


def test_mixed_versions_see_each_other(browser: Browser, pages: StaticServer) -> None:
    with media_server_stack() as (server, _kms):
        sid = new_session(server)
        old = browser.open(pages.page_url("2.10"))
        new = browser.open(pages.page_url("2.32"))
        try:
            c_old = join(old, new_token(server, sid), "old")
            c_new = join(new, new_token(server, sid), "new")
            s_old = old.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            s_new = new.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            assert [v["streamId"] for v in wait_remote_playing(old, 1)] == [s_new]
            assert [v["streamId"] for v in wait_remote_playing(new, 1)] == [s_old]
            new.eval("ovSignal('from 2.32', 'x', null)")
            assert wait_event(old, "signal", "e.data === 'from 2.32'")["from"] == c_new
            old.eval("ovLeave()")
            assert (
                wait_event(new, "connectionDestroyed", f"e.connectionId === {c_old!r}")["reason"]
                == "disconnect"
            )
        finally:
            close_pages(old, new)


def test_media_server_killed_mid_call(browser: Browser, pages: StaticServer) -> None:
    with media_server_stack({"kms.reconnect-window": 1.0}, kms_count=2) as (server, kmss):
        sid = new_session(server)
        a = browser.open(pages.page_url("2.10"))
        b = browser.open(pages.page_url("2.32"))
        try:
            join(a, new_token(server, sid), "a")
            join(b, new_token(server, sid), "b")
            a.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            wait_remote_playing(b, 1)
            host = hosting_uri(server, sid)
            doomed = next(k for k in kmss if k.uri == host)
            survivor = next(k for k in kmss if k.uri != host)
            doomed.kill()
            for page in (a, b):
                assert wait_event(page, "sessionDisconnected")["reason"] == "mediaServerDisconnect"
            with server.client() as http:
                assert http.get(f"/api/sessions/{sid}").status_code == 404
            # the server keeps serving; a new call lands on the surviving media server
            sid2 = new_session(server)
            a2 = browser.open(pages.page_url("2.10"))
            b2 = browser.open(pages.page_url("2.10"))
            try:
                join(a2, new_token(server, sid2), "a2")
                join(b2, new_token(server, sid2), "b2")
                assert hosting_uri(server, sid2) == survivor.uri
                stream = a2.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
                assert [v["streamId"] for v in wait_remote_playing(b2, 1)] == [stream]
            finally:
                close_pages(a2, b2)
        finally:
            close_pages(a, b)


def test_websocket_reconnection_keeps_the_call(browser: Browser, pages: StaticServer) -> None:
    """A 2.32 client whose pings time out re-opens the socket and re-binds its JSON-RPC session (``connect``)."""
    with media_server_stack() as (server, _kms):
        assert server.proc is not None
        sid = new_session(server)
        new = browser.open(pages.page_url("2.32"))
        old = browser.open(pages.page_url("2.10"))
        try:
            c_new = join(new, new_token(server, sid), "new")
            join(old, new_token(server, sid), "old")
            stream = new.eval("ovPublish()", timeout=MEDIA_TIMEOUT)
            wait_remote_playing(old, 1)
            os.kill(server.proc.pid, signal.SIGSTOP)  # the server freezes longer than the 2.32 ping timeout
            try:
                wait_event(new, "reconnecting")
            finally:
                os.kill(server.proc.pid, signal.SIGCONT)
            wait_event(new, "reconnected")
            new.eval("ovSignal('after reconnection', 'x', null)")
            assert wait_event(old, "signal", "e.data === 'after reconnection'")["from"] == c_new
            assert [v["streamId"] for v in wait_remote_playing(old, 1)] == [stream]
            assert events_of(old, "connectionDestroyed") == [] and events_of(new, "sessionDisconnected") == []
        finally:
            close_pages(new, old)
