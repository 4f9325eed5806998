"""Wire the Inspector into the app: its live feed as a runtime component and its routes (its prefix is behind the
Basic auth from the start: :data:`server.assembly.PROTECTED_PREFIXES`).

Runs after :func:`server.assembly.pro.install_pro` (it reads the Pro state: media servers, picker, stats).
"""

from __future__ import annotations

from starlette.applications import Starlette

from server.api.pro import ProState
from server.inspector.feed import LiveFeed
from server.inspector.routes import INSPECTOR, InspectorState, inspector_routes
from server.inspector.snapshot import Snapshotter
from server.parts import parts_of_app


def install_inspector(app: Starlette, pro: ProState) -> InspectorState:
    runtime = pro.runtime
    snapshot = Snapshotter(pro)

    def recordings_moved() -> None:
        snapshot.recordings_version += 1

    feed = LiveFeed(
        snapshot.build,
        runtime.bus,
        interval=runtime.settings.openvidu_inspector_push_interval,
        max_consoles=runtime.settings.openvidu_inspector_max_consoles,
        on_recording_event=recordings_moved,
    )
    runtime.add_component(feed)
    runtime.shutdown_hooks.append(feed.end_consoles)
    state = InspectorState(pro, snapshot, feed)
    parts_of_app(app).put(INSPECTOR, state)
    app.router.routes.extend(inspector_routes())
    return state
