"""Two minikms WebRtcEndpoints negotiate through the official kurento-client (7.3.0 and 6.18.0):
SDP offer/answer, trickle ICE, events under the emulated version's names, getStats.

ICE runs over loopback: run inside a loopback-only network namespace, e.g.
  unshare -n sh -c 'ip link set lo up && python3 -m pytest tests/minikms/test_kurento_client_webrtc.py -q'
"""

from __future__ import annotations

import psutil
import pytest

from tests.support.node import node_available, run_node_json
from tests.support.procs import MinikmsProcess

pytestmark = [pytest.mark.e2e, pytest.mark.media]

NODE_TIMEOUT = 120.0


@pytest.fixture(autouse=True)
def _loopback_only() -> None:
    if not node_available():
        pytest.fail("node and tests/e2e/node/node_modules are required (scripts/test.sh installs them)")
    others = [name for name in psutil.net_if_addrs() if name != "lo"]
    if others:
        pytest.fail(
            f"media tests must run in a loopback-only network namespace (found {others}); use unshare -n"
        )


@pytest.mark.parametrize("version", ["7.3.0", "6.18.0"])
def test_official_client_negotiates_two_endpoints(version: str) -> None:
    major = version.split(".")[0]
    with MinikmsProcess(kms_version=version) as kms:
        out = run_node_json("kurento_client_webrtc.js", kms.uri, major, timeout=NODE_TIMEOUT)
    assert out["offerHasVideo"] and out["answerHasVideo"]
    assert out["localAfterAnswer"] and out["remoteOfAnswerer"]
    assert out["connected"] == ["answerer", "offerer"]
    for side in ("offerer", "answerer"):
        names = out["events"][side]
        for required in (
            "IceCandidateFound",
            "IceGatheringDone",
            "NewCandidatePairSelected",
            "IceComponentStateChanged",
        ):
            assert required in names, (side, names)
        if version.startswith("6."):
            # 6.18 emits every occurrence under the old names too.
            assert names.count("OnIceCandidate") == names.count("IceCandidateFound")
            assert names.count("OnIceGatheringDone") == names.count("IceGatheringDone") == 1
            assert names.count("IceComponentStateChange") == names.count("IceComponentStateChanged")
    candidate = out["sampleCandidate"]
    assert candidate["__type__"] == "IceCandidate" and candidate["__module__"] == "kurento"
    assert " 127.0.0.1 " in candidate["candidate"]
    assert isinstance(candidate["sdpMLineIndex"], int) and isinstance(candidate["sdpMid"], str)
    data = out["candidateEventData"]
    assert data["type"] == "IceCandidateFound" and data["tags"] == [] and data["timestampMillis"].isdigit()
    assert ("timestamp" in data) == version.startswith("6.")
    pair = out["pairEventData"]["candidatePair"]
    assert pair["__type__"] == "IceCandidatePair" and "streamId" in pair and "componentId" in pair
    assert ("streamID" in pair) == version.startswith("6.")
    assert out["iceConnectionState"][0]["__type__"] == "IceConnection"
    assert out["iceConnectionState"][0]["state"] in ("CONNECTED", "READY")
    assert out["connectionState"] == "CONNECTED"
    assert out["secondOffer"] == {"code": 40208, "type": "SDP_END_POINT_ALREADY_NEGOTIATED"}
    assert "endpoint" in out["statsTypes"]
