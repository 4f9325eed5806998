"""Kurento JSON-RPC client and media server pool (KMS 6.x and 7.x).

Layers: :mod:`.protocol` (messages, no I/O), :mod:`.structs` and :mod:`.events` (typed wire
objects), :mod:`.errors`, :mod:`.connection` (one WebSocket and session), :mod:`.objects`
(typed media objects), :mod:`.client` and :mod:`.pool`.
"""

from .client import KurentoClient
from .connection import KmsConnection
from .errors import (
    DuplicateMediaServerError,
    KmsClosedError,
    KmsConnectionError,
    KmsConnectionLostError,
    KmsError,
    KmsSessionLostError,
    KmsTimeoutError,
    KmsUnreachableError,
    KurentoRpcError,
)
from .lifecycle import (
    ConnectionState,
    Disconnected,
    LifecycleEvent,
    ReconnectedEmpty,
    ReconnectedSame,
    Unreachable,
)
from .objects import (
    Composite,
    FaceOverlayFilter,
    GStreamerFilter,
    HubPort,
    MediaElement,
    MediaObject,
    MediaPipeline,
    PassThrough,
    RecorderEndpoint,
    ServerManager,
    Subscription,
    WebRtcEndpoint,
)
from .pool import KmsPool, MediaServer

__all__ = [
    "Composite",
    "Connected",
    "ConnectionState",
    "Disconnected",
    "DuplicateMediaServerError",
    "FaceOverlayFilter",
    "GStreamerFilter",
    "HubPort",
    "KmsClosedError",
    "KmsConnection",
    "KmsConnectionError",
    "KmsConnectionLostError",
    "KmsError",
    "KmsPool",
    "KmsSessionLostError",
    "KmsTimeoutError",
    "KmsUnreachableError",
    "KurentoClient",
    "KurentoRpcError",
    "LifecycleEvent",
    "MediaElement",
    "MediaObject",
    "MediaPipeline",
    "MediaServer",
    "PassThrough",
    "ReconnectedEmpty",
    "ReconnectedSame",
    "RecorderEndpoint",
    "ServerManager",
    "Subscription",
    "Unreachable",
    "WebRtcEndpoint",
]
