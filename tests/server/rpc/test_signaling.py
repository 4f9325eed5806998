"""Signaling over the real /openvidu websocket (TLS) of a real server process with a real minikms.

No media moves here (nobody publishes), so these run without a network namespace; the browser tests in
tests/e2e cover publishing and subscribing with real media.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.support.participants import publish_params
from tests.support.procs import MinikmsProcess
from tests.support.rpc_client import RpcClient, RpcFailure
from tests.support.server import ServerProcess
from tests.support.webhook_receiver import WebhookReceiver

RECONNECT_WINDOW = 1.5
PING_TIMEOUT = 2.0
KMS_RECONNECT_WINDOW = 1.0
NO_ANSWER_WAIT = 1.5
EVENT_TIMEOUT = 15.0


@pytest.fixture(scope="module")
def server(kms: MinikmsProcess) -> Iterator[ServerProcess]:
    overrides = {
        "kms.uris": [kms.uri],
        "openvidu.rpc.reconnect-window": RECONNECT_WINDOW,
        "openvidu.rpc.ping-timeout": PING_TIMEOUT,
    }
    with ServerProcess(overrides) as srv:
        yield srv


def ws_url(server: ServerProcess) -> str:
    return server.url.replace("https://", "wss://") + "/openvidu"


def rest(server: ServerProcess, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    with server.client() as http:
        return http.request(method, path, json=body)


def new_session(server: ServerProcess) -> str:
    resp = rest(server, "POST", "/api/sessions", {})
    assert resp.status_code == 200
    return str(resp.json()["id"])


def token(server: ServerProcess, session_id: str, role: str = "PUBLISHER", data: str = "") -> str:
    resp = rest(server, "POST", "/api/tokens", {"session": session_id, "role": role, "data": data})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["token"])


class Clients:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.all: list[RpcClient] = []

    async def open(self, query: str = "", ping: bool = True) -> RpcClient:
        client = await RpcClient(ws_url(self.server) + query).open()
        self.all.append(client)
        if ping:
            await client.ping()
        return client

    async def joined(
        self, session_id: str, role: str = "PUBLISHER", metadata: str = "", data: str = ""
    ) -> tuple[RpcClient, dict[str, Any]]:
        client = await self.open()
        result = await client.join(token(self.server, session_id, role, data), session_id, metadata)
        return client, result


@pytest.fixture
async def clients(server: ServerProcess) -> AsyncIterator[Clients]:
    c = Clients(server)
    yield c
    for client in c.all:
        await client.close()


async def test_ping_and_join_shapes(server: ServerProcess, clients: Clients) -> None:
    sid = new_session(server)
    a = await clients.open("?sessionId=" + sid, ping=False)
    pong = await a.request("ping", {"interval": 5000})
    assert pong == {"jsonrpc": "2.0", "id": 0, "result": {"value": "pong"}}
    tok = token(server, sid, "PUBLISHER", data="server-data")
    result = await a.join(tok, sid, '{"name":"ann"}')
    assert result["metadata"] == '{"name":"ann"}%/%server-data'
    assert result["value"] == []
    assert isinstance(result["createdAt"], int)
    assert result["session"] == sid and result["role"] == "PUBLISHER" and result["mediaServer"] == "kurento"
    assert isinstance(result["sessionId"], str) and result["sessionId"]
    assert "_" not in result["id"] and len(result["id"]) == 16
    # the token is single use
    other = await clients.open()
    with pytest.raises(RpcFailure) as err:
        await other.join(tok, sid)
    assert err.value.code == 401
    _b, b_result = await clients.joined(sid, metadata="bob")
    assert [peer["id"] for peer in b_result["value"]] == [result["id"]]
    joined = await a.wait_notification("participantJoined")
    assert joined == {"id": b_result["id"], "createdAt": b_result["createdAt"], "metadata": "bob"}
    # 2.32 clients get their own version echoed (a parseable semver)
    c = await clients.open()
    c_result = await c.join(token(server, sid), sid, "", sdkVersion="2.32.2")
    assert c_result["version"] == "2.32.2"
    listed = rest(server, "GET", f"/api/sessions/{sid}").json()
    assert listed["connections"]["numberOfElements"] == 3


async def test_errors_before_join_and_bad_params(server: ServerProcess, clients: Clients) -> None:
    sid = new_session(server)
    a = await clients.open()
    msg = await a.request("sendMessage", {"message": "{}"})
    assert msg["error"]["code"] == 803
    # the "joinRoom first" check precedes the method lookup: even an unknown method is answered 803 here
    unknown = await a.request("noSuchMethod", {})
    assert unknown["error"]["code"] == 803
    assert "Method 'Session.connect()' must be the first operation" in unknown["error"]["message"]
    missing = await a.request("joinRoom", {"token": "x", "session": sid, "platform": "p"})
    assert missing["error"]["code"] == -1
    assert "'secret'" in missing["error"]["message"]
    # thrown exceptions are answered by Kurento's catch-all, not through the transaction: no sessionId
    assert set(missing["error"]) == {"code", "message", "data"}
    bad = await a.request(
        "joinRoom", {"token": "nope", "session": sid, "platform": "p", "secret": "", "metadata": ""}
    )
    assert bad["error"] == {"code": 401, "message": "Unable to join room. The user is not authorized"}
    ra = await a.join(token(server, sid), sid)
    with pytest.raises(TimeoutError):  # unknown methods are never answered
        await a.request("noSuchMethod", {}, timeout=NO_ANSWER_WAIT)
    assert await a.call(
        "videoData", {"height": 480, "width": 640, "videoActive": True, "audioActive": True}
    ) == {"sessionId": (await a.call("echo", {}))["sessionId"]}
    no_width = await a.request("videoData", {"height": 480, "videoActive": True, "audioActive": True})
    assert no_width["error"]["code"] == -1 and "'width'" in no_width["error"]["message"]
    # speech to text is Pro/Enterprise: CE 2.32 answers 997 through the transaction (with the sessionId)
    edition = {
        "code": 997,
        "message": "Speech To Text requires OpenVidu Pro/Enterprise edition",
        "sessionId": ra["sessionId"],
    }
    stt = await a.request("subscribeToSpeechToText", {"connectionId": ra["id"], "lang": "en-US"})
    assert stt["error"] == edition
    assert (await a.request("unsubscribeFromSpeechToText", {"connectionId": ra["id"]}))["error"] == edition
    no_lang = await a.request("subscribeToSpeechToText", {"connectionId": ra["id"]})
    assert no_lang["error"]["code"] == -1 and "'lang'" in no_lang["error"]["message"]


async def test_signals(server: ServerProcess, clients: Clients) -> None:
    sid = new_session(server)
    a, ra = await clients.joined(sid, metadata="a")
    b, rb = await clients.joined(sid, metadata="b")
    c, rc = await clients.joined(sid, metadata="c")
    await a.call("sendMessage", {"message": json.dumps({"to": [], "data": "all", "type": "signal:chat"})})
    for client in (a, b, c):
        note = await client.wait_notification("sendMessage", lambda prm: prm["data"] == "all")
        assert note == {"data": "all", "from": ra["id"], "type": "signal:chat"}
    await a.call(
        "sendMessage", {"message": json.dumps({"to": [rc["id"]], "data": "only-c", "type": "signal"})}
    )
    await c.wait_notification("sendMessage", lambda prm: prm["data"] == "only-c")
    await b.call("sendMessage", {"message": json.dumps({"to": [ra["id"]], "data": "sync", "type": "signal"})})
    await a.wait_notification("sendMessage", lambda prm: prm["data"] == "sync")
    assert not [n for n in b.notifications_of("sendMessage") if n["data"] == "only-c"]
    assert not [n for n in a.notifications_of("sendMessage") if n["data"] == "only-c"]
    unknown = await a.request("sendMessage", {"message": json.dumps({"to": ["nobody"], "data": "x"})})
    assert unknown["error"] == {
        "code": 601,
        "message": 'Signal "to" field invalid format: Connection [nobody] does not exist',
    }
    invalid = await a.request("sendMessage", {"message": "not json"})
    assert invalid["error"] == {
        "code": 600,
        "message": "Provided signal object 'not json' has not a valid JSON format",
    }
    assert rb["id"] != rc["id"]


async def test_roles_and_moderation(server: ServerProcess, clients: Clients) -> None:
    sid = new_session(server)
    sub, r_sub = await clients.joined(sid, role="SUBSCRIBER")
    pub, r_pub = await clients.joined(sid, role="PUBLISHER")
    mod, r_mod = await clients.joined(sid, role="MODERATOR")
    denied = await sub.request(
        "publishVideo", {"sdpOffer": "v=0", "hasAudio": True, "hasVideo": True, "doLoopback": False}
    )
    assert denied["error"]["code"] == 401
    # filter methods check the rights (moderator, or owner of the stream) before looking the stream up
    ghost_stream = "nobody_CAMERA_ABCDE"
    for method, extra in (
        ("applyFilter", {"type": "GStreamerFilter", "options": "{}"}),
        ("execFilterMethod", {"method": "setElementProperty", "params": "{}"}),
        ("removeFilter", {}),
        ("addFilterEventListener", {"eventType": "CodeFound"}),
        ("removeFilterEventListener", {"eventType": "CodeFound"}),
    ):
        no_rights = await pub.request(method, {"streamId": ghost_stream, **extra})
        assert no_rights["error"]["code"] == 401, (method, no_rights)
        not_found = await mod.request(method, {"streamId": ghost_stream, **extra})
        assert not_found["error"]["code"] == 102, (method, not_found)
        if method in ("applyFilter", "execFilterMethod", "removeFilter"):  # thrown: no sessionId
            assert not_found["error"] == {
                "code": 102,
                "message": f"Owner of stream '{ghost_stream}' not found in session '{sid}'",
            }
    not_mod = await pub.request("forceDisconnect", {"connectionId": r_sub["id"]})
    assert not_mod["error"]["code"] == 401
    unknown = await mod.request("forceDisconnect", {"connectionId": "nobody"})
    assert unknown["error"]["code"] == 102
    with pytest.raises(TimeoutError):  # forceUnpublish of an unknown stream is never answered
        await mod.request("forceUnpublish", {"streamId": "x_CAMERA_ABCDE"}, timeout=NO_ANSWER_WAIT)
    # Errors the original answers through its transaction (sendErrorResponse) carry the injected sessionId;
    # errors thrown to the Kurento handler do not. Texts are KurentoSessionManager's.
    not_streaming = await pub.request("unpublishVideo", {})
    assert not_streaming["error"] == {
        "code": 105,
        "message": f"Participant '{r_pub['id']}' is not streaming media",
        "sessionId": r_pub["sessionId"],
    }
    no_sender = await pub.request("receiveVideoFrom", {"sender": "nobody_CAMERA_ABCDE", "sdpOffer": "v=0"})
    assert no_sender["error"] == {
        "code": 102,
        "message": f"User 'nobody not found in session '{sid}'",
        "sessionId": r_pub["sessionId"],
    }
    idle_sender = await pub.request(
        "receiveVideoFrom", {"sender": f"{r_sub['id']}_CAMERA_ABCDE", "sdpOffer": "v=0"}
    )
    assert idle_sender["error"] == {
        "code": 105,
        "message": f"User '{r_sub['id']} not streaming media in session '{sid}'",
        "sessionId": r_pub["sessionId"],
    }
    no_unsub = await pub.request("unsubscribeFromVideo", {"sender": "nobody"})
    assert no_unsub["error"] == {"code": 102, "message": f"User nobody not found in session {sid}"}
    unknown_conn = await mod.request("forceDisconnect", {"connectionId": "nobody"})
    assert unknown_conn["error"] == {
        "code": 102,
        "message": "Connection not found when calling 'forceDisconnect'",
        "sessionId": r_mod["sessionId"],
    }
    await mod.call("forceDisconnect", {"connectionId": r_sub["id"]})
    left = await pub.wait_notification("participantLeft")
    assert left == {"connectionId": r_sub["id"], "reason": "forceDisconnectByUser"}
    evicted = await sub.wait_notification("participantEvicted")
    assert evicted == {"connectionId": r_sub["id"], "reason": "forceDisconnectByUser"}
    await pub.wait_notification("participantEvicted")
    await asyncio.wait_for(sub.closed.wait(), EVENT_TIMEOUT)
    # on the moderator's socket: participantLeft, then the answer, then participantEvicted
    order = [m.get("method", "response") for m in mod.raw if m.get("method") != "participantJoined"]
    assert order[-3:] == ["participantLeft", "response", "participantEvicted"], order
    session = rest(server, "GET", f"/api/sessions/{sid}").json()
    assert {c["connectionId"] for c in session["connections"]["content"]} == {r_pub["id"], r_mod["id"]}


async def test_reconnection_within_window_and_network_disconnect(
    server: ServerProcess, clients: Clients
) -> None:
    sid = new_session(server)
    a, ra = await clients.joined(sid, metadata="a")
    b, _rb = await clients.joined(sid, metadata="b")
    await a.abort()
    again = await clients.open("?sessionId=" + sid + "&reconnect=true")
    answer = await again.request("connect", {"sessionId": ra["sessionId"], "reconnect": True})
    assert answer["result"] == {"value": "reconnection successful", "sessionId": ra["sessionId"]}
    await again.call("sendMessage", {"message": json.dumps({"to": [], "data": "back"})})
    await b.wait_notification("sendMessage", lambda prm: prm["data"] == "back" and prm["from"] == ra["id"])
    assert b.notifications_of("participantLeft") == []
    unknown = await (await clients.open()).request("connect", {"sessionId": "no-such-session"})
    assert unknown["error"] == {"code": 40007, "message": "reconnection error"}
    # Dropped for longer than the window: evicted with networkDisconnect.
    await again.abort()
    left = await b.wait_notification("participantLeft", timeout=RECONNECT_WINDOW + EVENT_TIMEOUT)
    assert left == {"connectionId": ra["id"], "reason": "networkDisconnect"}
    evicted = await b.wait_notification("participantEvicted")
    assert evicted["reason"] == "networkDisconnect"
    late = await clients.open()
    refused = await late.request("connect", {"sessionId": ra["sessionId"]})
    assert refused["error"]["code"] == 40007


async def test_ping_watchdog_evicts_silent_client(server: ServerProcess, clients: Clients) -> None:
    sid = new_session(server)
    b, _ = await clients.joined(sid)
    silent = await RpcClient(ws_url(server)).open()
    clients.all.append(silent)
    await silent.ping(interval=1000)  # announces 1 s pings, then never pings again
    r_silent = await silent.join(token(server, sid), sid)
    keep_pinging = asyncio.create_task(_pinger(b))
    try:
        left = await b.wait_notification("participantLeft", timeout=EVENT_TIMEOUT)
    finally:
        keep_pinging.cancel()
    assert left == {"connectionId": r_silent["id"], "reason": "networkDisconnect"}
    await asyncio.wait_for(silent.closed.wait(), EVENT_TIMEOUT)


async def test_ping_watchdog_close_leaves_the_reconnection_window(
    server: ServerProcess, clients: Clients
) -> None:
    """The watchdog only closes the socket; the JSON-RPC session then waits the reconnection window like after
    any close, so the client can come back with connect {sessionId} and keep its participant."""
    sid = new_session(server)
    b, _ = await clients.joined(sid)
    silent = await RpcClient(ws_url(server)).open()
    clients.all.append(silent)
    await silent.ping(interval=500)  # announces 0.5 s pings, then never pings again
    r_silent = await silent.join(token(server, sid), sid)
    await asyncio.wait_for(silent.closed.wait(), EVENT_TIMEOUT)
    assert silent.close_reason == "Close for not receive ping from client"
    again = await clients.open("?sessionId=" + sid + "&reconnect=true")
    answer = await again.request("connect", {"sessionId": r_silent["sessionId"], "reconnect": True})
    assert answer["result"] == {"value": "reconnection successful", "sessionId": r_silent["sessionId"]}
    await again.call("sendMessage", {"message": json.dumps({"to": [], "data": "still here"})})
    await b.wait_notification("sendMessage", lambda prm: prm["from"] == r_silent["id"])
    assert b.notifications_of("participantLeft") == []


async def _pinger(client: RpcClient) -> None:
    while True:
        await client.ping(interval=None)
        await asyncio.sleep(0.3)


async def test_rest_evictions_and_last_participant(server: ServerProcess, clients: Clients) -> None:
    sid = new_session(server)
    a, ra = await clients.joined(sid)
    b, rb = await clients.joined(sid)
    assert rest(server, "DELETE", f"/api/sessions/{sid}/connection/{rb['id']}").status_code == 204
    assert await a.wait_notification("participantLeft") == {
        "connectionId": rb["id"],
        "reason": "forceDisconnectByServer",
    }
    assert (await b.wait_notification("participantEvicted"))["reason"] == "forceDisconnectByServer"
    await asyncio.wait_for(b.closed.wait(), EVENT_TIMEOUT)
    assert rest(server, "DELETE", f"/api/sessions/{sid}/connection/{rb['id']}").status_code == 404
    await a.call("leaveRoom", {})
    await asyncio.wait_for(a.closed.wait(), EVENT_TIMEOUT)
    assert rest(server, "GET", f"/api/sessions/{sid}").status_code == 404
    # DELETE of a live session evicts everybody with sessionClosedByServer
    sid2 = new_session(server)
    c, rc = await clients.joined(sid2)
    d, _rd = await clients.joined(sid2)
    assert rest(server, "DELETE", f"/api/sessions/{sid2}").status_code == 204
    assert (await c.wait_notification("participantEvicted", lambda prm: prm["connectionId"] == rc["id"]))[
        "reason"
    ] == "sessionClosedByServer"
    await asyncio.wait_for(d.closed.wait(), EVENT_TIMEOUT)
    assert rest(server, "GET", f"/api/sessions/{sid2}").status_code == 404
    assert ra["id"] != rc["id"]


async def test_secret_and_recorder_joins(server: ServerProcess, clients: Clients) -> None:
    sid = f"insecure{int(time.time() * 1000)}"
    a = await clients.open()
    params = {"token": "", "session": sid, "platform": "p", "metadata": "", "secret": server.secret}
    ra = await a.call("joinRoom", {**params, "recorder": False})
    session = rest(server, "GET", f"/api/sessions/{sid}").json()
    assert session["recordingMode"] == "ALWAYS"
    rec = await clients.open()
    r_rec = await rec.call("joinRoom", {**params, "recorder": True})
    assert r_rec["id"] == "RECORDER"
    assert [peer["id"] for peer in r_rec["value"]] == [ra["id"]]
    b, rb = await clients.joined(sid)
    assert [peer["id"] for peer in rb["value"]] == [ra["id"]]  # the recorder stays hidden
    await asyncio.sleep(0.3)
    assert [n["id"] for n in a.notifications_of("participantJoined")] == [rb["id"]]
    # an insecure participant may moderate
    await a.call("forceDisconnect", {"connectionId": rb["id"]})
    await asyncio.wait_for(b.closed.wait(), EVENT_TIMEOUT)
    await a.wait_notification("participantLeft", lambda prm: prm["connectionId"] == rb["id"])
    # the recorder leaves unannounced, and its leaveRoom is not even answered: its socket just closes
    rec_left = await rec.request_unanswered("leaveRoom", {}, timeout=EVENT_TIMEOUT)
    assert rec_left is None and rec.closed.is_set()
    await asyncio.sleep(0.3)
    assert [n["connectionId"] for n in a.notifications_of("participantLeft")] == [rb["id"]]
    # evicting the RECORDER (here: the session is closed) tells nobody, not even the recorder itself
    rec2 = await clients.open()
    await rec2.call("joinRoom", {**params, "recorder": True})
    assert rest(server, "DELETE", f"/api/sessions/{sid}").status_code == 204
    await asyncio.wait_for(rec2.closed.wait(), EVENT_TIMEOUT)
    await asyncio.wait_for(a.closed.wait(), EVENT_TIMEOUT)
    assert [n["connectionId"] for n in rec2.notifications_of("participantEvicted")] == [ra["id"]]
    assert [n["connectionId"] for n in a.notifications_of("participantEvicted")] == [rb["id"], ra["id"]]


async def test_slow_media_server_does_not_delay_pings(clients: Clients) -> None:
    with MinikmsProcess() as slow_kms, ServerProcess({"kms.uris": [slow_kms.uri]}) as srv:
        clients.server = srv
        sid_ready = new_session(srv)
        a, _ = await clients.joined(sid_ready)
        sid_blocked = new_session(srv)
        blocked = await clients.open()
        slow_kms.pause()
        try:
            pending = asyncio.create_task(blocked.join(token(srv, sid_blocked), sid_blocked))
            await asyncio.sleep(0.3)
            started = time.monotonic()
            assert await blocked.ping(interval=None) == {"value": "pong"}
            assert await a.ping(interval=None) == {"value": "pong"}
            await a.call("sendMessage", {"message": json.dumps({"to": [], "data": "still here"})})
            await a.wait_notification("sendMessage")
            responsive = time.monotonic() - started
            assert not pending.done()
        finally:
            slow_kms.resume()
        await asyncio.wait_for(pending, EVENT_TIMEOUT)
        print(f"ping and signal answered in {responsive:.3f} s while the media server was frozen")


def hosting_uri(server: ServerProcess, session_id: str) -> str:
    """The URI of the media server hosting a session (Pro API, cluster mode)."""
    listed = rest(server, "GET", "/pro/media-servers?sessions=true").json()
    for media_server in listed["content"]:
        if any(s["sessionId"] == session_id for s in media_server.get("sessions", [])):
            return str(media_server["uri"])
    raise AssertionError(f"no media server hosts {session_id}: {listed}")


async def test_media_server_loss_and_cluster_placement(clients: Clients) -> None:
    with MinikmsProcess() as first, MinikmsProcess() as second:
        overrides = {
            "kms.uris": [first.uri, second.uri],
            "kms.reconnect-window": KMS_RECONNECT_WINDOW,
            "openvidu.pro.cluster": True,
        }
        with ServerProcess(overrides) as srv:
            clients.server = srv
            sid = new_session(srv)
            a, ra = await clients.joined(sid)
            b, _rb = await clients.joined(sid)
            host = hosting_uri(srv, sid)
            doomed, survivor = (first, second) if host == first.uri else (second, first)
            doomed.kill()
            evicted = await a.wait_notification("participantEvicted", timeout=EVENT_TIMEOUT)
            assert evicted == {"connectionId": ra["id"], "reason": "mediaServerDisconnect"}
            await asyncio.wait_for(b.closed.wait(), EVENT_TIMEOUT)
            assert rest(srv, "GET", f"/api/sessions/{sid}").status_code == 404
            # the server keeps serving; the next session lands on the surviving media server
            sid2 = new_session(srv)
            c, rc = await clients.joined(sid2)
            assert rc["session"] == sid2
            assert hosting_uri(srv, sid2) == survivor.uri
            assert (await c.ping(interval=None)) == {"value": "pong"}


async def test_shutdown_evicts_with_openvidu_server_stopped(clients: Clients, kms: MinikmsProcess) -> None:
    srv = ServerProcess({"kms.uris": [kms.uri]}).start()
    try:
        clients.server = srv
        sid = new_session(srv)
        a, ra = await clients.joined(sid)
        srv.proc.send_signal(15)  # type: ignore[union-attr]
        evicted = await a.wait_notification("participantEvicted", timeout=EVENT_TIMEOUT)
        assert evicted == {"connectionId": ra["id"], "reason": "openviduServerStopped"}
        assert await asyncio.to_thread(srv.wait_exit) == 0
    finally:
        srv.stop()
        srv.cleanup()


async def sdp_offer() -> str:
    """A real SDP offer (audio+video) from aiortc; no ICE traffic is made."""
    from aiortc import RTCConfiguration, RTCPeerConnection

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("audio", direction="sendrecv")
        pc.addTransceiver("video", direction="sendrecv")
        return str((await pc.createOffer()).sdp)
    finally:
        await pc.close()


MEDIA_RESET_RECONNECT_WINDOW = 15.0


async def test_media_server_restart_resets_streams_but_keeps_participants(clients: Clients) -> None:
    """A media server that comes back as a new process (2.10/2.11 reconnection to a different KMS instance):
    streams end with mediaServerDisconnect, participants stay, a fresh pipeline lets them publish again."""
    with MinikmsProcess() as kms_proc:
        overrides = {"kms.uris": [kms_proc.uri], "kms.reconnect-window": MEDIA_RESET_RECONNECT_WINDOW}
        with ServerProcess(overrides) as srv:
            clients.server = srv
            sid = new_session(srv)
            a, ra = await clients.joined(sid)
            b, rb = await clients.joined(sid)
            published = await a.call("publishVideo", publish_params(await sdp_offer()))
            await b.wait_notification("participantPublished")
            kms_proc.kill()
            kms_proc.start()
            gone = {"connectionId": ra["id"], "reason": "mediaServerDisconnect"}
            for client in (a, b):  # the owner is told too (onUnpublishMedia without a transaction)
                note = await client.wait_notification("participantUnpublished", timeout=EVENT_TIMEOUT * 2)
                assert note == gone
            session = rest(srv, "GET", f"/api/sessions/{sid}").json()
            connections = {c["connectionId"]: c for c in session["connections"]["content"]}
            assert set(connections) == {ra["id"], rb["id"]}
            assert connections[ra["id"]]["publishers"] == []
            assert not a.notifications_of("participantEvicted") and not b.notifications_of(
                "participantEvicted"
            )
            again = await a.call("publishVideo", publish_params(await sdp_offer()))
            assert again["id"] != published["id"] and again["sdpAnswer"].startswith("v=0")
            republished = await b.wait_notification(
                "participantPublished", lambda prm: prm["streams"][0]["id"] == again["id"]
            )
            assert republished["id"] == ra["id"]


async def test_streams_properties_filters_and_unpublishing(server: ServerProcess, clients: Clients) -> None:
    sid = new_session(server)
    resp = rest(
        server,
        "POST",
        "/api/tokens",
        {"session": sid, "role": "PUBLISHER", "kurentoOptions": {"allowedFilters": ["GStreamerFilter"]}},
    )
    a = await clients.open()
    ra = await a.join(resp.json()["token"], sid, "a")
    b, rb = await clients.joined(sid, role="SUBSCRIBER")
    mod, _rm = await clients.joined(sid, role="MODERATOR")
    # early candidate before publishVideo is accepted (buffered)
    early = {
        "endpointName": ra["id"],
        "candidate": "candidate:1 1 udp 2113937151 127.0.0.1 50000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    assert (await a.call("onIceCandidate", early))["sessionId"] == ra["sessionId"]
    published = await a.call("publishVideo", publish_params(await sdp_offer()))
    stream_id = published["id"]
    assert stream_id.startswith(ra["id"] + "_CAMERA_") and published["sdpAnswer"].startswith("v=0")
    assert isinstance(published["createdAt"], int)
    note = await b.wait_notification("participantPublished")
    assert note["id"] == ra["id"]
    assert note["streams"][0] == {
        "id": stream_id,
        "createdAt": published["createdAt"],
        "hasAudio": True,
        "hasVideo": True,
        "audioActive": True,
        "videoActive": True,
        "typeOfVideo": "CAMERA",
        "frameRate": 30,
        "videoDimensions": '{"width":640,"height":480}',
        "filter": {},
    }
    # the media server trickles its candidates to the publisher
    ice = await a.wait_notification("iceCandidate")
    assert ice["senderConnectionId"] == ra["id"] and ice["endpointName"] == stream_id
    subscribed = await b.call("receiveVideoFrom", {"sender": stream_id, "sdpOffer": await sdp_offer()})
    assert subscribed["sdpAnswer"].startswith("v=0")
    sub_ice = await b.wait_notification("iceCandidate")
    assert sub_ice["senderConnectionId"] == ra["id"]
    self_sub = await a.request("receiveVideoFrom", {"sender": stream_id, "sdpOffer": "v=0"})
    assert self_sub["error"]["code"] == 105
    session = rest(server, "GET", f"/api/sessions/{sid}").json()
    conns = {c["connectionId"]: c for c in session["connections"]["content"]}
    assert conns[ra["id"]]["publishers"][0]["streamId"] == stream_id
    assert conns[rb["id"]]["subscribers"][0]["streamId"] == stream_id
    # the webRtcStats variant shows what the media layer negotiated
    stats = rest(server, "GET", f"/api/sessions/{sid}?webRtcStats=true").json()
    pub_stats = next(c for c in stats["connections"]["content"] if c["connectionId"] == ra["id"])[
        "publishers"
    ][0]
    assert pub_stats["webrtcEndpointName"] == stream_id
    assert pub_stats["remoteSdp"].startswith("v=0") and pub_stats["localSdp"] == published["sdpAnswer"]
    assert pub_stats["receivedCandidates"][0]["candidate"] == early["candidate"]
    sub_stats = next(c for c in stats["connections"]["content"] if c["connectionId"] == rb["id"])[
        "subscribers"
    ][0]
    assert sub_stats["webrtcEndpointName"] == f"{rb['id']}_{stream_id}"
    assert sub_stats["localSdp"] == subscribed["sdpAnswer"]

    # streamPropertyChanged: booleans become "true"/"false", videoDimensions is doubly encoded
    await a.call(
        "streamPropertyChanged",
        {"streamId": stream_id, "property": "audioActive", "newValue": False, "reason": "publishAudio"},
    )
    changed = await b.wait_notification("streamPropertyChanged")
    assert changed == {
        "connectionId": ra["id"],
        "streamId": stream_id,
        "property": "audioActive",
        "newValue": "false",
        "reason": "publishAudio",
    }
    dims = '{"width":320,"height":240}'
    await a.call(
        "streamPropertyChanged",
        {"streamId": stream_id, "property": "videoDimensions", "newValue": dims, "reason": "screenResized"},
    )
    resized = await b.wait_notification(
        "streamPropertyChanged", lambda prm: prm["property"] == "videoDimensions"
    )
    assert json.loads(json.loads(resized["newValue"])) == {"width": 320, "height": 240}
    late, r_late = await clients.joined(sid)
    peer = next(v for v in r_late["value"] if v["id"] == ra["id"])
    assert peer["streams"][0]["audioActive"] is False and peer["streams"][0]["videoDimensions"] == dims

    # filters: the owner with the token permission applies, others see streamPropertyChanged(filter)
    denied = await b.request(
        "applyFilter", {"streamId": stream_id, "type": "GStreamerFilter", "options": "{}"}
    )
    assert denied["error"]["code"] == 401
    await a.call(
        "applyFilter",
        {
            "streamId": stream_id,
            "type": "GStreamerFilter",
            "options": json.dumps({"command": "videobalance saturation=0.0"}),
        },
    )
    filt = await b.wait_notification("streamPropertyChanged", lambda prm: prm["property"] == "filter")
    # onFilterChanged: no lastExecMethod until a method was executed (unlike the stream JSON of joinRoom/REST)
    assert filt["newValue"] == {
        "type": "GStreamerFilter",
        "options": {"command": "videobalance saturation=0.0"},
    }
    assert filt["reason"] == "applyFilter"
    twice = await a.request(
        "applyFilter", {"streamId": stream_id, "type": "GStreamerFilter", "options": "{}"}
    )
    assert twice["error"] == {
        "code": 405,
        "message": f"User '{ra['id']} already has a filter applied in session '{sid}'",
    }
    missing = await mod.request(
        "applyFilter", {"streamId": stream_id, "type": "GStreamerFilter", "options": "not json"}
    )
    assert missing["error"]["code"] == 406
    exec_params = {"propertyName": "saturation", "propertyValue": "1.0"}
    await a.call(
        "execFilterMethod",
        {"streamId": stream_id, "method": "setElementProperty", "params": json.dumps(exec_params)},
    )
    executed = await b.wait_notification(
        "streamPropertyChanged", lambda prm: prm["reason"] == "execFilterMethod"
    )
    assert executed["newValue"]["lastExecMethod"] == {"method": "setElementProperty", "params": exec_params}
    bad_method = await a.request(
        "execFilterMethod", {"streamId": stream_id, "method": "noSuchMethod", "params": "{}"}
    )
    assert bad_method["error"]["code"] == 406
    await a.call("removeFilter", {"streamId": stream_id})
    removed = await b.wait_notification("streamPropertyChanged", lambda prm: prm["reason"] == "removeFilter")
    assert removed["newValue"] == {}
    no_filter = await a.request("removeFilter", {"streamId": stream_id})
    assert no_filter["error"] == {
        "code": 406,
        "message": f"User '{ra['id']} has no filter applied in session '{sid}'",
    }
    unknown_type = await mod.request(
        "applyFilter", {"streamId": stream_id, "type": "NoSuchFilter", "options": "{}"}
    )
    assert unknown_type["error"]["code"] == 406

    # filter event listeners: the owner (or a moderator) subscribes to the filter's Kurento events
    await mod.call("applyFilter", {"streamId": stream_id, "type": "ZBarFilter", "options": "{}"})
    sub_denied = await b.request("addFilterEventListener", {"streamId": stream_id, "eventType": "CodeFound"})
    assert sub_denied["error"]["code"] == 401
    await a.call("addFilterEventListener", {"streamId": stream_id, "eventType": "CodeFound"})
    unsupported = await a.request(
        "addFilterEventListener", {"streamId": stream_id, "eventType": "NoSuchEvent"}
    )
    assert unsupported["error"]["code"] == 407
    assert unsupported["error"]["message"].startswith(
        f"Request to addFilterEventListener to stream {stream_id} gone wrong: "
    )
    assert unsupported["error"]["data"] == "{}" and unsupported["error"]["sessionId"] == ra["sessionId"]
    await a.call("removeFilterEventListener", {"streamId": stream_id, "eventType": "CodeFound"})
    not_listening = await a.request(
        "removeFilterEventListener", {"streamId": stream_id, "eventType": "CodeFound"}
    )
    assert not_listening["error"]["code"] == 407
    await mod.call("removeFilter", {"streamId": stream_id})

    # unsubscribe (sender = the publisher's connectionId), then subscribe again
    assert "sessionId" in await b.call("unsubscribeFromVideo", {"sender": ra["id"]})
    session = rest(server, "GET", f"/api/sessions/{sid}").json()
    assert (
        next(c for c in session["connections"]["content"] if c["connectionId"] == rb["id"])["subscribers"]
        == []
    )
    unknown_sender = await b.request("unsubscribeFromVideo", {"sender": "nobody"})
    assert unknown_sender["error"]["code"] == 102
    again = await b.call("receiveVideoFrom", {"sender": stream_id, "sdpOffer": await sdp_offer()})
    assert again["sdpAnswer"].startswith("v=0")

    # 2.32 reconnectStream: the publisher gets a new endpoint for the same stream, a subscriber a new subscription
    renewed = await a.call("reconnectStream", {"stream": stream_id, "sdpString": await sdp_offer()})
    assert renewed["id"] == stream_id and renewed["createdAt"] == published["createdAt"]
    assert renewed["sdpAnswer"].startswith("v=0")
    resubscribed = await b.call(
        "reconnectStream", {"stream": stream_id, "sdpOffer": await sdp_offer(), "forciblyReconnect": False}
    )
    assert resubscribed["sdpAnswer"].startswith("v=0")
    # reconnectStream errors are answered through the transaction (sendErrorResponse): injected sessionId
    server_offer = await b.request("reconnectStream", {"stream": stream_id, "sdpString": "v=0"})
    assert server_offer["error"]["code"] == 302 and server_offer["error"]["sessionId"] == rb["sessionId"]
    assert await b.call("receiveVideoFrom", {"sender": stream_id, "sdpOffer": await sdp_offer()})

    # REST DELETE of the stream: owner and others get participantUnpublished(forceUnpublishByServer)
    assert rest(server, "DELETE", f"/api/sessions/{sid}/stream/{stream_id}").status_code == 204
    for client in (a, b, late):
        gone = await client.wait_notification("participantUnpublished")
        assert gone == {"connectionId": ra["id"], "reason": "forceUnpublishByServer"}
    assert rest(server, "DELETE", f"/api/sessions/{sid}/stream/{stream_id}").status_code == 404
    session = rest(server, "GET", f"/api/sessions/{sid}").json()
    conns = {c["connectionId"]: c for c in session["connections"]["content"]}
    assert conns[ra["id"]]["publishers"] == [] and conns[rb["id"]]["subscribers"] == []

    # republish, then a moderator's forceUnpublish, then a voluntary unpublish
    second = await a.call("publishVideo", publish_params(await sdp_offer()))
    await mod.call("forceUnpublish", {"streamId": second["id"]})
    forced = await a.wait_notification(
        "participantUnpublished", lambda prm: prm["reason"] == "forceUnpublishByUser"
    )
    assert forced["connectionId"] == ra["id"]
    third = await a.call("publishVideo", publish_params(await sdp_offer()))
    assert third["id"] not in (stream_id, second["id"])
    await a.call("unpublishVideo", {})
    voluntary = await b.wait_notification("participantUnpublished", lambda prm: prm["reason"] == "unpublish")
    assert voluntary["connectionId"] == ra["id"]
    assert not [n for n in a.notifications_of("participantUnpublished") if n["reason"] == "unpublish"]


async def test_stalled_webhook_never_blocks_signaling(clients: Clients, kms: MinikmsProcess) -> None:
    gate = threading.Event()
    with WebhookReceiver(gate=gate) as hook:
        overrides = {"kms.uris": [kms.uri], "openvidu.webhook": True, "openvidu.webhook.endpoint": hook.url}
        with ServerProcess(overrides) as srv:
            clients.server = srv
            sid = new_session(srv)
            a, ra = await clients.joined(sid)
            b, rb = await clients.joined(sid)
            await a.call("sendMessage", {"message": json.dumps({"to": [], "data": "while stalled"})})
            await b.wait_notification("sendMessage")
            await b.call("leaveRoom", {})
            await a.wait_notification("participantLeft")
            assert hook.events() == []  # the receiver has not answered anything yet
            gate.set()
            events = await asyncio.to_thread(
                hook.wait_for,
                lambda ev: [e["event"] for e in ev].count("participantJoined") == 2 and len(ev) >= 4,
            )
            names = [e["event"] for e in events]
            assert names[:3] == ["sessionCreated", "participantJoined", "participantJoined"]
            assert names[3] == "participantLeft" and events[3]["participantId"] == rb["id"]
            assert events[1]["participantId"] == ra["id"]


async def test_simultaneous_joins_see_each_other_exactly_once(
    server: ServerProcess, clients: Clients
) -> None:
    sid = new_session(server)
    count = 8
    opened = [await clients.open() for _ in range(count)]
    tokens = [token(server, sid) for _ in range(count)]
    results = await asyncio.gather(*(c.join(t, sid) for c, t in zip(opened, tokens, strict=True)))
    ids = {r["id"] for r in results}
    await asyncio.sleep(0.5)
    for client, result in zip(opened, results, strict=True):
        in_value = [peer["id"] for peer in result["value"]]
        announced = [n["id"] for n in client.notifications_of("participantJoined")]
        assert sorted(in_value + announced) == sorted(ids - {result["id"]}), (in_value, announced)
