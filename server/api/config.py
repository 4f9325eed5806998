"""``GET /config`` and its sub-paths (spec §3.13)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from server.api.errors import JSON
from server.core.serialize import dumps
from server.runtime import Runtime, runtime_of
from server.settings import Settings
from server.version import OPENVIDU_VERSION


def with_slash(path: str) -> str:
    return path if path.endswith("/") else path + "/"


def config_document(settings: Settings) -> dict[str, Any]:
    """The CE ``GET /config`` object; ``/pro/config`` extends it."""
    doc: dict[str, Any] = {
        "version": OPENVIDU_VERSION,
        "openviduPublicurl": settings.openvidu_publicurl,
        "openviduCdr": settings.openvidu_cdr,
        "maxRecvBandwidth": settings.openvidu_streams_video_max_recv_bandwidth,
        "minRecvBandwidth": settings.openvidu_streams_video_min_recv_bandwidth,
        "maxSendBandwidth": settings.openvidu_streams_video_max_send_bandwidth,
        "minSendBandwidth": settings.openvidu_streams_video_min_send_bandwidth,
        "openviduRecording": settings.openvidu_recording,
    }
    if settings.openvidu_recording:
        doc.update(
            openviduRecordingVersion=settings.openvidu_recording_version,
            openviduRecordingPath=with_slash(settings.openvidu_recording_path),
            openviduRecordingPublicAccess=settings.openvidu_recording_public_access,
            openviduRecordingNotification=settings.openvidu_recording_notification,
            openviduRecordingCustomLayout=with_slash(settings.openvidu_recording_custom_layout),
            openviduRecordingAutostopTimeout=settings.openvidu_recording_autostop_timeout,
        )
    doc["openviduWebhook"] = settings.openvidu_webhook
    if settings.openvidu_webhook:
        doc.update(
            openviduWebhookEndpoint=settings.openvidu_webhook_endpoint,
            openviduWebhookHeaders=list(settings.openvidu_webhook_headers),
            openviduWebhookEvents=list(settings.openvidu_webhook_events),
        )
    return doc


def _runtime(request: Request) -> Runtime:
    return runtime_of(request)


def _json_bool(value: bool) -> Response:
    return Response(b"true" if value else b"false", media_type=JSON)


async def get_config(request: Request) -> Response:
    return Response(dumps(config_document(_runtime(request).settings)), media_type=JSON)


async def get_version(request: Request) -> Response:
    return PlainTextResponse(OPENVIDU_VERSION)


async def get_publicurl(request: Request) -> Response:
    return PlainTextResponse(_runtime(request).public_urls.final_url)


async def get_recording(request: Request) -> Response:
    return _json_bool(_runtime(request).settings.openvidu_recording)


async def get_recording_path(request: Request) -> Response:
    return PlainTextResponse(with_slash(_runtime(request).settings.openvidu_recording_path))


async def get_cdr(request: Request) -> Response:
    return _json_bool(_runtime(request).settings.openvidu_cdr)
