"""COMPOSED video recordings (spec §3, §4): placeholder replaced in the next step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from server.recording.model import Recording
from server.recording.recorder import Recorder, RecorderError
from server.settings import Settings


class ComposedRecorders:
    def __init__(self, settings: Settings, public_url: str) -> None:
        self.settings = settings
        self.public_url = public_url

    def recorder(self, recording: Recording, folder: Path, evict: Callable[[], Awaitable[None]]) -> Recorder:
        raise RecorderError("COMPOSED video is not available yet")

    async def close(self) -> None:
        return None
