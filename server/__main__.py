"""``openvidu-server``: load the settings, make the listening socket, run the app under uvicorn.

Exit status 2 on a configuration error (the message names the property, the value and what is allowed).
If ``OPENVIDU_LISTEN_FD`` is set the inherited listening socket is adopted instead of binding (used by the
restart feature, which re-executes the process). SIGTERM/SIGINT shut down gracefully: sessions are closed with
reason ``openviduServerStopped`` and the process exits 0.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import uvicorn

from server.api.pro import PRO
from server.app import create_app
from server.collector import CollectorPolicy
from server.eventloop import loop_factory
from server.http.limits import bounded_protocol, raise_descriptor_limit
from server.http.tls import answer_plain_http_on_tls, no_session_tickets, tls_files
from server.parts import parts_of_app
from server.recording.checks import check_recording_settings
from server.reexec import LISTEN_FD_ENV, ROLLBACK_ENV, keep_for_exec, reexec
from server.rpc.endpoint import RPC_ENDPOINT
from server.rpc.shutdown import GracefulServer
from server.runtime import RUNTIME
from server.settings import Settings, SettingsError, load_settings
from server.settings.document import default_text, render
from server.settings.loader import overrides_path, state_path
from server.settings.model import PROPERTIES
from server.settings.model import Settings as _Settings
from server.settings.overrides import remove_stale_temps, restore_previous
from server.settings.publicurl import resolve_public_urls
from server.version import OPENVIDU_VERSION

LISTEN_BACKLOG = 2048
GRACEFUL_SHUTDOWN_SECONDS = 10
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

DEFAULT_SECRET = _Settings().openvidu_secret
DOCS_HINT = "'openvidu-server --config-template' prints them as a YAML file to start from"

USAGE_HEAD = f"""usage: openvidu-server [--config FILE] [--<property>=<value> ...]
       openvidu-server --help | --version | --config-template

OpenVidu Pro {OPENVIDU_VERSION}-compatible server (Python >= 3.11). Every property below can be given as a flag
(--openvidu.secret=S3CRET), an environment variable (the name in brackets) or a YAML/.properties file given with
--config FILE. Precedence, lowest to highest: defaults < file < environment < flags < the overrides file written
by POST /pro/restart. --config-template prints all of them as a commented YAML file.

