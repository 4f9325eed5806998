"""Wire the Pro part into the app: cluster placement, load sampling, stats gathering, restart and the Pro routes.

Runs after :func:`server.assembly.signaling.install_signaling` (it needs the media servers and the signaling
service); :func:`build_placement` runs before it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette

from server.api.pro import PRO, ProState, pro_routes
from server.cluster.load import LoadStrategy
from server.cluster.placement import ClusterPicker, LoadSampler
from server.core.signaling import RestSignaling
from server.media.server_events import MediaServerEvents
from server.media.servers import MediaServers
from server.parts import parts_of_app
from server.restart import Restarter
from server.runtime import Runtime
from server.stats.gatherer import StatsGatherer
from server.stats.metrics import StatsMetrics
from server.stats.webrtc import webrtc_stats_source


def stats_log_path(cdr_path: str, started_at: float | None = None) -> Path:
    """``STATS.<yyyy-MM-dd>_<HH-mm-ss of start>.log`` beside the CDR files."""
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S", time.localtime(started_at))
    return Path(cdr_path).expanduser() / f"STATS.{stamp}.log"


@dataclass(frozen=True, slots=True)
class Placement:
    """Cluster placement: the load strategy, the load sampler and the picker that uses them."""

    strategy: LoadStrategy
    sampler: LoadSampler
    picker: ClusterPicker


def build_placement(runtime: Runtime, media: MediaServers) -> Placement:
    """Made before the signaling service, which places new sessions with the picker in cluster mode."""
    settings = runtime.settings
    strategy = LoadStrategy(settings.openvidu_pro_cluster_load_strategy)
    sampler = LoadSampler(
        strategy,
        lambda: media.pool.servers,
        interval=settings.openvidu_pro_cluster_load_sample_interval,
        cpu_window_ms=int(settings.openvidu_pro_cluster_load_cpu_window * 1000),
    )
    picker = ClusterPicker(strategy, media.placeable_servers, runtime.sessions.sessions, sampler)
    return Placement(strategy, sampler, picker)


def build_stats(runtime: Runtime, metrics: StatsMetrics) -> StatsGatherer:
    """The stats gatherer (its registry, ``metrics``, is made first: signaling reports to it)."""
    settings = runtime.settings
    return StatsGatherer(
        settings.openvidu_pro_stats_monitoring_interval,
        settings.openvidu_pro_stats_webrtc_interval,
        history=settings.openvidu_pro_stats_history,
        # Beside the CDR files, and only when the CDR is written: never a stray ./log folder of the working one.
        log_path=stats_log_path(settings.openvidu_cdr_path) if settings.openvidu_cdr else None,
        webrtc_source=webrtc_stats_source(runtime.sessions.sessions, settings.kms_request_timeout),
        metrics=metrics,
    )


def install_pro(
    app: Starlette,
    runtime: Runtime,
    media: MediaServers,
    signaling: RestSignaling,
    server_events: MediaServerEvents,
    placement: Placement,
    stats: StatsGatherer,
) -> ProState:
    settings = runtime.settings
    picker = placement.picker
    if settings.openvidu_pro_cluster:
        runtime.add_component(placement.sampler)
    runtime.add_component(stats)
    restarter = Restarter()

    def hand_over_media_servers() -> None:
        media.hand_over_on_stop = True

    restarter.before.append(hand_over_media_servers)
    state = ProState(runtime, media, signaling, server_events, picker, stats, restarter)
    parts_of_app(app).put(PRO, state)
    app.router.routes.extend(pro_routes())
    return state
