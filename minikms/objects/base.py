"""MediaObject: the root of every Kurento-facing class, with invoke dispatch, properties and tags.

A class declares its Kurento shape with class attributes (``KMS_TYPE``, ``CONSTRUCTOR``, ``PROPERTIES``,
``EVENTS``) and ``@operation`` methods; ``__init_subclass__`` folds the inherited declarations so
``invoke`` can dispatch ``processOffer``, ``getName``, ``setName`` ... like the generated KMS code.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from minikms.events import KmsVersion, accepted_names, tag_struct
from minikms.objects.marshal import Param, Resolver, unmarshal, unmarshal_params
from minikms.protocol import (
    MALFORMED_TRANSACTION,
    MARSHALL_ERROR,
    MEDIA_OBJECT_TAG_KEY_NOT_FOUND,
    KurentoError,
)

if TYPE_CHECKING:
    from minikms.media import MediaEngine


class ObjectHost(Resolver, Protocol):
    """What objects need from the server that holds them."""

    @property
    def version(self) -> KmsVersion: ...

    @property
    def engine(self) -> MediaEngine: ...

    def raise_event(self, source: MediaObject, event_7x: str, fields: dict[str, Any]) -> None: ...

    def all_objects(self) -> list[MediaObject]: ...

    def pipelines_for_manager(self) -> list[str]: ...

    def session_ids(self) -> list[str]: ...


@dataclass(frozen=True)
class OperationSpec:
    """One kmd method: its name, params, and the Python method implementing it."""

    name: str
    params: tuple[Param, ...]
    attr: str
    versions: tuple[int, ...] | None = None
    returns: str = "void"


@dataclass(frozen=True)
class Prop:
    """One kmd property; accessed as ``get<Name>`` / ``set<Name>``.

    ``getter`` names a method computing the wire value; otherwise the value lives in ``values``.
    ``on_set`` names a method called with the new (unmarshalled) value after it is stored.
    """

    name: str
    type: str
    readonly: bool = False
    default: Any = None
    getter: str | None = None
    on_set: str | None = None
    versions: tuple[int, ...] | None = None

    @property
    def accessor_suffix(self) -> str:
        return self.name[:1].upper() + self.name[1:]


def operation(
    name: str, *params: Param, versions: tuple[int, ...] | None = None, returns: str = "void"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a method as the implementation of the kmd method ``name``."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn._kms_operation = OperationSpec(name, params, fn.__name__, versions, returns)  # type: ignore[attr-defined]
        return fn

    return mark


def _available(versions: tuple[int, ...] | None, version: KmsVersion) -> bool:
    return versions is None or version.major in versions


class MediaObject:
    KMS_TYPE: ClassVar[str] = "MediaObject"
    ABSTRACT: ClassVar[bool] = True
    MODULE: ClassVar[str] = "core"
    CONSTRUCTOR: ClassVar[tuple[Param, ...]] = ()
    EVENTS: ClassVar[tuple[str, ...]] = ("Error",)
    PROPERTIES: ClassVar[tuple[Prop, ...]] = (
        Prop("mediaPipeline", "MediaPipeline", readonly=True, getter="_get_media_pipeline"),
        Prop("parent", "MediaObject", readonly=True, getter="_get_parent"),
        Prop("id", "String", readonly=True, getter="_get_id"),
        Prop("childs", "MediaObject[]", readonly=True, getter="_get_children", versions=(6,)),
        Prop("children", "MediaObject[]", readonly=True, getter="_get_children"),
        Prop("name", "String", getter="_get_name"),
        Prop("sendTagsInEvents", "boolean", default=False),
        Prop("creationTime", "int", readonly=True, getter="_get_creation_time"),
    )

    # Folded declarations (own + inherited), filled by __init_subclass__.
    all_operations: ClassVar[dict[str, OperationSpec]] = {}
    all_properties: ClassVar[dict[str, Prop]] = {}
    all_events: ClassVar[tuple[str, ...]] = ()
    ancestors: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _fold(cls)

    def __init__(self, host: ObjectHost, object_id: str, parent: MediaObject | None) -> None:
        self.host = host
        self.id = object_id
        self.parent = parent
        self.children: list[MediaObject] = []
        self.creation_time = int(time.time())
        self.name: str | None = None
        self.tags: dict[str, str] = {}
        self.values: dict[str, Any] = {
            p.name: p.default for p in type(self).all_properties.values() if p.getter is None
        }
        self.released = False
        if parent is not None:
            parent.children.append(self)

    # -- lifecycle hooks -------------------------------------------------------------------
    async def setup(self, args: dict[str, Any]) -> None:
        """Build the object's media side from its unmarshalled constructor params."""

    async def teardown(self) -> None:
        """Free the object's media side; called once, children first."""

    # -- kurento shape -----------------------------------------------------------------------
    @property
    def pipeline(self) -> MediaObject | None:
        node: MediaObject | None = self
        while node is not None and node.parent is not None:
            node = node.parent
        return node if node is not None and node.KMS_TYPE == "MediaPipeline" else None

    @classmethod
    def type_names(cls) -> tuple[str, ...]:
        """This class's Kurento type and those of its ancestors (for reference param checks)."""
        return (cls.KMS_TYPE, *(a.split(".", 1)[1] for a in cls.ancestors))

    @classmethod
    def accepts_event(cls, name: str, version: KmsVersion) -> bool:
        return name in accepted_names(cls.all_events, version)

    def describe(self) -> dict[str, Any]:
        return {
            "hierarchy": list(type(self).ancestors),
            "qualifiedType": f"kurento.{self.KMS_TYPE}",
            "type": self.KMS_TYPE,
        }

    def tag_pairs(self) -> list[tuple[str, str]]:
        return list(self.tags.items()) if self.values.get("sendTagsInEvents") else []

    def raise_event(self, event_7x: str, fields: dict[str, Any]) -> None:
        """Report an event of this object (7.x name); the host delivers it to subscribers."""
        if not self.released:
            self.host.raise_event(self, event_7x, fields)

    # -- invoke ---------------------------------------------------------------------------
    async def invoke(self, name: str, given: dict[str, Any] | None) -> Any:
        version = self.host.version
        cls = type(self)
        spec = cls.all_operations.get(name)
        if spec is not None and _available(spec.versions, version):
            values = unmarshal_params(spec.params, given, self.host, "operationParams")
            result = getattr(self, spec.attr)(*values)
            if inspect.isawaitable(result):
                result = await result
            return result
        prop = _accessor(cls, name, version)
        if prop is not None:
            kind, found = prop
            if kind == "get":
                return self.get_property(found)
            return await self.set_property(found, given)
        count = len(given) if isinstance(given, dict) else 0
        raise KurentoError(MALFORMED_TRANSACTION, f"Method '{name}' with {count} parameters not found")

    def get_property(self, prop: Prop) -> Any:
        if prop.getter is not None:
            return getattr(self, prop.getter)()
        return self.values.get(prop.name)

    async def set_property(self, prop: Prop, given: dict[str, Any] | None) -> None:
        if not isinstance(given, dict) or given.get(prop.name) is None:
            raise KurentoError(MARSHALL_ERROR, f"'{prop.name}' parameter is required")
        value = unmarshal(prop.name, prop.type, given[prop.name], self.host)
        if prop.name == "name":
            self.name = value
        else:
            self.values[prop.name] = value
        if prop.on_set is not None:
            result = getattr(self, prop.on_set)(value)
            if inspect.isawaitable(result):
                await result

    # -- MediaObject properties and methods ----------------------------------------------------
    def _get_media_pipeline(self) -> str | None:
        pipeline = self.pipeline
        return pipeline.id if pipeline is not None else None

    def _get_parent(self) -> str | None:
        return self.parent.id if self.parent is not None else None

    def _get_id(self) -> str:
        return self.id

    def _get_children(self) -> list[str]:
        return [child.id for child in self.children if not child.released]

    def _get_name(self) -> str:
        return self.name if self.name is not None else self.id

    def _get_creation_time(self) -> int:
        return self.creation_time

    @operation("addTag", Param("key", "String"), Param("value", "String"))
    def add_tag(self, key: str, value: str) -> None:
        self.tags[key] = value

    @operation("removeTag", Param("key", "String"))
    def remove_tag(self, key: str) -> None:
        self.tags.pop(key, None)

    @operation("getTag", Param("key", "String"), returns="String")
    def get_tag(self, key: str) -> str:
        if key not in self.tags:
            raise KurentoError(MEDIA_OBJECT_TAG_KEY_NOT_FOUND, f"Tag key '{key}' not found")
        return self.tags[key]

    @operation("getTags", returns="Tag[]")
    def get_tags(self) -> list[dict[str, Any]]:
        return [tag_struct(k, v) for k, v in self.tags.items()]


