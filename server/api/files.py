"""Static files of the original's resource handlers (spec §9.8, §7.1): ``/recordings/**`` serves the recordings
folder (``openvidu.recording.path``) and ``/layouts/custom/**`` the custom layouts folder
(``openvidu.recording.custom-layout``). Whether they need credentials is the auth policy's business
(``openvidu.recording.public-access``). Paths never leave their folder; unknown files are Spring's 404.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from server.api.errors import framework_error
from server.runtime import runtime_of

NOT_FOUND_MESSAGE = "No message available"
MAX_NAME_BYTES = 255


def inside(root: Path, candidate: Path) -> bool:
    """True if ``candidate``, with every symlink resolved, is ``root`` (already resolved) or under it."""
    try:
        resolved = candidate.resolve()
    except (OSError, ValueError, RuntimeError):
        return False
    return resolved == root or root in resolved.parents


def clean_name(part: str) -> bool:
    """A path segment that can name a file here: not empty, ``.``/``..``, no backslash, NUL, or over 255 bytes."""
    return (
        part not in ("", ".", "..")
        and "\\" not in part
        and "\x00" not in part
        and len(part.encode("utf-8", "surrogatepass")) <= MAX_NAME_BYTES
    )


def file_under(folder: str | Path, relative: str) -> Path | None:
    """``folder/relative`` if it is a regular file inside ``folder`` once every symlink is resolved (no ``..``
    escape, no symlink out); None for a bad name (NUL byte, a segment over 255 bytes) or anything else."""
    try:
        root = Path(folder).expanduser().resolve()
    except (OSError, ValueError, RuntimeError):
        return None
    parts = [part for part in relative.split("/") if part]
    if not parts or not all(clean_name(part) for part in parts):
        return None
    candidate = root.joinpath(*parts)
    if not inside(root, candidate):
        return None
    try:
        resolved = candidate.resolve()
        return resolved if resolved.is_file() else None
    except (OSError, ValueError, RuntimeError):
        return None


def _serve(request: Request, folder: str) -> Response:
    path = file_under(folder, request.path_params["file_path"])
    if path is None:
        return framework_error(404, NOT_FOUND_MESSAGE, request.url.path)
    return FileResponse(path)


async def recording_file(request: Request) -> Response:
    return _serve(request, runtime_of(request).settings.openvidu_recording_path)


async def custom_layout_file(request: Request) -> Response:
    return _serve(request, runtime_of(request).settings.openvidu_recording_custom_layout)
