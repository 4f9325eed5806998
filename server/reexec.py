"""Re-executing the server in place, handing the listening socket over (used by ``POST /pro/restart``).

The listening socket is duplicated to a new inheritable descriptor before uvicorn shuts down (uvicorn closes
its own copy), and its number is passed to the new process image in ``OPENVIDU_LISTEN_FD``. Connections that
arrive while the new image starts wait in the kernel's accept queue, so no client sees a refused connection.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterable, Sequence

LISTEN_FD_ENV = "OPENVIDU_LISTEN_FD"
ROLLBACK_ENV = "OPENVIDU_RESTART_ROLLBACK"
"""Set for the re-executed image: the overrides file to restore from ``<file>.previous`` if it cannot start."""


def keep_for_exec(sock: socket.socket) -> int:
    """Duplicate ``sock`` into an inheritable descriptor that survives uvicorn closing the original."""
    fd = os.dup(sock.fileno())
    os.set_inheritable(fd, True)
    return fd


def reexec(
    listen_fd: int, argv: Sequence[str] | None = None, rollback: str | None = None
) -> None:  # pragma: no cover - replaces the process
    """Replace this process with a fresh image of the same command line; never returns. With ``rollback`` (the
    overrides file) the new image goes back to the previous overrides if it cannot start with the new ones."""
    args = list(sys.argv if argv is None else argv)
    os.environ[LISTEN_FD_ENV] = str(listen_fd)
    if rollback is not None:
        os.environ[ROLLBACK_ENV] = rollback
    else:
        os.environ.pop(ROLLBACK_ENV, None)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *(_python_args(args))])


def _python_args(argv: list[str]) -> list[str]:
    """Arguments for ``python``: ``-m server ...`` when started as a module or console script."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name:
        module = spec.name.removesuffix(".__main__")
        return ["-m", module, *argv[1:]]
    return argv


def abort_idle_http(connections: Iterable[object]) -> int:
    """Abort HTTP connections that sit idle between requests (keep-alive); returns how many.

    Closing a TLS connection politely waits for the peer's close_notify, and an idle keep-alive client may
    never send it: uvicorn's graceful shutdown would then wait for its whole timeout. Before a restart nothing
    is lost by cutting them: no request is in flight on them, and clients reconnect on their next request.
    """
    aborted = 0
    for connection in list(connections):
        if not isinstance(connection, _HTTP_PROTOCOLS):
            continue  # websockets close through the session shutdown
        cycle = getattr(connection, "cycle", None)
        if cycle is not None and not getattr(cycle, "response_complete", False):
            continue  # a request is being answered
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.abort()
            aborted += 1
    return aborted


def _http_protocols() -> tuple[type, ...]:
    protocols: list[type] = []
    with contextlib.suppress(ImportError):
        from uvicorn.protocols.http.h11_impl import H11Protocol

        protocols.append(H11Protocol)
    with contextlib.suppress(ImportError):
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        protocols.append(HttpToolsProtocol)
    return tuple(protocols)


_HTTP_PROTOCOLS = _http_protocols()
