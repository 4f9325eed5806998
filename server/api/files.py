"""Static files of the original's resource handlers (spec §9.8, §7.1): ``/recordings/**`` serves the recordings
folder (``openvidu.recording.path``) and ``/layouts/custom/**`` the custom layouts folder
(``openvidu.recording.custom-layout``). Whether they need credentials is the auth policy's business
(``openvidu.recording.public-access``). Paths never leave their folder; unknown files are Spring's 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from server.api.errors import framework_error
from server.runtime import runtime_of
from server.safepath import file_under

NOT_FOUND_MESSAGE = "No message available"


def _serve(request: Request, folder: str) -> Response:
    path = file_under(folder, request.path_params["file_path"])
    if path is None:
        return framework_error(404, NOT_FOUND_MESSAGE, request.url.path)
    return FileResponse(path)


async def recording_file(request: Request) -> Response:
    return _serve(request, runtime_of(request).settings.openvidu_recording_path)


async def custom_layout_file(request: Request) -> Response:
    return _serve(request, runtime_of(request).settings.openvidu_recording_custom_layout)
