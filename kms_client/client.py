"""``KurentoClient``: the entry point to one media server over one connection."""

from __future__ import annotations

from typing import Any, TypeVar

from .connection import KmsConnection
from .objects import MediaObject, MediaPipeline, ServerManager
from .structs import ServerInfo

ObjT = TypeVar("ObjT", bound=MediaObject)


class KurentoClient:
    """Creates pipelines and wraps existing object ids over one :class:`KmsConnection`.

    ``KurentoClient.connect(uri, **timings)`` opens a connection (timing keywords are those of
    :class:`KmsConnection`); ``KurentoClient(connection)`` wraps one that is already open.
    """

    def __init__(self, connection: KmsConnection) -> None:
        self.connection = connection
        self.server_manager = ServerManager(connection)

    @classmethod
    async def connect(cls, uri: str, **settings: Any) -> KurentoClient:
        connection = KmsConnection(uri, **settings)
        await connection.open()
        return cls(connection)

    @property
    def uri(self) -> str:
        return self.connection.uri

    @property
    def server_info(self) -> ServerInfo | None:
        return self.connection.server_info

    @property
    def version(self) -> str | None:
        info = self.connection.server_info
        return info.version if info is not None else None

    @property
    def connected(self) -> bool:
        return self.connection.connected

    async def create_pipeline(self) -> MediaPipeline:
        object_id = await self.connection.create(MediaPipeline.TYPE)
        return MediaPipeline(self.connection, object_id)

    def wrap(self, cls: type[ObjT], object_id: str) -> ObjT:
        """A proxy for an object id known from elsewhere (no request is sent)."""
        return cls(self.connection, object_id)

    async def close(self) -> None:
        await self.connection.close()

    async def __aenter__(self) -> KurentoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
