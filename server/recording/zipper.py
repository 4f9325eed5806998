"""The end of an INDIVIDUAL recording (spec §5): the ``<name>.json`` sync file, ``<name>.zip``, the clean-up."""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from server.recording.model import Recording
from server.recording.store import METADATA_PREFIX, write_json_atomic


class StreamFile(Protocol):
    @property
    def path(self) -> Path: ...

    @property
    def start_time(self) -> int: ...

    @property
    def end_time(self) -> int: ...

    @property
    def size(self) -> int: ...

    def to_json(self) -> dict[str, Any]: ...


def sync_document(recording: Recording, streams: Sequence[StreamFile]) -> dict[str, Any]:
    files = []
    for stream in streams:
        info = stream.to_json()
        entry: dict[str, Any] = {
            "connectionId": info["connectionId"],
            "streamId": info["streamId"],
            "size": stream.size,
            "clientData": info["clientData"],
            "serverData": info["serverData"],
            "hasAudio": info["hasAudio"],
            "hasVideo": info["hasVideo"],
        }
        if info["hasVideo"]:
            entry["typeOfVideo"] = info.get("typeOfVideo")
        entry["startTimeOffset"] = stream.start_time - recording.created_at
        entry["endTimeOffset"] = stream.end_time - recording.created_at
        files.append(entry)
    return {
        "createdAt": recording.created_at,
        "id": recording.id,
        "name": recording.name,
        "sessionId": recording.session_id,
        "files": files,
    }


def finish_individual(recording: Recording, folder: Path, streams: Sequence[StreamFile]) -> tuple[int, float]:
    """Write the sync file, zip every ``.webm`` with it, delete all but ``.recording.<id>`` and the zip.

    Returns (size, duration): the sum of the stream files' sizes and (max end - min start) in seconds.
    """
    sync_path = folder / f"{recording.name}.json"
    write_json_atomic(sync_path, sync_document(recording, streams), indent=2)
    zip_path = folder / f"{recording.name}.zip"
    partial = folder / f".{recording.name}.zip.part"
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for webm in sorted(folder.glob("*.webm")):
            archive.write(webm, webm.name)
        archive.write(sync_path, sync_path.name)
    os.replace(partial, zip_path)
    keep = {METADATA_PREFIX + recording.id, zip_path.name}
    for entry in folder.iterdir():
        if entry.name not in keep and entry.is_file():
            with contextlib.suppress(OSError):
                entry.unlink()
    size = sum(stream.size for stream in streams)
    if not streams:
        return size, 0.0
    start = min(stream.start_time for stream in streams)
    end = max(stream.end_time for stream in streams)
    return size, max(0, end - start) / 1000
