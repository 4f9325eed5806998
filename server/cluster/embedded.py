"""Embedded media servers: ``embedded`` entries of ``kms.uris`` become minikms child processes.

Each child listens on a free loopback port. It is watched: if it dies while the server runs it is started
again on the same port (the pool then sees a restarted media server that lost its objects). It is stopped,
SIGTERM then SIGKILL, when the server stops, and it gets SIGTERM from the kernel if the server dies first.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import signal
import socket
import sys
import time

log = logging.getLogger(__name__)

EMBEDDED = "embedded"
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


async def _wait_listening(address: str, port: int, proc: asyncio.subprocess.Process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.returncode is not None:
            raise RuntimeError(f"embedded media server exited with status {proc.returncode} while starting")
        try:
            _, writer = await asyncio.open_connection(address, port)
        except OSError:
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


class EmbeddedMediaServer:
    """One minikms child process."""

    def __init__(
        self,
        address: str = "127.0.0.1",
        kms_version: str = "7.3.0",
        start_timeout: float = 20.0,
        stop_timeout: float = 5.0,
        restart_delay: float = 1.0,
    ) -> None:
        self.address = address
        self.kms_version = kms_version
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.restart_delay = restart_delay
        self.port = _free_port(address)
        self.restarts = 0
        self._proc: asyncio.subprocess.Process | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def uri(self) -> str:
        return f"ws://{self.address}:{self.port}/kurento"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    async def start(self) -> str:
        """Start the child and wait until it accepts connections; returns its websocket URI."""
        self._stopping = False
        await self._spawn()
        self._watcher = asyncio.create_task(self._watch(), name=f"embedded-kms-{self.port}")
        return self.uri

    async def _spawn(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
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
        await _wait_listening(self.address, self.port, self._proc, self.start_timeout)
        log.info("embedded media server pid %s listening at %s", self._proc.pid, self.uri)

    async def _watch(self) -> None:
        while not self._stopping:
            proc = self._proc
            if proc is None:
                return
            status = await proc.wait()
            if self._stopping:
                return
            log.warning("embedded media server %s exited with status %s; restarting", self.uri, status)
            await asyncio.sleep(self.restart_delay)
            if self._stopping:
                return
            try:
                await self._spawn()
                self.restarts += 1
            except (OSError, RuntimeError, TimeoutError) as exc:
                log.error("embedded media server %s could not be restarted: %s", self.uri, exc)

    async def stop(self) -> None:
        """Stop watching and end the child: SIGTERM, then SIGKILL after ``stop_timeout``."""
        self._stopping = True
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGCONT)
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), self.stop_timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
