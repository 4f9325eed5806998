"""config/openvidu.yaml documents every property and its real default."""

from __future__ import annotations

from pathlib import Path

import yaml

from server.settings import Settings, load_settings
from server.settings.document import render
from server.settings.model import PROPERTIES

CONFIG = Path(__file__).resolve().parents[3] / "config" / "openvidu.yaml"


def test_committed_file_is_current() -> None:
    assert CONFIG.read_text() == render(), (
        "regenerate: python -m server.settings.document > config/openvidu.yaml"
    )


def test_every_property_is_documented() -> None:
    keys = set(yaml.safe_load(CONFIG.read_text()))
    assert keys == {spec.name for spec in PROPERTIES}


def test_loading_the_documented_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_settings(["--config", str(CONFIG)], {}) == Settings()
