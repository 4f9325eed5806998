"""Session history folded from CDR lines (server.inspector.history)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server.inspector.history import read_history, summarize


def line(name: str, **props: Any) -> str:
    return json.dumps({name: props})


def session_lines(sid: str, start: int) -> list[str]:
    return [
        line("sessionCreated", sessionId=sid, timestamp=start),
        line("participantJoined", sessionId=sid, timestamp=start + 100, participantId="p1", location="unknown", platform="Chrome"),
        line("participantJoined", sessionId=sid, timestamp=start + 200, participantId="p2", location="unknown", platform="Firefox"),
        line("webrtcConnectionCreated", sessionId=sid, timestamp=start + 300, streamId="s1", participantId="p1", connection="OUTBOUND"),
        line("webrtcConnectionCreated", sessionId=sid, timestamp=start + 400, streamId="s1", participantId="p2", connection="INBOUND", receivingFrom="p1"),
        line("recordingStatusChanged", sessionId=sid, timestamp=start + 500, id=sid, status="started"),
        line("recordingStatusChanged", sessionId=sid, timestamp=start + 900, id=sid, status="stopped"),
        line("webrtcConnectionDestroyed", sessionId=sid, timestamp=start + 10300, startTime=start + 300, streamId="s1", participantId="p1", connection="OUTBOUND"),
        line("participantLeft", sessionId=sid, timestamp=start + 11000, startTime=start + 100, duration=10, participantId="p1", reason="disconnect"),
        line("participantLeft", sessionId=sid, timestamp=start + 11000, startTime=start + 200, duration=10, participantId="p2", reason="sessionClosedByServer"),
        line("sessionDestroyed", sessionId=sid, timestamp=start + 12000, startTime=start, duration=12, reason="sessionClosedByServer"),
    ]  # fmt: skip


def test_a_finished_session_is_summarized() -> None:
    (summary,) = summarize(session_lines("ses", 1000))
    assert summary["sessionId"] == "ses" and summary["duration"] == 12 and summary["streamingTime"] == 10
    assert (summary["users"], summary["publishers"], summary["subscribers"]) == (2, 1, 1)
    assert summary["recordings"] == ["ses"] and summary["reason"] == "sessionClosedByServer"
    assert [p["participantId"] for p in summary["participants"]] == ["p1", "p2"]
    assert (
        summary["participants"][0]["reason"] == "disconnect"
        and summary["participants"][1]["platform"] == "Firefox"
    )


def test_open_sessions_and_garbage_are_left_out_and_ids_can_be_reused() -> None:
    lines = [
        *session_lines("same", 1000),
        "not json",
        "[1, 2]",
        json.dumps({"a": 1, "b": 2}),
        line("participantJoined", sessionId="ghost", timestamp=5, participantId="x"),
        *session_lines("same", 50000),
        line("sessionCreated", sessionId="open", timestamp=60000),
    ]
    summaries = summarize(lines)
    assert [(s["sessionId"], s["startTime"]) for s in summaries] == [("same", 1000), ("same", 50000)]


def test_a_session_created_before_the_files_starts_from_its_destroy_line() -> None:
    (summary,) = summarize(
        [line("sessionDestroyed", sessionId="old", timestamp=9000, startTime=4000, duration=5)]
    )
    assert summary["startTime"] == 4000 and summary["users"] == 0


def test_read_history_newest_first_and_filtered(tmp_path: Path) -> None:
    (tmp_path / "CDR.2026-01-01_10-00-00.log").write_text("\n".join(session_lines("first", 1000)) + "\n")
    (tmp_path / "CDR.2026-01-02_10-00-00.log").write_text("\n".join(session_lines("second", 90000)) + "\n")
    (tmp_path / "STATS.2026-01-02_10-00-00.log").write_text("{}\n")
    assert [s["sessionId"] for s in read_history(tmp_path)["sessions"]] == ["second", "first"]
    assert [s["sessionId"] for s in read_history(tmp_path, "SEC")["sessions"]] == ["second"]
    assert read_history(tmp_path / "missing") == {"sessions": [], "truncated": False}
