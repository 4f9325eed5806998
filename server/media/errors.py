"""The error of the media layer: a media-server failure with the OpenVidu code the caller answers."""

from __future__ import annotations

from server.core.errors import OpenViduError


class MediaError(OpenViduError):
    """A media-server failure, with the OpenVidu error code the caller should answer."""
