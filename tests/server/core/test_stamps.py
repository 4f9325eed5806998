"""Change stamps (server.core.stamps): every assignment and every manager-made dict change moves the stamp that
``Session.last_change`` reports; objects keep their slots."""

from __future__ import annotations

import asyncio

from server.core.enums import EndReason, OpenViduRole
from server.core.events import EventBus
from server.core.manager import ManagerConfig, SessionManager
from server.core.participants import MediaOptions, Participant, Publisher
from server.core.sessions import Session, SessionProperties
from server.core.stamps import latest, tick


def test_assignments_and_touches_stamp_and_last_change_sees_them() -> None:
    manager = SessionManager(ManagerConfig("wss://h:1", "2.11.0", "s"), EventBus())
    session = manager.create_session(SessionProperties(custom_session_id="s1"))
    assert session.stamp == latest() == session.last_change()
    token = manager.new_token("s1", OpenViduRole.PUBLISHER, "", None)
    assert session.last_change() == latest()  # the new token stamped the session
    _, alice = manager.join("s1", token.token, "Chrome", "alice")
    options = MediaOptions(True, True, True, True)
    publisher = manager.publish(alice, options)
    seen = session.last_change()
    for change in (
        lambda: setattr(options, "video_active", False),
        lambda: setattr(publisher, "created_at", 5),
        lambda: setattr(alice, "location", "Madrid"),
        lambda: setattr(session, "recording", True),
        lambda: manager.subscribe(alice, publisher.stream_id),
        lambda: manager.unsubscribe(alice, publisher.stream_id, EndReason.UNSUBSCRIBE),
        session.touch,
    ):
        change()
        assert session.last_change() > seen
        assert session.last_change() == latest()
        seen = session.last_change()
    tick()
    assert session.last_change() == seen < latest()  # a change elsewhere is not this session's
    session.recording = False  # else the session outlives its last participant
    before = latest()
    asyncio.run(manager.leave("s1", alice.connection_id, EndReason.DISCONNECT))
    assert latest() > before and manager.get_session("s1") is None


def test_stamped_objects_keep_their_slots_and_equality() -> None:
    options = MediaOptions(True, True, False, False)
    for obj in (options, Publisher("str_X", 1, options), Session("s", SessionProperties(), 1)):
        assert not hasattr(obj, "__dict__")
    assert MediaOptions(True, True, False, False) == options  # the stamp takes no part in equality
    assert "stamp" not in repr(options)
    assert not hasattr(Participant, "__dict__") or "__slots__" in Participant.__dict__
