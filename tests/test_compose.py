"""docker-compose.yml, docker-compose.bridge.yml and .env: validated by ``docker-compose config`` (Debian's
docker-compose v1), checked for the host-network layout, and the server started with the environment they give it.

Docker cannot run here. ``docker-compose config`` still interpolates the files exactly as ``up`` would; the test
takes the server service's resolved environment and command from its output, points the host folders of the .env
at temporary folders (as an operator edits .env), replaces the Kurento containers with real minikms processes on
loopback, and starts the real server with exactly that configuration.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import yaml

from tests.support.procs import LOOPBACK, REPO_ROOT, MinikmsProcess, free_port
from tests.support.server import ServerProcess

COMPOSE = REPO_ROOT / "docker-compose.yml"
BRIDGE = REPO_ROOT / "docker-compose.bridge.yml"
ENV_FILE = REPO_ROOT / ".env"
DOCKERFILE = REPO_ROOT / "Dockerfile"
PROMETHEUS_CONFIG = REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml"
GRAFANA = REPO_ROOT / "deploy" / "grafana"
SERVER_SERVICE = "openvidu-server"
RECORDER_SERVICE = "openvidu-recorder"
SERVER_UID = 10001
KMS_IMAGE_RE = re.compile(r"^kurento/kurento-media-server:7\.\d+\.\d+$")
VARIABLE_RE = re.compile(r"\$\{([A-Z0-9_]+)")
REQUIRED = {"OPENVIDU_SECRET": "s3cr3t-for-tests", "DOMAIN_OR_PUBLIC_IP": "203.0.113.10"}


def read_env(path: Path = ENV_FILE) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f"not NAME=value: {line!r}"
            values[name] = value
    return values


def write_env(path: Path, changes: dict[str, str]) -> Path:
    """The shipped .env with some values changed, as an operator edits it."""
    lines = []
    for line in ENV_FILE.read_text().splitlines():
        name = line.partition("=")[0]
        if not line.startswith("#") and name in changes:
            line = f"{name}={changes[name]}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")
    return path


def compose_config(
    env_file: Path, compose_file: Path = COMPOSE, *extra: str
) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose (Debian package docker-compose) is needed: scripts/test.sh installs it"
    command = [binary, "--project-directory", str(REPO_ROOT), "--env-file", str(env_file)]
    command += ["-f", str(compose_file), *extra, "config"]
    # A clean environment: nothing from the developer's shell may fill a variable in.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(env_file.parent)}
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=60)


def resolved(env_file: Path, compose_file: Path = COMPOSE, *extra: str) -> dict[str, Any]:
    result = compose_config(env_file, compose_file, *extra)
    assert result.returncode == 0, result.stderr
    document = yaml.safe_load(result.stdout)
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def operator_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_env(tmp_path_factory.mktemp("env") / "operator.env", REQUIRED)


@pytest.fixture(scope="module")
def host(operator_env: Path) -> dict[str, Any]:
    return resolved(operator_env, COMPOSE, "--profile", "monitoring")


def kms_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: svc
        for name, svc in compose["services"].items()
        if str(svc.get("image", "")).startswith("kurento/kurento-media-server")
    }


def kms_conf(svc: dict[str, Any]) -> dict[str, Any]:
    """The kurento.conf.json bind-mounted into a KMS service (its JSON-RPC address and port)."""
    for volume in svc["volumes"]:
        source, target = str(volume).split(":")[:2]
        if target == "/etc/kurento/kurento.conf.json":
            websocket = json.loads(Path(source).read_text())["mediaServer"]["net"]["websocket"]
            assert isinstance(websocket, dict)
            return websocket
    raise AssertionError("no kurento.conf.json mounted")


# ----------------------------------------------------------------------------------------------- the .env file


def test_shipped_env_requires_the_secret_and_the_public_address(tmp_path: Path) -> None:
    refused = compose_config(ENV_FILE)
    assert refused.returncode != 0 and "set OPENVIDU_SECRET in .env" in refused.stderr
    only_secret = write_env(tmp_path / "a.env", {"OPENVIDU_SECRET": "x"})
    refused = compose_config(only_secret)
    assert refused.returncode != 0 and "set DOMAIN_OR_PUBLIC_IP in .env" in refused.stderr
    for compose_file in (COMPOSE, BRIDGE):
        assert compose_config(write_env(tmp_path / "b.env", REQUIRED), compose_file).returncode == 0


def test_every_env_variable_is_documented_and_used() -> None:
    text = ENV_FILE.read_text()
    lines = text.splitlines()
    values = read_env()
    for index, line in enumerate(lines):
        if line and not line.startswith("#"):
            block = lines[max(0, index - 8) : index]
            # Each variable sits in a commented section (a comment line above it, blank lines ending a block).
            assert any(b.startswith("#") for b in block), f"{line.split('=')[0]} is not documented"
    used = set()
    for path in (COMPOSE, BRIDGE):
        used |= set(VARIABLE_RE.findall(path.read_text()))
    assert used <= set(values), f"compose variables missing from .env: {used - set(values)}"
    assert set(values) <= used, f".env variables no compose file reads: {set(values) - used}"
    assert values["OPENVIDU_SECRET"] == "" and values["DOMAIN_OR_PUBLIC_IP"] == ""


# ------------------------------------------------------------------------------------------ the host layout


def test_every_service_is_on_the_host_network_with_a_healthcheck(host: dict[str, Any]) -> None:
    services = host["services"]
    assert set(services) == {SERVER_SERVICE, "kms1", "kms2", RECORDER_SERVICE, "prometheus", "grafana"}
    for name, svc in services.items():
        assert svc["network_mode"] == "host", name
        assert "ports" not in svc, f"{name} publishes ports through Docker's port mapping"
        assert svc["healthcheck"]["test"], name
        assert svc["restart"] == "unless-stopped"


def test_kurento_cluster_of_two_on_loopback_json_rpc_ports(host: dict[str, Any]) -> None:
    kms = kms_services(host)
    assert list(kms) == ["kms1", "kms2"]
    ranges, uris = [], []
    for svc in kms.values():
        assert KMS_IMAGE_RE.match(svc["image"]), svc["image"]
        env = svc["environment"]
        low, high = int(env["KMS_MIN_PORT"]), int(env["KMS_MAX_PORT"])
        assert 1024 < low < high <= 65535
        ranges.append(range(low, high + 1))
        assert "KMS_EXTERNAL_IPV4" in env
        # The image's entrypoint runs Kurento as KMS_UID: the same user as the server, for shared recordings.
        assert int(env["KMS_UID"]) == SERVER_UID
        websocket = kms_conf(svc)
        assert websocket["address"] == "127.0.0.1" and websocket["path"] == "kurento"
        uris.append(f"ws://127.0.0.1:{websocket['port']}/kurento")
        test = svc["healthcheck"]["test"]
        if test == ["CMD", "/healthchecker.sh"]:
            assert websocket["port"] == 8888, "the image's /healthchecker.sh asks 127.0.0.1:8888"
        else:
            assert test[0] == "CMD-SHELL" and f"http://127.0.0.1:{websocket['port']}/kurento" in test[1]
            assert "Upgrade: websocket" in test[1] and "= 500" in test[1]
    assert len(set(uris)) == 2, "each KMS needs its own JSON-RPC port on the host network"
    assert not set(ranges[0]) & set(ranges[1]), "the two KMS must not share RTP ports"
    server = host["services"][SERVER_SERVICE]
    assert json.loads(server["environment"]["KMS_URIS"]) == uris
    assert set(server["depends_on"]) == set(kms)


def test_server_service_environment_and_folders(host: dict[str, Any]) -> None:
    server = host["services"][SERVER_SERVICE]
    env = server["environment"]
    values = read_env()
    assert env["OPENVIDU_SECRET"] == REQUIRED["OPENVIDU_SECRET"]
    assert env["OPENVIDU_PUBLICURL"] == f"https://{REQUIRED['DOMAIN_OR_PUBLIC_IP']}:{values['HTTPS_PORT']}"
    assert env["SERVER_PORT"] == values["HTTPS_PORT"] and env["OPENVIDU_PRO_CLUSTER"] == "true"
    mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in server["volumes"]}
    # Host folders are mounted at the same path in every container (Kurento writes recordings there too).
    for key in ("OPENVIDU_RECORDING_PATH", "OPENVIDU_CDR_PATH", "OPENVIDU_RECORDING_CUSTOM_LAYOUT"):
        assert mounts[env[key]] == env[key] == values[key]
    assert mounts[env["OPENVIDU_STATE_PATH"]] == "openvidu-state"
    assert Path(env["OPENVIDU_OVERRIDES_PATH"]).parent == Path(env["OPENVIDU_STATE_PATH"])
    for svc in kms_services(host).values():
        assert f"{env['OPENVIDU_RECORDING_PATH']}:{env['OPENVIDU_RECORDING_PATH']}:rw" in svc["volumes"]
    assert server["healthcheck"]["test"][:4] == ["CMD", "python", "-m", "server.healthcheck"]
    assert server["healthcheck"]["test"][4:] == server["command"]


def test_monitoring_profile_scrapes_the_metrics_listener(host: dict[str, Any]) -> None:
    profiles = {name: svc.get("profiles", []) for name, svc in host["services"].items()}
    assert profiles == {
        SERVER_SERVICE: [],
        "kms1": [],
        "kms2": [],
        RECORDER_SERVICE: [],
        "prometheus": ["monitoring"],
        "grafana": ["monitoring"],
    }, "Prometheus and Grafana are an opt-in profile"
    values = read_env()
    scrape = yaml.safe_load(PROMETHEUS_CONFIG.read_text())["scrape_configs"]
    targets = [t for job in scrape for group in job["static_configs"] for t in group["targets"]]
    assert targets == [f"{values['OPENVIDU_METRICS_ADDRESS']}:{values['OPENVIDU_METRICS_PORT']}"]
    prometheus, grafana = host["services"]["prometheus"], host["services"]["grafana"]
    assert f"--web.listen-address=127.0.0.1:{values['PROMETHEUS_PORT']}" in prometheus["command"]
    assert grafana["environment"]["PROMETHEUS_URL"] == f"http://127.0.0.1:{values['PROMETHEUS_PORT']}"
    datasource = (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    assert "url: ${PROMETHEUS_URL}" in datasource
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "openvidu.yml").read_text())
    dashboards_mount = next(v for v in grafana["volumes"] if str(v).startswith(str(GRAFANA / "dashboards")))
    assert provider["providers"][0]["options"]["path"] == dashboards_mount.split(":")[1]
    assert list((GRAFANA / "dashboards").glob("*.json")), "no dashboard to provision"


def test_recorder_service_serves_composed_recordings(operator_env: Path, host: dict[str, Any]) -> None:
    """The COMPOSED recorder agent: its own image, the shared recordings folder, the server pointed at it."""
    values = read_env()
    for layout, agent_host, server_host in (
        (host, "127.0.0.1", "127.0.0.1"),
        (resolved(operator_env, BRIDGE), RECORDER_SERVICE, SERVER_SERVICE),
    ):
        recorder, server = layout["services"][RECORDER_SERVICE], layout["services"][SERVER_SERVICE]
        assert recorder["build"]["dockerfile"] == "docker/recorder.Dockerfile"
        assert (REPO_ROOT / "docker" / "recorder.Dockerfile").is_file()
        assert set(recorder["depends_on"]) == {SERVER_SERVICE}, (
            "the server's entrypoint prepares the folder first"
        )
        path = values["OPENVIDU_RECORDING_PATH"]
        assert f"{path}:{path}:rw" in recorder["volumes"]
        assert recorder["environment"]["OPENVIDU_RECORDING_PATH"] == path
        assert recorder["environment"]["OPENVIDU_SECRET"] == server["environment"]["OPENVIDU_SECRET"]
        command = recorder["command"]
        assert command[command.index("--port") + 1] == values["RECORDER_PORT"]
        env = server["environment"]
        assert env["OPENVIDU_RECORDING_COMPOSED_RECORDER"] == f"http://{agent_host}:{values['RECORDER_PORT']}"
        assert env["OPENVIDU_RECORDING_COMPOSED_URL"] == f"https://{server_host}:{values['HTTPS_PORT']}"
        assert f"127.0.0.1:{values['RECORDER_PORT']}/health" in " ".join(recorder["healthcheck"]["test"])
    assert host["services"][RECORDER_SERVICE]["command"][:2] == ["--host", "127.0.0.1"], (
        "loopback on the host network"
    )


def test_bridge_layout_is_the_documented_alternative(operator_env: Path, host: dict[str, Any]) -> None:
    bridge = resolved(operator_env, BRIDGE)
    kms = kms_services(bridge)
    server = bridge["services"][SERVER_SERVICE]
    assert "network_mode" not in server
    assert json.loads(server["environment"]["KMS_URIS"]) == [f"ws://{name}:8888/kurento" for name in kms]
    for svc in kms.values():
        env = svc["environment"]
        # Compose expands the range into one mapping per port (what makes this layout heavy for wide ranges).
        low, high = int(env["KMS_MIN_PORT"]), int(env["KMS_MAX_PORT"])
        published = {(p["published"], p["target"], p["protocol"]) for p in svc["ports"]}
        assert published == {(port, port, "udp") for port in range(low, high + 1)}
        assert svc["healthcheck"]["test"] == ["CMD", "/healthchecker.sh"]
    # Same server configuration as the host layout, but for the addresses of the media servers, of the recorder
    # agent and of the metrics listener.
    host_env = dict(host["services"][SERVER_SERVICE]["environment"])
    bridge_env = dict(server["environment"])
    addresses = ("OPENVIDU_RECORDING_COMPOSED_RECORDER", "OPENVIDU_RECORDING_COMPOSED_URL")
    for key in ("KMS_URIS", "OPENVIDU_METRICS_ADDRESS", *addresses):
        del host_env[key], bridge_env[key]
    assert bridge_env == host_env
    assert server["environment"]["OPENVIDU_METRICS_ADDRESS"] == "0.0.0.0"


def test_dockerfile_starts_as_root_and_checks_health() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    assert "pip install ." in text and f"--uid {SERVER_UID} --gid {SERVER_UID}" in text
    assert not re.search(r"^USER ", text, re.M), "the entrypoint drops root itself"
    assert re.search(r'^ENTRYPOINT \["python", "-m", "server.container"\]', text, re.M)
    assert re.search(r'CMD \["python", "-m", "server.healthcheck", "--config"', text)
    assert "EXPOSE 4443" in text


# ------------------------------------------------------------------------- the server with that environment


@pytest.fixture
def minikms_pair() -> Iterator[list[MinikmsProcess]]:
    procs = [MinikmsProcess(), MinikmsProcess()]
    try:
        for proc in procs:
            proc.start()
        yield procs
    finally:
        for proc in procs:
            proc.stop()


def _container_paths(server_svc: dict[str, Any], scratch: Path) -> dict[str, str]:
    """Container path -> host path: repository files for ``./`` sources, scratch folders for named volumes."""
    mapping: dict[str, str] = {}
    for index, volume in enumerate(server_svc["volumes"]):
        source, target = str(volume).split(":")[:2]
        if source.startswith("/") and Path(source).is_file():
            mapping[target] = source
        elif not source.startswith("/"):  # a named volume
            folder = scratch / f"volume{index}"
            folder.mkdir()
            mapping[target] = str(folder)
    return mapping


def _apply(mapping: dict[str, str], value: str) -> str:
    for target in sorted(mapping, key=len, reverse=True):
        if value == target or value.startswith(target + "/"):
            return mapping[target] + value[len(target) :]
    return value


def test_server_runs_with_the_compose_configuration(
    tmp_path: Path, minikms_pair: list[MinikmsProcess]
) -> None:
    port, metrics_port = free_port(), free_port()
    folders = {key: tmp_path / key.lower() for key in ("OPENVIDU_RECORDING_PATH", "OPENVIDU_CDR_PATH")}
    env_file = write_env(
        tmp_path / "operator.env",
        {
            **REQUIRED,
            "HTTPS_PORT": str(port),
            "OPENVIDU_METRICS_PORT": str(metrics_port),
            "OPENVIDU_CDR": "true",
            **{key: str(path) for key, path in folders.items()},
            "OPENVIDU_RECORDING_CUSTOM_LAYOUT": str(tmp_path / "layouts"),
        },
    )
    server_svc = resolved(env_file)["services"][SERVER_SERVICE]
    mapping = _container_paths(server_svc, tmp_path)
    env = {key: _apply(mapping, str(value)) for key, value in server_svc["environment"].items()}
    # Stand-ins: the Kurento JSON-RPC ports on the host's loopback become minikms processes on loopback.
    uris = json.loads(env["KMS_URIS"])
    env["KMS_URIS"] = json.dumps(
        [re.sub(r":\d+/", f":{kms.port}/", uri) for uri, kms in zip(uris, minikms_pair, strict=True)]
    )
    env["SERVER_ADDRESS"] = LOOPBACK  # the test binds loopback only; the compose file binds every interface
    command = [_apply(mapping, str(arg)) for arg in server_svc["command"]]
    healthcheck = [_apply(mapping, str(arg)) for arg in server_svc["healthcheck"]["test"][1:]]
    state_dir = Path(env["OPENVIDU_STATE_PATH"])

    server = ServerProcess({}, env, port=port, state_dir=state_dir)
    server.command = lambda: [sys.executable, "-m", "server", *command]  # type: ignore[method-assign]
    probe_env = {"PATH": os.environ.get("PATH", ""), **env}

    def run_healthcheck() -> subprocess.CompletedProcess[str]:
        argv = [sys.executable if arg == "python" else arg for arg in healthcheck]
        return subprocess.run(argv, env=probe_env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=30)

    with server:
        assert server.secret == REQUIRED["OPENVIDU_SECRET"]
        with server.client(auth=False) as anonymous:
            health = anonymous.get("/health")
            assert (health.status_code, health.json()) == (200, {"status": "UP"})
        checked = run_healthcheck()
        assert checked.returncode == 0, checked.stderr
        with server.client() as api:
            config = api.get("/config").json()
            assert config["openviduPublicurl"] == f"https://{REQUIRED['DOMAIN_OR_PUBLIC_IP']}:{port}"
            assert config["openviduCdr"] is True
            recording_path = api.get("/config/openvidu-recording-path").text
            assert recording_path.rstrip("/") == str(folders["OPENVIDU_RECORDING_PATH"])
            sid = api.post("/api/sessions").json()["id"]
            token = api.post("/api/tokens", json={"session": sid}).json()["token"]
            assert token.startswith(f"wss://{REQUIRED['DOMAIN_OR_PUBLIC_IP']}:{port}?sessionId={sid}&token=")
        # The extra metrics listener of OPENVIDU_METRICS_ADDRESS:OPENVIDU_METRICS_PORT: plain HTTP, no auth.
        scraped = httpx.get(f"http://{LOOPBACK}:{metrics_port}/metrics", timeout=10)
        assert scraped.status_code == 200 and "openvidu_sessions" in scraped.text
        # The server is connected to both media servers (cluster mode uses every URI).
        assert server.proc is not None
        remote_ports = {
            c.raddr.port
            for c in psutil.Process(server.proc.pid).net_connections(kind="tcp")
            if c.raddr and c.status == psutil.CONN_ESTABLISHED
        }
        assert {kms.port for kms in minikms_pair} <= remote_ports
        # Self-signed certificate kept in the state volume.
        assert (state_dir / "selfsigned-cert.pem").is_file()
        assert server.stop() == 0
    stopped = run_healthcheck()
    assert stopped.returncode == 1 and "unreachable" in stopped.stderr
