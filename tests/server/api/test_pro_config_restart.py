"""GET /pro/config and POST /pro/restart against a real server process (seed: pro-rest-api-2.10.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.restart import RESTART_TIMEOUT, get_config, restart, wait_restarted
from tests.support.server import ServerProcess

SEED_AUTHORIZATION = "Basic T1BFTlZJRFVBUFA6TVlfU0VDUkVU"  # the seed's header for secret MY_SECRET

# The seed's sample return of GET /pro/config (2.10 page): its keys and JSON types.
SEED_CONFIG_SAMPLE: dict[str, Any] = {
    "version": "2.10.0",
    "openviduPublicurl": "https://localhost:4443/",
    "openviduCdr": False,
    "maxRecvBandwidth": 1000,
    "minRecvBandwidth": 300,
    "maxSendBandwidth": 1000,
    "minSendBandwidth": 300,
    "openviduRecording": True,
    "openviduRecordingVersion": "2.9.0",
    "openviduRecordingPath": "/opt/openvidu/recordings/",
    "openviduRecordingPublicAccess": False,
    "openviduRecordingNotification": "publisher_moderator",
    "openviduRecordingCustomLayout": "/opt/openvidu/custom-layout/",
    "openviduRecordingAutostopTimeout": 120,
    "openviduWebhook": True,
    "openviduWebhookEndpoint": "http://localhost:7777/webhook/",
    "openviduWebhookHeaders": ["Authorization: Basic YWJjZDphYmNk"],
    "openviduWebhookEvents": ["recordingStatusChanged"],
    "openviduServerDependencyVersion": "2.10.0",
    "openviduProStatsMonitoringInterval": 30,
    "openviduProStatsWebrtcInterval": 30,
    "openviduProCluster": False,
    "openviduProClusterLoadStrategy": "streams",
    "kmsUris": ["ws://localhost:8888/kurento"],
}

# The seed's restart body (its markdown escapes \" and \  removed).
SEED_RESTART_BODY: dict[str, Any] = {
    "openvidu.secret": "MY_SECRET",
    "openvidu.cdr": True,
    "openvidu.recording": True,
    "openvidu.recording.public-access": True,
    "openvidu.recording.notification": "publisher_moderator",
    "openvidu.recording.path": "/opt/openvidu/recordings",
    "openvidu.recording.custom-layout": "/opt/openvidu/custom-layout",
    "openvidu.recording.autostop-timeout": 120,
    "openvidu.webhook": True,
    "openvidu.webhook.endpoint": "http://localhost:7777/webhook/",
    "openvidu.webhook.headers": ["Authorization: Basic T1BFTlZJRFVBUFA6TVlfU0VDUkVU"],
    "openvidu.webhook.events": ["recordingStatusChanged"],
    "openvidu.streams.video.max-recv-bandwidth": 1000,
    "openvidu.streams.video.min-recv-bandwidth": 300,
    "openvidu.streams.video.max-send-bandwidth": 1000,
    "openvidu.streams.video.min-send-bandwidth": 300,
    "openvidu.pro.stats.monitoring-interval": 30,
    "openvidu.pro.stats.webrtc-interval": 20,
}



def json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array<" + ",".join(sorted({json_type(v) for v in value})) + ">"
    return type(value).__name__


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    overrides = {
        "openvidu.recording": True,
        "openvidu.recording.path": str(tmp_path / "recordings"),
        "openvidu.recording.custom-layout": str(tmp_path / "layouts"),
        "openvidu.webhook": True,
        "openvidu.webhook.endpoint": "http://127.0.0.1:9/webhook/",
        "openvidu.webhook.headers": ["Authorization: Basic YWJjZDphYmNk"],
        "openvidu.webhook.events": ["recordingStatusChanged"],
        "openvidu.pro.stats.monitoring-interval": 0,
        "openvidu.pro.stats.webrtc-interval": 0,
        "openvidu.cdr.path": str(tmp_path / "cdr"),
    }
    (tmp_path / "state").mkdir()
    with ServerProcess(overrides, state_dir=tmp_path / "state") as srv:
        yield srv


def test_pro_config_has_the_seed_keys_and_types(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, verify=False) as client:
        response = client.get("/pro/config", headers={"Authorization": SEED_AUTHORIZATION})
        assert response.status_code == 200
        assert client.get("/pro/config").status_code == 401
        assert client.get("/pro/config", headers={"Authorization": "Basic eDp5"}).status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    config = response.json()
    assert set(config) == set(SEED_CONFIG_SAMPLE)
    for key, sample in SEED_CONFIG_SAMPLE.items():
        if key == "kmsUris":
            assert config[key] == [], key  # this server was started with no media server
            continue
        assert json_type(config[key]) == json_type(sample), key
    # live values
    assert config["openviduPublicurl"] == f"https://localhost:{server.port}/"
    assert config["openviduWebhookEndpoint"] == "http://127.0.0.1:9/webhook/"
    assert config["openviduRecordingPath"].endswith("/recordings/")
    assert config["openviduProStatsWebrtcInterval"] == 0
    assert config["openviduProCluster"] is False


def test_seed_restart_body_is_applied_and_persisted(server: ServerProcess, tmp_path: Path) -> None:
    before = time.monotonic()
    response = restart(server, SEED_RESTART_BODY)
    assert response.status_code == 200, response.text
    config = wait_restarted(server, "MY_SECRET", before)
    assert config["openviduCdr"] is True
    assert config["openviduRecordingPublicAccess"] is True
    assert config["openviduRecordingPath"] == "/opt/openvidu/recordings/"
    assert config["openviduWebhookEndpoint"] == "http://localhost:7777/webhook/"
    assert config["openviduWebhookHeaders"] == ["Authorization: Basic T1BFTlZJRFVBUFA6TVlfU0VDUkVU"]
    assert config["openviduProStatsWebrtcInterval"] == 20
    overrides = yaml.safe_load((tmp_path / "state" / "overrides.yaml").read_text())
    assert overrides == SEED_RESTART_BODY


# The earlier seed (pro-rest-api-2.9.txt): its restart body, without the webhook properties of 2.11.
SEED_29_RESTART_BODY: dict[str, Any] = {
    key: value for key, value in SEED_RESTART_BODY.items() if not key.startswith("openvidu.webhook")
}


def test_seed_29_restart_body_is_applied(server: ServerProcess) -> None:
    assert restart(server, SEED_29_RESTART_BODY).status_code == 200
    config = wait_restarted(server, "MY_SECRET", time.monotonic())
    assert config["openviduRecordingPublicAccess"] is True
    assert config["openviduProStatsWebrtcInterval"] == 20
    # not in the body: keeps its value
    assert config["openviduWebhookEndpoint"] == "http://127.0.0.1:9/webhook/"


def test_two_restarts_accumulate_and_survive(server: ServerProcess, tmp_path: Path) -> None:
    first = {
        "openvidu.secret": "SECOND_SECRET",
        "openvidu.streams.video.max-send-bandwidth": 777,
        "openvidu.pro.stats.monitoring-interval": 7,
        "openvidu.pro.stats.webrtc-interval": 9,
    }
    assert restart(server, first).status_code == 200
    config = wait_restarted(server, "SECOND_SECRET", time.monotonic())
    assert config["maxSendBandwidth"] == 777
    assert config["openviduProStatsMonitoringInterval"] == 7
    assert config["openviduProStatsWebrtcInterval"] == 9
    assert get_config(server, "MY_SECRET").status_code == 401  # the old secret is gone

    server.overrides["openvidu.secret"] = "SECOND_SECRET"
    marker = server.log_text().count("restarting with the new configuration")
    assert (
        restart(server, {"openvidu.cdr": True, "openvidu.streams.video.min-recv-bandwidth": 0}).status_code
        == 200
    )
    deadline = time.monotonic() + RESTART_TIMEOUT
    while server.log_text().count("restarting with the new configuration") == marker:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    config = wait_restarted(server, "SECOND_SECRET", time.monotonic())
    assert config["openviduCdr"] is True
    assert config["minRecvBandwidth"] == 0
    # what the first restart set is still there
    assert config["maxSendBandwidth"] == 777
    assert config["openviduProStatsMonitoringInterval"] == 7

    # and a cold start of the same command line (a reboot) reads the same values back
    assert server.stop() == 0
    server.start()
    config = get_config(server, "SECOND_SECRET").json()
    assert (config["maxSendBandwidth"], config["openviduCdr"], config["openviduProStatsWebrtcInterval"]) == (
        777,
        True,
        9,
    )


BAD_BODIES: list[tuple[Any, str]] = [
    ({"openvidu.unknown": 1}, "openvidu.unknown"),
    ({"server.port": 5443}, "server.port"),
    ({"openvidu.cdr": "true"}, "openvidu.cdr"),
    ({"openvidu.secret": 42}, "openvidu.secret"),
    ({"openvidu.recording.notification": "everyone"}, "openvidu.recording.notification"),
    ({"openvidu.webhook": True, "openvidu.webhook.endpoint": ""}, "openvidu.webhook.endpoint"),
    ({"openvidu.webhook.endpoint": "not a url"}, "openvidu.webhook.endpoint"),
    ({"openvidu.webhook.headers": ["NoColonHere"]}, "openvidu.webhook.headers"),
    ({"openvidu.webhook.headers": "Authorization: x"}, "openvidu.webhook.headers"),
    ({"openvidu.webhook.events": ["sessionCreated", "bogusEvent"]}, "openvidu.webhook.events"),
    ({"openvidu.pro.stats.monitoring-interval": -1}, "openvidu.pro.stats.monitoring-interval"),
    ({"openvidu.pro.stats.webrtc-interval": 1.5}, "openvidu.pro.stats.webrtc-interval"),
    ({"openvidu.streams.video.max-recv-bandwidth": -300}, "openvidu.streams.video.max-recv-bandwidth"),
    ({"openvidu.recording.autostop-timeout": -5}, "openvidu.recording.autostop-timeout"),
    ({"openvidu.recording.path": "/proc/version/recordings"}, "openvidu.recording.path"),
    ({"openvidu.cdr": True, "openvidu.bogus": True}, "openvidu.bogus"),
]


@pytest.mark.parametrize(("body", "named"), BAD_BODIES, ids=[b[1] for b in BAD_BODIES])
def test_bad_restart_bodies_are_refused_and_change_nothing(
    server: ServerProcess, tmp_path: Path, body: Any, named: str
) -> None:
    before = get_config(server).json()
    response = restart(server, body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["status"] == 400 and error["path"] == "/pro/restart"
    assert named in error["message"]
    assert not (tmp_path / "state" / "overrides.yaml").exists()
    time.sleep(0.3)
    assert "restarting" not in server.log_text()
    assert get_config(server).json() == before


def test_restart_body_must_be_an_object(server: ServerProcess) -> None:
    with server.client() as client:
        assert (
            client.post(
                "/pro/restart", content=b"[1,2]", headers={"content-type": "application/json"}
            ).status_code
            == 400
        )
        assert (
            client.post(
                "/pro/restart", content=b"{not json", headers={"content-type": "application/json"}
            ).status_code
            == 400
        )
        assert client.post("/pro/restart").status_code == 400
