"""Tokens (spec §2.2): the full ``wss://...`` URL string is the token's identity; single use."""

from __future__ import annotations

from dataclasses import dataclass

from server.core.enums import OpenViduRole
from server.core.ids import new_token_secret


@dataclass(frozen=True, slots=True)
class KurentoOptions:
    """Per-token media limits (kbps, 0 = unconstrained) and allowed filters; None = not set."""

    video_max_recv_bandwidth: int | None = None
    video_min_recv_bandwidth: int | None = None
    video_max_send_bandwidth: int | None = None
    video_min_send_bandwidth: int | None = None
    allowed_filters: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Token:
    token: str
    session_id: str
    role: OpenViduRole
    data: str
    kurento_options: KurentoOptions | None
    secret: str
    turn_username: str | None = None
    turn_credential: str | None = None


def build_token_url(
    ws_url: str,
    session_id: str,
    secret: str,
    role: OpenViduRole,
    version: str,
    turn_username: str | None = None,
    turn_credential: str | None = None,
) -> str:
    url = f"{ws_url}?sessionId={session_id}&token={secret}&role={role.value}&version={version}"
    if turn_username and turn_credential:
        url += f"&turnUsername={turn_username}&turnCredential={turn_credential}"
    return url


def new_token(
    ws_url: str,
    session_id: str,
    role: OpenViduRole,
    data: str,
    kurento_options: KurentoOptions | None,
    version: str,
) -> Token:
    secret = new_token_secret()
    url = build_token_url(ws_url, session_id, secret, role, version)
    return Token(url, session_id, role, data, kurento_options, secret)
