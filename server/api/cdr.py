"""``GET /cdr`` and ``GET /cdr/<file>.log`` (OpenVidu 2.11, spec §3.14).

``/cdr`` lists the names (names only, found by a recursive walk) of the regular files under
``openvidu.cdr.path`` as a JSON array; an unreadable or missing folder lists nothing. ``/cdr/<name>.log`` is a
static handler on that folder (``/cdr/*.log``): one path segment ending in ``.log``, else 404.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from server.api.errors import JSON, framework_error
from server.core.serialize import dumps
from server.runtime import runtime_of
from server.safepath import clean_name, file_under, inside

CDR_FILE_SUFFIX = ".log"
NOT_FOUND_MESSAGE = "No message available"


def cdr_file_names(folder: str | Path) -> list[str]:
    """Every regular file under ``folder`` (recursively), by name only, in walk order; symlinks that lead out
    of the folder are left out."""
    try:
        root = Path(folder).expanduser().resolve()
    except (OSError, ValueError, RuntimeError):
        return []
    names: list[str] = []
    for walk_root, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(walk_root, name)
            if path.is_file() and inside(root, path):
                names.append(name)
    return names


def cdr_file(folder: str | Path, name: str) -> Path | None:
    """The file ``/cdr/<name>`` serves, or None (not ``*.log``, a path, a bad name, outside the folder, absent)."""
    if not name.endswith(CDR_FILE_SUFFIX) or "/" in name or not clean_name(name):
        return None
    return file_under(folder, name)


async def list_cdr_files(request: Request) -> Response:
    folder = runtime_of(request).settings.openvidu_cdr_path
    names = await asyncio.to_thread(cdr_file_names, folder)
    return Response(dumps(names), media_type=JSON)


async def get_cdr_file(request: Request) -> Response:
    folder = runtime_of(request).settings.openvidu_cdr_path
    path = cdr_file(folder, request.path_params["name"])
    if path is None:
        return framework_error(404, NOT_FOUND_MESSAGE, request.url.path)
    return FileResponse(path, media_type="text/plain")
