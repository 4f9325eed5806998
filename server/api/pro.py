"""The Pro REST API: ``/pro/config``, ``/pro/restart``, ``/pro/media-servers`` and the stats endpoints.

Shapes follow the OpenVidu Pro 2.10/2.11 documentation (../shared/seeds). ``POST`` and ``DELETE`` of
``/pro/media-servers`` are the two operations that documentation leaves commented out, built as it describes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kms_client.errors import DuplicateMediaServerError, KmsError
from kms_client.pool import MediaServer
from server.api.body import json_object, spring_bool
from server.api.config import config_document
from server.api.errors import JSON, bare, error_response
from server.cluster.placement import ClusterPicker, hosting_server
from server.cluster.serialize import kurento_info, media_server_json
from server.core.serialize import dumps, session_json
from server.core.signaling import RestSignaling
from server.media.server_events import MediaServerEvents
from server.media.servers import MediaServers
from server.parts import PartKey, part
from server.restart import Restarter, RestartRejected, persist_restart, validate_restart
from server.runtime import Runtime
from server.settings.kinds import KmsUriKind
from server.stats.gatherer import StatsGatherer
from server.stats.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from server.version import OPENVIDU_VERSION

MEDIA_SERVERS_PATH = "/pro/media-servers"
RESTART_PATH = "/pro/restart"
METRICS_PATH = "/metrics"
"""The Prometheus exposition, behind the Basic auth (``server.assembly.PROTECTED_PREFIXES``)."""


@dataclass
class ProState:
    """What the Pro handlers need (the app's :data:`PRO` part)."""

    runtime: Runtime
    media: MediaServers
    signaling: RestSignaling
    server_events: MediaServerEvents
    picker: ClusterPicker
    stats: StatsGatherer
    restarter: Restarter

    @property
    def cluster(self) -> bool:
        return self.runtime.settings.openvidu_pro_cluster


PRO: PartKey[ProState] = PartKey("pro")


def _pro(request: Request) -> ProState:
    return part(request, PRO)


def _json(document: Any, status: int = 200) -> Response:
    return Response(dumps(document), status_code=status, media_type=JSON)


def pro_config_document(state: ProState) -> dict[str, Any]:
    settings = state.runtime.settings
    doc = config_document(settings)
    doc["openviduPublicurl"] = state.runtime.public_urls.final_url
    doc.update(
        openviduServerDependencyVersion=OPENVIDU_VERSION,
        openviduProStatsMonitoringInterval=settings.openvidu_pro_stats_monitoring_interval,
        openviduProStatsWebrtcInterval=settings.openvidu_pro_stats_webrtc_interval,
        openviduProCluster=settings.openvidu_pro_cluster,
        openviduProClusterLoadStrategy=settings.openvidu_pro_cluster_load_strategy,
        kmsUris=list(settings.kms_uris),
    )
    return doc


async def get_pro_config(request: Request) -> Response:
    return _json(pro_config_document(_pro(request)))


async def restart(request: Request) -> Response:
    state = _pro(request)
    body = await json_object(request, required=True)
    try:
        _, persisted = validate_restart(body, state.runtime.settings)
    except RestartRejected as exc:
        return error_response(400, exc.message, RESTART_PATH)
    if not state.restarter.available:
        return error_response(
            501, "This server was not started by openvidu-server: it cannot restart itself", RESTART_PATH
        )
    await asyncio.to_thread(persist_restart, state.runtime.settings, persisted)
    return Response(status_code=200, background=BackgroundTask(state.restarter.request))


async def _server_json(state: ProState, server: MediaServer, request: Request) -> dict[str, Any]:
    with_load = spring_bool(request, "load")
    with_sessions = spring_bool(request, "sessions")
    with_extra = spring_bool(request, "extraInfo")
    doc = media_server_json(server)
    if with_load:
        doc["load"] = state.picker.load_of(server.id)
    if with_sessions:
        doc["sessions"] = [
            session_json(session)
            for session in state.runtime.sessions.sessions()
            if hosting_server(session) == server.id
        ]
    if with_extra:
        info = await kurento_info(server)
        if info is not None:
            doc["kurentoInfo"] = info
    return doc


async def list_media_servers(request: Request) -> Response:
    state = _pro(request)
    if not state.cluster:
        return bare(501)
    servers = state.media.pool.servers
    content = await asyncio.gather(*(_server_json(state, server, request) for server in servers))
    return _json({"numberOfElements": len(content), "content": list(content)})


async def get_media_server(request: Request) -> Response:
    state = _pro(request)
    if not state.cluster:
        return bare(501)
    server = state.media.pool.get(request.path_params["server_id"])
    if server is None:
        return bare(404)
    return _json(await _server_json(state, server, request))


async def add_media_server(request: Request) -> Response:
    state = _pro(request)
    if not state.cluster:
        return bare(501)
    body = await json_object(request, required=True)
    assert body is not None
    uri = body.get("uri")
    if not isinstance(uri, str):
        return error_response(400, '"uri" parameter is mandatory and must be a string', MEDIA_SERVERS_PATH)
    try:
        KmsUriKind().parse(uri)
    except ValueError:
        return error_response(400, f'"uri" {uri!r} is not a ws:// or wss:// URL', MEDIA_SERVERS_PATH)
    if uri == "embedded":
        return error_response(
            400, '"uri" must be the websocket URL of a running media server', MEDIA_SERVERS_PATH
        )
    if state.media.pool.by_uri(uri) is not None:
        return bare(409)
    try:
        server = await state.media.pool.add(uri)
    except DuplicateMediaServerError:
        return bare(409)
    except KmsError:
        return bare(404)
    return _json(media_server_json(server))


async def remove_media_server(request: Request) -> Response:
    state = _pro(request)
    if not state.cluster:
        return bare(501)
    server_id = request.path_params["server_id"]
    server = state.media.pool.get(server_id)
    if server is None:
        return bare(404)
    force = spring_bool(request, "force")
    hosted = [s for s in state.runtime.sessions.sessions() if hosting_server(s) == server_id]
    if hosted and not force:
        return bare(409)
    if hosted:
        await state.server_events.media_server_lost(server_id)
    await state.media.remove(server_id)
    return bare(204)


async def get_stats(request: Request) -> Response:
    return _json(_pro(request).stats.to_json())


async def get_metrics(request: Request) -> Response:
    return Response(_pro(request).stats.metrics.render(), media_type=METRICS_CONTENT_TYPE)


def pro_routes() -> list[BaseRoute]:
    return [
        Route("/pro/config", get_pro_config, methods=["GET"]),
        Route(RESTART_PATH, restart, methods=["POST"]),
        Route(RESTART_PATH + "/", restart, methods=["POST"]),
        Route(MEDIA_SERVERS_PATH, list_media_servers, methods=["GET"]),
        Route(MEDIA_SERVERS_PATH, add_media_server, methods=["POST"]),
        Route(MEDIA_SERVERS_PATH + "/{server_id}", get_media_server, methods=["GET"]),
        Route(MEDIA_SERVERS_PATH + "/{server_id}", remove_media_server, methods=["DELETE"]),
        Route("/pro/stats", get_stats, methods=["GET"]),
        Route(METRICS_PATH, get_metrics, methods=["GET"]),
    ]
