"""Enumerations of the OpenVidu 2.10/2.11 API (case-sensitive values, as Java ``Enum.valueOf``)."""

from __future__ import annotations

from enum import StrEnum


class MediaMode(StrEnum):
    ROUTED = "ROUTED"
    RELAYED = "RELAYED"


class RecordingMode(StrEnum):
    ALWAYS = "ALWAYS"
    MANUAL = "MANUAL"


class OutputMode(StrEnum):
    COMPOSED = "COMPOSED"
    INDIVIDUAL = "INDIVIDUAL"


class RecordingLayout(StrEnum):
    BEST_FIT = "BEST_FIT"
    PICTURE_IN_PICTURE = "PICTURE_IN_PICTURE"
    VERTICAL_PRESENTATION = "VERTICAL_PRESENTATION"
    HORIZONTAL_PRESENTATION = "HORIZONTAL_PRESENTATION"
    CUSTOM = "CUSTOM"


class OpenViduRole(StrEnum):
    SUBSCRIBER = "SUBSCRIBER"
    PUBLISHER = "PUBLISHER"
    MODERATOR = "MODERATOR"


class EndReason(StrEnum):
    """Why a stream, participant, session or recording ended (spec §8.3)."""

    UNSUBSCRIBE = "unsubscribe"
    UNPUBLISH = "unpublish"
    DISCONNECT = "disconnect"
    FORCE_UNPUBLISH_BY_USER = "forceUnpublishByUser"
    FORCE_UNPUBLISH_BY_SERVER = "forceUnpublishByServer"
    FORCE_DISCONNECT_BY_USER = "forceDisconnectByUser"
    FORCE_DISCONNECT_BY_SERVER = "forceDisconnectByServer"
    LAST_PARTICIPANT_LEFT = "lastParticipantLeft"
    NETWORK_DISCONNECT = "networkDisconnect"
    MEDIA_SERVER_DISCONNECT = "mediaServerDisconnect"
    OPENVIDU_SERVER_STOPPED = "openviduServerStopped"
    RECORDING_STOPPED_BY_SERVER = "recordingStoppedByServer"
    AUTOMATIC_STOP = "automaticStop"
    SESSION_CLOSED_BY_SERVER = "sessionClosedByServer"


LEAVE_REASONS_OF_LAST_PARTICIPANT: frozenset[EndReason] = frozenset(
    {
        EndReason.DISCONNECT,
        EndReason.FORCE_DISCONNECT_BY_USER,
        EndReason.FORCE_DISCONNECT_BY_SERVER,
        EndReason.NETWORK_DISCONNECT,
    }
)


def final_reason(reason: EndReason) -> EndReason:
    """``RecordingManager.finalReason``: a participant leaving becomes ``lastParticipantLeft``."""
    return EndReason.LAST_PARTICIPANT_LEFT if reason in LEAVE_REASONS_OF_LAST_PARTICIPANT else reason
