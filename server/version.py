"""Versions this server reports."""

OPENVIDU_VERSION = "2.11.0"
"""The OpenVidu version advertised in tokens and ``GET /config`` (REST surface of 2.10/2.11)."""
CE_DEPENDENCY_VERSION = "2.11.0"
"""``openviduServerDependencyVersion`` of ``GET /pro/config``."""
