"""Start-up checks of the recording module (OpenVidu 2.11 RecordingManager.initializeRecordingManager):

1. the recordings folder is created and writable, and the custom-layout folder is created;
2. the programs of the local COMPOSED recorder exist (else the Debian packages to install are named);
3. every connected media server can write into the recordings folder: a test RecorderEndpoint records to
   ``<path>/TEST_RECORDING_PATH_<ms>/TEST_RECORDING_PATH.webm`` (Kurento error code 6 = no permission). When the
   media server writes somewhere this server cannot see (Kurento in another container without the shared
   volume), a warning says so. The test folder is removed.
Checks 1-2 run before the server listens (a configuration error, exit status 2); check 3 runs when the media
servers are connected and stops the start with a clear error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from pathlib import Path

from kms_client.connection import KmsConnection
from kms_client.errors import KmsError
from kms_client.events import ErrorEvent
from kms_client.events import Recording as RecordingEvent
from kms_client.objects import MediaPipeline
from server.core.clock import now_ms
from server.recording.local import missing_programs
from server.settings import Settings, SettingsError

log = logging.getLogger(__name__)

KURENTO_NO_PERMISSION = 6
TEST_FOLDER_PREFIX = "TEST_RECORDING_PATH_"


class RecordingCheckError(RuntimeError):
    pass


def _usable_folder(prop: str, folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(prop, str(folder), f"a folder the server can create ({exc})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SettingsError(prop, str(folder), "a folder the server can write")


def check_recording_settings(settings: Settings) -> None:
    """Checks 1 and 2; raises SettingsError. Nothing is checked while ``openvidu.recording`` is false."""
    if not settings.openvidu_recording:
        return
    _usable_folder("openvidu.recording.path", Path(settings.openvidu_recording_path).expanduser())
    _usable_folder(
        "openvidu.recording.custom-layout", Path(settings.openvidu_recording_custom_layout).expanduser()
    )
    missing = missing_programs()
    if settings.openvidu_recording_composed_recorder:  # the agent captures; this server only probes
        missing = {name: pkg for name, pkg in missing.items() if name in ("ffmpeg", "ffprobe")}
    if missing:
        packages = " ".join(sorted(set(missing.values())))
        raise SettingsError(
            "openvidu.recording",
            True,
            f"false, or install the programs COMPOSED video recordings need: {', '.join(sorted(missing))} "
            f"missing (Debian: apt-get install {packages})",
        )


async def check_media_server_writes(connection: KmsConnection, folder: Path, timeout: float) -> None:
    """Check 3 for one media server; raises RecordingCheckError when it has no permission."""
    name = f"{TEST_FOLDER_PREFIX}{now_ms()}"
    target = folder / name
    pipeline = await MediaPipeline.create(connection, timeout=timeout)
    try:
        recorder = await pipeline.create_recorder_endpoint(
            (target / "TEST_RECORDING_PATH.webm").as_uri(), timeout=timeout
        )
        started = await recorder.expect(RecordingEvent, timeout=timeout)
        failed = await recorder.expect(ErrorEvent, timeout=timeout)
        await recorder.record(timeout=timeout)
        done, pending = await asyncio.wait(
            [asyncio.ensure_future(started.wait(timeout)), asyncio.ensure_future(failed.wait(timeout))],
            return_when=asyncio.FIRST_COMPLETED,
        )
        for task in pending:
            task.cancel()
        error = next(
            (t.result() for t in done if not t.exception() and isinstance(t.result(), ErrorEvent)), None
        )
        if isinstance(error, ErrorEvent):
            if error.error_code == KURENTO_NO_PERMISSION:
                raise RecordingCheckError(
                    f"the media server at {connection.uri} has no permission to write in {folder} "
                    f"(openvidu.recording.path): give its user write access to the folder"
                )
            log.warning("test recording on %s: %s", connection.uri, error.description)
        with contextlib.suppress(KmsError):
            await recorder.stop(timeout=timeout)
    finally:
        with contextlib.suppress(KmsError):
            await pipeline.release(timeout=timeout)
    await asyncio.sleep(0)
    if not target.exists():
        log.warning(
            "the media server at %s did not write its test recording into %s as this server sees it: for "
            "INDIVIDUAL and audio-only COMPOSED recordings the folder must be shared with it (the same path, "
            "a volume mounted in both containers)",
            connection.uri,
            folder,
        )
    shutil.rmtree(target, ignore_errors=True)
