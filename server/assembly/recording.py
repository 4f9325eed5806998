"""Wire the recording module into the app: the manager (told of the media by the media side and by signaling,
notifying participants through the signaling layer's peers), the broadcasts, and the recorder of each output
mode.

:func:`build_recording` runs before the media side and the signaling service, which are handed the manager;
:func:`install_recording` registers its component and routes after the media servers' and signaling's."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.api.recordings import RECORDINGS
from server.api232 import broadcast
from server.api232.broadcast import BROADCASTS
from server.core.enums import EndReason, OutputMode
from server.core.participants import RECORDER_CONNECTION_ID
from server.core.sessions import Session
from server.media.hosting import SessionMedias
from server.media.servers import MediaServers
from server.parts import parts_of_app
from server.recording.broadcast import BroadcastManager
from server.recording.checks import check_media_server_writes
from server.recording.composed import BEST_FIT_PATH, ComposedRecorders
from server.recording.kurento import AudioCompositeRecorder, IndividualRecorder
from server.recording.manager import Notifier, RecordingConfig, RecordingManager
from server.recording.model import Recording
from server.recording.recorder import Recorder
from server.runtime import Runtime
from server.settings import Settings

LAYOUT_PAGES = {"best-fit": "best-fit.html"}


async def layout_page(request: Request) -> Response:
    """This server's own BEST_FIT layout page (package data), opened by the COMPOSED recorder's browser."""
    body = resources.files("server.recording").joinpath("layouts", LAYOUT_PAGES["best-fit"]).read_bytes()
    return Response(body, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"})


class _Component:
    def __init__(
        self,
        manager: RecordingManager,
        composed: ComposedRecorders,
        settings: Settings,
        media: MediaServers,
        broadcasts: BroadcastManager,
    ) -> None:
        self.broadcasts = broadcasts
        self.manager = manager
        self.composed = composed
        self.settings = settings
        self.media = media

    async def start(self) -> None:
        if self.settings.openvidu_recording:
            folder = Path(self.settings.openvidu_recording_path).expanduser()
            for choice in self.media.choices():
                if choice.connection.connected:
                    await check_media_server_writes(
                        choice.connection, folder, self.settings.openvidu_recording_media_timeout
                    )
        await self.manager.start_component()
        await self.broadcasts.start_component()

    async def stop(self) -> None:
        await self.broadcasts.stop_component()
        await self.manager.stop_component()
        await self.composed.close()


class RecordingParts:
    """The recording manager and the broadcasts, made before signaling, installed after it."""

    def __init__(
        self, manager: RecordingManager, broadcasts: BroadcastManager, composed: ComposedRecorders
    ) -> None:
        self.manager = manager
        self.broadcasts = broadcasts
        self.composed = composed


def build_recording(runtime: Runtime, notifier: Notifier) -> RecordingParts:
    settings = runtime.settings
    composed = ComposedRecorders(settings, runtime.public_urls.final_url)
    timeout = settings.openvidu_recording_media_timeout

    def factory(recording: Recording, session: Session) -> Recorder:
        folder = manager.store.folder_of(recording.id)
        media = SessionMedias.of(session)
        if recording.output_mode is OutputMode.INDIVIDUAL:
            return IndividualRecorder(recording, media, folder, timeout)
        if not recording.properties.has_video:
            return AudioCompositeRecorder(recording, media, folder, timeout)

        async def evict_recorder() -> None:
            await runtime.sessions.evict_connection(
                session.session_id, RECORDER_CONNECTION_ID, EndReason.RECORDING_STOPPED_BY_SERVER
            )

        return composed.recorder(recording, folder, evict_recorder)

    manager = RecordingManager(
        RecordingConfig(
            path=settings.openvidu_recording_path,
            autostop_timeout=float(settings.openvidu_recording_autostop_timeout),
            enabled=settings.openvidu_recording,
        ),
        runtime.sessions,
        runtime.bus,
        factory,
        notifier,
    )

    async def evict_broadcast_page(session_id: str) -> None:
        await runtime.sessions.evict_connection(
            session_id, RECORDER_CONNECTION_ID, EndReason.RECORDING_STOPPED_BY_SERVER
        )

    broadcasts = BroadcastManager(
        settings,
        runtime.public_urls.final_url,
        runtime.bus,
        evict_broadcast_page,
        runtime.sessions.get_session,
    )
    return RecordingParts(manager, broadcasts, composed)


def install_recording(app: Starlette, runtime: Runtime, parts: RecordingParts, media: MediaServers) -> None:
    runtime.add_component(
        _Component(parts.manager, parts.composed, runtime.settings, media, parts.broadcasts)
    )
    app_parts = parts_of_app(app)
    app_parts.put(RECORDINGS, parts.manager)
    app_parts.put(BROADCASTS, parts.broadcasts)
    app.router.routes.append(Route(BEST_FIT_PATH, layout_page, methods=["GET"]))
    app.router.routes.append(Route(broadcast.START_PATH, broadcast.start_broadcast, methods=["POST"]))
    app.router.routes.append(Route(broadcast.STOP_PATH, broadcast.stop_broadcast, methods=["POST"]))
