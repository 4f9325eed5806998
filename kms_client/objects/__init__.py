"""Typed proxies of Kurento media objects with async methods and typed events.

Each proxy holds a :class:`~kms_client.connection.KmsConnection` and an object id; methods are
``invoke`` calls, each with a keyword-only ``timeout`` (seconds; None: the connection's
``request_timeout``), as are ``create_*``, ``on``/``on_event``/``expect``/``off`` and ``release``. Differences between KMS 6.x and 7.x (event names, renamed properties) are
resolved here from the server version read at connect time, so callers see one API.
"""

from .base import EventHandler, EventWaiter, MediaObject, Subscription
from .elements import (
    Composite,
    FaceOverlayFilter,
    Filter,
    GStreamerFilter,
    Hub,
    HubPort,
    MediaElement,
    PassThrough,
)
from .endpoints import (
    BaseRtpEndpoint,
    Endpoint,
    PlayerEndpoint,
    RecorderEndpoint,
    SdpEndpoint,
    UriEndpoint,
    WebRtcEndpoint,
)
from .pipeline import ELEMENT_TYPES, MediaPipeline
from .server_manager import ServerManager

__all__ = [
    "ELEMENT_TYPES",
    "BaseRtpEndpoint",
    "Composite",
    "Endpoint",
    "EventHandler",
    "EventWaiter",
    "FaceOverlayFilter",
    "Filter",
    "GStreamerFilter",
    "Hub",
    "HubPort",
    "MediaElement",
    "MediaObject",
    "MediaPipeline",
    "PassThrough",
    "PlayerEndpoint",
    "RecorderEndpoint",
    "SdpEndpoint",
    "ServerManager",
    "Subscription",
    "UriEndpoint",
    "WebRtcEndpoint",
]
