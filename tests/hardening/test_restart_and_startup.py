"""Issue 14, defect 1 and the first-run items: a restart can never leave the server dead; a bad overrides file is a
clear error at a cold start; start-up says what overrides what. All against real server processes."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.support.restart import restart, wait_restarted
from tests.support.rpc_client import insecure_ssl
from tests.support.server import ServerProcess, run_server_once


def state_args(state: Path) -> list[str]:
    return [
        f"--openvidu.state.path={state}",
        "--kms.uris=[]",
        "--server.address=127.0.0.1",
        "--server.port=1",
    ]


def raw_restart(server: ServerProcess, body: str) -> httpx.Response:
    with server.client(timeout=10) as client:
        return client.post("/pro/restart", content=body, headers={"Content-Type": "application/json"})


@pytest.fixture
def server(tmp_path: Path) -> ServerProcess:
    (tmp_path / "state").mkdir()
    srv = ServerProcess({"openvidu.pro.stats.monitoring-interval": 0}, state_dir=tmp_path / "state")
    srv.start()
    yield srv
    srv.stop()
    srv.cleanup()


@pytest.mark.parametrize(
    "body",
    [
        '{"openvidu.secret":"\\ud800"}',
        '{"openvidu.secret":"a\\u0000b"}',
        '{"openvidu.pro.stats.monitoring-interval":1' + "0" * 400 + "}",
        '{"openvidu.pro.stats.monitoring-interval":10000000000}',
        '{"openvidu.pro.stats.webrtc-interval":86401}',
        '{"openvidu.streams.video.max-recv-bandwidth":1e400}',
    ],
    ids=["surrogate", "nul", "400-digits", "1e10", "over-a-day", "1e400"],
)
def test_restart_values_that_could_not_start_are_400(server: ServerProcess, body: str) -> None:
    response = raw_restart(server, body)
    assert response.status_code == 400, response.text
    assert "restarting" not in server.log_text()
    assert not (server.state_dir / "overrides.yaml").exists()
    with server.client() as client:
        assert client.get("/pro/config").status_code == 200


def test_restart_keeps_the_previous_overrides_beside(server: ServerProcess) -> None:
    assert restart(server, {"openvidu.secret": "FIRST"}).status_code == 200
    wait_restarted(server, "FIRST", time.monotonic())
    server.overrides["openvidu.secret"] = "FIRST"
    assert restart(server, {"openvidu.secret": "SECOND"}).status_code == 200
    wait_restarted(server, "SECOND", time.monotonic())
    previous = (server.state_dir / "overrides.yaml.previous").read_text()
    assert "FIRST" in previous and "SECOND" not in previous


def test_a_restarted_image_that_cannot_load_goes_back_to_the_previous_overrides(tmp_path: Path) -> None:
    """What the re-executed image does (``OPENVIDU_RESTART_ROLLBACK`` set by the old one): the new overrides stop
    it, so it restores ``overrides.yaml.previous``, says so loudly, and serves with the previous values."""
    state = tmp_path / "state"
    state.mkdir()
    overrides = state / "overrides.yaml"
    overrides.write_text("openvidu.secret: ''\n")  # what the restart persisted, and cannot start
    (state / "overrides.yaml.previous").write_text("openvidu.secret: PREVIOUS\n")
    srv = ServerProcess(
        {"openvidu.secret": "PREVIOUS"}, {"OPENVIDU_RESTART_ROLLBACK": str(overrides)}, state_dir=state
    )
    with srv:
        with srv.client() as client:
            assert client.get("/pro/config").status_code == 200
        log = srv.log_text()
    assert "RESTART FAILED" in log and "openvidu.secret" in log and str(overrides) in log
    assert "PREVIOUS" in overrides.read_text()
    assert "Traceback" not in log


@pytest.mark.parametrize(
    "content",
    [b"openvidu.secret: [unclosed\n", b"\xff\xfe not utf-8", b"- a list\n- not a mapping\n", b"{: }\n"],
    ids=["yaml", "utf8", "list", "key"],
)
def test_a_corrupt_overrides_file_at_a_cold_start_is_exit_2_naming_it(tmp_path: Path, content: bytes) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "overrides.yaml").write_bytes(content)
    result = run_server_once(state_args(state))
    assert result.returncode == 2, result.stderr
    assert str(state / "overrides.yaml") in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreadable_overrides_file_is_exit_2(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "overrides.yaml").mkdir(parents=True)  # a folder where the file should be: unreadable as a file
    result = run_server_once(state_args(state))
    assert result.returncode == 2, result.stderr
    assert "openvidu.overrides.path" in result.stderr and "Traceback" not in result.stderr


def test_an_undecodable_environment_secret_is_exit_2() -> None:
    env = {"OPENVIDU_SECRET": os.fsdecode(b"bad\xff")}
    result = run_server_once(["--kms.uris=[]"], env)
    assert result.returncode == 2, result.stderr
    assert "openvidu.secret" in result.stderr and "Traceback" not in result.stderr


def test_start_removes_stale_temp_files_and_names_what_the_overrides_file_overrides(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    stale = state / ".overrides.yaml.abc123.tmp"
    stale.write_text("half")
    (state / "overrides.yaml").write_text("openvidu.secret: PERSISTED\n")
    srv = ServerProcess({"openvidu.secret": "FROM_FLAG"}, state_dir=state, wait_ready=False)
    srv.start()
    try:
        srv.overrides["openvidu.secret"] = "PERSISTED"
        srv.wait_until_ready()
        log = srv.log_text()
    finally:
        srv.stop()
        srv.cleanup()
    assert not stale.exists()
    assert "openvidu.secret" in log and "flag --openvidu.secret" in log and "overridden" in log
    assert "FROM_FLAG" not in log and "PERSISTED" not in log  # never the secret itself


def test_default_secret_on_a_non_loopback_address_warns(tmp_path: Path) -> None:
    srv = ServerProcess({"server.address": "0.0.0.0"}, state_dir=tmp_path)
    with srv:
        log = srv.log_text()
    assert "openvidu.secret is the default" in log
    assert "open file descriptor limit" in log  # raised to the hard limit at start, and said so


def test_help_prints_every_property_with_default_and_meaning() -> None:
    from server.settings.model import PROPERTIES

    result = run_server_once(["--help"])
    assert result.returncode == 0
    for spec in PROPERTIES:
        assert f"--{spec.name}=" in result.stdout, spec.name
        assert spec.doc in result.stdout
    assert "Python >= 3.11" in result.stdout
    template = run_server_once(["--config-template"])
    assert template.returncode == 0 and "openvidu.secret: MY_SECRET" in template.stdout


def test_config_errors_point_at_help() -> None:
    result = run_server_once(["--server.port=nope"])
    assert result.returncode == 2 and "openvidu-server --help" in result.stderr


def test_overrides_file_json_is_not_needed_for_restart_errors(server: ServerProcess) -> None:
    """A refused restart body names the property (the JSON boundary answers before validation)."""
    response = raw_restart(server, json.dumps({"openvidu.cdr": "yes"}))
    assert response.status_code == 400 and "openvidu.cdr" in response.json()["message"]


def test_no_request_is_dropped_across_restarts(server: ServerProcess) -> None:
    """Issue 14 #9: clients opening fresh connections throughout three restarts never see a connection closed
    without a response (the old process answers what it accepted; the rest waits for the new one)."""
    import threading

    stop = threading.Event()
    dropped: list[str] = []
    answered = [0]

    def prober() -> None:
        while not stop.is_set():
            try:
                with httpx.Client(base_url=server.url, verify=False, timeout=10) as client:
                    client.get("/config/openvidu-publicurl")
                answered[0] += 1
            except httpx.RemoteProtocolError as exc:
                dropped.append(str(exc))
            except httpx.HTTPError:
                pass
            time.sleep(0.002)

    threads = [threading.Thread(target=prober) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for round_no in range(3):
            secret = f"ROUND_{round_no}"
            assert restart(server, {"openvidu.secret": secret}).status_code == 200
            wait_restarted(server, secret, time.monotonic())
            server.overrides["openvidu.secret"] = secret
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert answered[0] > 0
    assert dropped == []


def test_plain_http_on_the_https_port_gets_a_400_saying_tls_is_required(tmp_path: Path) -> None:
    import socket

    with ServerProcess(state_dir=tmp_path) as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(b"GET /config HTTP/1.1\r\nHost: localhost\r\n\r\n")
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
        with srv.client() as client:  # HTTPS still served
            assert client.get("/config").status_code == 200
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"requires TLS" in answer


def test_stats_files_only_where_the_cdr_is_written(tmp_path: Path) -> None:
    cdr = tmp_path / "cdr"
    settings = {"openvidu.pro.stats.monitoring-interval": 1, "openvidu.cdr.path": str(cdr)}
    with ServerProcess(settings, state_dir=tmp_path):
        time.sleep(2.5)
    assert not list(cdr.glob("STATS.*.log"))  # glob of a missing folder is empty too


def test_stopping_the_whole_process_group_reports_no_media_server_crash(tmp_path: Path) -> None:
    """Ctrl-C reaches the server and its embedded minikms at once: the child's exit is expected, not a crash."""
    import signal
    import subprocess

    from tests.support.procs import REPO_ROOT
    from tests.support.server import clean_environ

    srv = ServerProcess({"kms.uris": ["embedded"]}, state_dir=tmp_path, wait_ready=False)
    log_path = tmp_path / "group.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            srv.command(),
            cwd=REPO_ROOT,
            env=clean_environ(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    srv.proc = proc
    try:
        srv.log_path = log_path
        srv.wait_until_ready()
        deadline = time.monotonic() + 20
        while "embedded" not in log_path.read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = log_path.read_text(errors="replace")
    assert "exited; restarting" not in text, text
    assert "Traceback" not in text, text


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "asgi"])
def test_a_restart_while_a_websocket_is_closing_comes_back(direct: bool) -> None:
    """A client that sent its websocket close but has not finished closing the connection: uvicorn's close 1012
    at shutdown raised on that socket, which aborted the shutdown and killed the process instead of restarting."""
    with ServerProcess({"openvidu.rpc.direct-websocket": direct}) as server:
        host, port = server.url.removeprefix("https://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            tls = insecure_ssl().wrap_socket(raw, server_hostname=host)
            tls.sendall(
                b"GET /openvidu HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            assert tls.recv(4096).startswith(b"HTTP/1.1 101 ")
            tls.sendall(bytes([0x88, 0x82]) + b"\0\0\0\0" + (1000).to_bytes(2, "big"))  # close, then silence
            time.sleep(0.3)
            before = time.time()
            assert restart(server, {"openvidu.secret": "after-close"}).status_code == 200
            wait_restarted(server, "after-close", before)
            assert "Traceback" not in server.log_text()
