"""Identifier generators of OpenVidu 2.10/2.11 (spec §2.1) and of 2.16+ (``IdentifierPrefixes``).

2.10/2.11: sessionId, connectionId and the token secret are 16 characters of ``[a-z0-9]``; streamIds are
``<connectionId>_<CAMERA|SCREEN|MICRO>_<5 uppercase letters>``; media-server ids ``KMS-<6 [A-Z0-9]>``.
2.16+ (objects made through ``/openvidu/api``): ``ses_`` / ``con_`` + 1 uppercase + 9 alphanumerics, token
``tok_`` + 1 uppercase + 15 alphanumerics, streamIds ``str_<CAM|SCR|MIC|IPC>_<1 uppercase + 3 alnum>_<con_...>``.
"""

from __future__ import annotations

import secrets
import string
from urllib.parse import urlsplit

LOWER_ALNUM = string.ascii_lowercase + string.digits
UPPER = string.ascii_uppercase
UPPER_ALNUM = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
SESSION_PREFIX = "ses_"
CONNECTION_PREFIX = "con_"
TOKEN_PREFIX = "tok_"
STREAM_PREFIX = "str_"
ID_LENGTH = 16
STREAM_SUFFIX_LENGTH = 5
KMS_ID_LENGTH = 6
TURN_USER_LENGTH = 6


def _tables(alphabet: str) -> tuple[bytes, bytes]:
    """A ``bytes.translate`` table mapping a random byte to a character, and the bytes to reject (those at or
    above the largest multiple of the alphabet size, so there is no modulo bias)."""
    size = len(alphabet)
    limit = 256 - 256 % size
    table = bytes(ord(alphabet[b % size]) if b < limit else 0 for b in range(256))
    return table, bytes(range(limit, 256))


_TABLES: dict[str, tuple[bytes, bytes]] = {}


def random_string(alphabet: str, length: int) -> str:
    """``length`` characters drawn uniformly from the ASCII ``alphabet`` (one ``os.urandom`` read, usually)."""
    tables = _TABLES.get(alphabet)
    if tables is None:
        tables = _TABLES[alphabet] = _tables(alphabet)
    table, rejected = tables
    out = b""
    while len(out) < length:
        out += secrets.token_bytes(2 * length).translate(table, rejected)
    return out[:length].decode("ascii")


def new_session_id() -> str:
    return random_string(LOWER_ALNUM, ID_LENGTH)


def new_connection_id() -> str:
    """Never contains ``_`` (2.10/2.11 derive the publisher from a streamId by splitting at the first ``_``)."""
    return random_string(LOWER_ALNUM, ID_LENGTH)


def new_token_secret() -> str:
    return random_string(LOWER_ALNUM, ID_LENGTH)


def new_stream_id(connection_id: str, type_of_video: str | None) -> str:
    """``type_of_video`` is ``CAMERA``/``SCREEN`` for video streams, None for audio-only (``MICRO``)."""
    kind = type_of_video if type_of_video else "MICRO"
    return f"{connection_id}_{kind}_{random_string(UPPER, STREAM_SUFFIX_LENGTH)}"


def connection_id_of_stream(stream_id: str) -> str:
    """The publisher's connectionId of a streamId: 2.10/2.11 the substring before the first ``_``; 2.16+
    (``str_CAM_Abc1_con_...``) the part after the third ``_``."""
    if stream_id.startswith(STREAM_PREFIX):
        parts = stream_id.split("_", 3)
        return parts[3] if len(parts) == 4 else ""
    return stream_id.split("_", 1)[0]


def _prefixed(prefix: str, length: int) -> str:
    return prefix + random_string(UPPER, 1) + random_string(ALNUM, length)


def new_session_id_232() -> str:
    return _prefixed(SESSION_PREFIX, 9)


def new_connection_id_232() -> str:
    return _prefixed(CONNECTION_PREFIX, 9)


def new_token_secret_232() -> str:
    return _prefixed(TOKEN_PREFIX, 15)


def new_stream_id_232(connection_id: str, type_of_video: str | None) -> str:
    """``KurentoParticipant.generateStreamId`` of 2.32: the first 3 letters of the video type (or MICRO)."""
    kind = (type_of_video if type_of_video else "MICRO")[:3]
    return f"{STREAM_PREFIX}{kind}_{random_string(UPPER, 1)}{random_string(ALNUM, 3)}_{connection_id}"


def is_232_id(identifier: str) -> bool:
    """Whether a session/connection id has the 2.16+ shape (so objects made for it follow that style)."""
    return identifier.startswith((SESSION_PREFIX, CONNECTION_PREFIX, "ipc_"))


def new_media_server_id() -> str:
    return "KMS-" + random_string(UPPER_ALNUM, KMS_ID_LENGTH)


IPCAM_PREFIX = "ipc_"


def new_ipcam_id(uri: str, type_of_video: str = "IPCAM") -> str:
    """``KurentoSessionManager.publishIpcam``: ``ipc_<type>_<scheme>_<4 [A-Z0-9]>_<host[:port]><path>`` with
    ``/ . :`` turned into ``_`` and ``-`` dropped."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port is not None else ""
    raw = f"{type_of_video}_{parts.scheme}_{random_string(UPPER_ALNUM, 4)}_{host}{port}{parts.path}"
    return IPCAM_PREFIX + raw.replace("/", "_").replace("-", "").replace(".", "_").replace(":", "_")
