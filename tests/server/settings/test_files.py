"""Configuration file readers: Java .properties and flat YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import SettingsError
from server.settings.files import parse_properties, read_config_file


def test_properties_syntax() -> None:
    text = (
        "# comment\n"
        "! another comment\n"
        "\n"
        "openvidu.secret = spaced value \n"
        "openvidu.cdr:true\n"
        'kms.uris=["ws://a:8888/kurento",\\\n'
        '  "ws://b:8888/kurento"]\n'
        "openvidu.publicurl=https://host:4443/path=x\n"
        "lonely.key\n"
    )
    assert parse_properties(text) == {
        "openvidu.secret": "spaced value",
        "openvidu.cdr": "true",
        "kms.uris": '["ws://a:8888/kurento","ws://b:8888/kurento"]',
        "openvidu.publicurl": "https://host:4443/path=x",
        "lonely.key": "",
    }


def test_yaml_and_properties_by_suffix(tmp_path: Path) -> None:
    yaml_file = tmp_path / "a.yaml"
    yaml_file.write_text("server.port: 5443\nkms.uris: [embedded]\n")
    assert read_config_file(str(yaml_file), "--config") == {"server.port": 5443, "kms.uris": ["embedded"]}
    props = tmp_path / "a.properties"
    props.write_text("server.port=5443\n")
    assert read_config_file(str(props), "--config") == {"server.port": "5443"}
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert read_config_file(str(empty), "--config") == {}


def test_unreadable_and_malformed(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        read_config_file(str(tmp_path / "missing.yaml"), "spring.config.additional-location")
    assert info.value.property == "spring.config.additional-location"
    bad = tmp_path / "bad.yaml"
    bad.write_text("key: [unclosed\n")
    with pytest.raises(SettingsError, match="YAML"):
        read_config_file(str(bad), "--config")
