"""Start-up of real ``python -m server`` processes: precedence of every level, refusals with exit status 2,
TLS choices, the inherited listening socket and graceful shutdown."""

from __future__ import annotations

import datetime
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from server.settings import write_overrides
from tests.support.procs import LOOPBACK, REPO_ROOT, free_port
from tests.support.server import START_TIMEOUT, STOP_TIMEOUT, ServerProcess, clean_environ, run_server_once

CONFIG_ERROR = 2


def test_every_level_beats_the_one_below(tmp_path: Path) -> None:
    """File < env < flag < overrides, each shown on a different property of GET /config in one start."""
    state = tmp_path / "state"
    config = tmp_path / "openvidu.yaml"
    config.write_text(
        "openvidu.streams.video.max-recv-bandwidth: 101\n"
        "openvidu.streams.video.min-recv-bandwidth: 102\n"
        "openvidu.streams.video.max-send-bandwidth: 103\n"
        "openvidu.streams.video.min-send-bandwidth: 104\n"
        "openvidu.secret: from-file\n"
    )
    write_overrides(state / "overrides.yaml", {"openvidu.streams.video.min-send-bandwidth": 404})
    env = {
        "OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH": "202",
        "OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH": "203",
        "OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH": "204",
        "OPENVIDU_SECRET": "from-env-snake",
        "openvidu.secret": "from-env-dotted",
    }
    overrides = {
        "openvidu.state.path": str(state),
        "openvidu.streams.video.max-send-bandwidth": 303,
        "openvidu.streams.video.min-send-bandwidth": 304,
    }
    with ServerProcess(overrides, env, state_dir=state, extra_args=["--config", str(config)]) as server:
        # The dotted environment name wins over the UPPER_SNAKE one, and both over the file.
        with server.client(auth=False) as client:
            response = client.get("/config", auth=("OPENVIDUAPP", "from-env-dotted"))
            assert response.status_code == 200
            assert client.get("/config", auth=("OPENVIDUAPP", "from-file")).status_code == 401
        doc = response.json()
        assert doc["maxRecvBandwidth"] == 101  # file over default
        assert doc["minRecvBandwidth"] == 202  # env over file
        assert doc["maxSendBandwidth"] == 303  # flag over env
        assert doc["minSendBandwidth"] == 404  # overrides file over flag
        assert doc["openviduPublicurl"] == "local"  # untouched default


def test_properties_file_and_recording_webhook_config(tmp_path: Path) -> None:
    """``spring.config.additional-location`` with a .properties file; /config shows the optional keys."""
    props = tmp_path / "application.properties"
    props.write_text(
        "openvidu.recording=true\n"
        f"openvidu.recording.path={tmp_path / 'rec'}\n"
        "openvidu.recording.autostop-timeout=30\n"
        "openvidu.webhook=true\n"
        "openvidu.webhook.endpoint=http://127.0.0.1:9/hook\n"
        'openvidu.webhook.headers=["Authorization: Basic dXNlcjpwYXNz"]\n'
        'openvidu.webhook.events=["sessionCreated","recordingStatusChanged"]\n'
        "openvidu.publicurl=https://ov.example.test:4443/\n"
    )
    env = {"SPRING_CONFIG_ADDITIONAL_LOCATION": str(props)}
    with ServerProcess({}, env) as server, server.client() as api:
        doc = api.get("/config").json()
        assert list(doc) == [
            "version", "openviduPublicurl", "openviduCdr", "maxRecvBandwidth", "minRecvBandwidth",
            "maxSendBandwidth", "minSendBandwidth", "openviduRecording", "openviduRecordingVersion",
            "openviduRecordingPath", "openviduRecordingPublicAccess", "openviduRecordingNotification",
            "openviduRecordingCustomLayout", "openviduRecordingAutostopTimeout", "openviduWebhook",
            "openviduWebhookEndpoint", "openviduWebhookHeaders", "openviduWebhookEvents",
        ]  # fmt: skip
        assert doc["openviduPublicurl"] == "https://ov.example.test:4443/"
        assert doc["openviduRecordingPath"] == f"{tmp_path / 'rec'}/"
        assert doc["openviduRecordingAutostopTimeout"] == 30
        assert doc["openviduWebhookHeaders"] == ["Authorization: Basic dXNlcjpwYXNz"]
        assert doc["openviduWebhookEvents"] == ["sessionCreated", "recordingStatusChanged"]
        assert api.get("/config/openvidu-publicurl").text == "https://ov.example.test:4443/"
        sid = api.post("/api/sessions").json()["id"]
        token = api.post("/api/tokens", json={"session": sid}).json()["token"]
        assert token.startswith(f"wss://ov.example.test:4443?sessionId={sid}&token=")


