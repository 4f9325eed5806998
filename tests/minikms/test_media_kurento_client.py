"""Full stack: the official kurento-client drives a real minikms process while Chromium moves real media.

Publisher page -> WebRtcEndpoint -> PassThrough -> WebRtcEndpoint -> subscriber page, plus a
RecorderEndpoint on the PassThrough. Run inside a loopback-only network namespace:
  unshare -n sh -c 'ip link set lo up && python3 -m pytest tests/minikms/test_media_kurento_client.py -q'
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.minikms.media_helpers import PAGE, decodes_cleanly, ffprobe
from tests.support.browser import StaticServer
from tests.support.node import run_node_json
from tests.support.procs import MinikmsProcess

pytestmark = [pytest.mark.media, pytest.mark.e2e]

LOOPBACK = "127.0.0.1"
RECORD_MS = 4000
SCRIPT_TIMEOUT = 180.0
DURATION_TOLERANCE = 0.10


@pytest.fixture(scope="module")
def server() -> Iterator[StaticServer]:
    with StaticServer() as srv:
        yield srv


def names(events: list[dict[str, Any]]) -> list[str]:
    return [e["name"] for e in events]


@pytest.mark.parametrize(("kms_version", "major"), [("7.3.0", "7"), ("6.18.0", "6")])
def test_kurento_client_publish_relay_record(
    server: StaticServer, tmp_path: Path, kms_version: str, major: str
) -> None:
    record_path = tmp_path / "kc.webm"
    with MinikmsProcess(kms_version=kms_version, log_path=tmp_path / "minikms.log") as kms:
        out = run_node_json(
            "kurento_media_e2e.js",
            kms.uri,
            f"{server.base_url}/{PAGE}",
            str(record_path),
            str(RECORD_MS),
            major,
            timeout=SCRIPT_TIMEOUT,
        )
    assert "error" not in out, out.get("error")

    # The subscriber page plays what the publisher page sends.
    assert out["firstState"]["width"] > 0 and out["laterState"]["time"] > out["firstState"]["time"]
    assert out["subRtp"]["videoIn"] > 0 and out["subRtp"]["audioIn"] > 0
    assert out["subRtp"]["pair"] == [LOOPBACK, LOOPBACK]
    assert "b=AS:600" in out["pubAnswer"].split("m=video", 1)[1]

    # Events through the official client, with this KMS version's names.
    flow_in = "MediaFlowInStateChanged" if major == "7" else "MediaFlowInStateChange"
    flow_out = "MediaFlowOutStateChanged" if major == "7" else "MediaFlowOutStateChange"
    pub_events, sub_events = out["events"]["pub"], out["events"]["sub"]
    for events in (pub_events, sub_events):
        found = [e["candidate"] for e in events if e["name"] == "IceCandidateFound"]
        assert found and all(f" {LOOPBACK} " in c for c in found)
        assert "IceGatheringDone" in names(events) and "NewCandidatePairSelected" in names(events)
        assert {"name": "MediaStateChanged", "newState": "CONNECTED"}.items() <= next(
            e for e in events if e["name"] == "MediaStateChanged"
        ).items()
    assert any(
        e["name"] == flow_in and e["state"] == "FLOWING" and e["mediaType"] == "VIDEO" for e in pub_events
    )
    assert any(
        e["name"] == flow_out and e["state"] == "FLOWING" and e["mediaType"] == "VIDEO" for e in sub_events
    )
    if major == "6":
        assert "OnIceCandidate" in names(pub_events)
    assert out["flowingIn"] is True and out["flowingOut"] is True, (
        out["flowingIn"],
        out["flowingOut"],
        sub_events,
    )
    assert out["mediaState"] == "CONNECTED" and out["connectionState"] == "CONNECTED"

    # Stats in Kurento's shapes.
    inbound = [s for s in out["pubStats"].values() if s["type"] == "inboundrtp"]
    assert inbound and inbound[0]["packetsReceived"] > 0 and inbound[0]["bytesReceived"] > 0
    outbound = [s for s in out["subStats"].values() if s["type"] == "outboundrtp"]
    assert len(outbound) == 2 and all(s["packetsSent"] > 0 for s in outbound)

    # The recording has both streams and the recorded duration.
    recorder_events = [e["name"] for e in out["events"]["recorder"]]
    assert "Recording" in recorder_events and "Stopped" in recorder_events
    probe = ffprobe(record_path)
    assert set(probe.streams) == {"audio", "video"}, probe
    assert int(probe.streams["video"]["nb_read_packets"]) > 0, probe
    low, high = out["recordedMinMs"] / 1000, out["recordedMaxMs"] / 1000
    assert (1 - DURATION_TOLERANCE) * low <= probe.duration <= (1 + DURATION_TOLERANCE) * high, (
        probe,
        low,
        high,
    )
    assert decodes_cleanly(record_path) == ""
