"""Configuration: the typed ``Settings`` object, its property table and the loader."""

from server.settings.errors import SettingsError
from server.settings.loader import load_settings, overrides_path
from server.settings.model import PROPERTIES, PROPERTIES_BY_NAME, PropertySpec, Settings
from server.settings.overrides import read_overrides, write_overrides

__all__ = [
    "PROPERTIES",
    "PROPERTIES_BY_NAME",
    "PropertySpec",
    "Settings",
    "SettingsError",
    "load_settings",
    "overrides_path",
    "read_overrides",
    "write_overrides",
]
