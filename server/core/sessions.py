"""Sessions: properties given at ``POST /api/sessions``, tokens, participants and the active flag."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.core.enums import MediaMode, OutputMode, RecordingLayout, RecordingMode
from server.core.participants import Participant
from server.core.tokens import Token


@dataclass(frozen=True, slots=True)
class SessionProperties:
    media_mode: MediaMode = MediaMode.ROUTED
    recording_mode: RecordingMode = RecordingMode.MANUAL
    default_output_mode: OutputMode = OutputMode.COMPOSED
    default_recording_layout: RecordingLayout = RecordingLayout.BEST_FIT
    default_custom_layout: str = ""
    custom_session_id: str = ""


# Properties of sessions created on the fly by a join with the server secret (spec §10.10).
INSECURE_SESSION_PROPERTIES = SessionProperties(recording_mode=RecordingMode.ALWAYS)


@dataclass(slots=True, eq=False)
class Session:
    """One OpenVidu session.

    ``active`` turns true at the first join (the "not active" map of the original holds the others).
    ``media`` and ``media_server_id`` belong to the media layer (pipeline handle, hosting KMS).
    """

    session_id: str
    properties: SessionProperties
    created_at: int
    tokens: dict[str, Token] = field(default_factory=dict)
    participants: dict[str, Participant] = field(default_factory=dict)
    active: bool = False
    recording: bool = False
    closing: bool = False
    media_server_id: str | None = None
    media: Any = None
    json_head: bytes = field(default=b"", repr=False)
    """Cached serialized immutable part of the REST JSON (owned by ``server.core.serialize``)."""

    def visible_participants(self) -> list[Participant]:
        """Participants shown by REST and to other participants (never the hidden RECORDER)."""
        return [p for p in self.participants.values() if not p.recorder]

    def find_stream(self, stream_id: str) -> Participant | None:
        for participant in self.participants.values():
            if participant.publisher is not None and participant.publisher.stream_id == stream_id:
                return participant
        return None
