"""The Inspector console (issue 12) in headless Chromium against a live server, two minikms media servers and
real openvidu-browser participants publishing media. Every view is read back from the DOM and compared with the
REST API; moderation is done by clicking the console's buttons and checked on the participants' events.

Run inside a loopback-only network namespace (media moves):
    unshare -n sh -c 'ip link set lo up && python3 -m pytest tests/e2e/test_inspector.py -x -q'
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.browser_fixtures import (
    close_pages,
    join,
    media_server_stack,
    new_session,
    new_token,
    wait_event,
    wait_remote_playing,
)
from tests.e2e.inspector_fixtures import (
    LIVE,
    click,
    console_errors,
    make_recording,
    notice,
    open_inspector,
    rest_counts,
    show,
    wait_card,
)
from tests.support.browser import Browser, Page, StaticServer
from tests.support.procs import MinikmsProcess
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.media]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("inspector")
    return root / "recordings", root / "cdr"


@pytest.fixture(scope="module")
def stack(folders: tuple[Path, Path]) -> Iterator[tuple[ServerProcess, list[MinikmsProcess]]]:
    recordings, cdr = folders
    recordings.mkdir(parents=True, exist_ok=True)
    settings = {
        "openvidu.cdr": True,
        "openvidu.cdr.path": str(cdr),
        "openvidu.recording": True,
        "openvidu.recording.path": str(recordings),
        "openvidu.recording.custom-layout": str(recordings.parent / "layouts"),
        "openvidu.pro.stats.monitoring-interval": 1,
        "openvidu.pro.stats.webrtc-interval": 1,
    }
    with media_server_stack(settings, kms_count=2) as running:
        yield running


@pytest.fixture(scope="module")
def server(stack: tuple[ServerProcess, list[MinikmsProcess]]) -> ServerProcess:
    return stack[0]


@pytest.fixture(scope="module")
def console(browser: Browser, server: ServerProcess) -> Iterator[Page]:
    page = open_inspector(browser, server)
    yield page
    with contextlib.suppress(Exception):
        page.close()


@pytest.fixture(scope="module")
def live_call(browser: Browser, pages: StaticServer, server: ServerProcess) -> Iterator[dict[str, Any]]:
    """Session ``insp-live``: Alice (openvidu-browser 2.32) and Bob (2.11) publish and receive each other."""
    sid = new_session(server, "insp-live")
    alice = browser.open(pages.page_url("2.32"))
    bob = browser.open(pages.page_url("2.11"))
    try:
        ca = join(alice, new_token(server, sid, data="srv-alice"), '{"clientData":"Alice"}')
        alice.eval("ovPublish()", timeout=60)
        cb = join(bob, new_token(server, sid, "MODERATOR", data="srv-bob"), '{"clientData":"Bob"}')
        bob.eval("ovPublish()", timeout=60)
        wait_remote_playing(alice, 1)
        wait_remote_playing(bob, 1)
        yield {"sessionId": sid, "alice": alice, "bob": bob, "ca": ca, "cb": cb}
    finally:
        close_pages(alice, bob)


def assert_no_console_errors(page: Page) -> None:
    assert console_errors(page) == [], page.log_text()[-3000:]


# ----- live sessions ----------------------------------------------------------------------------------------


def test_sessions_view_matches_rest_and_updates_live(
    console: Page, live_call: dict[str, Any], api: httpx.Client, server: ServerProcess
) -> None:
    sid = live_call["sessionId"]
    show(console, "sessions")
    rest = api.get(f"/api/sessions/{sid}").json()
    shown = wait_card(console, sid, f"c.counts === {rest_counts(rest)!r}")
    assert shown["counts"] == "2/2/2"
    assert shown["edges"] == 2  # the graph draws one arrow per flowing stream
    assert "active" in shown["text"] and "on KMS-" in shown["text"]
    rows = {row["id"]: row for row in shown["rows"]}
    assert set(rows) == {c["connectionId"] for c in rest["connections"]["content"]}
    for conn in rest["connections"]["content"]:
        row = rows[conn["connectionId"]]
        assert conn["role"] == row["cells"][2]
        assert conn["clientData"] in row["cells"][3] and conn["serverData"] in row["cells"][3]
        assert conn["platform"] in row["cells"][4]
        assert [s["id"] for s in row["streams"]] == [p["streamId"] for p in conn["publishers"]]
        assert row["streams"][0]["audio"] == "active" and row["streams"][0]["video"] == "active"
        assert sorted(row["receives"]) == sorted(s["streamId"] for s in conn["subscribers"])

    # A mute (no lifecycle event: found by the periodic check) shows within 2 s of the server applying it.
    alice, bob = live_call["alice"], live_call["bob"]
    alice.eval("ovSetAudio(false)")
    wait_event(bob, "streamPropertyChanged", "e.changedProperty === 'audioActive'")
    stream_a = rows[live_call["ca"]]["streams"][0]["id"]
    muted = wait_card(
        console, sid, f"c.rows.some(r => r.streams.some(s => s.id === {stream_a!r} && s.audio === 'muted'))"
    )
    assert api.get(f"/api/sessions/{sid}").json()["connections"]["content"]
    rest_a = next(
        c
        for c in api.get(f"/api/sessions/{sid}").json()["connections"]["content"]
        if c["connectionId"] == live_call["ca"]
    )
    assert rest_a["publishers"][0]["mediaOptions"]["audioActive"] is False
    assert muted["counts"] == "2/2/2"
    alice.eval("ovSetAudio(true)")
    wait_card(
        console, sid, f"c.rows.some(r => r.streams.some(s => s.id === {stream_a!r} && s.audio === 'active'))"
    )

    # A new session made through REST appears within 2 s, and goes away within 2 s when closed.
    other = new_session(server, "insp-extra")
    wait_card(console, other, "c.counts === '0/0/0'")
    assert api.delete(f"/api/sessions/{other}").status_code == 204
    console.wait_for(f"!document.querySelector('article[data-session=\"{other}\"]')", timeout=LIVE)
    assert_no_console_errors(console)


# ----- media servers ----------------------------------------------------------------------------------------

SERVERS_JS = """[...document.querySelectorAll('article[data-media-server]')].map((a) => ({
  id: a.dataset.mediaServer,
  connected: a.querySelector('[data-connected]').dataset.connected === 'true',
  load: Number(a.querySelector('[data-load]').dataset.load),
  sessions: a.querySelector('[data-sessions]').dataset.sessions.split(',').filter(Boolean).sort(),
  endpoints: [...a.querySelectorAll('tr[data-endpoint]')].map((tr) => ({
    name: tr.dataset.endpoint, bitrate: tr.children[2].textContent })),
  charts: a.querySelectorAll('.chart path[d^="M"]').length,
}))"""


def rest_servers(api: httpx.Client) -> dict[str, dict[str, Any]]:
    listed = api.get("/pro/media-servers?load=true&sessions=true").json()
    return {
        s["id"]: {
            "connected": s["connected"],
            "load": s["load"],
            "sessions": sorted(x["sessionId"] for x in s["sessions"]),
        }
        for s in listed["content"]
    }


def test_media_servers_view(
    console: Page, live_call: dict[str, Any], api: httpx.Client, server: ServerProcess
) -> None:
    show(console, "media-servers")
    expected = rest_servers(api)
    condition = " && ".join(
        f"s.some(x => x.id === {sid!r} && x.load === {doc['load']} && x.sessions.join() === {','.join(doc['sessions'])!r}"
        f" && x.connected === {str(doc['connected']).lower()})"
        for sid, doc in expected.items()
    )
    shown = console.wait_for(
        f"(() => {{ const s = {SERVERS_JS}; return s.length === {len(expected)} && {condition} ? s : false; }})()",
        timeout=LIVE,
    )
    assert {s["id"] for s in shown} == set(expected)
    # Host charts (CPU, memory, network) and the WebRTC stats of the call's endpoints (1 s sampling here).
    console.wait_for("document.querySelectorAll('#host-charts path[d^=\"M\"]').length >= 3", timeout=10.0)
    hosting = next(s for s, doc in expected.items() if live_call["sessionId"] in doc["sessions"])
    with_media = console.wait_for(
        f"(() => {{ const s = {SERVERS_JS}.find(x => x.id === {hosting!r}); "
        "return s && s.endpoints.length === 4 && s.endpoints.every(e => e.bitrate.endsWith('kbps')) && s.charts >= 1 ? s : false; })()",
        timeout=15.0,
    )
    names = {e["name"] for e in with_media["endpoints"]}
    rest = api.get(f"/api/sessions/{live_call['sessionId']}").json()
    streams = {p["streamId"] for c in rest["connections"]["content"] for p in c["publishers"]}
    assert streams <= names  # the publishers' endpoints, beside the two subscribers' ones

    # Add a media server with the form, then remove it with its button.
    extra = MinikmsProcess().start()
    try:
        console.eval(f"document.getElementById('add-server-uri').value = {extra.uri!r}")
        click(console, "#add-server button[type=submit]")
        assert notice(console, "Add media server").endswith(": 200")
        added = next(s for s in api.get("/pro/media-servers").json()["content"] if s["uri"] == extra.uri)
        console.wait_for(
            f'document.querySelector(\'article[data-media-server="{added["id"]}"] [data-connected="true"]\')',
            timeout=LIVE,
        )
        click(console, f'button[data-action=remove-server][data-server="{added["id"]}"]', confirm=True)
        assert notice(console, f"Remove media server {added['id']}").endswith(": 204")
        console.wait_for(
            f"!document.querySelector('article[data-media-server=\"{added['id']}\"]')", timeout=LIVE
        )
        assert api.get(f"/pro/media-servers/{added['id']}").status_code == 404
    finally:
        extra.stop()
    assert_no_console_errors(console)


# ----- moderation -------------------------------------------------------------------------------------------


def test_moderation_buttons_reach_the_participants(
    console: Page, browser: Browser, pages: StaticServer, server: ServerProcess, api: httpx.Client
) -> None:
    sid = new_session(server, "insp-mod")
    ann = browser.open(pages.page_url("2.32"))
    ben = browser.open(pages.page_url("2.32"))
    cyd = browser.open(pages.page_url("2.11"))
    try:
        ca = join(ann, new_token(server, sid), '{"clientData":"Ann"}')
        ann.eval("ovPublish()", timeout=60)
        cb = join(ben, new_token(server, sid), '{"clientData":"Ben"}')
        ben.eval("ovPublish()", timeout=60)
        join(cyd, new_token(server, sid, "SUBSCRIBER"), '{"clientData":"Cyd"}')
        wait_remote_playing(cyd, 2)
        show(console, "sessions")
        wait_card(console, sid, "c.counts === '3/2/4'")

        # Signal: to Ben only, through the dialog.
        click(console, f'button[data-action=signal][data-session="{sid}"]')
        console.wait_for("document.getElementById('signal-dialog').open", timeout=5.0)
        console.eval(
            "document.getElementById('signal-type').value = 'hello';"
            "document.getElementById('signal-data').value = 'hi Ben';"
            f"document.querySelector('#signal-to input[value=\"{cb}\"]').checked = true; true"
        )
        click(console, "#signal-send")
        assert notice(console, f"Signal to {sid}").endswith(": 200")
        got = wait_event(ben, "signal", "e.data === 'hi Ben'")
        assert got["signalType"] == "signal:hello" and got["from"] is None
        assert not [e for e in ann.eval("ovEventsOf('signal')") if e["data"] == "hi Ben"]

        # Start and stop a recording while Ann and Ben publish (a COMPOSED recording starts, and notifies, when its
        # RECORDER first subscribes); the page shows REST's answers. Cyd, a SUBSCRIBER, is not notified
        # (openvidu.recording.notification=publisher_moderator).
        click(console, f'button[data-action=start-recording][data-session="{sid}"]')
        started = notice(console, f"Start recording of {sid}: ", timeout=60.0)
        assert started.endswith(": 200"), started
        wait_card(console, sid, "c.recording", timeout=30.0)
        listed = api.get("/api/recordings").json()["items"]
        rec = next(r for r in listed if r["sessionId"] == sid and r["status"] in ("started", "starting"))
        for page in (ann, ben):
            assert wait_event(page, "recordingStarted")["id"] == rec["id"]
        click(console, f'button[data-action=stop-recording][data-session="{sid}"]')
        assert notice(console, f"Stop recording {rec['id']}", timeout=60.0).endswith(": 200")
        wait_card(console, sid, "!c.recording", timeout=30.0)
        for page in (ann, ben):
            assert wait_event(page, "recordingStopped")["id"] == rec["id"]
        # The recording is listed as REST lists it, and plays in the page.
        show(console, "recordings")
        preview = f'button[data-action=preview][data-recording="{rec["id"]}"]'
        console.wait_for(
            f"document.querySelector({preview!r}) || (Inspector.loadRecordings(), false)", timeout=60.0
        )
        listed = next(r for r in api.get("/api/recordings").json()["items"] if r["id"] == rec["id"])
        row = console.eval(f"document.querySelector('tr[data-recording=\"{rec['id']}\"]').dataset.status")
        assert row == listed["status"]
        click(console, preview)
        console.wait_for(
            "(() => { const m = document.querySelector('#preview-player video, #preview-player audio'); "
            "return m && m.readyState >= 1 && m.duration > 0; })()",
            timeout=30.0,
        )
        show(console, "sessions")

        # Force-unpublish Ann's stream.
        stream_a = api.get(f"/api/sessions/{sid}").json()["connections"]["content"]
        stream_a = next(c for c in stream_a if c["connectionId"] == ca)["publishers"][0]["streamId"]
        click(console, f'button[data-action=unpublish][data-stream="{stream_a}"]', confirm=True)
        assert notice(console, f"Unpublish {stream_a}").endswith(": 204")
        for page in (ben, cyd):
            destroyed = wait_event(page, "streamDestroyed", f"e.streamId === {stream_a!r}")
            assert destroyed["reason"] == "forceUnpublishByServer"
        wait_card(console, sid, "c.counts === '3/1/2'")

        # Force-disconnect Ben.
        click(console, f'button[data-action=disconnect][data-connection="{cb}"]', confirm=True)
        assert notice(console, f"Disconnect {cb}").endswith(": 204")
        assert wait_event(ben, "sessionDisconnected")["reason"] == "forceDisconnectByServer"
        gone = wait_event(ann, "connectionDestroyed", f"e.connectionId === {cb!r}")
        assert gone["reason"] == "forceDisconnectByServer"
        wait_card(console, sid, "c.counts === '2/0/0'")

        # Close the session.
        click(console, f'button[data-action=close-session][data-session="{sid}"]', confirm=True)
        assert notice(console, f"Close session {sid}").endswith(": 204")
        for page in (ann, cyd):
            assert wait_event(page, "sessionDisconnected")["reason"] == "sessionClosedByServer"
        console.wait_for(f"!document.querySelector('article[data-session=\"{sid}\"]')", timeout=LIVE)
        assert api.get(f"/api/sessions/{sid}").status_code == 404
        assert_no_console_errors(console)
    finally:
        close_pages(ann, ben, cyd)


# ----- recordings -------------------------------------------------------------------------------------------

ROWS_JS = """[...document.querySelectorAll('#recordings-table tr[data-recording]')].map((tr) => ({
  id: tr.dataset.recording, status: tr.dataset.status, cells: [...tr.children].map((td) => td.textContent),
  download: (tr.querySelector('a[download]') || {}).pathname || null }))"""


def test_recordings_list_preview_download_delete(
    console: Page, server: ServerProcess, api: httpx.Client, folders: tuple[Path, Path]
) -> None:
    video = make_recording(folders[0], server, "insp-rec-video")
    audio = make_recording(folders[0], server, "insp-rec-audio", audio_only=True)
    show(console, "recordings")
    listed = api.get("/api/recordings").json()["items"]
    ids = sorted(r["id"] for r in listed)
    rows = console.wait_for(
        f"(() => {{ const r = {ROWS_JS}; return r.map(x => x.id).sort().join() === {','.join(ids)!r} ? r : false; }})()",
        timeout=10.0,
    )
    by_id = {r["id"]: r for r in rows}
    for rec in listed:
        row = by_id[rec["id"]]
        assert row["status"] == rec["status"] and rec["sessionId"] in row["cells"][1]
    assert "KiB" in by_id[video["id"]]["cells"][4] and by_id[video["id"]]["cells"][5] == "2s"
    assert by_id[video["id"]]["download"] == f"/recordings/{video['id']}/{video['id']}.mp4"

    # Preview in the page's players: the browser loads and decodes the files.
    click(console, f'button[data-action=preview][data-recording="{video["id"]}"]')
    playing = console.wait_for(
        "(() => { const v = document.querySelector('#preview-player video'); "
        "return v && v.readyState >= 1 && v.duration > 1 ? {w: v.videoWidth, d: v.duration} : false; })()",
        timeout=15.0,
    )
    assert playing["w"] == 320 and abs(playing["d"] - 2.0) < 0.5
    click(console, f'button[data-action=preview][data-recording="{audio["id"]}"]')
    heard = console.wait_for(
        "(() => { const a = document.querySelector('#preview-player audio'); "
        "return a && a.readyState >= 1 && a.duration > 1 ? a.duration : false; })()",
        timeout=15.0,
    )
    assert abs(heard - 2.0) < 0.5
    # Download: the link serves the file itself.
    fetched = console.eval(f"Inspector.api('GET', {by_id[video['id']]['download']!r}).then(a => a.status)")
    assert fetched == 200

    # Delete (twice-clicked): gone from the page, from REST and from disk.
    click(console, f'button[data-action=delete-recording][data-recording="{audio["id"]}"]', confirm=True)
    assert notice(console, f"Delete recording {audio['id']}").endswith(": 204")
    console.wait_for(
        f"!document.querySelector('#recordings-table tr[data-recording=\"{audio['id']}\"]')", timeout=LIVE
    )
    console.wait_for("document.getElementById('preview').hidden", timeout=LIVE)
    assert api.get(f"/api/recordings/{audio['id']}").status_code == 404
    assert not (folders[0] / audio["id"]).exists()
    assert_no_console_errors(console)


# ----- history ----------------------------------------------------------------------------------------------


def cdr_lines(api: httpx.Client) -> list[dict[str, Any]]:
    lines = []
    for name in api.get("/cdr").json():
        if name.startswith("CDR."):
            lines += [json.loads(line) for line in api.get(f"/cdr/{name}").text.splitlines() if line]
    return lines


def test_history_view_from_the_cdr(console: Page, api: httpx.Client) -> None:
    # insp-mod was closed by test_moderation_buttons_reach_the_participants.
    deadline = time.monotonic() + 10
    lines = cdr_lines(api)
    while not any(
        "sessionDestroyed" in ln and ln["sessionDestroyed"]["sessionId"] == "insp-mod" for ln in lines
    ):
        assert time.monotonic() < deadline, lines
        time.sleep(0.2)
        lines = cdr_lines(api)

    def of(event: str, **match: str) -> list[dict[str, Any]]:
        found = [ln[event] for ln in lines if event in ln and ln[event]["sessionId"] == "insp-mod"]
        return [f for f in found if all(f.get(k) == v for k, v in match.items())]

    expected = {
        "users": len({p["participantId"] for p in of("participantJoined")}),
        "publishers": len(of("webrtcConnectionCreated", connection="OUTBOUND")),
        "subscribers": len(of("webrtcConnectionCreated", connection="INBOUND")),
    }
    assert expected == {"users": 3, "publishers": 2, "subscribers": 4}
    show(console, "history")
    console.eval("document.getElementById('history-query').value = 'insp-mod'")
    click(console, "#history-search button[type=submit]")
    row = console.wait_for(
        "(() => { const rows = [...document.querySelectorAll('#history-table tr[data-history]')]; "
        "if (rows.length !== 1 || rows[0].dataset.history !== 'insp-mod') return false; const r = rows[0]; "
        "return {users: +r.querySelector('[data-users]').dataset.users, "
        "publishers: +r.querySelector('[data-publishers]').dataset.publishers, "
        "subscribers: +r.querySelector('[data-subscribers]').dataset.subscribers, text: r.textContent}; })()",
        timeout=10.0,
    )
    assert {k: row[k] for k in expected} == expected
    assert "sessionClosedByServer" in row["text"]
    # Without a query every finished session is listed, newest first, as the history endpoint gives them.
    everything = [s["sessionId"] for s in api.get("/inspector/api/history").json()["sessions"]]
    assert "insp-mod" in everything
    console.eval("document.getElementById('history-query').value = ''")
    click(console, "#history-search button[type=submit]")
    console.wait_for(
        "[...document.querySelectorAll('#history-table tr[data-history]')].map(r => r.dataset.history).join() === "
        + repr(",".join(everything)),
        timeout=10.0,
    )
    assert_no_console_errors(console)


# ----- configuration and restart (last: the server restarts) ------------------------------------------------

PROPERTY = "openvidu.streams.video.max-recv-bandwidth"


def test_configuration_and_restart_form(console: Page, api: httpx.Client) -> None:
    show(console, "config")
    config = api.get("/pro/config").json()
    console.wait_for(
        "(() => { const d = document.querySelector('dd[data-config=\"openviduCdr\"]'); return d && d.textContent === 'true'; })()",
        timeout=10.0,
    )
    shown = console.eval(
        "Object.fromEntries([...document.querySelectorAll('dd[data-config]')].map(d => [d.dataset.config, d.textContent]))"
    )
    assert set(shown) == set(config)
    assert shown["kmsUris"] == json.dumps(config["kmsUris"], separators=(",", ":"))
    field = f'.field[data-property="{PROPERTY}"]'
    console.wait_for(f"document.querySelector('{field} input')", timeout=10.0)

    # A bad value: the 400 message of /pro/restart is shown next to the field it names.
    console.eval(f"document.querySelector('{field} input').value = '-5'")
    click(console, "#restart-form button[type=submit]")
    message = console.wait_for(
        f"document.querySelector('{field} .field-error').textContent || false", timeout=10.0
    )
    direct = api.post("/pro/restart", json={PROPERTY: -5})
    assert direct.status_code == 400 and message == direct.json()["message"]
    assert PROPERTY in message
    assert console.eval(f"document.querySelector('{field}').classList.contains('invalid')")
    assert api.get("/pro/config").json()["maxRecvBandwidth"] == config["maxRecvBandwidth"]

    # A good value: the server restarts with it and the page shows it.
    console.eval(f"document.querySelector('{field} input').value = '700'")
    click(console, "#restart-form button[type=submit]")
    assert notice(console, "Restarting with")
    notice(console, "The server restarted with the new properties.", timeout=60.0)
    console.wait_for(
        "(() => { const d = document.querySelector('dd[data-config=\"maxRecvBandwidth\"]'); return d && d.textContent === '700'; })()",
        timeout=10.0,
    )
    assert api.get("/pro/config").json()["maxRecvBandwidth"] == 700
    # The push stream reconnected by itself to the new process.
    console.wait_for("Inspector.connected", timeout=15.0)
    assert_no_console_errors(console)
