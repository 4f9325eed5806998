"""The Pro media-node API of 2.32 (``/openvidu/api/media-nodes``) and ``/openvidu/api/health``.

A media node is a media server of the pool (the same ids as ``/pro/media-servers``). Nodes are on premises:
they are added by ``uri`` (no instance is launched), ``PUT`` autodiscovers the ``kms.uris`` not in the pool yet,
and the statuses used are ``running``, ``waiting-idle-to-terminate``, ``terminating`` and ``terminated``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kms_client.errors import DuplicateMediaServerError, KmsError
from kms_client.lifecycle import (
    Connected,
    Disconnected,
    LifecycleEvent,
    ReconnectedEmpty,
    ReconnectedSame,
    Unreachable,
)
from kms_client.pool import MediaServer
from server.api.body import BadRequest, json_object, spring_bool
from server.api.errors import JSON, bare, error_response
from server.api232.serialize import session_json
from server.cluster.placement import hosting_server
from server.cluster.serialize import kurento_info
from server.core.clock import now_ms
from server.core.events import Event, SessionDestroyed
from server.core.events_232 import MediaNodeStatusChanged, NodeCrashed, NodeRecovered
from server.core.serialize import dumps
from server.media.server_events import MediaServerEvents
from server.media.servers import MediaServers
from server.parts import PartKey, part
from server.runtime import Runtime
from server.settings.kinds import KmsUriKind

MEDIA_NODES: PartKey[MediaNodes] = PartKey("media_nodes")

PATH = "/openvidu/api/media-nodes"
RUNNING = "running"
WAITING = "waiting-idle-to-terminate"
TERMINATING = "terminating"
TERMINATED = "terminated"
STRATEGIES = ("now", "if-no-sessions", "when-no-sessions")
# PATCH transitions of an on-premises node (launching/canceled belong to nodes the server launches itself)
TRANSITIONS = {RUNNING: (WAITING, TERMINATING), WAITING: (RUNNING, TERMINATING)}
STATUSES = ("launching", "canceled", RUNNING, WAITING, TERMINATING, TERMINATED, "failed")


@dataclass
class NodeInfo:
    environment_id: str | None
    launching_time: int
    status: str = RUNNING


@dataclass
class MediaNodes:
    """What the 2.32 API keeps about the nodes beside the pool: environment id, launching time, status."""

    runtime: Runtime
    media: MediaServers
    server_events: MediaServerEvents
    load_of: Callable[[str], float]
    infos: dict[str, NodeInfo] = field(default_factory=dict)
    crashed: set[str] = field(default_factory=set)
    hosted_at_disconnection: dict[str, tuple[str, ...]] = field(default_factory=dict)
    on_status: list[Callable[[MediaServer, NodeInfo, str, str], None]] = field(default_factory=list)

    def info(self, server: MediaServer) -> NodeInfo:
        found = self.infos.get(server.id)
        if found is None:
            found = self.infos[server.id] = NodeInfo(None, server.connection_time or now_ms())
        return found

    def hosted(self, server_id: str) -> list[str]:
        return [s.session_id for s in self.runtime.sessions.sessions() if hosting_server(s) == server_id]

    def set_status(self, server: MediaServer, status: str) -> None:
        info = self.info(server)
        old, info.status = info.status, status
        if status == WAITING:
            self.media.quarantined.add(server.id)
        else:
            self.media.quarantined.discard(server.id)
        if old != status:
            self.runtime.bus.publish(
                MediaNodeStatusChanged(
                    "", now_ms(), server.id, info.environment_id, server.ip, server.uri, status, old
                )
            )
            for listener in self.on_status:
                listener(server, info, old, status)

    async def on_pool_notice(self, server: MediaServer, notice: LifecycleEvent) -> None:
        """``nodeCrashed`` when a node stays unreachable past the reconnect window (its sessions are closed);
        ``nodeRecovered`` when a crashed node connects again."""
        info = self.info(server)
        if isinstance(notice, Disconnected):
            self.hosted_at_disconnection[server.id] = tuple(self.hosted(server.id))
        elif isinstance(notice, Unreachable):
            self.crashed.add(server.id)
            sessions = self.hosted_at_disconnection.pop(server.id, ())
            self.runtime.bus.publish(
                NodeCrashed(
                    "",
                    now_ms(),
                    server.id,
                    info.environment_id,
                    server.ip,
                    server.uri,
                    sessions,
                    notice.disconnected_at,
                )
            )
        elif isinstance(notice, Connected | ReconnectedSame | ReconnectedEmpty):
            self.hosted_at_disconnection.pop(server.id, None)
            if server.id in self.crashed:
                self.crashed.discard(server.id)
                self.runtime.bus.publish(
                    NodeRecovered("", now_ms(), server.id, info.environment_id, server.ip, server.uri)
                )

    async def terminate(self, server: MediaServer) -> None:
        """Close the sessions it hosts (``mediaServerDisconnect``) and remove it from the pool."""
        self.set_status(server, TERMINATING)
        if self.hosted(server.id):
            await self.server_events.media_server_lost(server.id)
        await self.media.remove(server.id)
        self.set_status(server, TERMINATED)
        self.infos.pop(server.id, None)
        self.media.quarantined.discard(server.id)

    async def on_event(self, event: Event) -> None:
        """A node waiting to terminate goes once its last session is destroyed."""
        if not isinstance(event, SessionDestroyed):
            return
        for server_id, info in list(self.infos.items()):
            server = self.media.pool.get(server_id)
            if info.status == WAITING and server is not None and not self.hosted(server_id):
                await self.terminate(server)


def _nodes(request: Request) -> MediaNodes:
    nodes = part(request, MEDIA_NODES)
    return nodes


def _json(document: Any, status: int = 200) -> Response:
    return Response(dumps(document), status_code=status, media_type=JSON)


async def node_json(nodes: MediaNodes, server: MediaServer, request: Request | None = None) -> dict[str, Any]:
    info = nodes.info(server)
    doc: dict[str, Any] = {
        "id": server.id,
        "object": "mediaNode",
        "environmentId": info.environment_id,
        "ip": server.ip,
        "uri": server.uri,
        "launchingTime": info.launching_time,
        "connected": server.connected,
        "connectionTime": server.connection_time or 0,
    }
    if not server.connected:
        doc["disconnectionTime"] = server.disconnection_time or 0
    doc["load"] = round(float(nodes.load_of(server.id)), 2)
    doc["status"] = info.status
    if request is not None:
        if spring_bool(request, "sessions"):
            doc["sessions"] = [
                session_json(s) for s in nodes.runtime.sessions.sessions() if hosting_server(s) == server.id
            ]
        if spring_bool(request, "recordings"):
            doc["recordingIds"] = []
            doc["broadcasts"] = []
        if spring_bool(request, "extra-info"):
            extra = await kurento_info(server)
            doc["kurentoInfo"] = extra if extra is not None else {}
    return doc


async def list_nodes(request: Request) -> Response:
    nodes = _nodes(request)
    content = await asyncio.gather(*(node_json(nodes, s, request) for s in nodes.media.pool.servers))
    return _json({"numberOfElements": len(content), "content": list(content)})


async def get_node(request: Request) -> Response:
    nodes = _nodes(request)
    server = nodes.media.pool.get(request.path_params["node_id"])
    if server is None:
        return bare(404)
    return _json(await node_json(nodes, server, request))


async def add_node(request: Request) -> Response:
    nodes = _nodes(request)
    wait = spring_bool(request, "wait")
    body = await json_object(request, required=False) or {}
    uri, environment_id = body.get("uri"), body.get("environmentId")
    if uri is None:
        return bare(501)  # on premises, no uri: nothing to launch
    if not isinstance(uri, str) or (environment_id is not None and not isinstance(environment_id, str)):
        return error_response(400, "Type error in some parameter", PATH)
    try:
        KmsUriKind().parse(uri)
    except ValueError:
        return error_response(400, f"Parameter 'uri' {uri} is not a valid websocket URI", PATH)
    if uri == "embedded" or nodes.media.pool.by_uri(uri) is not None:
        return bare(409) if uri != "embedded" else error_response(400, "Parameter 'uri' must be a URI", PATH)
    try:
        server = await nodes.media.pool.add(uri, wait=True)
    except DuplicateMediaServerError:
        return bare(409)
    except KmsError:
        return bare(404)
    nodes.infos[server.id] = NodeInfo(environment_id, now_ms())
    del wait  # the node is connected (running) once added, with or without ?wait
    return _json(await node_json(nodes, server))


async def remove_node(request: Request) -> Response:
    nodes = _nodes(request)
    server = nodes.media.pool.get(request.path_params["node_id"])
    if server is None:
        return bare(404)
    wait = spring_bool(request, "wait")
    strategy = request.query_params.get("deletion-strategy", "if-no-sessions")
    if strategy not in STRATEGIES:
        raise BadRequest(
            f"Parameter 'deletion-strategy' {strategy} is not valid. Valid values: {', '.join(STRATEGIES)}"
        )
    hosted = nodes.hosted(server.id)
    if hosted and strategy == "if-no-sessions":
        return bare(409)
    if hosted and strategy == "when-no-sessions":
        nodes.set_status(server, WAITING)
        return _json(await node_json(nodes, server), 202)
    document = await node_json(nodes, server)
    await nodes.terminate(server)
    if wait:
        return bare(204)
    document.update(status=TERMINATED, connected=False)
    return _json(document)


async def modify_node(request: Request) -> Response:
    nodes = _nodes(request)
    server = nodes.media.pool.get(request.path_params["node_id"])
    if server is None:
        return bare(404)
    body = await json_object(request, required=True) or {}
    status = body.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        return error_response(400, f"Wrong 'status' parameter: {status}", f"{PATH}/{server.id}")
    current = nodes.info(server).status
    if status == current:
        return bare(204)
    if status not in TRANSITIONS.get(current, ()):
        return error_response(
            400, f"Media Node status cannot transition from '{current}' to '{status}'", f"{PATH}/{server.id}"
        )
    if status == TERMINATING:
        document = await node_json(nodes, server)
        await nodes.terminate(server)
        document.update(status=TERMINATED, connected=False)
        return _json(document)
    nodes.set_status(server, status)
    if status == WAITING and not nodes.hosted(server.id):
        await nodes.terminate(server)
        return _json(dict(await node_json(nodes, server), status=TERMINATED))
    return _json(await node_json(nodes, server))


async def autodiscover(request: Request) -> Response:
    """``PUT``: connect the ``kms.uris`` that answer and are not in the pool yet."""
    nodes = _nodes(request)
    found = []
    for uri in nodes.runtime.settings.kms_uris:
        if uri == "embedded" or nodes.media.pool.by_uri(uri) is not None:
            continue
        try:
            server = await nodes.media.pool.add(uri, wait=True)
        except KmsError:
            continue
        nodes.infos[server.id] = NodeInfo(None, now_ms())
        found.append(await node_json(nodes, server))
    return _json({"numberOfElements": len(found), "content": found})


async def health(request: Request) -> Response:
    """UP (200) with every node connected; UNSTABLE (409) with some disconnected; DOWN (503) with all or none."""
    servers = _nodes(request).media.pool.servers
    down = [s.id for s in servers if not s.connected]
    if not servers or len(down) == len(servers):
        status, code = "DOWN", 503
    elif down:
        status, code = "UNSTABLE", 409
    else:
        status, code = "UP", 200
    return _json({"status": status, "disconnectedMediaNodes": down}, code)
