"""Seconds granted to media-server work (every call to a media server has one)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MediaTimeouts:
    """Seconds granted to media-server work."""

    pipeline: float = 30.0  # OpenVidu waits up to 30 s for the pipeline of the first join
    element: float = 30.0  # creating an endpoint and negotiating it
    call: float = 10.0  # any other single call
    release: float = 5.0
