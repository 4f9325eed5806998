"""The Kurento-facing classes of minikms (MediaObject hierarchy, ServerManager, factories)."""

from minikms.objects.base import MediaObject, ObjectHost, OperationSpec, Prop, operation
from minikms.objects.catalog import FACTORIES, kmd_text, server_info
from minikms.objects.elements import MediaElement
from minikms.objects.server_manager import SERVER_MANAGER_ID, ServerManager

__all__ = [
    "FACTORIES",
    "SERVER_MANAGER_ID",
    "MediaElement",
    "MediaObject",
    "ObjectHost",
    "OperationSpec",
    "Prop",
    "ServerManager",
    "kmd_text",
    "operation",
    "server_info",
]
