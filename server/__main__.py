"""``openvidu-server``: load the settings, make the listening socket, run the app under uvicorn.

Exit status 2 on a configuration error (the message names the property, the value and what is allowed).
If ``OPENVIDU_LISTEN_FD`` is set the inherited listening socket is adopted instead of binding (used by the
restart feature, which re-executes the process). SIGTERM/SIGINT shut down gracefully: sessions are closed with
reason ``openviduServerStopped`` and the process exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import uvicorn

from server.app import create_app
from server.http.tls import tls_files
from server.recording.checks import check_recording_settings
from server.reexec import LISTEN_FD_ENV, abort_idle_http, keep_for_exec, reexec
from server.rpc.shutdown import GracefulServer
from server.settings import Settings, SettingsError, load_settings
from server.settings.loader import state_path
from server.settings.model import PROPERTIES
from server.settings.publicurl import resolve_public_urls
from server.version import OPENVIDU_VERSION

LISTEN_BACKLOG = 2048
GRACEFUL_SHUTDOWN_SECONDS = 10
RESTART_IDLE_ABORT_DELAY = 0.15  # seconds: after uvicorn's main loop (0.1 s tick) has closed the listener
CONFIG_ERROR_STATUS = 2
LISTEN_ERROR_STATUS = 1
_LOG_LEVELS = {
    "trace": 5,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}
_UVICORN_LEVELS = {"trace": "trace", "debug": "debug", "info": "info", "warn": "warning", "error": "error"}

log = logging.getLogger("server")

USAGE = f"""usage: openvidu-server [--config FILE] [--<property>=<value> ...]

OpenVidu Pro {OPENVIDU_VERSION}-compatible server. Properties (dotted names, see config/openvidu.yaml) may also
be given as environment variables (OPENVIDU_SECRET, SERVER_PORT, KMS_URIS, ...).

properties:
""" + "\n".join(f"  --{spec.name}" for spec in PROPERTIES)


def prepare_state_dir(settings: Settings) -> Path:
    path = state_path(settings)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            "openvidu.state.path", str(path), f"a folder the server can create ({exc})"
        ) from None
    if not os.access(path, os.W_OK):
        raise SettingsError("openvidu.state.path", str(path), "a writable folder")
    return path


def listening_socket(settings: Settings, environ: dict[str, str] | os._Environ[str]) -> socket.socket:
    inherited = environ.get(LISTEN_FD_ENV)
    if inherited:
        sock = socket.socket(fileno=int(inherited))
    else:
        family = socket.AF_INET6 if ":" in settings.server_address else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the protocol is
        # explicit; without it Nagle + delayed ACK add ~40 ms to every response written in two parts.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((settings.server_address, settings.server_port))
        sock.listen(LISTEN_BACKLOG)
    sock.set_inheritable(True)
    return sock


def configure_logging(level_name: str) -> None:
    if level_name == "off":
        logging.disable(logging.CRITICAL)
        return
    logging.basicConfig(
        level=_LOG_LEVELS[level_name],
        format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
        stream=sys.stderr,
    )


def _public_hostnames(settings: Settings) -> list[str]:
    host = urlsplit(resolve_public_urls(settings).final_url).hostname
    return [host] if host else []


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "-h" in args or "--help" in args:
        print(USAGE)
        return 0
    if "--version" in args:
        print(OPENVIDU_VERSION)
        return 0
    try:
        settings = load_settings(args, os.environ)
        state_dir = prepare_state_dir(settings)
        check_recording_settings(settings)
        tls = (
            tls_files(settings, state_dir, _public_hostnames(settings))
            if settings.server_ssl_enabled
            else None
        )
    except SettingsError as exc:
        print(f"openvidu-server: {exc.message}", file=sys.stderr)
        return CONFIG_ERROR_STATUS
    configure_logging(settings.logging_level_root)
    try:
        sock = listening_socket(settings, os.environ)
    except OSError as exc:
        print(
            f"openvidu-server: cannot listen on {settings.server_address}:{settings.server_port} "
            f"(server.address/server.port): {exc}",
            file=sys.stderr,
        )
        return LISTEN_ERROR_STATUS
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
        log_level=_UVICORN_LEVELS.get(settings.logging_level_root, "critical"),
        access_log=False,
        server_header=False,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        ws="websockets-sansio" if _has_sansio_ws() else "auto",
    )
    server = GracefulServer(config, app.state.runtime)
    log.info(
        "listening on %s:%s (%s)",
        settings.server_address,
        settings.server_port,
        "https" if tls else "http",
    )

    stop_signals: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        stop_signals.append(signum)

    # uvicorn restores these handlers after a graceful stop and re-raises the signal: make that a no-op.
    signal.signal(signal.SIGTERM, remember)
    signal.signal(signal.SIGINT, remember)
    # POST /pro/restart: stop serving, then replace this process with a fresh image of the same command line,
    # handing over the listening socket (a duplicate survives uvicorn closing its own copy).
    handoff_fd = keep_for_exec(sock)
    restarter = app.state.pro.restarter

    def trigger_restart() -> None:
        server.should_exit = True
        # Once the listener is closed (next tick of uvicorn's main loop), cut idle keep-alive connections so
        # the shutdown does not wait for clients that never close them.
        asyncio.get_running_loop().call_later(
            RESTART_IDLE_ABORT_DELAY, abort_idle_http, server.server_state.connections
        )

    restarter.trigger = trigger_restart
    asyncio.run(server.serve(sockets=[sock]))
    if restarter.requested:
        reexec(handoff_fd)
    return 0 if server.started else LISTEN_ERROR_STATUS


def _has_sansio_ws() -> bool:
    try:
        from uvicorn.protocols.websockets import websockets_sansio_impl  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
