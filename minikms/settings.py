"""Every interval, limit and default of a minikms process, in one typed place."""

from __future__ import annotations

from dataclasses import dataclass

from minikms.events import KmsVersion

SUPPORTED_VERSIONS: tuple[str, ...] = ("7.3.0", "6.18.0")

DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 8888
DEFAULT_PATH = "kurento"
DEFAULT_VERSION = "7.3.0"
# mediaServer.resources.garbageCollectorPeriod (seconds), as KMS.
DEFAULT_GC_PERIOD = 240.0
# RequestCache: replies are remembered this long per (sessionId, id).
DEFAULT_REQUEST_CACHE_TTL = 20.0
# A bound socket re-marks its session alive every gc_period / KEEPALIVE_DIVISOR.
KEEPALIVE_DIVISOR = 4.0
# How long SIGTERM waits for sockets and media to close.
DEFAULT_SHUTDOWN_TIMEOUT = 5.0
# Largest frame accepted from a client (bytes); SDPs and transactions fit easily.
DEFAULT_MAX_FRAME = 16 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    address: str = DEFAULT_ADDRESS
    port: int = DEFAULT_PORT
    path: str = DEFAULT_PATH
    kms_version: str = DEFAULT_VERSION
    gc_period: float = DEFAULT_GC_PERIOD
    request_cache_ttl: float = DEFAULT_REQUEST_CACHE_TTL
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT
    max_frame: int = DEFAULT_MAX_FRAME

    @property
    def version(self) -> KmsVersion:
        return KmsVersion(self.kms_version)

    @property
    def keepalive_interval(self) -> float:
        return self.gc_period / KEEPALIVE_DIVISOR
