"""Video bandwidth limits applied to every WebRtcEndpoint (``openvidu.streams.video.*``, spec §5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class BandwidthOverrides(Protocol):
    """The per-token ``kurentoOptions`` limits (None = not set)."""

    @property
    def video_max_recv_bandwidth(self) -> int | None: ...
    @property
    def video_min_recv_bandwidth(self) -> int | None: ...
    @property
    def video_max_send_bandwidth(self) -> int | None: ...
    @property
    def video_min_send_bandwidth(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Bandwidth:
    """Kbps; 0 means unconstrained. Defaults are those of OpenVidu 2.10."""

    max_recv: int = 1000
    min_recv: int = 300
    max_send: int = 1000
    min_send: int = 300

    def with_overrides(self, options: BandwidthOverrides | None) -> Bandwidth:
        if options is None:
            return self
        return Bandwidth(
            max_recv=_pick(options.video_max_recv_bandwidth, self.max_recv),
            min_recv=_pick(options.video_min_recv_bandwidth, self.min_recv),
            max_send=_pick(options.video_max_send_bandwidth, self.max_send),
            min_send=_pick(options.video_min_send_bandwidth, self.min_send),
        )


def _pick(value: int | None, default: int) -> int:
    return default if value is None else int(value)
