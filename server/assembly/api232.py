"""Wire the Pro part of the 2.32 surface (media nodes, health, restart) once the Pro state exists."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from server.api.pro import ProState
from server.api232 import media_nodes, restart
from server.api232.media_nodes import MEDIA_NODES, MediaNodes
from server.media.server_events import MediaServerEvents
from server.media.servers import MediaServers
from server.parts import parts_of_app
from server.runtime import Runtime

NODES = media_nodes.PATH
NODE = NODES + "/{node_id}"


def install_api232_pro(
    app: Starlette, runtime: Runtime, media: MediaServers, server_events: MediaServerEvents, pro: ProState
) -> MediaNodes:
    nodes = MediaNodes(runtime, media, server_events, pro.picker.load_of)
    runtime.bus.subscribe(nodes.on_event, "media-nodes")
    nodes.media.pool.add_listener(nodes.on_pool_notice)
    parts_of_app(app).put(MEDIA_NODES, nodes)
    app.router.routes.extend(
        [
            Route(NODES, media_nodes.list_nodes, methods=["GET"]),
            Route(NODES, media_nodes.add_node, methods=["POST"]),
            Route(NODES, media_nodes.autodiscover, methods=["PUT"]),
            Route(NODE, media_nodes.get_node, methods=["GET"]),
            Route(NODE, media_nodes.remove_node, methods=["DELETE"]),
            Route(NODE, media_nodes.modify_node, methods=["PATCH"]),
            Route("/openvidu/api/health", media_nodes.health, methods=["GET"]),
            Route(restart.PATH, restart.restart, methods=["POST"]),
        ]
    )
    return nodes
