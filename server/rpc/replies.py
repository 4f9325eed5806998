"""Reply helpers shared by the signaling handlers: errors answered through the transaction, and an answer
followed by an action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from server.core.sessions import Session
from server.media.session import MediaError
from server.rpc import protocol as p


@dataclass(slots=True)
class AnswerThen:
    """A result followed by an action done after the answer was sent (notifications, closing the socket)."""

    result: Any
    then: Callable[[], Awaitable[None]]


def answered_error(code: int, message: str) -> p.RpcError:
    """An error the original answers through its transaction (``RpcNotificationService.sendErrorResponse``):
    Kurento injects the JSON-RPC session id into the error object, unlike errors thrown to the handler."""
    return p.RpcError(code, message, inject_session_id=True)


def not_streaming(session: Session, sender: str) -> p.RpcError:
    return answered_error(
        p.ErrorCode.USER_NOT_STREAMING,
        f"User '{sender} not streaming media in session '{session.session_id}'",
    )


def listener_error(exc: MediaError) -> p.RpcError:
    """add/removeFilterEventListener answer their errors with ``sendErrorResponse(..., new JsonObject(), e)``:
    the data is the text ``{}`` and the sessionId is injected."""
    return p.RpcError(exc.code, exc.message, data="{}", inject_session_id=True)
