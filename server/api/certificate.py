"""``GET /accept-certificate``: a public page a user opens to accept the self-signed certificate (spec §1.3).

openvidu-browser apps send users to ``https://<server>/accept-certificate`` so the browser trusts the server's
certificate before the ``wss://`` connection; the page only has to load over TLS.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse

PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>OpenVidu Server</title></head>
<body><p>The certificate of this OpenVidu server is accepted. You can close this page.</p></body>
</html>
"""


async def accept_certificate(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE)
