"""What a participant may do, by its role (spec signaling §2): the rules every signaling handler checks.

A participant that joined with the server secret (``Participant.insecure``, spec §10.10) may do everything.
"""

from __future__ import annotations

from server.core.enums import OpenViduRole
from server.core.participants import Participant

PUBLISHING_ROLES = frozenset({OpenViduRole.PUBLISHER, OpenViduRole.MODERATOR})
"""Roles allowed to publish (``publishVideo``)."""

MODERATING_ROLES = frozenset({OpenViduRole.MODERATOR})
"""Roles allowed to act on others: ``forceDisconnect``, ``forceUnpublish``, filters of others' streams."""


def can_publish(participant: Participant) -> bool:
    return participant.insecure or participant.role in PUBLISHING_ROLES


def is_moderator(participant: Participant) -> bool:
    return participant.insecure or participant.role in MODERATING_ROLES
