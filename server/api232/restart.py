"""``POST /openvidu/api/restart`` (Pro 2.32): the body's ``OPENVIDU_*`` keys (the properties' environment names)
are mapped onto the same properties as ``/pro/restart`` and persisted the same way."""

from __future__ import annotations

import asyncio

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from server.api.body import json_object
from server.api.errors import error_response
from server.api.pro import PRO
from server.parts import part
from server.restart import RestartRejected, persist_restart, validate_restart
from server.settings.model import PROPERTIES_BY_ENV

PATH = "/openvidu/api/restart"
NOT_MODIFIABLE = frozenset(
    {
        "DOMAIN_OR_PUBLIC_IP",
        "CERTIFICATE_TYPE",
        "HTTP_PORT",
        "HTTPS_PORT",
        "OPENVIDU_SECRET",
        "OPENVIDU_PRO_LICENSE",
        "OPENVIDU_PRO_STATS_MONITORING_INTERVAL",
        "OPENVIDU_PRO_CLUSTER_TEST",
        "ELASTICSEARCH_USERNAME",
        "ELASTICSEARCH_PASSWORD",
        "KMS_IMAGE",
        "MEDIASOUP_IMAGE",
        "OPENVIDU_EDITION",
        "OPENVIDU_ENTERPRISE_MEDIA_SERVER",
        "OPENVIDU_PRO_ELASTICSEARCH_HOST",
        "OPENVIDU_PRO_KIBANA_HOST",
        "COTURN_IP",
        "COTURN_PORT",
        "COTURN_INTERNAL_RELAY",
    }
)
"""The properties the 2.32 docs say ``/openvidu/api/restart`` may not modify."""


def dotted_body(body: dict[str, object]) -> tuple[dict[str, object], dict[str, str]]:
    """The body with each known ``UPPER_SNAKE`` key turned into its dotted name, and the reverse map."""
    dotted: dict[str, object] = {}
    names: dict[str, str] = {}
    for key, value in body.items():
        spec = PROPERTIES_BY_ENV.get(key)
        name = spec.name if spec is not None else key
        dotted[name] = value
        names[name] = key
    return dotted, names


async def restart(request: Request) -> Response:
    state = part(request, PRO)
    body = await json_object(request, required=True) or {}
    for key in body:
        if key in NOT_MODIFIABLE:
            return error_response(400, f"Property '{key}' may not be modified through a restart", PATH)
    dotted, names = dotted_body(body)
    try:
        _, persisted = validate_restart(dotted, state.runtime.settings)
    except RestartRejected as exc:
        message = exc.message
        for name, key in names.items():
            message = message.replace(f"'{name}'", f"'{key}'")
        return error_response(400, message, PATH)
    if not state.restarter.available:
        return error_response(
            501, "This server was not started by openvidu-server: it cannot restart itself", PATH
        )
    await asyncio.to_thread(persist_restart, state.runtime.settings, persisted)
    return Response(status_code=200, background=BackgroundTask(state.restarter.request))
