"""The state of one minikms process: objects, sessions, subscriptions, events and garbage collection.

``MiniKms`` is the ``ObjectHost`` of every media object; request handling (``methods.py``) and the
socket layer (``transport.py``) sit on top of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import uuid
from typing import TYPE_CHECKING, Any

from minikms.events import KmsVersion, build_data, wire_names
from minikms.objects import FACTORIES, MediaObject, ServerManager
from minikms.objects.marshal import unmarshal_params
from minikms.protocol import MEDIA_OBJECT_NOT_AVAILABLE, MEDIA_OBJECT_NOT_FOUND, KurentoError, on_event
from minikms.registry import Registry, make_object_id
from minikms.sessions import RequestCache, SessionTable, Subscriptions
from minikms.settings import Settings

if TYPE_CHECKING:
    from minikms.media import MediaEngine

log = logging.getLogger("minikms")

# The session on whose behalf the current request runs: object lookups ref objects for it.
current_session: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_session", default=None)

# Session id under which ServerManager.getPipelines refs every pipeline (a KMS quirk).
MANAGER_LOOKUP_SESSION = ""


class MiniKms:
    def __init__(self, settings: Settings, engine: MediaEngine) -> None:
        self.settings = settings
        self._version = settings.version
        self._engine = engine
        self.server_id = str(uuid.uuid4())
        self.registry = Registry()
        self.sessions = SessionTable()
        self.subscriptions = Subscriptions()
        self.cache = RequestCache(settings.request_cache_ttl)
        self.manager = ServerManager(self)
        self.registry.add(self.manager)
        self._tasks: list[asyncio.Task[None]] = []

    # -- ObjectHost ---------------------------------------------------------------------------
    @property
    def version(self) -> KmsVersion:
        return self._version

    @property
    def engine(self) -> MediaEngine:
        return self._engine

    def lookup(self, object_id: str) -> MediaObject:
        """The live object ``object_id``; the current session becomes one of its owners."""
        obj = self.registry.get(object_id)
        session_id = current_session.get()
        if session_id is not None:
            self.ref(session_id, obj)
        return obj

    def all_objects(self) -> list[MediaObject]:
        return list(self.registry.objects.values())

    def pipelines_for_manager(self) -> list[str]:
        pipelines = self.registry.pipelines()
        for pipeline in pipelines:
            self.ref(MANAGER_LOOKUP_SESSION, pipeline)
        return [p.id for p in pipelines]

    def session_ids(self) -> list[str]:
        return list(self.sessions.sessions)

    def raise_event(self, source: MediaObject, event_7x: str, fields: dict[str, Any]) -> None:
        """Deliver one occurrence to every session subscribed to it, under each name of this version."""
        for name in wire_names(event_7x, self._version):
            session_ids = self.subscriptions.sessions_for(source.id, name)
            if not session_ids:
                continue
            data = build_data(name, source.id, fields, self._version, source.tag_pairs())
            message = on_event(source.id, name, data)
            for session_id in session_ids:
                peer = self.sessions.peer_of(session_id)
                if peer is not None:
                    peer.send(message)

    # -- ownership ------------------------------------------------------------------------------
    def ref(self, session_id: str, obj: MediaObject) -> None:
        self.registry.ref(session_id, obj)
        self.sessions.touch(session_id)

    async def unref(self, session_id: str, obj: MediaObject) -> None:
        if self.registry.unref(session_id, obj) and obj is not self.manager:
            await self.release(obj)

    async def unref_session(self, session_id: str, release_all: bool = False) -> None:
        """Drop every ownership of a session (GC or closeSession); orphans are released."""
        self.subscriptions.drop_session(session_id)
        for obj in self.registry.owned_by(session_id):
            if obj.released:
                continue
            if release_all and obj is not self.manager:
                await self.release(obj)
            else:
                await self.unref(session_id, obj)

    # -- create / release --------------------------------------------------------------------------
    async def create(self, session_id: str, type_name: str, constructor_params: Any) -> MediaObject:
        cls = FACTORIES.get(type_name)
        if cls is None:
            raise KurentoError(MEDIA_OBJECT_NOT_AVAILABLE, f"Factory '{type_name}' not found")
        values = unmarshal_params(cls.CONSTRUCTOR, constructor_params, self, "constructorParams")
        args = {param.name: value for param, value in zip(cls.CONSTRUCTOR, values, strict=True)}
        parent = args.get("hub") or args.get("mediaPipeline")
        obj = cls(self, make_object_id(cls.KMS_TYPE, parent), parent)
        try:
            await obj.setup(args)
        except BaseException:
            if parent is not None and obj in parent.children:
                parent.children.remove(obj)
            obj.released = True
            with contextlib.suppress(Exception):
                await obj.teardown()
            raise
        if parent is not None and parent.released:
            # The parent went away while this object was being built (release from another socket).
            if obj in parent.children:
                parent.children.remove(obj)
            obj.released = True
            await obj.teardown()
            raise KurentoError(MEDIA_OBJECT_NOT_FOUND, f"Object '{parent.id}' not found")
        self.registry.add(obj)
        self.ref(session_id, obj)
        self.manager.raise_event("ObjectCreated", {"object": obj.id})
        return obj

    async def release(self, obj: MediaObject) -> None:
        """Release ``obj`` and, first, its children, for every session; idempotent."""
        if obj.released or obj is self.manager:
            return
        # Children first (in parallel: closing WebRTC peers takes a while each), then the object.
        await asyncio.gather(*(self.release(child) for child in list(obj.children)))
        if obj.released:
            return
        obj.released = True
        self.subscriptions.drop_object(obj.id)
        self.registry.remove(obj)
        if obj.parent is not None and obj in obj.parent.children:
            obj.parent.children.remove(obj)
        try:
            await obj.teardown()
        except Exception:
            log.exception("releasing %s failed", obj.id)
        self.manager.raise_event("ObjectDestroyed", {"objectId": obj.id})

    # -- background work ---------------------------------------------------------------------------
    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._keepalive_loop(), name="minikms-keepalive"))
        self._tasks.append(asyncio.create_task(self._gc_loop(), name="minikms-gc"))

    async def _keepalive_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.keepalive_interval)
            self.sessions.keep_bound_alive()

    async def _gc_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.gc_period)
            try:
                await self.collect_garbage()
            except Exception:
                log.exception("garbage collection failed")

    async def collect_garbage(self) -> None:
        self.sessions.keep_bound_alive()
        for session in self.sessions.collect():
            log.info("session %s expired: releasing its objects", session.id)
            await self.unref_session(session.id)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        for pipeline in self.registry.pipelines():
            await self.release(pipeline)