INVALID = [
    (["--server.port=abc"], {}, "server.port", "abc"),
    ([], {"SERVER_PORT": "70000"}, "server.port", "70000"),
    (["--server.ssl.enabled=maybe"], {}, "server.ssl.enabled", "maybe"),
    ([], {"KMS_URIS": '["http://kms:8888/kurento"]'}, "kms.uris", "http://kms:8888/kurento"),
    (["--openvidu.pro.cluster.load.strategy=random"], {}, "openvidu.pro.cluster.load.strategy", "random"),
    (["--openvidu.recording.notification=everyone"], {}, "openvidu.recording.notification", "everyone"),
    (["--openvidu.recording.autostop-timeout=-5"], {}, "openvidu.recording.autostop-timeout", "-5"),
    (["--kms.ping-interval=-1"], {}, "kms.ping-interval", "-1"),
    (["--openvidu.pro.stats.webrtc-interval=-30"], {}, "openvidu.pro.stats.webrtc-interval", "-30"),
    (["--openvidu.webhook=true"], {}, "openvidu.webhook.endpoint", "''"),
    (["--openvidu.webhook.endpoint=not a url"], {}, "openvidu.webhook.endpoint", "not a url"),
    (['--openvidu.webhook.events=["sessionCreated","bogus"]'], {}, "openvidu.webhook.events", "bogus"),
    (['--openvidu.webhook.headers=["NoColonHere"]'], {}, "openvidu.webhook.headers", "NoColonHere"),
    (
        ["--server.ssl.certificate=/nonexistent/cert.pem", "--server.ssl.key=/nonexistent/key.pem"],
        {},
        "server.ssl.certificate",
        "/nonexistent/cert.pem",
    ),
    (["--server.ssl.key-store=/opt/openvidu.jks"], {}, "server.ssl.key-store", "/opt/openvidu.jks"),
    (["--config=/nonexistent/openvidu.yaml"], {}, "--config", "/nonexistent/openvidu.yaml"),
    (["--openvidu.unknown-thing=1"], {}, "openvidu.unknown-thing", "1"),
    ([], {"OPENVIDU_UNKNOWN_THING": "1"}, "OPENVIDU_UNKNOWN_THING", "1"),
    (["--logging.level.root=chatty"], {}, "logging.level.root", "chatty"),
    (["--openvidu.state.path=/proc/no-state-here"], {}, "openvidu.state.path", "/proc/no-state-here"),
]


@pytest.mark.parametrize(("args", "env", "prop", "value"), INVALID)
def test_invalid_value_exits_2_naming_the_property(
    tmp_path: Path, args: list[str], env: dict[str, str], prop: str, value: str
) -> None:
    state = ["--openvidu.state.path", str(tmp_path)] if not any("state.path" in a for a in args) else []
    result = run_server_once(["--server.address=127.0.0.1", *state, *args], env)
    assert result.returncode == CONFIG_ERROR, result.stderr
    assert f"'{prop}'" in result.stderr
    assert value in result.stderr
    assert "allowed:" in result.stderr


def test_invalid_values_in_files(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("kms.uris: 12\n")
    result = run_server_once(["--config", str(config), "--openvidu.state.path", str(tmp_path)])
    assert result.returncode == CONFIG_ERROR
    assert "'kms.uris'" in result.stderr and str(config) in result.stderr
    write_overrides(tmp_path / "overrides.yaml", {"openvidu.pro.cluster": "sometimes"})
    result = run_server_once(["--openvidu.state.path", str(tmp_path)])
    assert result.returncode == CONFIG_ERROR
    assert "'openvidu.pro.cluster'" in result.stderr and "sometimes" in result.stderr


def test_secret_never_in_logs(tmp_path: Path) -> None:
    secret = "VeryPrivateSecret123"
    with (
        ServerProcess({"openvidu.secret": secret, "logging.level.root": "debug"}) as server,
        server.client() as api,
    ):
        assert api.post("/api/sessions").status_code == 200
        with server.client(auth=False) as anon:
            assert anon.get("/api/sessions", auth=("OPENVIDUAPP", "guess")).status_code == 401
        log = server.log_text()
    assert "ready" in log
    assert secret not in log


def test_help_lists_properties() -> None:
    result = run_server_once(["--help"])
    assert result.returncode == 0
    assert "--openvidu.secret" in result.stdout and "--kms.uris" in result.stdout


# ----- TLS ----------------------------------------------------------------------------------------------------


def test_self_signed_certificate_is_made_once_and_kept(tmp_path: Path) -> None:
    with ServerProcess({}, state_dir=tmp_path) as server, server.client() as api:
        assert api.get("/config").status_code == 200
        cert_pem = (tmp_path / "selfsigned-cert.pem").read_bytes()
        served = ssl.get_server_certificate((LOOPBACK, server.port))
    assert x509.load_pem_x509_certificate(served.encode()) == x509.load_pem_x509_certificate(cert_pem)
    with ServerProcess({}, state_dir=tmp_path):
        assert (tmp_path / "selfsigned-cert.pem").read_bytes() == cert_pem


def _make_ca_signed_pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "operator")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address(LOOPBACK))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_path, cert_path, key_path


