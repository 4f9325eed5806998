"""The cached 2.32 session bytes are exactly the JSON of session_json, before and after changes."""

from __future__ import annotations

import json
from dataclasses import dataclass

from server.api232.parse import session_properties
from server.api232.serialize import session_bytes, session_json, sessions_bytes
from server.core.enums import OpenViduRole
from server.core.events import EventBus
from server.core.manager import ManagerConfig, SessionManager


@dataclass(frozen=True, slots=True)
class HostedOn:
    """A session's media as the core sees it (``SessionMedia``): only its hosting media server."""

    server_id: str | None


def test_bytes_equal_the_json() -> None:
    manager = SessionManager(ManagerConfig("wss://h:1", "2.11.0", "s"), EventBus(), clock=lambda: 1000)
    session = manager.create_session(session_properties({"forcedVideoCodec": "VP8"}), ids_232=True)
    manager.new_connection(session.session_id, OpenViduRole.PUBLISHER, "d", None)
    for pending in (False, True):
        assert json.loads(session_bytes(session, pending)) == session_json(session, pending)
        assert list(json.loads(session_bytes(session, pending))) == list(session_json(session, pending))
    session.media = HostedOn("KMS-ABCDEF")
    session.recording = True
    assert json.loads(session_bytes(session)) == session_json(session)
    assert json.loads(session_bytes(session))["mediaNode"] == {"id": "KMS-ABCDEF"}
    listed = json.loads(sessions_bytes([session, session], True))
    assert listed == {"numberOfElements": 2, "content": [session_json(session, True)] * 2}
