"""minikms media engine: aiortc behind the Kurento-facing objects.

The CORE (minikms/objects) owns one ``MediaEngine`` per process and one node per media element; it
sets ``node.emit`` to forward events (KMS 7.x names, §4.3 data fields without the common ones). Failures are
``minikms.protocol.KurentoError`` (the one vocabulary of KMS codes), answered as JSON-RPC errors as they are.

Map of the package:
- node.py       MediaEngine (loopback ICE patch, flow monitor, shared encoders) and MediaNode (graph:
                one InputSwitch and one FrameHub per kind; connect/disconnect/replace; flow events).
- tracks.py     FrameHub (reads a track once, fans frames out), InputSwitch (a track fed by whichever
                hub it is attached to), QueueTrack, FlowMeter.
- webrtc.py     WebRtcNode: RTCPeerConnection, SDP offer/answer rules and errors, trickle ICE events,
                ICE/connection/media state events, bandwidth (b=AS, encoder caps); bitrate.py clamps an
                encoder's target bitrate, rtpstats.py builds its Kurento getStats.
- sharedvideo.py one VP8 encode per relayed source for all VP8 subscribers (packets, keyframes on
                join/PLI); other codecs fall back to aiortc's per-sender encoder.
- filters.py    FilterNode (GStreamerFilter): gst-launch command parser, numpy videoflip/videobalance.
- player.py     PlayerNode (PlayerEndpoint): aiortc's MediaPlayer over PyAV for rtsp/http(s)/file URIs.
- passthrough.py, mixer.py (Composite/HubPort: audio mix-minus, video grid), recorder.py +
                recording.py (RecorderEndpoint; writer thread, all WEBM/MKV/MP4 profiles).
- ice.py, sdp.py, stats.py, levels.py: sans-I/O helpers (candidate filter, SDP edits, stats shapes,
                the vectorised RTP audio level installed over aiortc's).
"""

from __future__ import annotations

from .filters import FilterNode
from .mixer import CompositeNode, HubPortNode
from .node import EventSink, MediaEngine, MediaNode, media_kinds
from .params import DEFAULT_PARAMS, MediaParams
from .passthrough import PassThroughNode
from .player import PlayerNode
from .recorder import RecorderNode
from .webrtc import WebRtcNode

__all__ = [
    "DEFAULT_PARAMS",
    "CompositeNode",
    "EventSink",
    "FilterNode",
    "HubPortNode",
    "MediaEngine",
    "MediaNode",
    "MediaParams",
    "PassThroughNode",
    "PlayerNode",
    "RecorderNode",
    "WebRtcNode",
    "media_kinds",
]
