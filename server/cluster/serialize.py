"""The media server object of ``/pro/media-servers`` (Pro 2.11 ``Kms#toJson`` + ``KmsLoad``)."""

from __future__ import annotations

import contextlib
from typing import Any

from kms_client.errors import KmsError
from kms_client.pool import MediaServer
from kms_client.structs import ServerInfo


def media_server_json(server: MediaServer) -> dict[str, Any]:
    """``id, uri, ip, connected, connectionTime`` and ``disconnectionTime`` only while disconnected."""
    doc: dict[str, Any] = {
        "id": server.id,
        "uri": server.uri,
        "ip": server.ip,
        "connected": server.connected,
        "connectionTime": server.connection_time or 0,
    }
    if not server.connected:
        doc["disconnectionTime"] = server.disconnection_time or 0
    return doc


def java_list(items: list[str]) -> str:
    """Java's ``List.toString()``: ``[a, b]`` (how OpenVidu printed the capabilities)."""
    return "[" + ", ".join(items) + "]"


def kurento_info_json(info: ServerInfo, memory_kib: int) -> dict[str, Any]:
    return {
        "memory": memory_kib // 1024,
        "version": info.version,
        "capabilities": java_list(list(info.capabilities)),
        "modules": [
            {
                "name": module.name,
                "version": module.version,
                "generationTime": module.generation_time,
                "factories": list(module.factories),
            }
            for module in info.modules
        ],
    }


async def kurento_info(server: MediaServer) -> dict[str, Any] | None:
    """``kurentoInfo`` read live from the media server; None (left out) if it does not answer."""
    if not server.connected:
        return None
    with contextlib.suppress(KmsError, TypeError):
        info = await server.refresh_info()
        memory = await server.used_memory()
        return kurento_info_json(info, memory)
    return None
