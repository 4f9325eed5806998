"""server.media.endpoint alone: the typed Kurento events a participant's endpoint receives become the same
candidates, errors and ``webRtcStats`` entries as before, and malformed events are dropped at this boundary."""

from __future__ import annotations

from kms_client.events import ErrorEvent, IceCandidateFound, MediaFlowInStateChanged, NewCandidatePairSelected
from server.media.endpoint import MAX_STATS_EVENTS, Candidate, MediaEndpoint


def test_candidates_relayed_and_malformed_ones_dropped() -> None:
    seen: list[Candidate] = []
    endpoint = MediaEndpoint("pub_CAMERA_X", on_candidate=seen.append)
    good = {"__module__": "kurento", "__type__": "IceCandidate", "candidate": "candidate:1", "sdpMid": "0"}
    endpoint._candidate_event(IceCandidateFound.from_data({"candidate": {**good, "sdpMLineIndex": 1}}))
    endpoint._candidate_event(IceCandidateFound.from_data({"candidate": {**good, "sdpMLineIndex": "2"}}))
    endpoint._candidate_event(
        IceCandidateFound.from_data({"candidate": {"sdpMid": "0"}})
    )  # no candidate text
    endpoint._candidate_event(IceCandidateFound.from_data({"candidate": "junk"}))
    endpoint._candidate_event(IceCandidateFound.from_data({}))
    assert seen == [Candidate("candidate:1", "0", 1), Candidate("candidate:1", "0", 2)]
    endpoint.released = True
    endpoint._candidate_event(IceCandidateFound.from_data({"candidate": {**good, "sdpMLineIndex": 1}}))
    assert len(seen) == 2


def test_errors_relayed_with_defaults() -> None:
    errors: list[tuple[str, str, int]] = []
    endpoint = MediaEndpoint("e", on_error=lambda t, d, c: errors.append((t, d, c)))
    endpoint._error_event(ErrorEvent.from_data({"type": "SDP_ERROR", "description": "bad", "errorCode": 40}))
    endpoint._error_event(ErrorEvent.from_data({}))
    assert errors == [("SDP_ERROR", "bad", 40), ("", "", 0)]


def test_stats_events_keep_the_wire_data() -> None:
    endpoint = MediaEndpoint("sub_pub_CAMERA_X")
    endpoint.created_ms = 1
    flow = {
        "source": "x",
        "tags": [],
        "timestampMillis": "5",
        "timestamp": "0",
        "state": "FLOWING",
        "padName": "default",
        "mediaType": "VIDEO",
        "type": "MediaFlowInStateChanged",
    }
    endpoint._stats_event(MediaFlowInStateChanged.from_data(flow))
    entry = endpoint.stats.events[0]
    assert {k: v for k, v in entry.items() if k not in ("timestamp", "msSinceEndpointCreation")} == {
        "state": "FLOWING",
        "padName": "default",
        "mediaType": "VIDEO",
        "type": "MediaFlowInStateChanged",
    }
    assert entry["msSinceEndpointCreation"] == entry["timestamp"] - 1

    pair = {"candidatePair": {"localCandidate": "candidate:l", "remoteCandidate": "candidate:r"}}
    endpoint._stats_event(NewCandidatePairSelected.from_data(pair))  # no "type": the event's name is used
    assert endpoint.stats.events[1]["type"] == "NewCandidatePairSelected"
    assert endpoint.stats.events[1]["candidatePair"] == pair["candidatePair"]
    assert (endpoint.stats.local_candidate, endpoint.stats.remote_candidate) == ("candidate:l", "candidate:r")

    for _ in range(MAX_STATS_EVENTS + 5):
        endpoint._stats_event(MediaFlowInStateChanged.from_data(flow))
    assert len(endpoint.stats.events) == MAX_STATS_EVENTS
