"""The factories minikms offers, grouped in Kurento modules: ServerInfo modules and getKmd text."""

from __future__ import annotations

import json
from typing import Any

from minikms.events import KmsVersion, accepted_names
from minikms.objects.base import MediaObject
from minikms.objects.elements import (
    Composite,
    Filter,
    GStreamerFilter,
    Hub,
    HubPort,
    ImageOverlayFilter,
    MediaElement,
    PassThrough,
    ZBarFilter,
)
from minikms.objects.endpoints import (
    BaseRtpEndpoint,
    Endpoint,
    PlayerEndpoint,
    RecorderEndpoint,
    SdpEndpoint,
    SessionEndpoint,
    UriEndpoint,
    WebRtcEndpointObject,
)
from minikms.objects.marshal import ENUMS, STRUCTS
from minikms.objects.pipeline import MediaPipeline
from minikms.objects.server_manager import ServerManager

MODULE_NAMES: tuple[str, ...] = ("core", "elements", "filters")

# Build timestamp string shown in ModuleInfo.generationTime (fixed: a build property, not a clock).
GENERATION_TIME = "Jan  1 2024 00:00:00"

ALL_CLASSES: tuple[type[MediaObject], ...] = (
    MediaObject,
    ServerManager,
    MediaPipeline,
    MediaElement,
    Hub,
    HubPort,
    PassThrough,
    Filter,
    Endpoint,
    SessionEndpoint,
    SdpEndpoint,
    BaseRtpEndpoint,
    UriEndpoint,
    WebRtcEndpointObject,
    RecorderEndpoint,
    PlayerEndpoint,
    Composite,
    GStreamerFilter,
    ImageOverlayFilter,
    ZBarFilter,
)

FACTORIES: dict[str, type[MediaObject]] = {
    cls.KMS_TYPE: cls for cls in ALL_CLASSES if not cls.ABSTRACT and cls is not ServerManager
}


def module_infos(version: KmsVersion) -> list[dict[str, Any]]:
    """ServerInfo.modules: one ModuleInfo per module, factories sorted as KMS's std::map."""
    infos = []
    for module in MODULE_NAMES:
        factories = sorted(name for name, cls in FACTORIES.items() if module == cls.MODULE)
        infos.append(
            {
                "__module__": "kurento",
                "__type__": "ModuleInfo",
                "factories": factories,
                "generationTime": GENERATION_TIME,
                "name": module,
                "version": version.text,
            }
        )
    return infos


def server_info(version: KmsVersion) -> dict[str, Any]:
    return {
        "__module__": "kurento",
        "__type__": "ServerInfo",
        "capabilities": ["transactions"],
        "modules": module_infos(version),
        "type": "KMS",
        "version": version.text,
    }


def _param_json(param: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": param.name, "type": param.type, "doc": ""}
    if not param.required:
        entry["optional"] = True
        if param.default is not None:
            entry["defaultValue"] = param.default
    return entry


def _class_json(cls: type[MediaObject], version: KmsVersion) -> dict[str, Any]:
    own = cls.__dict__
    methods = []
    for attr in own.values():
        spec = getattr(attr, "_kms_operation", None)
        if spec is None or (spec.versions is not None and version.major not in spec.versions):
            continue
        method: dict[str, Any] = {
            "name": spec.name,
            "doc": "",
            "params": [_param_json(p) for p in spec.params],
        }
        if spec.returns != "void":
            method["return"] = {"type": spec.returns, "doc": ""}
        methods.append(method)
    properties = []
    for prop in own.get("PROPERTIES", ()):
        if prop.versions is not None and version.major not in prop.versions:
            continue
        entry: dict[str, Any] = {"name": prop.name, "type": prop.type, "doc": ""}
        if prop.readonly:
            entry["readOnly"] = True
        properties.append(entry)
    own_events = [e for e in own.get("EVENTS", ()) if e in accepted_names((e,), version)]
    if version.is_6:
        own_events = sorted(accepted_names(own.get("EVENTS", ()), version))
    result: dict[str, Any] = {
        "name": cls.KMS_TYPE,
        "doc": "",
        "abstract": cls.ABSTRACT,
        "methods": methods,
        "properties": properties,
        "events": own_events,
    }
    if cls.ancestors:
        result["extends"] = cls.ancestors[0].split(".", 1)[1]
    if cls.CONSTRUCTOR and "CONSTRUCTOR" in own:
        result["constructor"] = {"doc": "", "params": [_param_json(p) for p in cls.CONSTRUCTOR]}
    return result


def kmd_text(module: str, version: KmsVersion) -> str | None:
    """The kmd JSON of ``module`` for the classes minikms implements (None if unknown module)."""
    if module not in MODULE_NAMES:
        return None
    classes = [cls for cls in ALL_CLASSES if module == cls.MODULE]
    doc: dict[str, Any] = {
        "name": module,
        "version": version.text,
        "kurentoVersion": f"^{version.major}.0.0",
        "imports": [] if module == "core" else [{"name": "core", "version": f"^{version.text}"}],
        "code": {"api": {"js": {"nodeName": f"kurento-client-{module}", "npmVersion": version.text}}},
        "remoteClasses": [_class_json(cls, version) for cls in classes],
        "complexTypes": [],
        "events": [],
    }
    if module == "core":
        doc["complexTypes"] = [
            {"name": name, "typeFormat": "ENUM", "values": list(values), "doc": ""}
            for name, values in ENUMS.items()
        ] + [
            {
                "name": name,
                "typeFormat": "REGISTER",
                "properties": [
                    {"name": f, "type": t, "doc": "", **({} if req else {"optional": True})}
                    for f, t, req in fields
                ],
                "doc": "",
            }
            for name, fields in STRUCTS.items()
        ]
    return json.dumps(doc, indent=2, sort_keys=True)
