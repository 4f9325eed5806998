"""The one place the app is assembled: every part is built here, in order, and handed what it needs.

:func:`server.app.create_app` calls :func:`assemble`; nothing else in ``server`` imports this package, so the
other packages never import each other to find their collaborators (``tests/test_layering.py`` checks it).

Order: signaling (media servers, the signaling service, event sinks), recording, Pro (placement, stats,
restart), the Inspector, the Pro part of the 2.32 surface, then the metrics.
"""

from __future__ import annotations

from starlette.applications import Starlette

from server.assembly.api232 import install_api232_pro
from server.assembly.inspector import install_inspector
from server.assembly.metrics import install_metrics
from server.assembly.pro import build_placement, install_pro
from server.assembly.recording import install_recording
from server.assembly.signaling import install_signaling
from server.media.servers import MediaServers
from server.runtime import Runtime


def assemble(app: Starlette, runtime: Runtime) -> None:
    """Build and wire every part of the server into ``app`` (routes, ``app.state``, runtime components).

    Each part is handed what it needs; ``app.state`` is only where request handlers find their part.
    """
    settings = runtime.settings
    media = MediaServers(settings)
    placement = build_placement(runtime, media)
    picker = placement.picker if settings.openvidu_pro_cluster else media.picker
    service = install_signaling(app, runtime, media, picker)
    install_recording(app, runtime, service, media)
    pro = install_pro(app, runtime, media, service, placement)
    install_inspector(app, pro)
    install_api232_pro(app, runtime, media, service, pro)
    install_metrics(app, runtime, pro, service, media)
