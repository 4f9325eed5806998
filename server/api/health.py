"""``GET /health``: the liveness probe of containers and load balancers (no authentication, no details).

It answers ``{"status":"UP"}`` once the application serves requests. It is not OpenVidu 2.32's
``/openvidu/api/health`` (that one belongs to the 2.16+ API surface); this path is this server's own, public and
free of any information an anonymous caller should not see. A media server being down does not make the server
unhealthy: sessions on the other media servers go on, and a restart would not bring Kurento back.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

HEALTH_PATH = "/health"
UP_BODY = b'{"status":"UP"}'


async def get_health(request: Request) -> Response:
    return Response(UP_BODY, media_type="application/json")
