"""Exceptions raised by the Kurento client.

Two families:

* :class:`KurentoRpcError` and its subclasses: the media server answered a request with a
  JSON-RPC ``error`` object. They keep the wire ``code``, ``message`` and ``data`` (with its
  symbolic ``data.type``), and :func:`error_from_wire` picks the subclass from the code.
* :class:`KmsConnectionError` and its subclasses: the request never got an answer (timeout,
  socket lost, media server unreachable, client closed).
"""

from __future__ import annotations

from typing import Any


class KmsError(Exception):
    """Base class of every error raised by ``kms_client``."""


# --- errors answered by the media server -------------------------------------------------


class KurentoRpcError(KmsError):
    """The media server replied with a JSON-RPC error object."""

    code: int
    message: str
    data: Any

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.data = data

    @property
    def error_type(self) -> str | None:
        """The symbolic ``data.type`` (e.g. ``MEDIA_OBJECT_NOT_FOUND``), when present."""
        if isinstance(self.data, dict):
            value = self.data.get("type")
            if isinstance(value, str):
                return value
        return None


class JsonRpcError(KurentoRpcError):
    """JSON-RPC level errors (codes -32700 to -32000)."""


class InvalidRequestError(JsonRpcError):
    """-32600: the request envelope was rejected."""


class MethodNotFoundError(JsonRpcError):
    """-32601: unknown JSON-RPC method."""


class InvalidParamsError(JsonRpcError):
    """-32602 and -32000: missing or mistyped top-level params."""


class InternalRpcError(JsonRpcError):
    """-32603: unexpected server-side exception."""


class MarshallError(KurentoRpcError):
    """40001: a constructor or method parameter is missing or has the wrong type."""


class UnexpectedError(KurentoRpcError):
    """40003: generic server error."""


class ConnectError(KurentoRpcError):
    """40004: elements cannot be connected (different pipelines, no pad)."""


class UnsupportedMediaTypeError(KurentoRpcError):
    """40005."""


class NotImplementedByServerError(KurentoRpcError):
    """40006."""


class InvalidSessionError(KurentoRpcError):
    """40007: the sessionId is unknown to this media server (e.g. after a restart)."""


class MalformedTransactionError(KurentoRpcError):
    """40008: unknown operation name, or a malformed transaction."""


class NotEnoughResourcesError(KurentoRpcError):
    """40009: thread or file-descriptor limits reached."""


class MediaObjectTypeNotFoundError(KurentoRpcError):
    """40100."""


class MediaObjectNotFoundError(KurentoRpcError):
    """40101: the object id is unknown or was released."""


class MediaObjectMethodNotFoundError(KurentoRpcError):
    """40105."""


class MediaObjectEventNotSupportedError(KurentoRpcError):
    """40106: the object does not declare that event."""


class MediaObjectIllegalParamError(KurentoRpcError):
    """40107."""


class MediaObjectNotAvailableError(KurentoRpcError):
    """40108: unknown factory (type) on ``create``."""


class MediaObjectNotFoundTransactionNoCommitError(KurentoRpcError):
    """40109: ``newref:`` used outside a transaction."""


class MediaObjectTagKeyNotFoundError(KurentoRpcError):
    """40110."""


class MediaObjectOperationNotSupportedError(KurentoRpcError):
    """40111."""


class SdpError(KurentoRpcError):
    """402xx: SDP negotiation errors."""


class SdpParseError(SdpError):
    """40201: empty or invalid SDP."""


class SdpAlreadyNegotiatedError(SdpError):
    """40208: second processOffer/generateOffer on one endpoint."""


class IceError(KurentoRpcError):
    """404xx: ICE errors."""


class IceGatherCandidatesError(IceError):
    """40400."""


class IceAddCandidateError(IceError):
    """40401."""


class PlayerError(KurentoRpcError):
    """40700."""


_BY_CODE: dict[int, type[KurentoRpcError]] = {
    -32600: InvalidRequestError,
    -32601: MethodNotFoundError,
    -32602: InvalidParamsError,
    -32603: InternalRpcError,
    -32000: InvalidParamsError,
    40001: MarshallError,
    40003: UnexpectedError,
    40004: ConnectError,
    40005: UnsupportedMediaTypeError,
    40006: NotImplementedByServerError,
    40007: InvalidSessionError,
    40008: MalformedTransactionError,
    40009: NotEnoughResourcesError,
    40100: MediaObjectTypeNotFoundError,
    40101: MediaObjectNotFoundError,
    40105: MediaObjectMethodNotFoundError,
    40106: MediaObjectEventNotSupportedError,
    40107: MediaObjectIllegalParamError,
    40108: MediaObjectNotAvailableError,
    40109: MediaObjectNotFoundTransactionNoCommitError,
    40110: MediaObjectTagKeyNotFoundError,
    40111: MediaObjectOperationNotSupportedError,
    40201: SdpParseError,
    40208: SdpAlreadyNegotiatedError,
    40400: IceGatherCandidatesError,
    40401: IceAddCandidateError,
    40700: PlayerError,
}


def error_class_for(code: int) -> type[KurentoRpcError]:
    """The exception class used for a wire error code."""
    cls = _BY_CODE.get(code)
    if cls is not None:
        return cls
    if -32768 <= code <= -32000:
        return JsonRpcError
    if 40200 <= code < 40300:
        return SdpError
    if 40400 <= code < 40500:
        return IceError
    return KurentoRpcError


def error_from_wire(code: int, message: str, data: Any = None) -> KurentoRpcError:
    """Build the typed exception for a JSON-RPC error object."""
    return error_class_for(code)(code, message, data)


# --- errors without an answer -------------------------------------------------------------


class KmsConnectionError(KmsError):
    """The request could not be answered by the media server."""


class KmsTimeoutError(KmsConnectionError, TimeoutError):
    """No reply arrived within the request timeout (stalled or unreachable media server)."""


class KmsConnectionLostError(KmsConnectionError):
    """The socket was lost and the session could not be resumed for this request."""


class KmsSessionLostError(KmsConnectionLostError):
    """The media server came back as a new process (or forgot the session): objects are gone."""


class KmsUnreachableError(KmsConnectionError):
    """The media server could not be reached (connect failed or timed out)."""


class KmsClosedError(KmsConnectionError):
    """The client was closed."""


class KmsTooManyRequestsError(KmsConnectionError):
    """Too many requests already await a reply on this connection; this one was not sent."""


class KmsProtocolError(KmsError):
    """A message from the media server does not follow the protocol (or a request cannot be sent).
    ``request_id`` is the id of the request a refused reply answers, when it could be read."""

    def __init__(self, message: str, request_id: int | str | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id


class DuplicateMediaServerError(KmsError):
    """The pool already holds a media server with that URI or id."""
