"""``python -m server.healthcheck [--config FILE] [--<property>=<value> ...]``: the container healthcheck.

Reads the settings exactly as the server does (same flags, environment and files), then asks the local listener
for ``GET /health`` (:mod:`server.api.health`). Exit status 0 when it answers 200 ``{"status":"UP"}``, 1 otherwise
(the reason on stderr), 2 on a configuration error. The certificate is not verified: the probe talks to this very
host, often through a self-signed certificate.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence

from server.api.health import HEALTH_PATH
from server.settings import Settings, SettingsError, load_settings

PROBE_TIMEOUT_SECONDS = 3.0
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def probe_url(settings: Settings) -> str:
    """The URL of the health endpoint of the listener these settings describe, reached from this host."""
    host = _WILDCARDS.get(settings.server_address, settings.server_address)
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if settings.server_ssl_enabled else "http"
    return f"{scheme}://{host}:{settings.server_port}{HEALTH_PATH}"


def probe(url: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> str | None:
    """None when the server answers UP, else what went wrong."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            status = response.status
            body = response.read(1024)
    except urllib.error.HTTPError as exc:
        return f"{url} answered HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return f"{url} unreachable: {exc}"
    if status != 200:
        return f"{url} answered HTTP {status}"
    try:
        document = json.loads(body)
    except ValueError:
        return f"{url} answered a body that is not JSON"
    if not isinstance(document, dict) or document.get("status") != "UP":
        return f"{url} answered {body!r}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        settings = load_settings(args, os.environ)
    except SettingsError as exc:
        print(f"healthcheck: {exc.message}", file=sys.stderr)
        return 2
    problem = probe(probe_url(settings))
    if problem is not None:
        print(f"healthcheck: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
