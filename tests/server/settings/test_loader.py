"""The loader in-process: each precedence level, the accepted spellings, and the refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import Settings, SettingsError, load_settings, write_overrides
from server.settings.loader import overrides_path, parse_command_line
from server.settings.model import PROPERTIES, PROPERTIES_BY_ENV


def test_defaults_are_the_original_ones() -> None:
    s = load_settings([], {})
    assert s == Settings()
    assert (s.server_port, s.server_ssl_enabled, s.openvidu_secret, s.openvidu_publicurl) == (
        4443,
        True,
        "MY_SECRET",
        "local",
    )
    assert s.kms_uris == ("embedded",)
    assert s.openvidu_pro_cluster is False and s.openvidu_pro_cluster_load_strategy == "streams"
    assert s.openvidu_pro_stats_monitoring_interval == 30 and s.openvidu_pro_stats_webrtc_interval == 30
    assert (
        s.openvidu_recording_autostop_timeout == 120
        and s.openvidu_recording_path == "/opt/openvidu/recordings"
    )
    assert s.openvidu_webhook_events[-1] == "recordingStatusChanged" and len(s.openvidu_webhook_events) == 7


def test_every_property_maps_to_a_field_and_back() -> None:
    fields = {spec.field for spec in PROPERTIES}
    assert fields == set(Settings.__dataclass_fields__)
    assert len({spec.env_name for spec in PROPERTIES}) == len(PROPERTIES)
    assert PROPERTIES_BY_ENV["OPENVIDU_RECORDING_PUBLIC_ACCESS"].name == "openvidu.recording.public-access"
    assert PROPERTIES_BY_ENV["KMS_URIS"].name == "kms.uris"


def _isolated(tmp_path: Path) -> dict[str, str]:
    return {"openvidu.state.path": str(tmp_path / "state")}


def test_each_level_beats_the_one_below(tmp_path: Path) -> None:
    config = tmp_path / "conf.yaml"
    config.write_text(
        "openvidu.streams.video.max-recv-bandwidth: 101\n"
        "openvidu.streams.video.min-recv-bandwidth: 102\n"
        "openvidu.streams.video.max-send-bandwidth: 103\n"
        "openvidu.streams.video.min-send-bandwidth: 104\n"
    )
    env = {
        **_isolated(tmp_path),
        "OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH": "202",
        "OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH": "203",
        "OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH": "204",
    }
    argv = [
        "--config",
        str(config),
        "--openvidu.streams.video.max-send-bandwidth=303",
        "--openvidu.streams.video.min-send-bandwidth",
        "304",
    ]
    before = load_settings(argv, env)
    write_overrides(overrides_path(before), {"openvidu.streams.video.min-send-bandwidth": 404})
    s = load_settings(argv, env)
    assert s.openvidu_streams_video_max_recv_bandwidth == 101  # file
    assert s.openvidu_streams_video_min_recv_bandwidth == 202  # env over file
    assert s.openvidu_streams_video_max_send_bandwidth == 303  # flag over env
    assert s.openvidu_streams_video_min_send_bandwidth == 404  # overrides over flag
    assert s.openvidu_secret == "MY_SECRET"  # default


def test_dotted_env_name_beats_upper_snake(tmp_path: Path) -> None:
    env = {**_isolated(tmp_path), "OPENVIDU_SECRET": "snake", "openvidu.secret": "dotted"}
    assert load_settings([], env).openvidu_secret == "dotted"


def test_properties_file_via_spring_location(tmp_path: Path) -> None:
    props = tmp_path / "application.properties"
    props.write_text(
        '# comment\nopenvidu.secret=from-props\nkms.uris=["ws://k1:8888/kurento","ws://k2:8888/kurento"]\nopenvidu.cdr: true\n'
    )
    s = load_settings([], {**_isolated(tmp_path), "SPRING_CONFIG_ADDITIONAL_LOCATION": str(props)})
    assert s.openvidu_secret == "from-props"
    assert s.kms_uris == ("ws://k1:8888/kurento", "ws://k2:8888/kurento")
    assert s.openvidu_cdr is True


def test_2_12_alias_of_load_strategy(tmp_path: Path) -> None:
    s = load_settings(["--openvidu.pro.cluster.load-strategy=sessions"], _isolated(tmp_path))
    assert s.openvidu_pro_cluster_load_strategy == "sessions"


def test_empty_kms_list_is_allowed(tmp_path: Path) -> None:
    assert load_settings(["--kms.uris=[]"], _isolated(tmp_path)).kms_uris == ()


def test_overrides_path_default_and_explicit(tmp_path: Path) -> None:
    s = load_settings([], _isolated(tmp_path))
    assert overrides_path(s) == tmp_path / "state" / "overrides.yaml"
    s = load_settings([f"--openvidu.overrides.path={tmp_path / 'o.yaml'}"], _isolated(tmp_path))
    assert overrides_path(s) == tmp_path / "o.yaml"


@pytest.mark.parametrize(
    ("argv", "env", "prop", "allowed"),
    [
        (["--server.port=abc"], {}, "server.port", "integer from 1 to 65535"),
        ([], {"SERVER_PORT": "0"}, "server.port", "integer from 1 to 65535"),
        (["--kms.uris=[http://x:1/kurento]"], {}, "kms.uris", "ws://"),
        (
            ["--openvidu.pro.cluster.load.strategy=random"],
            {},
            "openvidu.pro.cluster.load.strategy",
            "one of streams",
        ),
        (
            ["--openvidu.recording.notification=everyone"],
            {},
            "openvidu.recording.notification",
            "publisher_moderator",
        ),
        (["--openvidu.recording.autostop-timeout=-1"], {}, "openvidu.recording.autostop-timeout", "from 0 to 86400"),
        (["--kms.reconnect-window=0"], {}, "kms.reconnect-window", "> 0"),
        (["--openvidu.webhook=true"], {}, "openvidu.webhook.endpoint", "when openvidu.webhook is true"),
        (['--openvidu.webhook.events=["nope"]'], {}, "openvidu.webhook.events", "sessionCreated"),
        (["--server.ssl.certificate=/nonexistent.pem"], {}, "server.ssl.key", "go together"),
        (["--server.ssl.key-store=/x.jks"], {}, "server.ssl.key-store", "PEM"),
        (["--openvidu.secret="], {}, "openvidu.secret", "non-empty"),
        (["--logging.level.root=verbose"], {}, "logging.level.root", "one of trace"),
        (["--openvidu.nothing=1"], {}, "openvidu.nothing", "a property listed"),
        ([], {"OPENVIDU_NOTHING": "1"}, "OPENVIDU_NOTHING", "a property listed"),
        (["positional"], {}, "positional", "--config FILE"),
        (["--server.port"], {}, "server.port", "a value after the flag"),
        (["--config=/nonexistent/conf.yaml"], {}, "--config", "a readable file"),
    ],
)
def test_invalid_values(
    tmp_path: Path, argv: list[str], env: dict[str, str], prop: str, allowed: str
) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(argv, {**_isolated(tmp_path), **env})
    assert info.value.property == prop
    assert allowed in info.value.allowed
    assert prop in info.value.message


def test_errors_in_files_name_the_file(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("server.port: '99999'\n")
    with pytest.raises(SettingsError) as info:
        load_settings(["--config", str(config)], _isolated(tmp_path))
    assert info.value.property == "server.port" and str(config) in info.value.source
    config.write_text("openvidu.unknown: 1\n")
    with pytest.raises(SettingsError, match=r"openvidu\.unknown"):
        load_settings(["--config", str(config)], _isolated(tmp_path))
    config.write_text("- just\n- a list\n")
    with pytest.raises(SettingsError, match="--config"):
        load_settings(["--config", str(config)], _isolated(tmp_path))


def test_bad_overrides_file_is_an_error(tmp_path: Path) -> None:
    s = load_settings([], _isolated(tmp_path))
    write_overrides(overrides_path(s), {"openvidu.cdr": "perhaps"})
    with pytest.raises(SettingsError) as info:
        load_settings([], _isolated(tmp_path))
    assert info.value.property == "openvidu.cdr" and "overrides file" in info.value.source


def test_control_env_is_not_a_property(tmp_path: Path) -> None:
    assert load_settings([], {**_isolated(tmp_path), "OPENVIDU_LISTEN_FD": "3"}).server_port == 4443


def test_parse_command_line_forms() -> None:
    cl = parse_command_line(["--config", "a.yaml", "--server.port=1", "--openvidu.secret", "x=y"])
    assert cl.config_file == "a.yaml"
    assert cl.properties == {"server.port": "1", "openvidu.secret": "x=y"}
