"""Sessions: properties given at ``POST /api/sessions`` (or ``/openvidu/api/sessions``), tokens (the pending
connections), participants and the active flag."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from server.core.enums import MediaMode, OutputMode, RecordingLayout, RecordingMode
from server.core.participants import Participant
from server.core.stamps import Stamped
from server.core.tokens import Token


@dataclass(frozen=True, slots=True)
class RecordingDefaults:
    """``defaultRecordingProperties`` of a 2.16+ session (``RecordingProperties`` with its defaults)."""

    name: str = ""
    has_audio: bool = True
    has_video: bool = True
    output_mode: str = "COMPOSED"
    recording_layout: str = "BEST_FIT"
    custom_layout: str = ""
    resolution: str = "1280x720"
    frame_rate: int = 25
    shm_size: int = 536870912
    ignore_failed_streams: bool = False
    media_node: str | None = None


@dataclass(frozen=True, slots=True)
class SessionProperties:
    media_mode: MediaMode = MediaMode.ROUTED
    recording_mode: RecordingMode = RecordingMode.MANUAL
    default_output_mode: OutputMode = OutputMode.COMPOSED
    default_recording_layout: RecordingLayout = RecordingLayout.BEST_FIT
    default_custom_layout: str = ""
    custom_session_id: str = ""
    # 2.16+ properties (None: not given; the 2.32 view then shows the server's defaults)
    forced_video_codec: str | None = None
    allow_transcoding: bool | None = None
    default_recording: RecordingDefaults | None = None
    media_node: str | None = None


# Properties of sessions created on the fly by a join with the server secret (spec §10.10).
INSECURE_SESSION_PROPERTIES = SessionProperties(recording_mode=RecordingMode.ALWAYS)


class SessionMedia(Protocol):
    """What the core knows of a session's media (the media layer's ``MediaSession``): its hosting server."""

    @property
    def server_id(self) -> str | None:
        """The id of the media server hosting the session's pipeline (None before it is made)."""
        ...

    @property
    def stamp(self) -> int:
        """The change stamp of the media's last change (:mod:`server.core.stamps`): a new hosting server."""
        ...


@dataclass(slots=True, eq=False)
class Session(Stamped):
    """One OpenVidu session.

    ``active`` turns true at the first join (the "not active" map of the original holds the others).
    ``media`` belongs to the media layer (its ``MediaSession``, seen here through :class:`SessionMedia`).
    Every change is stamped (:mod:`server.core.stamps`): :meth:`last_change` tells caches of its JSON when to
    make it again.
    """

    session_id: str
    properties: SessionProperties
    created_at: int
    tokens: dict[str, Token] = field(default_factory=dict)
    participants: dict[str, Participant] = field(default_factory=dict)
    active: bool = False
    recording: bool = False
    broadcasting: bool = False
    closing: bool = False
    media: SessionMedia | None = None

    def last_change(self) -> int:
        """The stamp of the latest change to the session, its participants, their publishers and media options."""
        latest = self.stamp
        media = self.media
        if media is not None and media.stamp > latest:
            latest = media.stamp
        for participant in self.participants.values():
            stamp = participant.stamp
            publisher = participant.publisher
            if publisher is not None:
                stamp = max(stamp, publisher.stamp, publisher.media_options.stamp)
            if stamp > latest:
                latest = stamp
        return latest

    @property
    def media_server_id(self) -> str | None:
        """The id of the media server hosting the session's media (None before its first join)."""
        media = self.media
        return media.server_id if media is not None else None

    def visible_participants(self) -> list[Participant]:
        """Participants shown by REST and to other participants (never the hidden RECORDER)."""
        return [p for p in self.participants.values() if not p.recorder]

    def pending_tokens(self) -> list[Token]:
        """Tokens not used yet: the pending connections of 2.16+ (never those of an active connection id)."""
        return [t for t in self.tokens.values() if t.connection_id not in self.participants]

    def pending_token(self, connection_id: str) -> Token | None:
        for token in self.tokens.values():
            if token.connection_id == connection_id:
                return token
        return None

    def find_stream(self, stream_id: str) -> Participant | None:
        for participant in self.participants.values():
            if participant.publisher is not None and participant.publisher.stream_id == stream_id:
                return participant
        return None
