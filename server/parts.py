"""The app's shared parts: one typed container on ``app.state``, read by request handlers through typed keys.

:mod:`server.assembly` builds every part and stores the ones request handlers need here; a handler reads its part
with :func:`part` and a key (``part(request, PRO)`` is a ``ProState``). Each key is declared beside the part's
type by the package that owns it, so no package imports another (or the assembly) to find its collaborators,
and nothing is read from ``app.state`` untyped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from server.core.signaling import RestSignaling

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PartKey(Generic[T]):
    """The typed name of one shared part (``PartKey[ProState]("pro")``)."""

    name: str


@dataclass(slots=True)
class AppParts:
    """Every shared part of one app, by key; each part is stored once, by the assembly."""

    _parts: dict[str, object] = field(default_factory=dict)

    def put(self, key: PartKey[T], value: T) -> None:
        if key.name in self._parts:
            raise RuntimeError(f"the app part {key.name!r} is already set")
        self._parts[key.name] = value

    def get(self, key: PartKey[T]) -> T:
        """The part; ``LookupError`` if this app was assembled without it."""
        try:
            return cast(T, self._parts[key.name])
        except KeyError:
            raise LookupError(f"this app has no part {key.name!r}") from None

    def find(self, key: PartKey[T]) -> T | None:
        """The part, or None if this app was assembled without it."""
        return cast(T | None, self._parts.get(key.name))


SIGNALING: PartKey[RestSignaling] = PartKey("signaling")
"""What REST asks of the signaling layer (the signaling service)."""


def parts_of_app(app: Starlette) -> AppParts:
    """The app's parts (made on first use, by the assembly)."""
    parts = getattr(app.state, "parts", None)
    if not isinstance(parts, AppParts):
        parts = AppParts()
        app.state.parts = parts
    return parts


def part(conn: HTTPConnection, key: PartKey[T]) -> T:
    """The part of the app serving this request (a ``Request`` or a ``WebSocket``)."""
    parts = conn.app.state.parts
    assert isinstance(parts, AppParts)
    return parts.get(key)


def find_part(conn: HTTPConnection, key: PartKey[T]) -> T | None:
    parts = conn.app.state.parts
    assert isinstance(parts, AppParts)
    return parts.find(key)