properties (default, then meaning):
"""


def usage() -> str:
    """``--help``: every property with its environment name, default, allowed values and meaning (generated from
    the settings table, so it is complete wherever the package is installed)."""
    lines = [USAGE_HEAD]
    for spec in PROPERTIES:
        tag = " [extension]" if spec.extension else ""
        restart = " [restartable]" if spec.restartable else ""
        lines.append(f"  --{spec.name}={default_text(spec)}  [{spec.env_name}]{tag}{restart}")
        lines.append(f"      {spec.doc} Allowed: {spec.kind.describe()}.")
    return "\n".join(lines)


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
    # aioice logs every ICE connectivity check at INFO: debug detail, not in the default log.
    logging.getLogger("aioice").setLevel(max(_LOG_LEVELS[level_name], logging.WARNING))


def _public_hostnames(settings: Settings) -> list[str]:
    host = urlsplit(resolve_public_urls(settings).final_url).hostname
    return [host] if host else []


def _prepare(args: list[str], notes: list[str]) -> tuple[Settings, tuple[Path, Path] | None]:
    settings = load_settings(args, os.environ, notes)
    state_dir = prepare_state_dir(settings)
    check_recording_settings(settings)
    tls = tls_files(settings, state_dir, _public_hostnames(settings)) if settings.server_ssl_enabled else None
    return settings, tls


def _roll_back(overrides: str, why: str) -> bool:
    """Put the overrides file of before the last restart back; False when there is nothing to go back to."""
    if not restore_previous(Path(overrides)):
        return False
    print(
        f"openvidu-server: RESTART FAILED: the server cannot start with the values of the last POST /pro/restart "
        f"({why}); going back to the previous overrides file {overrides}",
        file=sys.stderr,
    )
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "-h" in args or "--help" in args:
        print(usage())
        return 0
    if "--version" in args:
        print(OPENVIDU_VERSION)
        return 0
    if "--config-template" in args:
        print(render(), end="")
        return 0
    # Set by a restart: the overrides file to go back to if the new values cannot start (popped: one try only).
    rollback = os.environ.pop(ROLLBACK_ENV, None)
    notes: list[str] = []
    try:
        try:
            settings, tls = _prepare(args, notes)
        except SettingsError as exc:
            if rollback is None or not _roll_back(rollback, exc.message):
                raise
            rollback, notes = None, []
            settings, tls = _prepare(args, notes)
    except SettingsError as exc:
        print(f"openvidu-server: {exc.message}", file=sys.stderr)
        print(
            f"openvidu-server: every property is listed by 'openvidu-server --help' ({DOCS_HINT})",
            file=sys.stderr,
        )
        return CONFIG_ERROR_STATUS
    configure_logging(settings.logging_level_root)
    announce(settings, notes)
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
    if tls:
        answer_plain_http_on_tls()
    config = uvicorn.Config(
        app,
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
        log_level=_UVICORN_LEVELS.get(settings.logging_level_root, "critical"),
        access_log=False,
        server_header=False,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        ws=websocket_protocol(settings, app),
        http=bounded_protocol(settings.server_max_connections, settings.server_header_timeout),
        ws_max_size=settings.openvidu_rpc_max_frame_size,
        ws_per_message_deflate=settings.openvidu_rpc_websocket_compression,
    )
    if tls:
        config.load()  # makes the SSL context (uvicorn would load on start; loading twice is not done)
        no_session_tickets(config.ssl)
    parts = parts_of_app(app)
    server = GracefulServer(config, parts.get(RUNTIME))
    loop_name, new_loop = loop_factory(
        settings.server_event_loop, tls is not None, settings.server_tls_transport
    )
    log.info(
        "listening on %s:%s (%s, %s event loop%s)",
        settings.server_address,
        settings.server_port,
        "https" if tls else "http",
        loop_name,
        f", {settings.server_tls_transport} TLS transport" if tls and loop_name == "asyncio" else "",
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
    restarter = parts.get(PRO).restarter

    def trigger_restart() -> None:
        # The shutdown stops accepting, answers every request already accepted and cuts idle keep-alive
        # connections (GracefulServer.shutdown), then main re-executes with the listening socket.
        server.should_exit = True

    restarter.trigger = trigger_restart
    with asyncio.Runner(loop_factory=new_loop) as runner:
        runner.run(_serve(server, sock))
    if restarter.requested:
        reexec(handoff_fd, rollback=str(overrides_path(settings)))
    if not server.started and rollback is not None and _roll_back(rollback, "startup failed; see above"):
        reexec(handoff_fd)
    return 0 if server.started else LISTEN_ERROR_STATUS


STARTED_POLL_SECONDS = 0.05


async def _serve(server: GracefulServer, sock: socket.socket) -> None:
    """Serve; once started, run the garbage collector by the server's policy (:mod:`server.collector`)."""
    collector = CollectorPolicy()

    async def when_started() -> None:
        while not server.started and not server.should_exit:
            await asyncio.sleep(STARTED_POLL_SECONDS)
        if server.started:
            collector.install()
            collector.start_watch()

    tuning = asyncio.create_task(when_started())
    try:
        await server.serve(sockets=[sock])
    finally:
        tuning.cancel()
        collector.uninstall()


def announce(settings: Settings, notes: list[str]) -> None:
    """Start-up lines an operator needs: what the overrides file overrides, a default secret on the network,
    the descriptor limit, stale temporary files removed."""
    for note in notes:
        log.warning("%s", note)
    if settings.openvidu_secret == DEFAULT_SECRET and not _loopback(settings.server_address):
        log.warning(
            "openvidu.secret is the default %r and the server listens on %s: anyone who can reach it can use "
            "the REST API; set --openvidu.secret (or OPENVIDU_SECRET)",
            DEFAULT_SECRET,
            settings.server_address,
        )
    before, after = raise_descriptor_limit()
    if after != before:
        log.info("open file descriptor limit raised from %d to %d", before, after)
    else:
        log.info("open file descriptor limit: %d", after)
    for stale in remove_stale_temps(overrides_path(settings)):
        log.warning("removed a stale temporary file of the overrides file: %s", stale)


def _loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def websocket_protocol(settings: Settings, app: Any) -> str | type[Any]:
    """uvicorn's ``ws`` option: the sans-I/O protocol (whose shutdown cannot fail), with ``/openvidu`` served
    directly unless ``openvidu.rpc.direct-websocket=false`` (:mod:`server.http.direct_ws`)."""
    if not _has_sansio_ws():
        return "auto"
    from server.http.direct_ws import ShutdownSafeProtocol, direct_protocol

    if not settings.openvidu_rpc_direct_websocket:
        return ShutdownSafeProtocol

    def handler() -> Any:
        endpoint = parts_of_app(app).find(RPC_ENDPOINT)
        return None if endpoint is None else endpoint.serve_direct

    return direct_protocol(frozenset({"/openvidu"}), handler)


def _has_sansio_ws() -> bool:
    try:
        from uvicorn.protocols.websockets import websockets_sansio_impl  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
