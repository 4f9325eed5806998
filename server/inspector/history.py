"""Session history for the Inspector, read from the CDR files (``openvidu.cdr.path``, spec §8.1).

:func:`summarize` is pure: it folds CDR lines (in file order) into one summary per finished session instance
(a custom session id can be reused, so an instance runs from its ``sessionCreated`` to its
``sessionDestroyed``). :func:`read_history` reads the newest files first, bounded in bytes and in sessions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_HISTORY_BYTES = 64 * 1024 * 1024
"""CDR bytes read for one history request at most (newest files first)."""
MAX_SESSIONS = 500
"""Finished sessions returned at most (newest first)."""
CDR_GLOB = "CDR.*.log"


@dataclass
class _Instance:
    session_id: str
    start: int
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    publishers: int = 0
    subscribers: int = 0
    streaming_ms: int = 0
    recordings: list[str] = field(default_factory=list)


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def summarize(lines: Iterable[str]) -> list[dict[str, Any]]:
    """Finished sessions of these CDR lines, in the order they ended; malformed lines are skipped."""
    open_sessions: dict[str, _Instance] = {}
    finished: list[dict[str, Any]] = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict) or len(record) != 1:
            continue
        ((name, props),) = record.items()
        if not isinstance(props, dict) or not isinstance(props.get("sessionId"), str):
            continue
        session_id: str = props["sessionId"]
        timestamp = _int(props.get("timestamp"))
        if name == "sessionCreated":
            open_sessions[session_id] = _Instance(session_id, timestamp)
            continue
        instance = open_sessions.get(session_id)
        if instance is None:
            if name != "sessionDestroyed":
                continue
            # Created before the files we read: start from what the destroy line says.
            instance = _Instance(session_id, _int(props.get("startTime"), timestamp))
        if name == "participantJoined" and isinstance(props.get("participantId"), str):
            instance.users.setdefault(
                props["participantId"],
                {
                    "participantId": props["participantId"],
                    "platform": props.get("platform"),
                    "location": props.get("location"),
                    "startTime": timestamp,
                    "duration": None,
                    "reason": None,
                },
            )
        elif name == "participantLeft" and isinstance(props.get("participantId"), str):
            user = instance.users.get(props["participantId"])
            if user is not None:
                user["duration"] = _int(props.get("duration"))
                user["reason"] = props.get("reason")
        elif name == "webrtcConnectionCreated":
            if props.get("connection") == "OUTBOUND":
                instance.publishers += 1
            elif props.get("connection") == "INBOUND":
                instance.subscribers += 1
        elif name == "webrtcConnectionDestroyed" and props.get("connection") == "OUTBOUND":
            instance.streaming_ms += max(0, timestamp - _int(props.get("startTime"), timestamp))
        elif name.startswith("recording") and isinstance(props.get("id"), str):
            if props["id"] not in instance.recordings:
                instance.recordings.append(props["id"])
        elif name == "sessionDestroyed":
            open_sessions.pop(session_id, None)
            finished.append(
                {
                    "sessionId": session_id,
                    "startTime": instance.start,
                    "endTime": timestamp,
                    "duration": _int(props.get("duration"), max(0, timestamp - instance.start) // 1000),
                    "reason": props.get("reason"),
                    "streamingTime": instance.streaming_ms // 1000,
                    "users": len(instance.users),
                    "publishers": instance.publishers,
                    "subscribers": instance.subscribers,
                    "recordings": instance.recordings,
                    "participants": list(instance.users.values()),
                }
            )
    return finished


def cdr_files(folder: Path) -> list[Path]:
    """The CDR files of ``folder``, oldest first (their names carry the date and the server start time)."""
    try:
        return sorted(path for path in folder.expanduser().glob(CDR_GLOB) if path.is_file())
    except OSError:
        return []


def read_history(folder: Path, query: str = "") -> dict[str, Any]:
    """``{"sessions": [...newest first], "truncated": bool}`` of sessions whose id contains ``query``."""
    budget = MAX_HISTORY_BYTES
    chosen: list[Path] = []
    truncated = False
    for path in reversed(cdr_files(folder)):
        try:
            size = path.stat().st_size
        except OSError:
            continue
        if size > budget:
            truncated = True
            break
        budget -= size
        chosen.append(path)
    lines: list[str] = []
    for path in reversed(chosen):
        try:
            lines.extend(path.read_text(encoding="utf-8", errors="replace").splitlines())
        except OSError:
            continue
    needle = query.lower()
    sessions = [s for s in reversed(summarize(lines)) if needle in s["sessionId"].lower()]
    if len(sessions) > MAX_SESSIONS:
        sessions = sessions[:MAX_SESSIONS]
        truncated = True
    return {"sessions": sessions, "truncated": truncated}
