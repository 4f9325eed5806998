"""Who may publish and moderate: the role rules of ``server.core.permissions`` and insecure participants."""

from __future__ import annotations

import pytest

from server.core.enums import OpenViduRole
from server.core.events import EventBus
from server.core.manager import ManagerConfig, SessionManager
from server.core.participants import Participant
from server.core.permissions import can_publish, is_moderator
from server.core.sessions import SessionProperties

SECRET = "s3cret"


def manager() -> SessionManager:
    return SessionManager(
        ManagerConfig("wss://localhost:4443", "2.11.0", SECRET), EventBus(), clock=lambda: 1
    )


def with_token(role: OpenViduRole) -> Participant:
    sessions = manager()
    sessions.create_session(SessionProperties(custom_session_id="room"))
    token = sessions.new_token("room", role, "", None)
    return sessions.join("room", token.token, "Chrome", "")[1]


@pytest.mark.parametrize(
    ("role", "publishes", "moderates"),
    [
        (OpenViduRole.SUBSCRIBER, False, False),
        (OpenViduRole.PUBLISHER, True, False),
        (OpenViduRole.MODERATOR, True, True),
    ],
)
def test_roles(role: OpenViduRole, publishes: bool, moderates: bool) -> None:
    participant = with_token(role)
    assert not participant.insecure
    assert (can_publish(participant), is_moderator(participant)) == (publishes, moderates)


def test_a_participant_joined_with_the_secret_may_do_everything() -> None:
    participant = manager().join("room", "", "Chrome", "", secret=SECRET)[1]
    assert participant.insecure and participant.role is OpenViduRole.PUBLISHER
    assert can_publish(participant) and is_moderator(participant)


def test_a_wrong_secret_is_no_insecure_join() -> None:
    sessions = manager()
    sessions.create_session(SessionProperties(custom_session_id="room"))
    token = sessions.new_token("room", OpenViduRole.SUBSCRIBER, "", None)
    participant = sessions.join("room", token.token, "Chrome", "", secret="wrong")[1]
    assert not participant.insecure and not can_publish(participant)
