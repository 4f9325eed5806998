"""PlayerNode: the media side of a Kurento PlayerEndpoint: aiortc's MediaPlayer (PyAV) decodes ``rtsp://``,
``http(s)://`` or ``file://`` sources and its tracks feed the node's outputs.

States follow ``UriEndpointState``: STOP -> START (``play``) <-> PAUSE -> STOP. The end of the source raises
``EndOfStream``; a source that cannot be opened fails ``play`` with MEDIA_OBJECT_ILLEGAL_PARAM_ERROR.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import unquote, urlparse

from aiortc.contrib.media import MediaPlayer

from minikms.protocol import MEDIA_OBJECT_ILLEGAL_PARAM_ERROR, KurentoError

from .node import KINDS, MediaEngine, MediaNode

log = logging.getLogger(__name__)

SCHEMES = ("file", "rtsp", "rtsps", "http", "https")
OPEN_TIMEOUT_SECONDS = 10.0
END_POLL_SECONDS = 0.5


def player_source(uri: str, network_cache_ms: int) -> tuple[str, dict[str, str]]:
    """What MediaPlayer opens for a Kurento URI, and the FFmpeg options (network cache as the jitter buffer
    of RTSP, an I/O timeout for network sources)."""
    parsed = urlparse(uri)
    if parsed.scheme not in SCHEMES:
        raise KurentoError(MEDIA_OBJECT_ILLEGAL_PARAM_ERROR, f"Unsupported URI scheme in {uri}")
    if parsed.scheme == "file":
        return unquote(parsed.path), {}
    options = {"rw_timeout": str(int(OPEN_TIMEOUT_SECONDS * 1_000_000))}
    if parsed.scheme.startswith("rtsp"):
        options.update(rtsp_transport="tcp", max_delay=str(max(0, network_cache_ms) * 1000))
    return uri, options


class PlayerNode(MediaNode):
    def __init__(self, engine: MediaEngine, uri: str, network_cache_ms: int = 2000) -> None:
        self.source, self.options = player_source(uri, network_cache_ms)
        super().__init__(engine)
        self.uri = uri
        self.state = "STOP"
        self.player: MediaPlayer | None = None
        self._watch: asyncio.Task[None] | None = None

    async def play(self) -> None:
        if self.state == "START":
            return
        if self.player is None:
            try:
                self.player = await asyncio.wait_for(
                    asyncio.to_thread(MediaPlayer, self.source, options=self.options), OPEN_TIMEOUT_SECONDS
                )
            except (OSError, ValueError, TimeoutError, Exception) as exc:
                raise KurentoError(
                    MEDIA_OBJECT_ILLEGAL_PARAM_ERROR, f"Cannot open {self.uri}: {exc}"
                ) from None
        for kind in KINDS:
            track = self.player.audio if kind == "audio" else self.player.video
            self.outputs[kind].set_source(track)
        self._set_state("START")
        self._watch = asyncio.get_running_loop().create_task(self._watch_end())

    async def pause(self) -> None:
        if self.state == "START":
            for hub in self.outputs.values():
                hub.set_source(None)
            self._set_state("PAUSE")

    async def stop(self) -> None:
        await self._close_player()
        self._set_state("STOP")

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.emit("UriEndpointStateChanged", {"state": state})

    async def _watch_end(self) -> None:
        """``EndOfStream`` once every track of the source has ended."""
        player = self.player
        while player is not None and self.state == "START":
            await asyncio.sleep(END_POLL_SECONDS)
            tracks = [t for t in (player.audio, player.video) if t is not None]
            if tracks and all(t.readyState == "ended" for t in tracks):
                self.emit("EndOfStream", {})
                return

    async def _close_player(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        for hub in self.outputs.values():
            hub.set_source(None)
        player, self.player = self.player, None
        if player is not None:
            for track in (player.audio, player.video):
                if track is not None:
                    with contextlib.suppress(Exception):
                        track.stop()

    async def close_media(self) -> None:
        await self._close_player()
