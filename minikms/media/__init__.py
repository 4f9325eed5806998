"""minikms media engine: aiortc behind the Kurento-facing objects.

The CORE (minikms/objects) owns one ``MediaEngine`` per process and one node per media element; it
sets ``node.emit`` to forward events (KMS 7.x names, §4.3 data fields without the common ones) and
turns ``MediaError`` into JSON-RPC errors.
"""

from __future__ import annotations

from .errors import MediaError
from .mixer import CompositeNode, HubPortNode
from .node import EventSink, MediaEngine, MediaNode, media_kinds
from .params import DEFAULT_PARAMS, MediaParams
from .passthrough import PassThroughNode
from .recorder import RecorderNode
from .webrtc import WebRtcNode

__all__ = [
    "DEFAULT_PARAMS",
    "CompositeNode",
    "EventSink",
    "HubPortNode",
    "MediaEngine",
    "MediaError",
    "MediaNode",
    "MediaParams",
    "PassThroughNode",
    "RecorderNode",
    "WebRtcNode",
    "media_kinds",
]
