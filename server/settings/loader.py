"""Load the settings once, from lowest to highest precedence:

1. built-in defaults (``Settings``);
2. a configuration file: ``--config FILE`` or ``spring.config.additional-location`` (YAML or ``.properties``);
3. environment variables: OpenVidu's UPPER_SNAKE names (``OPENVIDU_SECRET``) or the exact dotted name;
4. command-line flags with the dotted names (``--openvidu.secret=X`` or ``--openvidu.secret X``);
5. the overrides file written by ``POST /pro/restart`` (``openvidu.overrides.path``).

Every value is parsed and validated where it is read, so an error names its source. Unknown properties are
errors in files and flags, and in environment variables that start with ``OPENVIDU_`` (except the control
variables of this server, ``CONTROL_ENV``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from server.settings.errors import SettingsError
from server.settings.files import read_config_file
from server.settings.kinds import InvalidValue, parse_value
from server.settings.model import (
    OVERRIDES_FILE_NAME,
    PROPERTIES_BY_ENV,
    PROPERTIES_BY_NAME,
    PropertySpec,
    Settings,
)
from server.settings.overrides import read_overrides

CONFIG_FLAG = "--config"
CONTROL_ENV: frozenset[str] = frozenset(
    {"OPENVIDU_LISTEN_FD", "OPENVIDU_RESTART_COUNT", "OPENVIDU_EMBEDDED_KMS", "OPENVIDU_RESTART_ROLLBACK"}
)
# Names of the same property in other OpenVidu versions.
ALIASES: dict[str, str] = {"openvidu.pro.cluster.load-strategy": "openvidu.pro.cluster.load.strategy"}
KNOWN_PROPERTIES = "a property listed in config/openvidu.yaml"


@dataclass
class _Layer:
    """Parsed values of one precedence level, with where each came from."""

    values: dict[str, object] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def put(self, spec: PropertySpec, raw: object, source: str) -> None:
        try:
            value = parse_value(spec.kind, raw)
        except InvalidValue as exc:
            raise SettingsError(spec.name, raw, exc.allowed, source) from None
        self.values[spec.field] = value
        self.sources[spec.field] = source


@dataclass(frozen=True)
class CommandLine:
    config_file: str | None
    properties: dict[str, str]


def lookup(name: str) -> PropertySpec | None:
    return PROPERTIES_BY_NAME.get(ALIASES.get(name, name))


def parse_command_line(argv: Sequence[str]) -> CommandLine:
    """``--config FILE`` and ``--<dotted.name>=value`` / ``--<dotted.name> value``; anything else is an error."""
    config_file: str | None = None
    props: dict[str, str] = {}
    index = 0
    while index < len(argv):
        arg = argv[index]
        index += 1
        if not arg.startswith("--") or len(arg) == 2:
            raise SettingsError(arg, arg, "--config FILE or --<property>=<value>", "command line")
        name, eq, value = arg[2:].partition("=")
        if not eq:
            if index >= len(argv):
                raise SettingsError(name, None, "a value after the flag", "command line")
            value = argv[index]
            index += 1
        if name == CONFIG_FLAG[2:]:
            config_file = value
            continue
        if lookup(name) is None:
            raise SettingsError(name, value, KNOWN_PROPERTIES, "command line")
        props[name] = value
    return CommandLine(config_file, props)


def _file_layer(path: str, prop: str) -> _Layer:
    layer = _Layer()
    for name, raw in read_config_file(path, prop).items():
        spec = lookup(name)
        source = f"file {path}"
        if spec is None:
            raise SettingsError(name, raw, KNOWN_PROPERTIES, source)
        layer.put(spec, raw, source)
    return layer


def _env_layer(environ: Mapping[str, str]) -> _Layer:
    layer = _Layer()
    dotted: list[tuple[PropertySpec, str, str]] = []
    for key, raw in environ.items():
        spec = PROPERTIES_BY_ENV.get(key)
        if spec is not None:
            layer.put(spec, raw, f"environment variable {key}")
            continue
        spec = lookup(key)
        if spec is not None:
            dotted.append((spec, key, raw))
        elif key.startswith("OPENVIDU_") and key not in CONTROL_ENV:
            raise SettingsError(key, raw, KNOWN_PROPERTIES, f"environment variable {key}")
    # The exact dotted name wins over the relaxed UPPER_SNAKE one (Spring's order).
    for spec, key, raw in dotted:
        layer.put(spec, raw, f"environment variable {key}")
    return layer


def _cli_layer(command_line: CommandLine) -> _Layer:
    layer = _Layer()
    for name, raw in command_line.properties.items():
        spec = lookup(name)
        assert spec is not None
        layer.put(spec, raw, f"flag --{name}")
    return layer


def _merged(*layers: _Layer) -> dict[str, object]:
    values: dict[str, object] = {}
    for layer in layers:
        values.update(layer.values)
    return values


def overrides_path(settings: Settings) -> Path:
    """Where ``/pro/restart`` persists values: the explicit setting, else ``<state path>/overrides.yaml``."""
    if settings.openvidu_overrides_path:
        return Path(settings.openvidu_overrides_path).expanduser()
    return state_path(settings) / OVERRIDES_FILE_NAME


def state_path(settings: Settings) -> Path:
    """The state folder (self-signed certificate, overrides file), ``~`` expanded."""
    return Path(settings.openvidu_state_path).expanduser()


def load_settings(
    argv: Sequence[str], environ: Mapping[str, str] | None = None, notes: list[str] | None = None
) -> Settings:
    """Build the settings from every source (see the module docstring); raises :class:`SettingsError`.
    ``notes`` receives one line per property whose command-line, environment or file value the overrides
    file of ``POST /pro/restart`` overrides (the operator would otherwise not know why a flag has no effect)."""
    env = os.environ if environ is None else environ
    command_line = parse_command_line(argv)
    env_layer = _env_layer(env)
    cli_layer = _cli_layer(command_line)

    config_layer = _Layer()
    spring_field = "spring_config_additional_location"
    spring_location = _merged(env_layer, cli_layer).get(spring_field)
    if isinstance(spring_location, str) and spring_location:
        config_layer = _file_layer(spring_location, "spring.config.additional-location")
    if command_line.config_file is not None:
        file_layer = _file_layer(command_line.config_file, "--config")
        file_layer.values.update(config_layer.values)
        file_layer.sources.update(config_layer.sources)
        config_layer = file_layer

    base = Settings().replace(**_merged(config_layer, env_layer, cli_layer))
    overrides_layer = _Layer()
    path = overrides_path(base)
    for name, raw in read_overrides(path).items():
        spec = lookup(name)
        source = f"overrides file {path}"
        if spec is None:
            raise SettingsError(name, raw, KNOWN_PROPERTIES, source)
        overrides_layer.put(spec, raw, source)
    settings = base.replace(**overrides_layer.values)
    check_consistency(settings)
    if notes is not None:
        lower = (cli_layer, env_layer, config_layer)
        for field_name in overrides_layer.values:
            lower_source = next(
                (layer.sources[field_name] for layer in lower if field_name in layer.sources), None
            )
            if lower_source is not None:
                where = overrides_layer.sources[field_name]
                notes.append(
                    f"property '{_property_name(field_name)}' of {lower_source} is overridden by the {where} "
                    "(written by POST /pro/restart; remove it there to use the other value)"
                )
    return settings


def _property_name(field_name: str) -> str:
    return next(spec.name for spec in PROPERTIES_BY_NAME.values() if spec.field == field_name)


def check_consistency(settings: Settings) -> None:
    """Rules that involve several properties or the filesystem."""
    if settings.openvidu_webhook and not settings.openvidu_webhook_endpoint:
        raise SettingsError(
            "openvidu.webhook.endpoint", "", "a http:// or https:// URL when openvidu.webhook is true"
        )
    cert, key = settings.server_ssl_certificate, settings.server_ssl_key
    if bool(cert) != bool(key):
        missing = "server.ssl.key" if cert else "server.ssl.certificate"
        raise SettingsError(
            missing, "", "a PEM file path: server.ssl.certificate and server.ssl.key go together"
        )
    for prop, path in (("server.ssl.certificate", cert), ("server.ssl.key", key)):
        if path and not os.access(path, os.R_OK):
            raise SettingsError(prop, path, "a readable PEM file")
