"""Process helpers shared by the integration tests: free ports, waiting, real minikms processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

REPO_ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = LOOPBACK) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(
    port: int, host: str = LOOPBACK, timeout: float = 10.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until something accepts TCP connections on ``host:port``.

    If ``proc`` is given and exits first, fail at once with its exit status.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port, host):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"process exited with status {proc.returncode} before listening on {host}:{port}"
            )
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


class MinikmsProcess:
    """A real ``python -m minikms`` process on a loopback port.

    Usable as a context manager. ``kill()`` (SIGKILL) and ``start()`` again restart it on the same port;
    ``pause()``/``resume()`` freeze it with SIGSTOP/SIGCONT.
    """

    def __init__(
        self,
        port: int | None = None,
        kms_version: str = "7.3.0",
        extra_args: list[str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.port = port if port is not None else free_port()
        self.kms_version = kms_version
        self.extra_args = list(extra_args or [])
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: object | None = None

    @property
    def uri(self) -> str:
        return f"ws://{LOOPBACK}:{self.port}/kurento"

    def start(self, timeout: float = 20.0) -> MinikmsProcess:
        args = [
            sys.executable,
            "-m",
            "minikms",
            "--address",
            LOOPBACK,
            "--port",
            str(self.port),
            "--kms-version",
            self.kms_version,
            *self.extra_args,
        ]
        stderr = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._log_file = stderr if self.log_path else None
        self.proc = subprocess.Popen(args, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
        wait_port(self.port, timeout=timeout, proc=self.proc)
        return self

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit in time. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.resume()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._close_log()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._close_log()

    def pause(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)

    def _close_log(self) -> None:
        log = self._log_file
        if log is not None:
            log.close()  # type: ignore[attr-defined]
            self._log_file = None

    def __enter__(self) -> MinikmsProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
