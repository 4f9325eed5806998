"""Screenshots of every Inspector view for docs/ (README), taken in headless Chromium on a live demo deployment.

A server with two minikms media servers, three sessions of real openvidu-browser participants (one of them
closed, for the history) and two recordings on disk; the console is captured at 1280x800 and at phone size.
Run inside a loopback-only network namespace:
    unshare -n sh -c 'ip link set lo up && python3 scripts/inspector_screenshots.py [--out docs]'
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.browser_fixtures import join, media_server_stack, new_session, new_token, wait_remote_playing
from tests.e2e.inspector_fixtures import click, make_recording, open_inspector, show
from tests.support.browser import Browser, Page, StaticServer


def participant(
    browser: Browser,
    pages: StaticServer,
    server: object,
    sid: str,
    name: str,
    version: str,
    role: str = "PUBLISHER",
    publish: bool = True,
) -> Page:
    page = browser.open(pages.page_url(version))
    join(page, new_token(server, sid, role, data=f"user-{name.lower()}"), f'{{"clientData":"{name}"}}')  # type: ignore[arg-type]
    if publish:
        page.eval("ovPublish()", timeout=60)
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="inspector-shots-") as tmp:
        recordings, cdr = Path(tmp) / "recordings", Path(tmp) / "cdr"
        recordings.mkdir()
        settings = {
            "openvidu.cdr": True,
            "openvidu.cdr.path": str(cdr),
            "openvidu.recording": True,
            "openvidu.recording.path": str(recordings),
            "openvidu.recording.custom-layout": str(Path(tmp) / "layouts"),
            "openvidu.pro.stats.monitoring-interval": 1,
            "openvidu.pro.stats.webrtc-interval": 1,
        }
        with (
            StaticServer() as pages,
            Browser() as browser,
            media_server_stack(settings, kms_count=2) as (server, _),
        ):
            # A finished session, for the history.
            done = new_session(server, "onboarding")
            old = [participant(browser, pages, server, done, n, "2.32") for n in ("Dana", "Eli")]
            wait_remote_playing(old[0], 1)
            time.sleep(2)
            with server.client() as api:
                api.delete(f"/api/sessions/{done}")
            for page in old:
                page.close()
            # Live sessions.
            standup = new_session(server, "daily-standup")
            people = [
                participant(browser, pages, server, standup, "Alice", "2.32"),
                participant(browser, pages, server, standup, "Bob", "2.11"),
                participant(browser, pages, server, standup, "Carol", "2.32", "SUBSCRIBER", publish=False),
            ]
            support = new_session(server, "support-42")
            people.append(participant(browser, pages, server, support, "Agent", "2.32"))
            wait_remote_playing(people[2], 2)
            people[1].eval("ovSetAudio(false)")
            make_recording(recordings, server, "daily-standup~1")
            make_recording(recordings, server, "daily-standup~2", audio_only=True)
            time.sleep(8)  # some stats samples for the charts

            console = open_inspector(browser, server)
            console.viewport(1280, 800)
            shots = []
            show(console, "sessions")
            time.sleep(1)
            shots.append(console.screenshot(out / "inspector-sessions.png", full_page=True))
            show(console, "media-servers")
            console.wait_for(
                "document.querySelectorAll('#servers-list tr[data-endpoint]').length >= 4", timeout=20
            )
            time.sleep(1)
            shots.append(console.screenshot(out / "inspector-media-servers.png", full_page=True))
            show(console, "recordings")
            click(console, 'button[data-action=preview][data-recording="daily-standup~1"]')
            console.wait_for(
                "(() => { const v = document.querySelector('#preview-player video'); return v && v.readyState >= 2; })()"
            )
            console.eval("document.querySelector('#preview-player video').currentTime = 1.2")
            time.sleep(1)
            shots.append(console.screenshot(out / "inspector-recordings.png", full_page=True))
            show(console, "history")
            console.wait_for("document.querySelector('#history-table tr[data-history]')", timeout=10)
            console.eval("document.querySelector('#history-table details').open = true")
            shots.append(console.screenshot(out / "inspector-history.png", full_page=True))
            show(console, "config")
            field = '.field[data-property="openvidu.recording.autostop-timeout"]'
            console.wait_for(f"document.querySelector('{field} input')", timeout=10)
            console.eval(f"document.querySelector('{field} input').value = '-1'")
            click(console, "#restart-form button[type=submit]")
            console.wait_for(f"document.querySelector('{field} .field-error').textContent", timeout=10)
            console.eval("document.getElementById('notice').replaceChildren()")
            shots.append(console.screenshot(out / "inspector-config.png", full_page=True))
            console.viewport(390, 844)
            console.eval("document.getElementById('notice').replaceChildren()")
            show(console, "sessions")
            console.eval("window.scrollTo(0, 0)")
            time.sleep(1)
            shots.append(console.screenshot(out / "inspector-phone.png"))
            for page in people:
                page.close()
            print("\n".join(str(shot) for shot in shots))


if __name__ == "__main__":
    main()
