"""Summaries of the stats gatherer's WebRTC records for the Inspector's charts (pure functions, no I/O).

A record is ``{"timestamp", "endpoints": [{"sessionId", "endpoint", "mediaServer", "stats": {id: stat}}]}``
where each stat is a Kurento ``getStats`` entry. Per endpoint and record this keeps the bytes moved (received by a
publisher's endpoint, sent by a subscriber's), packets lost, the worst jitter (seconds) and round-trip time
(seconds); the bitrate is derived from the bytes of two consecutive records of the same endpoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class EndpointFigures:
    bytes: int
    packets_lost: int
    jitter: float | None
    rtt: float | None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _worst(current: float | None, value: object) -> float | None:
    number = _number(value)
    if number is None:
        return current
    return number if current is None else max(current, number)


def endpoint_figures(stats: object) -> EndpointFigures:
    """Totals of one endpoint's ``getStats`` answer (unknown or malformed entries are skipped)."""
    moved = 0
    lost = 0
    jitter: float | None = None
    rtt: float | None = None
    entries = stats.values() if isinstance(stats, dict) else ()
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        kind = entry.get("type")
        if kind == "inboundrtp":
            moved += int(_number(entry.get("bytesReceived")) or 0)
            jitter = _worst(jitter, entry.get("jitter"))
        elif kind == "outboundrtp":
            moved += int(_number(entry.get("bytesSent")) or 0)
            rtt = _worst(rtt, entry.get("roundTripTime"))
        else:
            continue
        lost += max(0, int(_number(entry.get("packetsLost")) or 0))
    return EndpointFigures(moved, lost, jitter, rtt)


def webrtc_series(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """``{"endpoints": {name: {"sessionId", "mediaServer", "points": [[t, kbps, lost, jitterMs, rttMs]]}}}``.

    ``kbps`` is null for an endpoint's first record (no previous bytes to compare with) and after a counter reset.
    """
    endpoints: dict[str, dict[str, Any]] = {}
    previous: dict[str, tuple[int, int]] = {}
    for record in records:
        timestamp = record.get("timestamp")
        if not isinstance(timestamp, int):
            continue
        for item in record.get("endpoints") or ():
            if not isinstance(item, dict) or not isinstance(item.get("endpoint"), str):
                continue
            name = item["endpoint"]
            figures = endpoint_figures(item.get("stats"))
            kbps: float | None = None
            before = previous.get(name)
            if before is not None and timestamp > before[0] and figures.bytes >= before[1]:
                kbps = round((figures.bytes - before[1]) * 8 / (timestamp - before[0]), 1)
            previous[name] = (timestamp, figures.bytes)
            entry = endpoints.setdefault(
                name,
                {"sessionId": item.get("sessionId"), "mediaServer": item.get("mediaServer"), "points": []},
            )
            entry["points"].append(
                [
                    timestamp,
                    kbps,
                    figures.packets_lost,
                    None if figures.jitter is None else round(figures.jitter * 1000, 2),
                    None if figures.rtt is None else round(figures.rtt * 1000, 2),
                ]
            )
    return {"endpoints": endpoints}
