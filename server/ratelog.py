"""Repeated failures of one kind logged with a counter instead of one line (or traceback) per occurrence."""

from __future__ import annotations

import logging
import time

SUMMARY_INTERVAL = 60.0
"""Seconds between two log lines of the same kind of failure (the first one is logged at once)."""


class FailureLog:
    """``hit(detail)`` logs the first failure of its kind, then at most one line per ``interval`` seconds with
    how many happened since, so a flood of bad peers costs a counter, not the log's disk."""

    def __init__(self, logger: logging.Logger, what: str, interval: float = SUMMARY_INTERVAL) -> None:
        self.logger = logger
        self.what = what
        self.interval = interval
        self.total = 0
        self._unlogged = 0
        self._last = float("-inf")

    def hit(self, detail: str = "", level: int = logging.WARNING) -> None:
        self.total += 1
        self._unlogged += 1
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        suffix = f": {detail}" if detail else ""
        if self._unlogged > 1:
            self.logger.log(
                level,
                "%s (%d times in the last %.0f s, %d in all)%s",
                self.what,
                self._unlogged,
                self.interval,
                self.total,
                suffix,
            )
        else:
            self.logger.log(level, "%s (%d in all)%s", self.what, self.total, suffix)
        self._unlogged = 0
