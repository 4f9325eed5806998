"""The runtime container: settings, public URLs, event bus, session manager and pluggable components.

One ``Runtime`` is the app's :data:`RUNTIME` part (:mod:`server.parts`) for the life of the process. Later parts (media cluster, CDR
and webhook sinks, stats, restart) register ``Component`` objects that start and stop with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from starlette.requests import HTTPConnection

from server.core.enums import EndReason
from server.core.events import EventBus
from server.core.manager import ManagerConfig, SessionBackend, SessionManager
from server.http.auth import AuthPolicy
from server.parts import PartKey, part
from server.settings import Settings
from server.settings.publicurl import PublicUrls, resolve_public_urls
from server.version import OPENVIDU_VERSION

log = logging.getLogger(__name__)

EVENT_DRAIN_TIMEOUT_SECONDS = 5.0
"""How long shutdown waits for event sinks (CDR, webhook) to handle what is queued."""


class Component(Protocol):
    """Something that runs with the server (media cluster, stats loop, CDR writer...)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Runtime:
    def __init__(
        self,
        settings: Settings,
        backend: SessionBackend | None = None,
        protected_prefixes: tuple[str, ...] = (),
    ) -> None:
        """``backend``: the session manager's (see :class:`server.core.manager.LateBackend`);
        ``protected_prefixes``: paths behind the Basic auth beyond the REST surfaces' own (``/metrics``...)."""
        self.settings = settings
        self.public_urls: PublicUrls = resolve_public_urls(settings)
        self.bus = EventBus()
        self.sessions = SessionManager(
            ManagerConfig(
                ws_url=self.public_urls.ws_url, version=OPENVIDU_VERSION, secret=settings.openvidu_secret
            ),
            self.bus,
            backend=backend,
        )
        public_prefixes = (
            ("/recordings", "/openvidu/recordings") if settings.openvidu_recording_public_access else ()
        )
        self.auth_policy = AuthPolicy(public_prefixes=public_prefixes, extra_protected=protected_prefixes)
        self.components: list[Component] = []
        self._started: list[Component] = []
        # Called when the HTTP server starts its graceful shutdown, before it waits for open connections.
        self.shutdown_hooks: list[Callable[[], None]] = []

    def add_component(self, component: Component) -> None:
        self.components.append(component)

    async def start(self) -> None:
        await self.bus.start()
        for component in self.components:
            await component.start()
            self._started.append(component)
        log.info("OpenVidu server ready; public URL %s", self.public_urls.final_url)

    def shutting_down(self) -> None:
        """The listener is closing: end long-lived responses (push streams), which would hold the shutdown."""
        for hook in self.shutdown_hooks:
            try:
                hook()
            except Exception:
                log.exception("shutdown hook %r failed", hook)

    async def stop(self) -> None:
        """Close every session (``openviduServerStopped``), stop components in reverse order, drain events."""
        try:
            await self.sessions.close_all(EndReason.OPENVIDU_SERVER_STOPPED)
        finally:
            while self._started:
                component = self._started.pop()
                try:
                    await component.stop()
                except Exception:
                    log.exception("component %r failed to stop", component)
            await self.bus.stop(EVENT_DRAIN_TIMEOUT_SECONDS)


RUNTIME: PartKey[Runtime] = PartKey("runtime")


def runtime_of(conn: HTTPConnection) -> Runtime:
    return part(conn, RUNTIME)
