"""What REST and the Inspector ask of the signaling layer, as a protocol of the core.

The REST packages (``server.api``, ``server.api232``) never import ``server.rpc``: they are handed an object of
this shape (the signaling service, the app's ``SIGNALING`` part of :mod:`server.parts`) by :mod:`server.assembly`.
"""

from __future__ import annotations

from typing import Protocol

from server.core.participants import Participant
from server.core.tokens import IpcamOptions


class IpcamError(Exception):
    """An IP camera could not be played (``newIpcamConnection`` answers 500 with this message)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RestSignaling(Protocol):
    """Notifications and media operations that REST requests cause in the signaling layer."""

    async def send_rest_signal(
        self, session_id: str, recipients: list[str], signal_type: str | None, data: str | None
    ) -> None:
        """A signal from the server (no ``from``) to these participants."""
        ...

    async def connection_property_changed(
        self, session_id: str, connection_id: str, changes: list[tuple[str, str]]
    ) -> None:
        """One ``connectionPropertyChanged`` per changed property, to that participant."""
        ...

    async def publish_ipcam(
        self, session_id: str, options: IpcamOptions, data: str, record: bool
    ) -> Participant:
        """Join an IP camera and publish its stream. Raises ``SessionNotFound`` or :class:`IpcamError`."""
        ...
