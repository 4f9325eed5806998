"""The overrides file: atomic writes, merge, and reading back."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import SettingsError, read_overrides, write_overrides
from server.settings.overrides import merge_overrides


def test_missing_file_is_empty(tmp_path: Path) -> None:
    assert read_overrides(tmp_path / "none.yaml") == {}


def test_write_then_read_and_merge(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "overrides.yaml"
    write_overrides(
        path, {"openvidu.secret": "new", "openvidu.webhook.events": ["sessionCreated"], "openvidu.cdr": True}
    )
    assert read_overrides(path) == {
        "openvidu.secret": "new",
        "openvidu.webhook.events": ["sessionCreated"],
        "openvidu.cdr": True,
    }
    merged = merge_overrides(path, {"openvidu.cdr": False, "openvidu.recording.autostop-timeout": 30})
    assert merged == read_overrides(path)
    assert merged["openvidu.cdr"] is False and merged["openvidu.secret"] == "new"
    assert [p.name for p in path.parent.iterdir()] == ["overrides.yaml"]  # no temporary file left behind


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    write_overrides(path, {"openvidu.secret": "old"})
    with pytest.raises(Exception):  # noqa: B017 - yaml refuses the object; which error type is yaml's business
        write_overrides(path, {"openvidu.secret": object()})
    assert read_overrides(path) == {"openvidu.secret": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["overrides.yaml"]


def test_garbage_file_is_a_settings_error(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text("[unclosed")
    with pytest.raises(SettingsError, match=r"openvidu\.overrides\.path"):
        read_overrides(path)
