"""WebRTC series for the Inspector charts (server.inspector.webrtc)."""

from __future__ import annotations

from typing import Any

from server.inspector.webrtc import endpoint_figures, webrtc_series


def inbound(bytes_received: int, lost: int = 0, jitter: float = 0.01) -> dict[str, Any]:
    return {"type": "inboundrtp", "bytesReceived": bytes_received, "packetsLost": lost, "jitter": jitter}


def outbound(bytes_sent: int, rtt: float = 0.02) -> dict[str, Any]:
    return {"type": "outboundrtp", "bytesSent": bytes_sent, "packetsLost": 0, "roundTripTime": rtt}


def test_endpoint_figures_sum_bytes_and_keep_the_worst() -> None:
    stats = {
        "a": inbound(1000, 2, 0.01),
        "b": inbound(500, 1, 0.03),
        "c": outbound(700, 0.05),
        "d": {"type": "x"},
        "e": 3,
    }
    figures = endpoint_figures(stats)
    assert (figures.bytes, figures.packets_lost, figures.jitter, figures.rtt) == (2200, 3, 0.03, 0.05)
    empty = endpoint_figures(None)
    assert (empty.bytes, empty.jitter, empty.rtt) == (0, None, None)


def test_series_bitrate_from_consecutive_records() -> None:
    def record(ts: int, received: int) -> dict[str, Any]:
        endpoint = {
            "sessionId": "s",
            "endpoint": "pub",
            "mediaServer": "KMS-1",
            "stats": {"i": inbound(received)},
        }
        return {"timestamp": ts, "endpoints": [endpoint]}

    series = webrtc_series([record(1000, 0), record(2000, 125000), record(3000, 10), {"timestamp": "bad"}])
    points = series["endpoints"]["pub"]["points"]
    assert series["endpoints"]["pub"]["mediaServer"] == "KMS-1"
    assert [p[1] for p in points] == [None, 1000.0, None]  # kbps; a counter reset gives no figure
    assert points[0][3] == 10.0 and points[0][4] is None  # jitter in ms; no RTT on a receiving endpoint
