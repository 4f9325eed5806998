"""Helpers of the Inspector browser tests and of scripts/inspector_screenshots.py: the console page opened with
the server's Basic credentials, what a view shows read back from the DOM, clicks, and recordings made on disk."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.support.browser import Browser, Page
from tests.support.server import ServerProcess

LIVE = 2.0
"""Seconds within which a change must show in the console (issue 12)."""


def inspector_url(server: ServerProcess, view: str = "sessions") -> str:
    """The console URL with the credentials in it (Chromium sends them, then reuses them for the realm)."""
    scheme, rest = server.url.split("://", 1)
    return f"{scheme}://OPENVIDUAPP:{server.secret}@{rest}/inspector#{view}"


def open_inspector(browser: Browser, server: ServerProcess, view: str = "sessions") -> Page:
    page = browser.open(inspector_url(server, view))
    page.wait_for(
        "window.Inspector && Inspector.connected && Inspector.state.sessions !== null", timeout=15.0
    )
    return page


def show(page: Page, view: str) -> None:
    page.eval(f"location.hash = {'#' + view!r}")
    page.wait_for(f"Inspector.view === {view!r}", timeout=5.0)


def click(page: Page, selector: str, confirm: bool = False) -> None:
    """Click a control; destructive ones (``confirm``) take a second click, as an operator does."""
    expr = f"(() => {{ const b = document.querySelector({selector!r}); if (!b) return false; b.click(); return true; }})()"
    page.wait_for(expr, timeout=5.0)
    if confirm:
        page.wait_for(f"document.querySelector({selector!r} + '.armed') ? true : false", timeout=5.0)
        page.wait_for(expr, timeout=5.0)


def notice(page: Page, prefix: str, timeout: float = 15.0) -> str:
    """The text of the notice that reports an action's answer."""
    expr = (
        f"(() => {{ const n = document.querySelector('#notice div'); "
        f"return n && n.textContent.startsWith({prefix!r}) ? n.textContent : false; }})()"
    )
    text: str = page.wait_for(expr, timeout=timeout)
    return text


CARD_JS = """(sid) => {
  const card = document.querySelector('article[data-session="' + CSS.escape(sid) + '"]');
  if (!card) return null;
  return {
    counts: card.querySelector('[data-counts]').dataset.counts,
    recording: !!card.querySelector('[data-recording="true"]'),
    edges: card.querySelectorAll('.graph line.edge').length,
    text: card.querySelector('.card-head').textContent,
    rows: [...card.querySelectorAll('tr[data-connection]')].map((tr) => ({
      id: tr.dataset.connection,
      cells: [...tr.children].map((td) => td.textContent),
      streams: [...tr.querySelectorAll('li[data-stream]')].map((li) => ({
        id: li.dataset.stream,
        audio: li.querySelector('[data-audio]').dataset.audio,
        video: li.querySelector('[data-video]').dataset.video,
      })),
      receives: [...tr.querySelectorAll('[data-receives]')].map((li) => li.dataset.receives),
    })),
  };
}"""


def card(page: Page, session_id: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = page.eval(f"({CARD_JS})({session_id!r})")
    return result


def wait_card(page: Page, session_id: str, condition: str, timeout: float = LIVE) -> dict[str, Any]:
    """Wait until the session card satisfies ``condition`` (JS over ``c``, the card state)."""
    expr = f"(() => {{ const c = ({CARD_JS})({session_id!r}); return c && ({condition}) ? c : false; }})()"
    try:
        found: dict[str, Any] = page.wait_for(expr, timeout=timeout)
    except Exception as exc:
        live = page.eval(
            "JSON.stringify({now: Date.now(), updates: Inspector.updates, connected: Inspector.connected})"
        )
        raise AssertionError(
            f"card {session_id} never had {condition} within {timeout} s: {card(page, session_id)} {live}"
        ) from exc
    return found


def rest_counts(session: dict[str, Any]) -> str:
    conns = session["connections"]["content"]
    publishers = sum(len(c["publishers"]) for c in conns)
    subscribers = sum(len(c["subscribers"]) for c in conns)
    return f"{len(conns)}/{publishers}/{subscribers}"


def make_recording(
    folder: Path, server: ServerProcess, recording_id: str, *, audio_only: bool = False, seconds: float = 2.0
) -> dict[str, Any]:
    """A finished recording on disk as the recording module leaves one: ``<id>/<name>.<ext>`` made by ffmpeg
    and its ``.recording.<id>`` metadata."""
    rec_dir = folder / recording_id
    rec_dir.mkdir(parents=True, exist_ok=True)
    name = recording_id
    if audio_only:
        media = rec_dir / f"{name}.webm"
        inputs = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
        codecs = ["-c:a", "libopus"]
    else:
        media = rec_dir / f"{name}.mp4"
        inputs = [
            "-f", "lavfi", "-i", f"testsrc=size=320x240:rate=15:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        ]  # fmt: skip
        codecs = [
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-movflags",
            "+faststart",
            "-shortest",
        ]
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", *inputs, *codecs, str(media)], check=True, timeout=60
    )
    metadata = {
        "id": recording_id,
        "name": name,
        "outputMode": "COMPOSED",
        "sessionId": recording_id.split("~")[0],
        "createdAt": int(time.time() * 1000),
        "size": media.stat().st_size,
        "duration": seconds,
        "url": f"{server.url}/recordings/{recording_id}/{media.name}",
        "hasAudio": True,
        "hasVideo": not audio_only,
        "status": "available",
    }
    if not audio_only:
        metadata.update(resolution="320x240", recordingLayout="BEST_FIT")
    (rec_dir / f".recording.{recording_id}").write_text(json.dumps(metadata))
    return metadata


def console_errors(page: Page) -> list[str]:
    """Errors of the console page itself: uncaught exceptions and console.error lines. Chromium's own
    "Failed to load resource" lines are left out: they are REST answers with an error status (a 501 of
    recording start, a 404 of a vanished stream) that the page reports to the operator on purpose."""
    errors = list(page.errors)
    errors += [
        line.text
        for line in page.console
        if line.type == "error" and not line.text.startswith("Failed to load resource")
    ]
    return errors
