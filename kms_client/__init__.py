"""Kurento JSON-RPC client and media server pool (KMS 6.x and 7.x).

Layers: :mod:`.protocol` (messages, no I/O), :mod:`.structs` and :mod:`.events` (typed wire
objects), :mod:`.errors`, :mod:`.session_state` (one session's state, no I/O),
:mod:`.connection` (its I/O driver: one WebSocket), :mod:`.requests` (typed requests), :mod:`.objects`
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
    KmsTooManyRequestsError,
    KmsUnreachableError,
    KurentoRpcError,
)
from .lifecycle import (
    Connected,
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
from .session_state import ResumeOutcome, SessionState

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
    "KmsTooManyRequestsError",
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
    "ResumeOutcome",
    "ServerManager",
    "SessionState",
    "Subscription",
    "Unreachable",
    "WebRtcEndpoint",
]
