"""minikms: a small Kurento-protocol media server on aiortc (embedded default and test peer)."""

from minikms.settings import Settings

__all__ = ["Settings"]
