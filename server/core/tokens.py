"""Tokens (spec §2.2): the full ``wss://...`` URL string is the token's identity; single use.

A token is also a *pending connection* (2.16+): it carries the connectionId the participant will get when it
joins, its creation time, ``record`` and the custom ICE servers given at ``POST /openvidu/api/.../connection``.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.core.enums import OpenViduRole
from server.core.ids import new_connection_id, new_connection_id_232, new_token_secret, new_token_secret_232


@dataclass(frozen=True, slots=True)
class KurentoOptions:
    """Per-token media limits (kbps, 0 = unconstrained) and allowed filters; None = not set."""

    video_max_recv_bandwidth: int | None = None
    video_min_recv_bandwidth: int | None = None
    video_max_send_bandwidth: int | None = None
    video_min_send_bandwidth: int | None = None
    allowed_filters: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IceServer:
    """One entry of ``customIceServers`` (``IceServerProperties``)."""

    url: str
    username: str | None = None
    credential: str | None = None
    static_auth_secret: str | None = None


@dataclass(frozen=True, slots=True)
class IpcamOptions:
    """The IPCAM connection properties of 2.16+ (a PlayerEndpoint publishing ``rtsp_uri``)."""

    rtsp_uri: str
    adaptative_bitrate: bool = True
    only_play_with_subscribers: bool = True
    network_cache: int = 2000


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
    connection_id: str = ""
    created_at: int = 0
    record: bool = True
    custom_ice_servers: tuple[IceServer, ...] = ()
    ipcam: IpcamOptions | None = None


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
    created_at: int = 0,
) -> Token:
    secret = new_token_secret()
    url = build_token_url(ws_url, session_id, secret, role, version)
    return Token(
        url,
        session_id,
        role,
        data,
        kurento_options,
        secret,
        connection_id=new_connection_id(),
        created_at=created_at,
    )


def new_token_232(
    ws_url: str,
    session_id: str,
    role: OpenViduRole,
    data: str,
    kurento_options: KurentoOptions | None,
    *,
    created_at: int,
    record: bool = True,
    custom_ice_servers: tuple[IceServer, ...] = (),
) -> Token:
    """``TokenGenerator.generateToken`` of 2.32: ``<wsUrl>?sessionId=<id>&token=tok_...``."""
    secret = new_token_secret_232()
    url = f"{ws_url}?sessionId={session_id}&token={secret}"
    return Token(
        url,
        session_id,
        role,
        data,
        kurento_options,
        secret,
        connection_id=new_connection_id_232(),
        created_at=created_at,
        record=record,
        custom_ice_servers=custom_ice_servers,
    )


def ice_servers_json(servers: tuple[IceServer, ...]) -> list[dict[str, str]]:
    """``IceServerProperties.toJson``: ``url`` plus ``username``/``credential`` when set."""
    result: list[dict[str, str]] = []
    for server in servers:
        entry = {"url": server.url}
        if server.username is not None:
            entry["username"] = server.username
        if server.credential is not None:
            entry["credential"] = server.credential
        result.append(entry)
    return result
