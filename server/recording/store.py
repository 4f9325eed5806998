"""The recordings folder (spec §6, §9.2): one sub-folder per recording holding ``.recording.<id>``.

Listing and reading go to disk, so recordings survive restarts and are shared by servers using the same folder.
Writes are atomic (a temporary file renamed over the old one), so a reader never sees half a metadata file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from server.safepath import clean_name, inside

METADATA_PREFIX = ".recording."
STREAM_PREFIX = ".stream."


def valid_id(recording_id: str) -> bool:
    return "/" not in recording_id and clean_name(recording_id) and clean_name(METADATA_PREFIX + recording_id)


def write_json_atomic(path: Path, document: Any, *, indent: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":"))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class RecordingStore:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).expanduser()

    def folder_of(self, recording_id: str) -> Path:
        return self.folder / recording_id

    def metadata_path(self, recording_id: str) -> Path:
        return self.folder / recording_id / (METADATA_PREFIX + recording_id)

    def exists(self, recording_id: str) -> bool:
        return self.metadata_path(recording_id).exists()

    def free_id(self, session_id: str, taken: set[str], separator: str = "-") -> str:
        """``<sessionId>``, else ``<sessionId>-1``, ``-2``... (RecordingManager.getFreeRecordingId; 2.16+ use
        ``~`` as ``separator``)."""
        base = session_id.rsplit("/", 1)[-1]
        candidate, n = base, 0
        while candidate in taken or self.exists(candidate):
            n += 1
            candidate = f"{base}{separator}{n}"
        return candidate

    def read(self, recording_id: str) -> dict[str, Any] | None:
        """The stored Recording JSON (key order kept), or None; a folder or file that is a symlink out of the
        recordings folder is not a recording."""
        if not valid_id(recording_id):
            return None
        try:
            if not inside(self.folder.resolve(), self.metadata_path(recording_id)):
                return None
            document = json.loads(self.metadata_path(recording_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return document if isinstance(document, dict) else None

    def read_all(self) -> list[dict[str, Any]]:
        """One entry per sub-folder holding a readable ``.recording.<folder name>`` file."""
        try:
            entries = sorted(entry for entry in self.folder.iterdir() if entry.is_dir())
        except OSError:
            return []
        found = (self.read(entry.name) for entry in entries)
        return [recording for recording in found if recording is not None]

    def write(self, recording_id: str, document: dict[str, Any]) -> None:
        write_json_atomic(self.metadata_path(recording_id), document)

    def delete(self, recording_id: str) -> bool:
        if self.read(recording_id) is None:
            return False
        shutil.rmtree(self.folder_of(recording_id), ignore_errors=True)
        return True


def chmod_tree(folder: Path) -> None:
    """``chmod -R 777`` of the original, so files written by another user (KMS) stay readable and deletable."""
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(root, name), 0o777)
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o777)
