"""ServerManager (``manager_ServerManager``): server info, pipelines, sessions, kmd, CPU and memory."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any, ClassVar

import psutil

from minikms.objects.base import MediaObject, Prop, operation
from minikms.objects.marshal import Param
from minikms.protocol import KMD_NOT_FOUND, KurentoError

SERVER_MANAGER_ID = "manager_ServerManager"
MILLIS_PER_SECOND = 1000.0
BYTES_PER_KIB = 1024


class ServerManager(MediaObject):
    KMS_TYPE: ClassVar[str] = "ServerManager"
    MODULE: ClassVar[str] = "core"
    EVENTS: ClassVar[tuple[str, ...]] = ("ObjectCreated", "ObjectDestroyed")
    PROPERTIES: ClassVar[tuple[Prop, ...]] = (
        Prop("info", "ServerInfo", readonly=True, getter="_get_info"),
        Prop("pipelines", "MediaPipeline[]", readonly=True, getter="_get_pipelines"),
        Prop("sessions", "String[]", readonly=True, getter="_get_sessions"),
        Prop("metadata", "String", readonly=True, default=""),
    )

    def __init__(self, host: Any) -> None:
        super().__init__(host, SERVER_MANAGER_ID, None)
        self.process = psutil.Process(os.getpid())

    def _get_info(self) -> dict[str, Any]:
        from minikms.objects.catalog import server_info

        return server_info(self.host.version)

    def _get_pipelines(self) -> list[str]:
        # As KMS: looking the pipelines up refs each of them under the empty session id.
        return self.host.pipelines_for_manager()

    def _get_sessions(self) -> list[str]:
        # KMS pre-sizes the vector and then appends, so N empty strings precede the N ids.
        ids = self.host.session_ids()
        return [""] * len(ids) + ids

    @operation("getKmd", Param("moduleName", "String"), returns="String")
    def get_kmd(self, module_name: str) -> str:
        from minikms.objects.catalog import kmd_text

        text = kmd_text(module_name, self.host.version)
        if text is None:
            raise KurentoError(KMD_NOT_FOUND, "Requested kmd module doesn't exist")
        return text

    @operation("getCpuCount", returns="int")
    def get_cpu_count(self) -> int:
        try:
            return len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            return os.cpu_count() or 1

    @operation("getUsedCpu", Param("interval", "int"), returns="float")
    async def get_used_cpu(self, interval: int) -> float:
        """Process CPU over ``interval`` ms, htop style (100 = one core fully used)."""
        before = self.process.cpu_times()
        start = time.monotonic()
        await asyncio.sleep(max(interval, 0) / MILLIS_PER_SECOND)
        after = self.process.cpu_times()
        elapsed = time.monotonic() - start
        if elapsed <= 0:
            return 0.0
        used = (after.user - before.user) + (after.system - before.system)
        return float(100.0 * used / elapsed)

    @operation("getUsedMemory", returns="int64")
    def get_used_memory(self) -> int:
        return int(self.process.memory_info().rss // BYTES_PER_KIB)
