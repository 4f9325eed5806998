"""ServerManager: the media server singleton (info, pipelines, CPU, memory)."""

from __future__ import annotations

from typing import ClassVar

from ..connection import KmsConnection
from ..protocol import SERVER_MANAGER_ID
from ..structs import (
    ServerInfo,
)
from .base import MediaObject


class ServerManager(MediaObject):
    """The singleton ``manager_ServerManager``."""

    TYPE: ClassVar[str] = "ServerManager"

    def __init__(self, connection: KmsConnection, object_id: str = SERVER_MANAGER_ID) -> None:
        super().__init__(connection, object_id)

    async def get_info(self, *, timeout: float | None = None) -> ServerInfo:
        value = await self.invoke("getInfo", timeout=timeout)
        if not isinstance(value, ServerInfo):
            raise TypeError(f"getInfo returned {value!r}")
        return value

    async def get_pipelines(self, *, timeout: float | None = None) -> list[str]:
        return [p for p in await self.invoke("getPipelines", timeout=timeout) or [] if isinstance(p, str)]

    async def get_sessions(self, *, timeout: float | None = None) -> list[str]:
        return [
            s for s in await self.invoke("getSessions", timeout=timeout) or [] if isinstance(s, str) and s
        ]

    async def get_metadata(self, *, timeout: float | None = None) -> str:
        return str(await self.invoke("getMetadata", timeout=timeout) or "")

    async def get_kmd(self, module_name: str, *, timeout: float | None = None) -> str:
        return str(await self.invoke("getKmd", {"moduleName": module_name}, timeout=timeout))

    async def get_cpu_count(self, *, timeout: float | None = None) -> int:
        return int(await self.invoke("getCpuCount", timeout=timeout))

    async def get_used_cpu(self, interval_ms: int, *, timeout: float | None = None) -> float:
        """Blocks the socket for ``interval_ms``: use a connection of its own for it."""
        if timeout is None:
            timeout = self.connection.request_timeout + interval_ms / 1000
        return float(
            await self.connection.invoke(self.id, "getUsedCpu", {"interval": interval_ms}, timeout=timeout)
        )

    async def get_used_memory(self, *, timeout: float | None = None) -> int:
        """Resident memory of the media server process in KiB."""
        return int(await self.invoke("getUsedMemory", timeout=timeout))
