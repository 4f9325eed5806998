"""Render ``config/openvidu.yaml``: every property with its default, kind and documentation.

``python -m server.settings.document > config/openvidu.yaml`` regenerates the file; a test checks it is current.
``python -m server.settings.document --markdown`` prints the README table.
"""

from __future__ import annotations

import json
import sys

import yaml

from server.settings.model import PROPERTIES, PropertySpec

HEADER = """\
# OpenVidu server configuration: every property with its default value.
#
# Give this file (or a copy with only the lines you change) with `openvidu-server --config FILE`.
# Keys are the dotted OpenVidu property names (flat, not nested). Precedence, lowest to highest:
#   built-in defaults < this file (or spring.config.additional-location, YAML or .properties)
#   < environment variables (UPPER_SNAKE: OPENVIDU_SECRET, SERVER_PORT, KMS_URIS...; or the exact dotted name)
#   < command-line flags (--openvidu.secret=X, --server.port=5443)
#   < the overrides file written by POST /pro/restart (openvidu.overrides.path).
# A wrong value or an unknown property stops the server at start with exit status 2.
# Properties marked [extension] do not exist in OpenVidu 2.10/2.11; they are specific to this server.
"""


def default_text(spec: PropertySpec) -> str:
    """The default as it is written in the YAML file (JSON arrays for lists)."""
    return _yaml_value(spec)


def _yaml_value(spec: PropertySpec) -> str:
    default = spec.default
    if isinstance(default, tuple):
        return json.dumps(list(default))
    dumped: str = yaml.safe_dump(default, default_flow_style=True).strip()
    return dumped.removesuffix("\n...").removesuffix("...").strip()


def render() -> str:
    lines = [HEADER]
    for spec in PROPERTIES:
        tag = " [extension]" if spec.extension else ""
        lines.append(f"# {spec.doc}{tag}")
        lines.append(f"# Allowed: {spec.kind.describe()}. Environment: {spec.env_name}.")
        lines.append(f"{spec.name}: {_yaml_value(spec)}")
        lines.append("")
    return "\n".join(lines)


def render_markdown() -> str:
    """The same facts as a Markdown table (for the README)."""
    rows = ["| Property | Environment | Default | Allowed | Meaning |", "| --- | --- | --- | --- | --- |"]
    for spec in PROPERTIES:
        tag = " *(extension)*" if spec.extension else ""
        default = _yaml_value(spec).replace("|", "\\|")
        allowed = spec.kind.describe().replace("|", "\\|")
        rows.append(f"| `{spec.name}` | `{spec.env_name}` | `{default}` | {allowed} | {spec.doc}{tag} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(render_markdown() if "--markdown" in sys.argv[1:] else render(), end="")
