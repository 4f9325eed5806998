"""Which media server hosts a new session.

``MediaServerPicker`` is the seam where cluster placement (server/cluster, load strategies) plugs in; until a
cluster picker is given, ``FirstConnectedPicker`` uses the first connected media server, like OpenVidu CE.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from kms_client.connection import KmsConnection


class NoMediaServerError(Exception):
    """No connected media server can host a session (joinRoom answers 204)."""


@dataclass(frozen=True, slots=True)
class MediaServerChoice:
    """A connection to a media server and the id OpenVidu shows for it (``KMS-XXXXXX``)."""

    server_id: str
    connection: KmsConnection


class MediaServerPicker(Protocol):
    def pick(self, session_id: str) -> MediaServerChoice:
        """The media server for a new session; raises NoMediaServerError when none is usable."""
        ...


class FirstConnectedPicker:
    """The first connected server of a list that may change over time."""

    def __init__(self, servers: Callable[[], Sequence[MediaServerChoice]]) -> None:
        self._servers = servers

    def pick(self, session_id: str) -> MediaServerChoice:
        for choice in self._servers():
            if choice.connection.connected:
                return choice
        raise NoMediaServerError("no connected media server")
