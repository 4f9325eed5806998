"""Errors the media engine reports the way KMS reports them (kurento-protocol.md §2.2)."""

from __future__ import annotations

# KMS error codes used by the media engine, with their symbolic ``data.type``.
UNSUPPORTED_MEDIA_TYPE = (40005, "UNSUPPORTED_MEDIA_TYPE")
MEDIA_OBJECT_ILLEGAL_PARAM_ERROR = (40107, "MEDIA_OBJECT_ILLEGAL_PARAM_ERROR")
MEDIA_OBJECT_NOT_AVAILABLE = (40108, "MEDIA_OBJECT_NOT_AVAILABLE")
SDP_PARSE_ERROR = (40201, "SDP_PARSE_ERROR")
SDP_END_POINT_GENERATE_OFFER_ERROR = (40204, "SDP_END_POINT_GENERATE_OFFER_ERROR")
SDP_END_POINT_PROCESS_OFFER_ERROR = (40205, "SDP_END_POINT_PROCESS_OFFER_ERROR")
SDP_END_POINT_PROCESS_ANSWER_ERROR = (40206, "SDP_END_POINT_PROCESS_ANSWER_ERROR")
SDP_END_POINT_ALREADY_NEGOTIATED = (40208, "SDP_END_POINT_ALREADY_NEGOTIATED")
SDP_END_POINT_NOT_OFFER_GENERATED = (40209, "SDP_END_POINT_NOT_OFFER_GENERATED")
SDP_END_POINT_ANSWER_ALREADY_PROCCESED = (40210, "SDP_END_POINT_ANSWER_ALREADY_PROCCESED")
ICE_GATHER_CANDIDATES_ERROR = (40400, "ICE_GATHER_CANDIDATES_ERROR")
ICE_ADD_CANDIDATE_ERROR = (40401, "ICE_ADD_CANDIDATE_ERROR")
UNEXPECTED_ERROR = (40003, "UNEXPECTED_ERROR")


class MediaError(Exception):
    """A failure KMS would report as a JSON-RPC error with ``code``, ``data.type`` and ``message``."""

    def __init__(self, code: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.type = type_
        self.message = message

    @classmethod
    def of(cls, kind: tuple[int, str], message: str) -> MediaError:
        return cls(kind[0], kind[1], message)

    def __repr__(self) -> str:
        return f"MediaError({self.code}, {self.type!r}, {self.message!r})"
