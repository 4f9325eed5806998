"""Wall-clock time as OpenVidu writes it: epoch milliseconds (``System.currentTimeMillis()``)."""

from __future__ import annotations

import time


def now_ms() -> int:
    """Milliseconds since the epoch, now (the one helper every timestamp of the server comes from)."""
    return time.time_ns() // 1_000_000
