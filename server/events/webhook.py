"""The webhook (spec openvidu-rest.md §8.4): each selected event POSTed as flat JSON with ``"event"`` last.

Events are sent one at a time from the sink's own task (the event bus gives it a private queue), so signaling
never waits for the receiver and the receiver sees events in the order they happened. Only HTTP 200 counts
as delivered. Any other status is an answer: it is logged as an error and the event is dropped, never re-sent
(OpenVidu 2.11 and every later version). A connection-level failure (refused, reset, timeout) is retried up to
``max_attempts`` times with a growing pause (OpenVidu 2.18+ retries I/O errors), then dropped and logged. A
retry after a lost response may deliver an event twice (at-least-once).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Sequence

import httpx

from server.core.events import Event

log = logging.getLogger(__name__)

NEVER_SENT = frozenset({"recordingStarted", "recordingStopped"})
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_PAUSE = 0.5
CONTENT_TYPE_JSON = ("Content-Type", "application/json")


def parse_headers(lines: Iterable[str]) -> list[tuple[str, str]]:
    """``"Name: value"`` strings split at the first ``": "``."""
    headers = []
    for line in lines:
        name, sep, value = line.partition(": ")
        if sep and name and value:
            headers.append((name, value))
    return headers


def webhook_body(event: Event) -> bytes:
    body = dict(event.properties())
    body["event"] = event.name
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class WebhookSink:
    def __init__(
        self,
        endpoint: str,
        headers: Sequence[tuple[str, str]],
        events: Iterable[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        retry_pause: float = DEFAULT_RETRY_PAUSE,
    ) -> None:
        self.endpoint = endpoint
        self.headers = list(headers)
        if CONTENT_TYPE_JSON not in self.headers:
            self.headers.append(CONTENT_TYPE_JSON)
        self.events = frozenset(events) - NEVER_SENT
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.retry_pause = retry_pause
        self.delivered = 0
        self.dropped = 0
        self.retries = 0  # attempts after a connection-level failure (counted for /metrics)
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(verify=False, timeout=self.timeout)
        return self._client

    async def handle(self, event: Event) -> None:
        if event.name not in self.events:
            return
        body = webhook_body(event)
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = await self._http().post(self.endpoint, content=body, headers=self.headers)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            except httpx.HTTPError as exc:  # an answer that could not be read: not a connection failure
                self.dropped += 1
                log.error("webhook %s failed: %s: event dropped", event.name, exc)
                return
            else:
                if response.status_code == 200:
                    self.delivered += 1
                    return
                self.dropped += 1
                log.error(
                    "webhook %s answered HTTP %d (only 200 is success): event dropped",
                    event.name,
                    response.status_code,
                )
                return
            log.warning(
                "webhook %s attempt %d/%d failed: %s", event.name, attempt, self.max_attempts, problem
            )
            if attempt < self.max_attempts:
                self.retries += 1
                await asyncio.sleep(self.retry_pause * attempt)
        self.dropped += 1
        log.error("webhook event %s dropped after %d attempts", event.name, self.max_attempts)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
