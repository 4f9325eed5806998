"""Embedded media servers: ``embedded`` entries of ``kms.uris`` become minikms child processes.

Each child listens on a free loopback port. It is watched: if it dies while the server runs it is started
again on the same port (the pool then sees a restarted media server that lost its objects). It is stopped,
SIGTERM then SIGKILL, when the server stops, and it gets SIGTERM from the kernel if the server dies first.

Across ``POST /pro/restart`` the children are handed over instead of stopped: the process image is replaced but
its children stay, so the new image adopts them (``detach`` writes ``port:pid`` pairs into
``EMBEDDED_HANDOVER_ENV``; ``adopt_handed_over`` reads them back) and a restart does not pay for their start.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import MutableMapping

log = logging.getLogger(__name__)

_SERVER_STOPPING = asyncio.Event()
"""Set when this server process begins to stop (``server_stopping``): a child that died with it (a Ctrl-C reaches
the whole process group) is not restarted nor reported as a crash."""


def server_stopping() -> None:
    """Called when the server begins its shutdown (before it stops its media servers)."""
    _SERVER_STOPPING.set()


EMBEDDED = "embedded"
EMBEDDED_HANDOVER_ENV = "OPENVIDU_EMBEDDED_KMS"
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0


async def _wait_listening(address: str, port: int, pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection(address, port)
        except OSError:
            if not _alive_or_unreaped(pid):
                raise RuntimeError(f"embedded media server (pid {pid}) exited while starting") from None
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"embedded media server did not listen on {address}:{port} in {timeout} s"
                ) from None
            await asyncio.sleep(0.05)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return


def _alive_or_unreaped(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class EmbeddedMediaServer:
    """One minikms child process, spawned or adopted from a previous image of this process."""

    def __init__(
        self,
        address: str = "127.0.0.1",
        kms_version: str = "7.3.0",
        start_timeout: float = 20.0,
        stop_timeout: float = 5.0,
        restart_delay: float = 1.0,
        port: int | None = None,
    ) -> None:
        self.address = address
        self.kms_version = kms_version
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.restart_delay = restart_delay
        self.port = port if port is not None else _free_port(address)
        self.restarts = 0
        self._pid: int | None = None
        self._exited: asyncio.Event | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def uri(self) -> str:
        return f"ws://{self.address}:{self.port}/kurento"

    @property
    def pid(self) -> int | None:
        return self._pid

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> str:
        """Start the child and wait until it accepts connections; returns its websocket URI."""
        self._stopping = False
        await self._spawn()
        self._watcher = asyncio.create_task(self._watch(), name=f"embedded-kms-{self.port}")
        return self.uri

    async def adopt(self, pid: int) -> str:
        """Take over a child handed over by the previous image (same port); returns its URI."""
        if not _alive(pid):
            raise RuntimeError(f"handed-over media server pid {pid} is gone")
        self._stopping = False
        self._track(pid)
        await _wait_listening(self.address, self.port, pid, self.start_timeout)
        self._watcher = asyncio.create_task(self._watch(), name=f"embedded-kms-{self.port}")
        log.info("embedded media server pid %s adopted at %s", pid, self.uri)
        return self.uri

    async def _spawn(self) -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "minikms",
            "--address",
            self.address,
            "--port",
            str(self.port),
            "--kms-version",
            self.kms_version,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        # Exit tracking goes through a pidfd (as for adopted children), not asyncio's child watcher.
        self._track(proc.pid, proc)
        await _wait_listening(self.address, self.port, proc.pid, self.start_timeout)
        log.info("embedded media server pid %s listening at %s", proc.pid, self.uri)

    def _track(self, pid: int, proc: asyncio.subprocess.Process | None = None) -> None:
        self._pid = pid
        exited = asyncio.Event()
        self._exited = exited
        if proc is not None:
            task = asyncio.ensure_future(proc.wait())
            task.add_done_callback(lambda _: exited.set())
            return
        loop = asyncio.get_running_loop()
        pidfd = os.pidfd_open(pid)

        def on_exit() -> None:
            loop.remove_reader(pidfd)
            os.close(pidfd)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            exited.set()

        loop.add_reader(pidfd, on_exit)

    async def _watch(self) -> None:
        while not self._stopping:
            exited = self._exited
            if exited is None:
                return
            await exited.wait()
            if self._stopping:
                return
            pid, self._pid = self._pid, None
            # Wait before deciding: when the whole process group is being stopped, this server's shutdown
            # begins within the delay, and then the exit is expected, not a crash.
            await asyncio.sleep(self.restart_delay)
            if self._stopping or _SERVER_STOPPING.is_set():
                return
            log.warning("embedded media server %s (pid %s) exited; restarting", self.uri, pid)
            try:
                await self._spawn()
                self.restarts += 1
            except (OSError, RuntimeError, TimeoutError) as exc:
                log.error("embedded media server %s could not be restarted: %s", self.uri, exc)
                return

    async def _stop_watching(self) -> None:
        self._stopping = True
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None

    async def stop(self) -> None:
        """Stop watching and end the child: SIGTERM, then SIGKILL after ``stop_timeout``."""
        await self._stop_watching()
        pid, exited = self._pid, self._exited
        self._pid = None
        if pid is None or exited is None or exited.is_set():
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
            os.kill(pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(exited.wait(), self.stop_timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            await exited.wait()

    async def detach(self) -> str | None:
        """Stop watching but leave the child running for the next image; ``port:pid`` or None."""
        await self._stop_watching()
        if self._pid is None or self._exited is None or self._exited.is_set():
            return None
        return f"{self.port}:{self._pid}"


def handed_over(environ: MutableMapping[str, str]) -> list[tuple[int, int]]:
    """``(port, pid)`` of the children the previous image left (and forget the variable)."""
    value = environ.pop(EMBEDDED_HANDOVER_ENV, "")
    pairs = []
    for item in value.split(","):
        port, _, pid = item.partition(":")
        if port.isdigit() and pid.isdigit():
            pairs.append((int(port), int(pid)))
    return pairs


def hand_over(environ: MutableMapping[str, str], entries: list[str]) -> None:
    """Record the children for the next image of this process."""
    if entries:
        environ[EMBEDDED_HANDOVER_ENV] = ",".join(entries)
    else:
        environ.pop(EMBEDDED_HANDOVER_ENV, None)
