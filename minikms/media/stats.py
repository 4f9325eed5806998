"""Kurento ``getStats`` shapes (kurento-protocol.md §3.7) built from aiortc's stats objects (no I/O)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

CLOCK_RATES = {"audio": 48000, "video": 90000}


def now_millis() -> int:
    return int(time.time() * 1000)


def element_stats(element_id: str, timestamp_millis: int) -> dict[str, Any]:
    return {
        "__module__": "kurento",
        "__type__": "ElementStats",
        "id": element_id,
        "type": "element",
        "timestampMillis": timestamp_millis,
        "inputLatency": [],
    }


def endpoint_stats(element_id: str, timestamp_millis: int) -> dict[str, Any]:
    return {
        "__module__": "kurento",
        "__type__": "EndpointStats",
        "id": element_id,
        "type": "endpoint",
        "timestampMillis": timestamp_millis,
        "inputLatency": [],
        "E2ELatency": [],
    }


@dataclass
class RtpFigures:
    """What aiortc tells about one RTP stream, gathered from its stats report and internals."""

    kind: str
    ssrc: int
    transport_id: str
    track_id: str = ""
    codec_id: str = ""
    packets: int = 0
    bytes: int = 0
    packets_lost: int = 0
    fraction_lost: float = 0.0
    jitter_units: int = 0
    round_trip_time: float = 0.0
    target_bitrate: float = 0.0


def _rtp_common(stat_id: str, kind_type: str, figures: RtpFigures, timestamp_millis: int) -> dict[str, Any]:
    return {
        "__module__": "kurento",
        "id": stat_id,
        "type": kind_type,
        "timestampMillis": timestamp_millis,
        "ssrc": str(figures.ssrc),
        "associateStatsId": "",
        "isRemote": False,
        "mediaTrackId": figures.track_id,
        "transportId": figures.transport_id,
        "codecId": figures.codec_id,
        "firCount": 0,
        "pliCount": 0,
        "nackCount": 0,
        "sliCount": 0,
        "remb": 0,
        "packetsLost": figures.packets_lost,
        "fractionLost": float(figures.fraction_lost),
    }


def inbound_stats(stat_id: str, figures: RtpFigures, timestamp_millis: int) -> dict[str, Any]:
    stats = _rtp_common(stat_id, "inboundrtp", figures, timestamp_millis)
    stats["__type__"] = "RTCInboundRTPStreamStats"
    stats["packetsReceived"] = figures.packets
    stats["bytesReceived"] = figures.bytes
    stats["jitter"] = figures.jitter_units / CLOCK_RATES.get(figures.kind, 90000)
    return stats


def outbound_stats(stat_id: str, figures: RtpFigures, timestamp_millis: int) -> dict[str, Any]:
    stats = _rtp_common(stat_id, "outboundrtp", figures, timestamp_millis)
    stats["__type__"] = "RTCOutboundRTPStreamStats"
    stats["packetsSent"] = figures.packets
    stats["bytesSent"] = figures.bytes
    stats["targetBitrate"] = float(figures.target_bitrate)
    stats["roundTripTime"] = float(figures.round_trip_time)
    return stats
