"""The CDR file (spec openvidu-rest.md §8.1): one ``{"<event>": {...}}`` JSON object per line.

File name ``CDR.<yyyy-MM-dd>_<HH-mm-ss of server start>.log`` in ``openvidu.cdr.path``; a new file is opened
when the date changes (daily roll).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import IO

from server.core.events import Event
from server.core.events_232 import EVENT_NAMES_232

log = logging.getLogger(__name__)


def cdr_line(event: Event) -> str:
    return json.dumps({event.name: event.properties()}, ensure_ascii=False, separators=(",", ":"))


class CdrFileSink:
    def __init__(self, folder: str | Path, started_at: float | None = None) -> None:
        self.folder = Path(folder)
        self.started_at = time.time() if started_at is None else started_at
        self._start_part = time.strftime("%H-%M-%S", time.localtime(self.started_at))
        self._date: str | None = None
        self._file: IO[str] | None = None
        self.path: Path | None = None

    def _target(self, now: float) -> IO[str]:
        date = time.strftime("%Y-%m-%d", time.localtime(now))
        if self._file is None or date != self._date:
            if self._file is not None:
                self._file.close()
            self.folder.mkdir(parents=True, exist_ok=True)
            self.path = self.folder / f"CDR.{date}_{self._start_part}.log"
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open between events
            self._date = date
        return self._file

    def handle(self, event: Event) -> None:
        if event.name in EVENT_NAMES_232:
            return  # 2.16+ events are webhook-only: the CDR file stays as 2.10/2.11 wrote it
        try:
            target = self._target(time.time())
            target.write(cdr_line(event) + "\n")
            target.flush()
        except OSError as exc:
            log.error("cannot write CDR event %s: %s", event.name, exc)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
