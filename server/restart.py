"""``POST /pro/restart``: validate the new properties, persist them, and restart the server with them.

Validation is all-or-nothing: a body with an unknown property, a value of the wrong JSON type or a value the
property does not allow is refused with a message naming it, and nothing is written. A valid body is merged
into the overrides file atomically (so it survives every later restart and a reboot), then the server closes
its sessions with ``openviduServerStopped`` and re-executes itself with the same command line, handing the
listening socket to the new image (:mod:`server.reexec`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from server.settings import PROPERTIES, PropertySpec, Settings, SettingsError
from server.settings.kinds import BoolKind, IntKind, InvalidValue, ListKind, SecondsKind, parse_value
from server.settings.loader import check_consistency, overrides_path
from server.settings.overrides import keep_previous, merge_overrides

log = logging.getLogger(__name__)

RESTARTABLE: dict[str, PropertySpec] = {spec.name: spec for spec in PROPERTIES if spec.restartable}
# Paths the server must be able to use after the restart (created when missing).
PATH_PROPERTIES = frozenset({"openvidu.recording.path", "openvidu.recording.custom-layout"})


class RestartRejected(Exception):
    """The body cannot be applied; ``message`` says which property and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _json_type_ok(spec: PropertySpec, value: object) -> bool:
    kind = spec.kind
    if isinstance(kind, BoolKind):
        return isinstance(value, bool)
    if isinstance(kind, IntKind):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(kind, SecondsKind):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(kind, ListKind):
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, str)


def _json_type_name(spec: PropertySpec) -> str:
    kind = spec.kind
    if isinstance(kind, BoolKind):
        return "a boolean"
    if isinstance(kind, IntKind):
        return "an integer"
    if isinstance(kind, SecondsKind):
        return "a number"
    if isinstance(kind, ListKind):
        return "an array of strings"
    return "a string"


def usable_folder(path: str) -> bool:
    """A folder that exists and is writable, or that could be created (nearest existing parent writable)."""
    candidate = Path(path).expanduser()
    if candidate.exists():
        return candidate.is_dir() and os.access(candidate, os.W_OK | os.X_OK)
    parent = candidate.parent
    while not parent.exists():
        if parent == parent.parent:
            return False
        parent = parent.parent
    return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)


def validate_restart(body: object, current: Settings) -> tuple[Settings, dict[str, object]]:
    """The settings after the restart and the overrides to persist; raises ``RestartRejected``."""
    if not isinstance(body, dict):
        raise RestartRejected("The body must be a JSON object of OpenVidu properties")
    changes: dict[str, object] = {}
    persisted: dict[str, object] = {}
    for name, value in body.items():
        spec = RESTARTABLE.get(name)
        if spec is None:
            allowed = ", ".join(sorted(RESTARTABLE))
            raise RestartRejected(f"Property '{name}' cannot be changed by a restart. Allowed: {allowed}")
        if isinstance(spec.kind, IntKind) and isinstance(value, float) and value.is_integer():
            value = int(value)  # 30.0 is the JSON number 30 (what a Java getAsInt would read)
        if not _json_type_ok(spec, value):
            raise RestartRejected(f"Property '{name}' must be {_json_type_name(spec)} (got {_show(value)})")
        try:
            parsed = parse_value(spec.kind, value)
        except InvalidValue as exc:
            raise RestartRejected(
                f"Property '{name}' has value {_show(value)}; allowed: {exc.allowed}"
            ) from None
        if name in PATH_PROPERTIES and not usable_folder(str(parsed)):
            raise RestartRejected(
                f"Property '{name}' has value {_show(value)}; allowed: a folder the server can write or create"
            )
        changes[spec.field] = parsed
        persisted[name] = list(parsed) if isinstance(parsed, tuple) else parsed
    new_settings = current.replace(**changes)
    try:
        check_consistency(new_settings)
    except SettingsError as exc:
        raise RestartRejected(
            f"Property '{exc.property}' has value {_show(exc.value)}; allowed: {exc.allowed}"
        ) from None
    return new_settings, persisted


def _show(value: object) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def persist_restart(current: Settings, persisted: Mapping[str, object]) -> Path:
    """Merge the new values into the overrides file (atomically), keeping the file as it was beside it for a
    rollback (``<file>.previous``); returns its path."""
    path = overrides_path(current)
    keep_previous(path)
    merge_overrides(path, persisted)
    return path


class Restarter:
    """Owns the restart request: ``request()`` is called once the 200 is on its way; ``trigger`` (installed by
    ``openvidu-server``'s main) stops the server so that main re-executes the process."""

    def __init__(self) -> None:
        self.requested = False
        self.trigger: Callable[[], None] | None = None
        self.before: list[
            Callable[[], None]
        ] = []  # run when the restart is decided (e.g. hand over children)

    @property
    def available(self) -> bool:
        return self.trigger is not None

    async def request(self) -> None:
        self.requested = True
        for hook in self.before:
            hook()
        if self.trigger is not None:
            log.warning("restarting with the new configuration")
            self.trigger()
