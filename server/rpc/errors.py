"""OpenVidu signaling error vocabulary: the error codes, the error answer, and the methods never answered."""

from __future__ import annotations

from typing import Any

from server.core.errors import ErrorCode, OpenViduError

VERSION_HINT = "CHECK THAT 'openvidu-server' AND 'openvidu-browser' SHARE THE SAME VERSION NUMBER"


class RpcError(OpenViduError):
    """An error answered to a request.

    Exceptions thrown to Kurento's handler (OpenViduException as ``{code, message}``; any other exception as
    ``{code: -1, message: "<java class>:<text>", data: <stack trace>}``) are answered by
    ``JsonRpcHandlerManager``'s catch-all straight through the response sender, so without ``sessionId``.
    ``inject_session_id`` marks the errors the original answers through its transaction
    (``RpcNotificationService.sendErrorResponse``), which Kurento gives the injected ``sessionId``.
    """

    def __init__(self, code: int, message: str, data: Any = None, *, inject_session_id: bool = False) -> None:
        super().__init__(code, message)
        self.data = data
        self.inject_session_id = inject_session_id


class NoResponse(Exception):
    """The original server never answers this request (the client times out); see spec §4."""


def missing_param(method: str, key: str) -> RpcError:
    text = f"Request element '{key}' is missing in method '{method}'. {VERSION_HINT}"
    return RpcError(
        ErrorCode.UNCAUGHT,
        f"java.lang.RuntimeException:{text}",
        data=f"java.lang.RuntimeException: {text}",
    )
