"""COMPOSED video (spec recording.md §3): the layout page joins as RECORDER and is captured to ``<name>.mp4``.

The layout URL is built as the original's ``getLayoutUrl`` (``openvidu.recording.composed-url`` or the public
URL; credentials in the URL; ``http`` only for an http/ws base), pointing at this server's own BEST_FIT page or
at ``/layouts/custom/<customLayout>/index.html``. The capture runs in a local process group (:mod:`.local`).
After the stop: ffprobe gives duration, size, real resolution and tracks (no video → failed), a 480-pixel-wide
``<id>.jpg`` thumbnail is made, and the RECORDER participant is evicted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlencode

import httpx

from server.core.enums import RecordingLayout
from server.recording.local import FRAMERATE, CaptureSpec, LocalCapture
from server.recording.model import Recording, Status
from server.recording.probe import probe, thumbnail
from server.recording.recorder import RecorderError, StreamSource
from server.recording.store import chmod_tree
from server.settings import Settings

log = logging.getLogger(__name__)

BEST_FIT_PATH = "/layouts/best-fit/index.html"
AGENT_SLACK_SECONDS = 10.0
KILL_TIMEOUT_SECONDS = 10.0


def layout_url(settings: Settings, public_url: str, recording: Recording) -> str:
    base = settings.openvidu_recording_composed_url or public_url
    scheme = "http" if base.startswith(("http://", "ws://")) else "https"
    host = base.split("://", 1)[-1].rstrip("/")
    secret = settings.openvidu_secret
    auth = f"OPENVIDUAPP:{quote(secret, safe='')}@"
    props = recording.properties
    if props.recording_layout is RecordingLayout.CUSTOM:
        custom = props.custom_layout.strip("/")
        path = "/layouts/custom" + (f"/{quote(custom)}" if custom else "") + "/index.html"
        query = urlencode({"sessionId": recording.session_id, "secret": secret})
    else:
        # VERTICAL/HORIZONTAL_PRESENTATION were BEST_FIT variants in 2.10/2.11 and PICTURE_IN_PICTURE had no
        # page at all: all of them get the BEST_FIT page.
        path = BEST_FIT_PATH
        query = urlencode(
            {
                "sessionId": recording.session_id,
                "secret": secret,
                "onlyVideo": "false" if props.has_audio else "true",
            }
        )
    return f"{scheme}://{auth}{host}{path}?{query}"


class Capture(Protocol):
    async def start(self, start_timeout: float) -> None: ...

    async def stop(self, timeout: float) -> bool: ...

    async def kill(self) -> None: ...


class RemoteCapture:
    """A capture run by the recorder agent (:mod:`.agent`) on the shared recordings volume."""

    def __init__(self, base_url: str, secret: str, capture_id: str, spec: CaptureSpec, relative: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = ("OPENVIDUAPP", secret)
        self.capture_id = capture_id
        self.spec = spec
        self.relative = relative
        self.running = False

    def _client(self, timeout: float) -> httpx.AsyncClient:
        return httpx.AsyncClient(auth=self.auth, timeout=timeout + AGENT_SLACK_SECONDS, verify=False)

    async def start(self, start_timeout: float) -> None:
        body = {
            "id": self.capture_id,
            "url": self.spec.url,
            "width": self.spec.width,
            "height": self.spec.height,
            "audio": self.spec.audio,
            "frameRate": self.spec.frame_rate,
            "output": self.relative,
            "startTimeout": start_timeout,
        }
        try:
            async with self._client(start_timeout) as client:
                response = await client.post(f"{self.base_url}/captures", json=body)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"recorder agent {self.base_url} unreachable: {exc!r}") from exc
        if response.status_code != 200:
            raise RuntimeError(f"recorder agent answered {response.status_code}: {response.text[:500]}")
        self.running = True

    async def stop(self, timeout: float) -> bool:
        if not self.running:
            return False
        self.running = False
        try:
            async with self._client(timeout) as client:
                response = await client.post(
                    f"{self.base_url}/captures/{quote(self.capture_id, safe='')}/stop",
                    json={"timeout": timeout},
                )
            return response.status_code == 200 and bool(response.json().get("finished"))
        except (httpx.HTTPError, ValueError) as exc:
            log.error("recorder agent stop of %s failed: %r", self.capture_id, exc)
            return False

    async def kill(self) -> None:
        if not self.running:
            return
        self.running = False
        with contextlib.suppress(httpx.HTTPError):
            async with self._client(KILL_TIMEOUT_SECONDS) as client:
                await client.delete(f"{self.base_url}/captures/{quote(self.capture_id, safe='')}")


class ComposedVideoRecorder:
    def __init__(
        self,
        owner: ComposedRecorders,
        recording: Recording,
        folder: Path,
        evict: Callable[[], Awaitable[None]],
    ) -> None:
        self.owner = owner
        self.recording = recording
        self.folder = folder
        self.evict = evict
        self.output = folder / f"{recording.name}.mp4"
        width, height = (int(v) for v in recording.properties.resolution.split("x"))
        spec = CaptureSpec(
            url=layout_url(owner.settings, owner.public_url, recording),
            width=width,
            height=height,
            audio=recording.properties.has_audio,
            output=self.output,
            frame_rate=recording.properties.frame_rate or FRAMERATE,
        )
        agent = owner.settings.openvidu_recording_composed_recorder
        self.capture: Capture = (
            RemoteCapture(
                agent,
                owner.settings.openvidu_secret,
                recording.id,
                spec,
                f"{recording.id}/{self.output.name}",
            )
            if agent
            else LocalCapture(spec)
        )

    async def start(self, sources: list[StreamSource]) -> None:
        try:
            await self.capture.start(self.owner.settings.openvidu_recording_composed_start_timeout)
        except (RuntimeError, OSError) as exc:
            self.owner.running.discard(self)
            raise RecorderError(f"the COMPOSED recorder did not start: {exc}") from exc

    async def add_stream(self, source: StreamSource) -> None:
        return None  # the layout page subscribes by itself

    async def remove_stream(self, connection_id: str) -> None:
        return None

    def media_lost(self) -> None:
        return None  # the page keeps recording what it shows (black tiles)

    async def stop(self) -> None:
        rec = self.recording
        try:
            finished = await self.capture.stop(self.owner.settings.openvidu_recording_composed_stop_timeout)
            try:
                await self.evict()
            except Exception:
                log.exception("evicting the RECORDER of %s", rec.session_id)
        finally:
            await self.capture.kill()
            self.owner.running.discard(self)
        info = await probe(self.output) if finished else None
        if info is None or not info.has_video:
            rec.status = Status.FAILED
            if info is None:
                log.error("COMPOSED recording %s did not finish", rec.id)
        else:
            rec.status = Status.READY
            await thumbnail(self.output, self.folder / f"{rec.id}.jpg", info)
        if info is not None:
            rec.duration = info.duration
            rec.size = info.size
            rec.has_audio = info.has_audio
            rec.has_video = info.has_video
            if info.width and info.height:
                rec.resolution = f"{info.width}x{info.height}"
        await asyncio.to_thread(chmod_tree, self.folder)


class ComposedRecorders:
    """Makes COMPOSED video recorders, bounds how many run at once, and ends them all when the server stops."""

    def __init__(self, settings: Settings, public_url: str) -> None:
        self.settings = settings
        self.public_url = public_url
        self.running: set[ComposedVideoRecorder] = set()

    def recorder(
        self, recording: Recording, folder: Path, evict: Callable[[], Awaitable[None]]
    ) -> ComposedVideoRecorder:
        if len(self.running) >= self.settings.openvidu_recording_composed_max:
            raise RecorderError(
                f"{len(self.running)} COMPOSED video recordings are running "
                f"(openvidu.recording.composed-max={self.settings.openvidu_recording_composed_max})"
            )
        recorder = ComposedVideoRecorder(self, recording, folder, evict)
        self.running.add(recorder)  # counted from now, so simultaneous starts cannot exceed the bound
        return recorder

    async def close(self) -> None:
        for recorder in list(self.running):
            await recorder.capture.kill()
        self.running.clear()
