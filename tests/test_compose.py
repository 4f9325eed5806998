"""docker-compose.yml: its structure, and the server started with the compose environment and command.

Docker cannot run here. The test takes the server service's environment and command from the compose file,
maps container paths to temporary folders (and ``./`` bind mounts to the repository), replaces the Kurento
containers with real minikms processes, and starts the real server with exactly that configuration.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from tests.support.procs import LOOPBACK, REPO_ROOT, MinikmsProcess, free_port
from tests.support.server import ServerProcess

COMPOSE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
SERVER_SERVICE = "openvidu-server"
KMS_IMAGE_RE = re.compile(r"^kurento/kurento-media-server:7\.\d+\.\d+$")
INTERPOLATION_RE = re.compile(r"\$\{([A-Z0-9_]+)(?::-([^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose variable substitution with an empty shell environment: ``${X:-default}`` -> default."""
    return INTERPOLATION_RE.sub(lambda m: m.group(2) or "", value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def kms_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: svc
        for name, svc in compose["services"].items()
        if str(svc.get("image", "")).startswith("kurento/kurento-media-server")
    }


def test_kurento_cluster_of_two_pinned_7x(compose: dict[str, Any]) -> None:
    kms = kms_services(compose)
    assert len(kms) == 2
    ranges = []
    for svc in kms.values():
        assert KMS_IMAGE_RE.match(svc["image"]), svc["image"]
        env = svc["environment"]
        low, high = int(env["KMS_MIN_PORT"]), int(env["KMS_MAX_PORT"])
        assert 1024 < low < high <= 65535
        # The RTP range is published 1:1 on the host (UDP), so ICE candidates are reachable.
        assert f"{low}-{high}:{low}-{high}/udp" in svc["ports"]
        assert "KMS_EXTERNAL_IPV4" in env
        ranges.append(range(low, high + 1))
    assert not set(ranges[0]) & set(ranges[1]), "the two KMS must not share RTP ports"


def test_server_service_points_at_the_kurento_containers(compose: dict[str, Any]) -> None:
    server = compose["services"][SERVER_SERVICE]
    env = {key: interpolate(str(value)) for key, value in server["environment"].items()}
    uris = json.loads(env["KMS_URIS"])
    assert uris == [f"ws://{name}:8888/kurento" for name in kms_services(compose)]
    assert set(server["depends_on"]) == set(kms_services(compose))
    assert env["OPENVIDU_PRO_CLUSTER"] == "true"
    assert "4443:4443" in server["ports"] and env["SERVER_PORT"] == "4443"
    targets = {str(v).split(":")[1] for v in server["volumes"]}
    assert {env["OPENVIDU_STATE_PATH"], env["OPENVIDU_RECORDING_PATH"], env["OPENVIDU_CDR_PATH"]} <= targets
    assert Path(env["OPENVIDU_OVERRIDES_PATH"]).parent == Path(env["OPENVIDU_STATE_PATH"])
    # Recordings written by Kurento (INDIVIDUAL) land in the folder the server serves.
    recordings = next(v for v in server["volumes"] if str(v).split(":")[1] == env["OPENVIDU_RECORDING_PATH"])
    for svc in kms_services(compose).values():
        assert recordings in svc["volumes"]


def test_dockerfile_installs_the_distribution() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    assert "pip install ." in text
    assert re.search(r'^ENTRYPOINT \["openvidu-server"\]', text, re.M)
    assert "EXPOSE 4443" in text


def _map_volumes(server: dict[str, Any], scratch: Path) -> dict[str, str]:
    """Container path -> host path: ``./`` files from the repository, folders and named volumes in ``scratch``."""
    mapping: dict[str, str] = {}
    for index, volume in enumerate(server["volumes"]):
        source, target = str(volume).split(":")[:2]
        repo_path = REPO_ROOT / source
        if source.startswith("./") and repo_path.is_file():
            mapping[target] = str(repo_path)
        else:
            folder = scratch / f"volume{index}"
            folder.mkdir()
            mapping[target] = str(folder)
    return mapping


def _apply(mapping: dict[str, str], value: str) -> str:
    for target in sorted(mapping, key=len, reverse=True):
        if value == target or value.startswith(target + "/"):
            return mapping[target] + value[len(target) :]
    return value


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


def test_server_runs_with_the_compose_configuration(
    compose: dict[str, Any], minikms_pair: list[MinikmsProcess]
) -> None:
    server_svc = compose["services"][SERVER_SERVICE]
    with tempfile.TemporaryDirectory(prefix="ov-compose-") as tmp:
        scratch = Path(tmp)
        mapping = _map_volumes(server_svc, scratch)
        env = {
            key: _apply(mapping, interpolate(str(value))) for key, value in server_svc["environment"].items()
        }
        # Stand-ins: the Kurento containers become minikms processes, the host becomes loopback.
        names = list(kms_services(compose))
        uris = json.loads(env["KMS_URIS"])
        env["KMS_URIS"] = json.dumps(
            [
                uri.replace(f"{name}:8888", f"{LOOPBACK}:{kms.port}")
                for uri, name, kms in zip(uris, names, minikms_pair, strict=True)
            ]
        )
        port = free_port()
        env["SERVER_ADDRESS"] = LOOPBACK
        env["SERVER_PORT"] = str(port)
        command = [_apply(mapping, str(arg)) for arg in server_svc["command"]]
        state_dir = Path(env["OPENVIDU_STATE_PATH"])

        server = ServerProcess({}, env, port=port, state_dir=state_dir)
        server.command = lambda: [sys.executable, "-m", "server", *command]  # type: ignore[method-assign]
        with server:
            with server.client() as api:
                assert server.secret == "MY_SECRET"
                config = api.get("/config")
                assert config.status_code == 200
                assert config.json()["openviduPublicurl"] == "local"
                sid = api.post("/api/sessions").json()["id"]
                token = api.post("/api/tokens", json={"session": sid}).json()["token"]
                assert token.startswith(f"wss://localhost:{port}?sessionId={sid}&token=")
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
