"""The typed settings object and the table of every configuration property.

``Settings`` (``server.settings.fields``) holds one field per property with the original OpenVidu 2.10/2.11
default (extensions of this server have their own defaults). ``PROPERTIES`` maps each dotted property name to its
field, its kind (type + validation) and its documentation, in the order ``config/openvidu.yaml`` lists them: the
rows of ``table_core`` then ``table_services``. Everything stays importable from here.
"""

from __future__ import annotations

from server.settings.fields import (
    CDR_EVENT_NAMES,
    DEFAULT_STATE_PATH,
    DEFAULT_WEBHOOK_EVENTS,
    LOAD_STRATEGIES,
    LOG_LEVELS,
    OVERRIDES_FILE_NAME,
    RECORDING_NOTIFICATIONS,
    WEBHOOK_EVENT_NAMES_232,
    PropertySpec,
    Settings,
)
from server.settings.table_core import CORE_PROPERTIES
from server.settings.table_services import SERVICE_PROPERTIES

__all__ = [
    "CDR_EVENT_NAMES",
    "DEFAULT_STATE_PATH",
    "DEFAULT_WEBHOOK_EVENTS",
    "LOAD_STRATEGIES",
    "LOG_LEVELS",
    "OVERRIDES_FILE_NAME",
    "PROPERTIES",
    "PROPERTIES_BY_ENV",
    "PROPERTIES_BY_NAME",
    "RECORDING_NOTIFICATIONS",
    "RESTARTABLE",
    "WEBHOOK_EVENT_NAMES_232",
    "PropertySpec",
    "Settings",
]

PROPERTIES: tuple[PropertySpec, ...] = (*CORE_PROPERTIES, *SERVICE_PROPERTIES)

PROPERTIES_BY_NAME: dict[str, PropertySpec] = {spec.name: spec for spec in PROPERTIES}
PROPERTIES_BY_ENV: dict[str, PropertySpec] = {spec.env_name: spec for spec in PROPERTIES}
RESTARTABLE: frozenset[str] = frozenset(spec.name for spec in PROPERTIES if spec.restartable)
