"""``getStats`` of a WebRtcNode: aiortc's receiver and sender reports in Kurento's shapes (``stats.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .node import media_kinds
from .stats import RtpFigures, endpoint_stats, inbound_stats, now_millis, outbound_stats

if TYPE_CHECKING:
    from .webrtc import WebRtcNode


async def webrtc_stats(node: WebRtcNode, media_type: str | None = None) -> dict[str, dict[str, Any]]:
    """A WebRtcEndpoint's ``getStats``: the endpoint entry plus one entry per inbound and outbound RTP stream."""
    stamp = now_millis()
    result: dict[str, dict[str, Any]] = {node.element_id: endpoint_stats(node.element_id, stamp)}
    for kind in media_kinds(media_type):
        for receiver in node.receivers(kind):
            report = await receiver.getStats()
            for stat in report.values():
                if getattr(stat, "type", "") != "inbound-rtp":
                    continue
                figures = RtpFigures(
                    kind=kind,
                    ssrc=stat.ssrc,
                    transport_id=stat.transportId,
                    packets=stat.packetsReceived,
                    bytes=node.rx_bytes[kind],
                    packets_lost=stat.packetsLost,
                    jitter_units=stat.jitter,
                )
                stat_id = f"inboundrtp_{kind}_{stat.ssrc}"
                result[stat_id] = inbound_stats(stat_id, figures, stamp)
        for sender in node.senders(kind):
            report = await sender.getStats()
            remote = {s.ssrc: s for s in report.values() if getattr(s, "type", "") == "remote-inbound-rtp"}
            for stat in report.values():
                if getattr(stat, "type", "") != "outbound-rtp":
                    continue
                back = remote.get(stat.ssrc)
                figures = RtpFigures(
                    kind=kind,
                    ssrc=stat.ssrc,
                    transport_id=stat.transportId,
                    track_id=stat.trackId,
                    packets=stat.packetsSent,
                    bytes=stat.bytesSent,
                    packets_lost=back.packetsLost if back is not None else 0,
                    fraction_lost=back.fractionLost / 256 if back is not None else 0.0,
                    round_trip_time=(back.roundTripTime or 0.0) if back is not None else 0.0,
                    target_bitrate=float(node.encoder_target_bitrate(kind) or 0),
                )
                stat_id = f"outboundrtp_{kind}_{stat.ssrc}"
                result[stat_id] = outbound_stats(stat_id, figures, stamp)
    return result
