"""The overrides file: the highest-precedence settings, written by ``POST /pro/restart``.

A flat YAML mapping ``{dotted.name: value}``. Writes are atomic (temporary file in the same folder, fsync,
rename, fsync of the folder) so a crash never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from server.settings.errors import SettingsError

OVERRIDES_PROPERTY = "openvidu.overrides.path"
PREVIOUS_SUFFIX = ".previous"
"""``<overrides file>.previous``: the file as it was before the last ``POST /pro/restart`` changed it."""


def read_overrides(path: Path) -> dict[str, object]:
    """The overrides mapping, or ``{}`` when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(OVERRIDES_PROPERTY, str(path), f"a readable YAML file ({exc})") from None
    try:
        loaded = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise SettingsError(
            OVERRIDES_PROPERTY, str(path), f"a YAML mapping of dotted property names ({exc})"
        ) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise SettingsError(OVERRIDES_PROPERTY, str(path), "a YAML mapping of dotted property names")
    return {str(key): value for key, value in loaded.items()}


def write_overrides(path: Path, mapping: Mapping[str, object]) -> None:
    """Replace the overrides file with ``mapping`` atomically (values must be YAML-native)."""
    _write_atomically(path, yaml.safe_dump(dict(mapping), default_flow_style=False, sort_keys=True))


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as tmp:
            tmp.write(text)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def merge_overrides(path: Path, mapping: Mapping[str, object]) -> dict[str, object]:
    """Add ``mapping`` to what the file already holds, write it, and return the merged content."""
    merged = read_overrides(path)
    merged.update(mapping)
    write_overrides(path, merged)
    return merged


def previous_path(path: Path) -> Path:
    return path.with_name(path.name + PREVIOUS_SUFFIX)


def keep_previous(path: Path) -> None:
    """Save the overrides file as it is now beside it (an empty mapping if there is none yet), atomically, so
    a restart whose new values cannot start can go back to it (:func:`restore_previous`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = "{}\n"
    _write_atomically(previous_path(path), text)


def restore_previous(path: Path) -> bool:
    """Put the saved previous overrides file back in place; False when there is none."""
    previous = previous_path(path)
    try:
        os.replace(previous, path)
    except FileNotFoundError:
        return False
    return True


def remove_stale_temps(path: Path) -> list[Path]:
    """Delete temporary files a crash in the middle of a write left beside the overrides file."""
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
                removed.append(stale)
    return removed
