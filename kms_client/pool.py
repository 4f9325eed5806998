"""The media server pool: one :class:`MediaServer` (one connection) per configured KMS URI.

``pool = KmsPool(ping_interval=..., ping_timeout=..., request_timeout=..., reconnect_window=...)``;
``server = await pool.add(uri)``; ``pool.servers``; ``pool.get(id)``; ``await pool.remove(id)``;
``pool.add_listener(cb)`` where ``cb(server, notice)`` receives the
:mod:`~kms_client.lifecycle` notices (``Disconnected``, ``ReconnectedSame``,
``ReconnectedEmpty``, ``Unreachable``) of every server; ``await pool.close()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ipaddress
import logging
import secrets
import socket
import ssl
import string
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from .client import KurentoClient
from .connection import (
    DEFAULT_CLOSE_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_PING_INTERVAL,
    DEFAULT_PING_TIMEOUT,
    DEFAULT_RECONNECT_INTERVAL,
    DEFAULT_RECONNECT_WINDOW,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_RETRY_INTERVAL,
    KmsConnection,
)
from .errors import DuplicateMediaServerError, KmsError
from .lifecycle import LifecycleEvent, ReconnectedEmpty, ReconnectedSame
from .objects import ServerManager
from .structs import ServerInfo

log = logging.getLogger(__name__)

ID_PREFIX = "KMS-"
ID_ALPHABET = string.ascii_uppercase + string.digits
ID_LENGTH = 6
DEFAULT_RESOLVE_TIMEOUT = 2.0
"""Seconds allowed to resolve a media server host name to its IP."""
CLOSE_GRACE = 1.0
"""Seconds added to the two closing handshakes (main and CPU sockets) when the pool closes."""

PoolListener = Callable[["MediaServer", LifecycleEvent], Awaitable[None] | None]


def new_media_server_id() -> str:
    """``KMS-`` followed by 6 uppercase alphanumerics."""
    return ID_PREFIX + "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


async def resolve_ip(uri: str, timeout: float = DEFAULT_RESOLVE_TIMEOUT) -> str:
    """The IP of a ws(s) URI's host (the host itself when it is an IP or cannot be resolved)."""
    host = urlsplit(uri).hostname or ""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), timeout)
    except (OSError, TimeoutError):
        return host
    for family in (socket.AF_INET, socket.AF_INET6):
        for info in infos:
            if info[0] == family:
                return str(info[4][0])
    return host


class MediaServer:
    """One media server of the pool: its id, URI, IP, connection and server information.

    ``ip`` is the host part of the URI, as OpenVidu reports it (``"localhost"`` for
    ``ws://localhost:8888/kurento``); ``resolved_ip`` is that host resolved to an address.

    ``connection_time`` / ``disconnection_time`` are epoch milliseconds (``None`` when not
    applicable). ``used_cpu`` runs on a second socket with its own session because
    ``getUsedCpu`` blocks the socket it runs on for its whole interval.
    """

    def __init__(
        self, server_id: str, uri: str, ip: str, client: KurentoClient, settings: dict[str, Any]
    ) -> None:
        self.id = server_id
        self.uri = uri
        self.ip = ip
        self.resolved_ip = ip
        self.client = client
        self._settings = settings
        self._cpu_client: KurentoClient | None = None
        self._cpu_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"MediaServer({self.id!r}, {self.uri!r}, connected={self.connected})"

    @property
    def connection(self) -> KmsConnection:
        return self.client.connection

    @property
    def connected(self) -> bool:
        return self.client.connection.connected

    @property
    def connection_time(self) -> int | None:
        return self.client.connection.connection_time

    @property
    def disconnection_time(self) -> int | None:
        return self.client.connection.disconnection_time

    @property
    def info(self) -> ServerInfo | None:
        """``getInfo`` of the media server (refreshed at every (re)connection)."""
        return self.client.connection.server_info

    @property
    def version(self) -> str | None:
        return self.client.version

    @property
    def server_manager(self) -> ServerManager:
        return self.client.server_manager

    async def used_memory(self) -> int:
        """Resident memory of the media server process, KiB (``getUsedMemory``)."""
        return await self.client.server_manager.get_used_memory()

    async def refresh_info(self) -> ServerInfo:
        info = await self.client.server_manager.get_info()
        self.client.connection.server_info = info
        return info

    async def used_cpu(self, interval_ms: int) -> float:
        """``getUsedCpu(interval_ms)`` on the dedicated CPU socket (opened on first use)."""
        async with self._cpu_lock:
            if self._cpu_client is None or self._cpu_client.connection.closed:
                settings = dict(self._settings, ping_interval=None)
                self._cpu_client = await KurentoClient.connect(self.uri, **settings)
            return await self._cpu_client.server_manager.get_used_cpu(interval_ms)

    async def cpu_count(self) -> int:
        return await self.client.server_manager.get_cpu_count()

    async def close(self) -> None:
        cpu = self._cpu_client
        self._cpu_client = None
        closers = [self.client.close()]
        if cpu is not None:
            closers.append(cpu.close())
        await asyncio.gather(*closers, return_exceptions=True)


