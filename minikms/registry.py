"""Live media objects by id, Kurento id format, and which sessions own each object."""

from __future__ import annotations

import uuid

from minikms.objects.base import MediaObject
from minikms.protocol import (
    MEDIA_OBJECT_NOT_FOUND,
    MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT,
    KurentoError,
)

NEWREF_PREFIX = "newref:"
KURENTO_MODULE = "kurento"


def make_object_id(type_name: str, parent: MediaObject | None) -> str:
    """``<uuid>_kurento.<Type>``, prefixed by ``<parent id>/`` for children (HubPort under its hub)."""
    own = f"{uuid.uuid4()}_{KURENTO_MODULE}.{type_name}"
    return f"{parent.id}/{own}" if parent is not None else own


class Registry:
    def __init__(self) -> None:
        self.objects: dict[str, MediaObject] = {}
        self.owners: dict[str, set[str]] = {}

    def add(self, obj: MediaObject) -> None:
        self.objects[obj.id] = obj
        self.owners.setdefault(obj.id, set())

    def get(self, object_id: str) -> MediaObject:
        obj = self.objects.get(object_id)
        if obj is None or obj.released:
            if object_id.startswith(NEWREF_PREFIX):
                raise KurentoError(
                    MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT,
                    f"Object '{object_id}' not found in a committed transaction",
                )
            raise KurentoError(MEDIA_OBJECT_NOT_FOUND, f"Object '{object_id}' not found")
        return obj

    def ref(self, session_id: str, obj: MediaObject) -> None:
        self.owners.setdefault(obj.id, set()).add(session_id)

    def unref(self, session_id: str, obj: MediaObject) -> bool:
        """Drop one owner; True when no owner is left."""
        owners = self.owners.get(obj.id)
        if owners is None:
            return False
        owners.discard(session_id)
        return not owners

    def owned_by(self, session_id: str) -> list[MediaObject]:
        return [self.objects[oid] for oid, owners in self.owners.items() if session_id in owners]

    def remove(self, obj: MediaObject) -> None:
        self.objects.pop(obj.id, None)
        self.owners.pop(obj.id, None)

    def pipelines(self) -> list[MediaObject]:
        return [o for o in self.objects.values() if o.KMS_TYPE == "MediaPipeline" and not o.released]
