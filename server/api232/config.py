"""``GET /openvidu/api/config`` (UPPER_CASE keys of ``ConfigRestController.getConfig`` of 2.32) and its
sub-paths (``openvidu-version``, ``openvidu-publicurl`` (public), ``openvidu-recording``,
``openvidu-recording-path``, ``openvidu-cdr``), the ``speech-to-text`` answer of a server without that module,
and the 501 of the recordings surface while ``OPENVIDU_RECORDING`` is false."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from server.api.config import with_slash
from server.api.errors import JSON, bare
from server.api232.serialize import DEFAULT_ALLOW_TRANSCODING, DEFAULT_FORCED_VIDEO_CODEC
from server.core.serialize import dumps
from server.runtime import Runtime, runtime_of
from server.version import OPENVIDU_VERSION

SESSION_GARBAGE_INTERVAL = 900
SESSION_GARBAGE_THRESHOLD = 3600
"""``OPENVIDU_SESSIONS_GARBAGE_*`` defaults of 2.32; this server keeps no garbage collector of unused sessions."""


def config_document(runtime: Runtime) -> dict[str, Any]:
    settings = runtime.settings
    public = urlsplit(runtime.public_urls.final_url)
    doc: dict[str, Any] = {
        "VERSION": OPENVIDU_VERSION,
        "DOMAIN_OR_PUBLIC_IP": public.hostname or "",
        "HTTPS_PORT": public.port or (443 if public.scheme == "https" else 80),
        "OPENVIDU_PUBLICURL": runtime.public_urls.final_url.rstrip("/"),
        "OPENVIDU_CDR": settings.openvidu_cdr,
    }
    if settings.openvidu_cdr:
        doc["OPENVIDU_CDR_PATH"] = settings.openvidu_cdr_path
    doc.update(
        OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH=settings.openvidu_streams_video_max_recv_bandwidth,
        OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH=settings.openvidu_streams_video_min_recv_bandwidth,
        OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH=settings.openvidu_streams_video_max_send_bandwidth,
        OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH=settings.openvidu_streams_video_min_send_bandwidth,
        OPENVIDU_STREAMS_FORCED_VIDEO_CODEC=DEFAULT_FORCED_VIDEO_CODEC,
        OPENVIDU_STREAMS_ALLOW_TRANSCODING=DEFAULT_ALLOW_TRANSCODING,
        OPENVIDU_WEBRTC_SIMULCAST=False,
        OPENVIDU_SESSIONS_GARBAGE_INTERVAL=SESSION_GARBAGE_INTERVAL,
        OPENVIDU_SESSIONS_GARBAGE_THRESHOLD=SESSION_GARBAGE_THRESHOLD,
        OPENVIDU_RECORDING=settings.openvidu_recording,
    )
    if settings.openvidu_recording:
        doc.update(
            OPENVIDU_RECORDING_VERSION=settings.openvidu_recording_version,
            OPENVIDU_RECORDING_PATH=with_slash(settings.openvidu_recording_path),
            OPENVIDU_RECORDING_PUBLIC_ACCESS=settings.openvidu_recording_public_access,
            OPENVIDU_RECORDING_NOTIFICATION=settings.openvidu_recording_notification,
            OPENVIDU_RECORDING_CUSTOM_LAYOUT=with_slash(settings.openvidu_recording_custom_layout),
            OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT=settings.openvidu_recording_autostop_timeout,
        )
        if settings.openvidu_recording_composed_url:
            doc["OPENVIDU_RECORDING_COMPOSED_URL"] = settings.openvidu_recording_composed_url
    doc["OPENVIDU_WEBHOOK"] = settings.openvidu_webhook
    if settings.openvidu_webhook:
        doc.update(
            OPENVIDU_WEBHOOK_ENDPOINT=settings.openvidu_webhook_endpoint,
            OPENVIDU_WEBHOOK_HEADERS=list(settings.openvidu_webhook_headers),
            OPENVIDU_WEBHOOK_EVENTS=list(settings.openvidu_webhook_events),
        )
    return doc


async def get_config(request: Request) -> Response:
    return Response(dumps(config_document(runtime_of(request))), media_type=JSON)


async def speech_to_text(request: Request) -> Response:
    """``/openvidu/api/speech-to-text/load|unload``: 501, this server has no speech-to-text module (as a 2.32
    Pro server with ``OPENVIDU_PRO_SPEECH_TO_TEXT=disabled``)."""
    return bare(501)


async def recordings_disabled(request: Request) -> Response:
    """The recordings surface while ``OPENVIDU_RECORDING`` is false: 501 on every operation (2.32 checks it
    first, before looking at the request)."""
    return bare(501)