class KmsPool:
    """All media servers, keyed by id. Every timing is a constructor parameter (seconds)."""

    def __init__(
        self,
        *,
        ping_interval: float | None = DEFAULT_PING_INTERVAL,
        ping_timeout: float = DEFAULT_PING_TIMEOUT,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        reconnect_window: float = DEFAULT_RECONNECT_WINDOW,
        reconnect_interval: float = DEFAULT_RECONNECT_INTERVAL,
        retry_interval: float = DEFAULT_RETRY_INTERVAL,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
        resolve_timeout: float = DEFAULT_RESOLVE_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._settings: dict[str, Any] = {
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "request_timeout": request_timeout,
            "connect_timeout": connect_timeout,
            "reconnect_window": reconnect_window,
            "reconnect_interval": reconnect_interval,
            "retry_interval": retry_interval,
            "close_timeout": close_timeout,
            "ssl_context": ssl_context,
        }
        self.close_timeout = close_timeout
        self.resolve_timeout = resolve_timeout
        self._servers: dict[str, MediaServer] = {}
        self._listeners: list[PoolListener] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    @property
    def servers(self) -> list[MediaServer]:
        """Media servers in the order they were added."""
        return list(self._servers.values())

    def get(self, server_id: str) -> MediaServer | None:
        return self._servers.get(server_id)

    def by_uri(self, uri: str) -> MediaServer | None:
        for server in self._servers.values():
            if server.uri == uri:
                return server
        return None

    def add_listener(self, listener: PoolListener) -> None:
        """``listener(server, notice)`` for every lifecycle notice; sync or async."""
        self._listeners.append(listener)

    def remove_listener(self, listener: PoolListener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    async def add(self, uri: str, server_id: str | None = None, *, wait: bool = True) -> MediaServer:
        """Connect to a media server and add it.

        With ``wait`` (default) an unreachable media server raises ``KmsUnreachableError`` and
        is not added. With ``wait=False`` it is added anyway, reported ``Unreachable``, and
        retried in the background until it answers (``Connected``) or is removed.
        Raises ``DuplicateMediaServerError`` when the URI or id is already present.
        """
        if self._closed:
            raise KmsError("pool is closed")
        if self.by_uri(uri) is not None:
            raise DuplicateMediaServerError(f"media server {uri} already in the pool")
        if server_id is None:
            server_id = new_media_server_id()
            while server_id in self._servers:
                server_id = new_media_server_id()
        elif server_id in self._servers:
            raise DuplicateMediaServerError(f"media server id {server_id} already in the pool")
        host = urlsplit(uri).hostname or ""
        client = KurentoClient(KmsConnection(uri, **self._settings))
        server = MediaServer(server_id, uri, host, client, self._settings)
        server.resolved_ip = await resolve_ip(uri, self.resolve_timeout)
        client.connection.add_listener(lambda notice: self._on_notice(server, notice))
        self._servers[server_id] = server  # reserved now: a concurrent add of the same URI fails
        try:
            await client.connection.open(retry=not wait)
        except BaseException:
            if self._servers.get(server_id) is server:
                del self._servers[server_id]
            await client.close()
            raise
        if self._closed:
            await client.close()
            raise KmsError("pool closed while adding a media server")
        return server

    async def remove(self, server_id: str) -> MediaServer | None:
        """Disconnect and forget a media server; returns it (or None when unknown)."""
        server = self._servers.pop(server_id, None)
        if server is not None:
            await server.close()
        return server

    async def close(self) -> None:
        """Close every connection; returns within ``2 * close_timeout + CLOSE_GRACE`` seconds."""
        self._closed = True
        servers = list(self._servers.values())
        self._servers.clear()
        for task in list(self._tasks):
            task.cancel()
        if servers:
            await asyncio.wait(
                [asyncio.ensure_future(s.close()) for s in servers],
                timeout=self.close_timeout * 2 + CLOSE_GRACE,
            )

    async def __aenter__(self) -> KmsPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _on_notice(self, server: MediaServer, notice: LifecycleEvent) -> None:
        if isinstance(notice, ReconnectedEmpty | ReconnectedSame):
            log.info("media server %s (%s): %s", server.id, server.uri, type(notice).__name__)
        else:
            log.warning("media server %s (%s): %s", server.id, server.uri, notice)
        for listener in list(self._listeners):
            try:
                result = listener(server, notice)
            except Exception:
                log.exception("pool listener failed")
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
