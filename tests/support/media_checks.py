"""ffprobe helpers of the recording tests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

PROBE_TIMEOUT = 60.0


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def stream_types(probe: dict[str, Any]) -> list[str]:
    return sorted(str(s["codec_type"]) for s in probe.get("streams", []))


def decodes(path: Path) -> bool:
    """A full decode of the file succeeds."""
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT,
        check=False,
    )
    return done.returncode == 0


def max_volume(path: Path) -> float:
    """ffmpeg volumedetect's max_volume (dB) of the audio; -91 dB is digital silence."""
    done = subprocess.run(
        ["ffmpeg", "-v", "info", "-i", str(path), "-af", "volumedetect", "-vn", "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT,
        check=False,
    )
    for line in done.stderr.splitlines():
        if "max_volume:" in line:
            return float(line.split("max_volume:")[1].split()[0])
    return -91.0
