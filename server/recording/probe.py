"""ffprobe of a finished COMPOSED recording (RecordingInfoUtils) and its thumbnail (openvidu-recording's step 9)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROBE_TIMEOUT = 60.0
THUMBNAIL_WIDTH = 480


@dataclass(frozen=True, slots=True)
class MediaInfo:
    duration: float
    size: int
    width: int | None
    height: int | None
    has_audio: bool
    has_video: bool


def parse_probe(document: dict[str, Any]) -> MediaInfo:
    """The facts the original reads from ``<id>.info`` (ffprobe -show_format -show_streams JSON)."""
    fmt = document.get("format") or {}
    streams = [s for s in document.get("streams") or [] if isinstance(s, dict)]
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    try:
        duration = float(fmt.get("duration", 0) or 0)
    except (TypeError, ValueError):
        duration = 0.0
    try:
        size = int(fmt.get("size", 0) or 0)
    except (TypeError, ValueError):
        size = 0
    return MediaInfo(
        duration=duration,
        size=size,
        width=int(video["width"]) if video is not None and "width" in video else None,
        height=int(video["height"]) if video is not None and "height" in video else None,
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
        has_video=video is not None,
    )


async def _run(*args: str) -> tuple[int, bytes]:
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), PROBE_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return -1, b""
    return proc.returncode or 0, out


async def probe(path: Path) -> MediaInfo | None:
    code, out = await _run(
        "ffprobe", "-v", "quiet", "-print_format", "json", "-show_format", "-show_streams", str(path)
    )
    if code != 0:
        return None
    try:
        document = json.loads(out)
    except ValueError:
        return None
    return parse_probe(document) if isinstance(document, dict) else None


async def thumbnail(video: Path, target: Path, info: MediaInfo) -> bool:
    """A 480-pixel-wide JPEG of the frame in the middle of the video."""
    if not info.width or not info.height:
        return False
    height = max(2, round(THUMBNAIL_WIDTH * info.height / info.width / 2) * 2)
    code, _ = await _run(
        "ffmpeg", "-y", "-loglevel", "error", "-ss", f"{info.duration / 2:.3f}", "-i", str(video),
        "-vframes", "1", "-s", f"{THUMBNAIL_WIDTH}x{height}", str(target),
    )  # fmt: skip
    return code == 0 and target.exists()
