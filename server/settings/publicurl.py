"""Public URL resolution (OpenVidu 2.11 ``OpenViduServer#init``).

``ws_url`` is the token base (``wss://host[:port]``, no path, no trailing slash); ``final_url`` is the
``https://host[:port]/`` form returned by ``GET /config/openvidu-publicurl``.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from server.settings.model import Settings


@dataclass(frozen=True, slots=True)
class PublicUrls:
    ws_url: str
    final_url: str


def container_ip() -> str | None:
    """The address of this host name (what ``hostname -i`` prints in a container), or None."""
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return None


def resolve_public_urls(settings: Settings) -> PublicUrls:
    value = settings.openvidu_publicurl.strip()
    port = settings.server_port
    if value in ("", "local"):
        ws_url = f"wss://localhost:{port}"
    elif value == "docker":
        ip = container_ip()
        ws_url = f"wss://{ip}:{port}" if ip else f"wss://localhost:{port}"
    else:
        if value.startswith("https://"):
            ws_url = "wss://" + value[len("https://") :]
        elif value.startswith("http://"):
            ws_url = "wss://" + value[len("http://") :]
        elif value.startswith(("wss://", "ws://")):
            ws_url = "wss://" + value.split("://", 1)[1]
        else:
            ws_url = "wss://" + value
        ws_url = ws_url.rstrip("/")
    final_url = "https://" + ws_url[len("wss://") :] + "/"
    return PublicUrls(ws_url=ws_url, final_url=final_url)
