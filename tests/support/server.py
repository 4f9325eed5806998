"""A real ``python -m server`` process for integration tests.

``ServerProcess(settings_overrides, env)`` starts the server on a free loopback port with a temporary state folder
(self-signed certificate made there), HTTPS by default, and ``kms.uris=[]`` unless the overrides say otherwise
(REST works without media servers). Settings are passed as ``--<dotted.name>=<value>`` flags (lists and dicts as
JSON). The inherited environment is cleaned of OpenVidu property variables so the developer's shell cannot leak in.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from tests.support.procs import LOOPBACK, REPO_ROOT, free_port

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
POLL_INTERVAL = 0.1
PROBE_TIMEOUT = 2.0
DEFAULT_SECRET = "MY_SECRET"
READY_PATH = "/config/openvidu-publicurl"


def flag_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | dict):
        return json.dumps(list(value) if isinstance(value, tuple) else value)
    return str(value)


def clean_environ(base: dict[str, str] | None = None) -> dict[str, str]:
    """The current environment minus anything the server would read as a property."""
    from server.settings.model import PROPERTIES_BY_ENV, PROPERTIES_BY_NAME

    env = dict(os.environ if base is None else base)
    for key in list(env):
        if key in PROPERTIES_BY_ENV or key in PROPERTIES_BY_NAME or key.startswith("OPENVIDU_"):
            del env[key]
    return env


class ServerProcess:
    def __init__(
        self,
        settings_overrides: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        *,
        port: int | None = None,
        state_dir: Path | None = None,
        extra_args: list[str] | None = None,
        wait_ready: bool = True,
    ) -> None:
        self.overrides = dict(settings_overrides or {})
        self.env = dict(env or {})
        self.port = port if port is not None else int(self.overrides.get("server.port", 0)) or free_port()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ov-state-")
            state_dir = Path(self._tmp.name)
        self.state_dir = state_dir
        self.extra_args = list(extra_args or [])
        self.wait_ready = wait_ready
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.state_dir / "server.log"

    # ----- facts about the running server ---------------------------------------------------------------

    @property
    def ssl(self) -> bool:
        value = self.overrides.get("server.ssl.enabled", self.env.get("SERVER_SSL_ENABLED", True))
        return str(value).lower() != "false"

    @property
    def secret(self) -> str:
        return str(self.overrides.get("openvidu.secret", self.env.get("OPENVIDU_SECRET", DEFAULT_SECRET)))

    @property
    def url(self) -> str:
        return f"{'https' if self.ssl else 'http'}://{LOOPBACK}:{self.port}"

    @property
    def auth_header(self) -> dict[str, str]:
        token = base64.b64encode(f"OPENVIDUAPP:{self.secret}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def client(self, auth: bool = True, **kwargs: Any) -> httpx.Client:
        headers = dict(self.auth_header) if auth else {}
        return httpx.Client(base_url=self.url, verify=False, headers=headers, **kwargs)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # ----- lifecycle ------------------------------------------------------------------------------------

    def command(self) -> list[str]:
        args = {
            "server.address": LOOPBACK,
            "server.port": self.port,
            "openvidu.state.path": str(self.state_dir),
            "kms.uris": [],
        }
        # A media-server list given through the environment must not be masked by our default flag.
        from server.settings.model import PROPERTIES_BY_ENV, PROPERTIES_BY_NAME

        env_props = {(PROPERTIES_BY_ENV.get(key) or PROPERTIES_BY_NAME.get(key)) for key in self.env}
        if "kms.uris" in {spec.name for spec in env_props if spec is not None}:
            del args["kms.uris"]
        args.update(self.overrides)
        return [
            sys.executable,
            "-m",
            "server",
            *(f"--{name}={flag_value(value)}" for name, value in args.items()),
            *self.extra_args,
        ]

    def start(self, timeout: float = START_TIMEOUT) -> ServerProcess:
        env = clean_environ()
        env.update(self.env)
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open while the process runs
        try:
            self.proc = subprocess.Popen(
                self.command(), cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        finally:
            log.close()
        if self.wait_ready:
            self.wait_until_ready(timeout)
        return self

    def wait_until_ready(self, timeout: float = START_TIMEOUT) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(verify=False, timeout=PROBE_TIMEOUT) as probe:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"server exited with status {self.proc.returncode}\n--- log\n{self.log_text()}"
                    )
                try:
                    if probe.get(self.url + READY_PATH).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(POLL_INTERVAL)
        raise TimeoutError(f"server not ready after {timeout} s\n--- log\n{self.log_text()}")

    def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM (graceful), SIGKILL if it does not exit in time. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)

    def cleanup(self) -> None:
        self.kill()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self.cleanup()


def run_server_once(
    args: list[str], env: dict[str, str] | None = None, timeout: float = START_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m server ARGS`` expecting it to exit by itself (configuration errors, --help)."""
    full_env = clean_environ()
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=REPO_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