def test_operator_certificate_verifies_against_its_ca(tmp_path: Path) -> None:
    ca, cert, key = _make_ca_signed_pair(tmp_path)
    with ServerProcess({"server.ssl.certificate": str(cert), "server.ssl.key": str(key)}) as server:
        context = ssl.create_default_context(cafile=str(ca))
        with httpx.Client(verify=context) as strict:
            response = strict.get(server.url + "/config/openvidu-publicurl")
        assert response.status_code == 200
        assert not (server.state_dir / "selfsigned-cert.pem").exists()


def test_mismatched_certificate_and_key_exit_2(tmp_path: Path) -> None:
    _ca, cert, _key = _make_ca_signed_pair(tmp_path)
    other_key = tmp_path / "other.pem"
    other_key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    result = run_server_once(
        [
            f"--server.ssl.certificate={cert}",
            f"--server.ssl.key={other_key}",
            f"--openvidu.state.path={tmp_path}",
        ]
    )
    assert result.returncode == CONFIG_ERROR
    assert "'server.ssl.certificate'" in result.stderr


def test_plain_http_behind_a_proxy() -> None:
    with ServerProcess({"server.ssl.enabled": False}) as server:
        assert server.url.startswith("http://")
        with server.client() as api:
            assert api.post("/api/sessions").status_code == 200
        # Tokens stay wss:// (the proxy terminates TLS), as in OpenVidu.
        with server.client(auth=False) as anon:
            assert anon.get("/config/openvidu-publicurl").text.startswith("https://")


# ----- socket hand-over and shutdown ---------------------------------------------------------------------------


def test_inherited_listening_socket_is_adopted(tmp_path: Path) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    env = clean_environ()
    env["OPENVIDU_LISTEN_FD"] = str(sock.fileno())
    # The flag names a different port: an adopted socket must win over binding.
    args = [
        f"--server.port={free_port()}",
        "--server.address=127.0.0.1",
        f"--openvidu.state.path={tmp_path}",
        "--kms.uris=[]",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", *args],
        cwd=REPO_ROOT,
        env=env,
        pass_fds=[sock.fileno()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sock.close()
    try:
        probe = ServerProcess({}, port=port, state_dir=tmp_path)
        probe.proc = proc
        probe.wait_until_ready(START_TIMEOUT)
        with probe.client() as api:
            assert api.post("/api/sessions").status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(STOP_TIMEOUT) == 0


def test_sigterm_is_graceful(tmp_path: Path) -> None:
    server = ServerProcess({}).start()
    try:
        with server.client() as api:
            assert api.post("/api/sessions").status_code == 200
        assert server.stop() == 0
        log = server.log_text()
        assert "Traceback" not in log
    finally:
        server.cleanup()


def test_port_in_use_fails_with_a_message(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind((LOOPBACK, 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_server_once(
            [f"--server.port={port}", "--server.address=127.0.0.1", f"--openvidu.state.path={tmp_path}"]
        )
    assert result.returncode == 1
    assert "server.port" in result.stderr


def test_env_only_configuration_like_docker(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "SERVER_PORT": str(port),
        "SERVER_ADDRESS": LOOPBACK,
        "OPENVIDU_SECRET": "env-secret",
        "OPENVIDU_STATE_PATH": str(tmp_path),
        "KMS_URIS": "[]",
        "OPENVIDU_PRO_CLUSTER": "true",
    }
    server = ServerProcess({}, env, port=port, state_dir=tmp_path)
    # Only the environment configures it: no flags at all.
    server.command = lambda: [sys.executable, "-m", "server"]  # type: ignore[method-assign]
    with server, server.client() as api:
        assert api.get("/config").status_code == 200