def _fold(cls: type[MediaObject]) -> None:
    """Merge a class's own declarations with its bases' (nearest wins)."""
    operations: dict[str, OperationSpec] = {}
    properties: dict[str, Prop] = {}
    events: list[str] = []
    for klass in reversed(cls.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, MediaObject)):
            continue
        own = klass.__dict__
        for attr in own.values():
            spec = getattr(attr, "_kms_operation", None)
            if isinstance(spec, OperationSpec):
                operations[spec.name] = spec
        for prop in own.get("PROPERTIES", ()):
            properties[prop.name] = prop
        for event in own.get("EVENTS", ()):
            if event not in events:
                events.append(event)
    cls.all_operations = operations
    cls.all_properties = properties
    cls.all_events = tuple(events)
    chain: list[str] = []
    for klass in cls.__mro__[1:]:
        if isinstance(klass, type) and issubclass(klass, MediaObject) and "KMS_TYPE" in klass.__dict__:
            chain.append(f"kurento.{klass.KMS_TYPE}")
    cls.ancestors = tuple(chain)


_fold(MediaObject)


def _accessor(cls: type[MediaObject], name: str, version: KmsVersion) -> tuple[str, Prop] | None:
    """The property behind a ``get<Prop>`` / ``set<Prop>`` name, if any."""
    if len(name) <= 3 or name[:3] not in ("get", "set"):
        return None
    kind, suffix = name[:3], name[3:]
    for prop in cls.all_properties.values():
        if prop.accessor_suffix != suffix or not _available(prop.versions, version):
            continue
        if kind == "set" and prop.readonly:
            return None
        return kind, prop
    return None
