"""What the manager asks of a recorder (one per output mode), and what a recorder knows of a stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from server.core.participants import Participant


class RecorderError(Exception):
    """A recorder could not start (the REST start answers 500 ``Error starting recording: <message>``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class StreamSource:
    """A published stream as a recorder sees it."""

    connection_id: str
    stream_id: str
    client_data: str
    server_data: str
    has_audio: bool
    has_video: bool
    type_of_video: str | None
    record: bool = True
    """The connection's ``record`` flag (2.16+): False keeps its streams out of an INDIVIDUAL recording."""

    @classmethod
    def of(cls, participant: Participant) -> StreamSource | None:
        publisher = participant.publisher
        if publisher is None or participant.recorder:
            return None
        options = publisher.media_options
        return cls(
            connection_id=participant.connection_id,
            stream_id=publisher.stream_id,
            client_data=participant.client_data,
            server_data=participant.server_data,
            has_audio=options.has_audio,
            has_video=options.has_video,
            type_of_video=options.type_of_video,
            record=participant.record,
        )


class Recorder(Protocol):
    """Records one Recording. ``stop`` fills in the recording's final size, duration, tracks and status."""

    async def start(self, sources: list[StreamSource]) -> None:
        """Raises RecorderError when the recording cannot start."""
        ...

    async def add_stream(self, source: StreamSource) -> None: ...

    async def remove_stream(self, connection_id: str) -> None: ...

    def media_lost(self) -> None:
        """The media server is gone: stop without talking to it; the recording ends failed."""
        ...

    async def stop(self) -> None: ...
