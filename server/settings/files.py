"""Reading configuration files: YAML (flat dotted keys) and Java ``.properties``. No validation here."""

from __future__ import annotations

from pathlib import Path

import yaml

from server.settings.errors import SettingsError


def read_config_file(path: str, prop: str) -> dict[str, object]:
    """Raw ``{dotted name: value}`` of a configuration file; ``prop`` names the setting that pointed at it."""
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(prop, path, f"a readable file ({exc.__class__.__name__}: {exc})") from None
    if file.suffix == ".properties":
        return parse_properties(text)
    return parse_yaml_mapping(text, prop, path)


def parse_yaml_mapping(text: str, prop: str, path: str) -> dict[str, object]:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SettingsError(
            prop, path, f"a YAML file with a mapping of dotted property names ({exc})"
        ) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise SettingsError(prop, path, "a YAML file with a mapping of dotted property names")
    return {str(key): value for key, value in loaded.items()}


def parse_properties(text: str) -> dict[str, object]:
    """A minimal Java properties reader: ``key=value`` or ``key: value``, ``#``/``!`` comments, ``\\`` joins."""
    result: dict[str, object] = {}
    pending = ""
    for raw_line in text.splitlines():
        line = pending + raw_line.lstrip()
        pending = ""
        if not line or line.startswith(("#", "!")):
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if cut < 0:
            key, value = line.strip(), ""
        else:
            key, value = line[:cut].strip(), line[cut + 1 :].strip()
        result[key] = value
    return result
