"""The one place the app is assembled: every part is built here, in order, and handed what it needs.

:func:`server.app.create_app` calls :func:`assemble`; nothing else in ``server`` imports this package, so the
other packages never import each other to find their collaborators (``tests/test_layering.py`` checks it).

Construction order (each part is given, at construction, the parts made before it)::

    Runtime (settings, event bus, SessionManager with a LateBackend, the Basic auth's protected paths)
    MediaServers -> placement (cluster picker over the manager's sessions)
    StatsMetrics registry -> RestMetrics, SignalingMetrics
    Peers (participants' JSON-RPC sessions; recording's notifier)
    RecordingManager, BroadcastManager (notify through Peers)
    SessionMedias (picker, Peers, recording) -> MediaBackend bound into the LateBackend;
        MediaServerEvents (resets/losses) listening to the Kurento pool
    SignalingService (manager, medias, Peers, recording, outcome hook)
    stats gatherer, Pro state (REST gets MediaServerEvents for removed nodes), Inspector, 2.32 Pro, metrics

The one cycle (the manager needs the media side's backend, which needs parts that need the manager) is the
explicit :class:`server.core.manager.LateBackend`, bound here once.
"""

from __future__ import annotations

from starlette.applications import Starlette

from server.api.pro import METRICS_PATH
from server.assembly.api232 import install_api232_pro
from server.assembly.inspector import install_inspector
from server.assembly.metrics import install_metrics
from server.assembly.pro import build_placement, build_stats, install_pro
from server.assembly.recording import build_recording, install_recording
from server.assembly.signaling import build_media_side, build_peers, install_signaling
from server.core.manager import LateBackend
from server.events import install_event_sinks
from server.inspector.routes import PREFIX as INSPECTOR_PREFIX
from server.media.servers import MediaServers
from server.observability.rest import RestMetrics, RestMetricsMiddleware
from server.observability.signaling import SignalingMetrics
from server.parts import parts_of_app
from server.runtime import RUNTIME, Runtime
from server.settings import Settings
from server.stats.metrics import StatsMetrics

PROTECTED_PREFIXES = (METRICS_PATH, INSPECTOR_PREFIX)
"""Paths of the Pro parts behind the Basic auth, beside the REST surfaces' own."""


def build_runtime(settings: Settings) -> tuple[Runtime, LateBackend]:
    """The runtime (event bus, session manager) and the link its manager's backend is bound through."""
    backend = LateBackend()
    return Runtime(settings, backend, PROTECTED_PREFIXES), backend


def assemble(app: Starlette, runtime: Runtime, backend: LateBackend) -> None:
    """Build and wire every part of the server into ``app`` (routes, middleware, shared parts, components).

    ``backend`` is the link ``runtime.sessions`` was made with; the media side's backend is bound into it.
    Each part is handed what it needs; request handlers find theirs among the app's typed parts
    (:mod:`server.parts`).
    """
    settings = runtime.settings
    parts_of_app(app).put(RUNTIME, runtime)
    media = MediaServers(settings)
    placement = build_placement(runtime, media)
    picker = placement.picker if settings.openvidu_pro_cluster else media.picker
    metrics = StatsMetrics()
    # Outermost middleware: REST latency covers the CORS and auth middlewares too.
    app.add_middleware(RestMetricsMiddleware, metrics=RestMetrics(metrics.registry))
    signaling_metrics = SignalingMetrics(metrics.registry)
    peers = build_peers(runtime)
    recording = build_recording(runtime, peers)
    side = build_media_side(runtime, backend, media, picker, peers, recording.manager)
    service = install_signaling(
        app, runtime, media, side, peers, recording.manager, signaling_metrics.outcome
    )
    event_sinks = install_event_sinks(runtime.bus, settings)
    install_recording(app, runtime, recording, media)
    stats = build_stats(runtime, metrics)
    pro = install_pro(app, runtime, media, service, side.server_events, placement, stats)
    install_inspector(app, pro)
    install_api232_pro(app, runtime, media, side.server_events, pro)
    install_metrics(runtime, pro, media, event_sinks)
