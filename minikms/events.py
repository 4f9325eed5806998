"""Event names per emulated KMS version and ``onEvent`` data building (kurento-protocol.md section 4).

Objects raise events with their KMS 7.x names; this module says which names a 6.x or 7.x server
accepts in ``subscribe`` and under which names an occurrence is delivered.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# 7.x name -> the extra names KMS 6.18 declares (and emits with the same payload).
ALIASES_6: dict[str, tuple[str, ...]] = {
    "IceCandidateFound": ("OnIceCandidate",),
    "IceGatheringDone": ("OnIceGatheringDone",),
    "IceComponentStateChanged": ("IceComponentStateChange", "OnIceComponentStateChanged"),
    "DataChannelOpened": ("DataChannelOpen", "OnDataChannelOpened"),
    "DataChannelClosed": ("DataChannelClose", "OnDataChannelClosed"),
    "MediaFlowInStateChanged": ("MediaFlowInStateChange",),
    "MediaFlowOutStateChanged": ("MediaFlowOutStateChange",),
    "MediaTranscodingStateChanged": ("MediaTranscodingStateChange",),
}

# Events that exist only in 7.x.
SEVEN_ONLY: frozenset[str] = frozenset({"DtlsConnectionStateChange"})

# Events that derive from RaiseBase only (no ``data.type``).
RAISE_BASE_ONLY: frozenset[str] = frozenset({"ObjectCreated", "ObjectDestroyed"})

# Events whose ``data.type`` is not the event name (Error carries its error type there).
OWN_TYPE_FIELD: frozenset[str] = frozenset({"Error"})


@dataclass(frozen=True)
class KmsVersion:
    """The emulated KMS build version, e.g. ``7.3.0`` or ``6.18.0``."""

    text: str

    @property
    def major(self) -> int:
        return int(self.text.split(".", 1)[0])

    @property
    def is_6(self) -> bool:
        return self.major < 7


def accepted_names(events_7x: Iterable[str], version: KmsVersion) -> frozenset[str]:
    """Names ``subscribe`` accepts for a class declaring ``events_7x`` (7.x names)."""
    names = set(events_7x)
    if not version.is_6:
        return frozenset(names)
    names -= SEVEN_ONLY
    for name in list(names):
        names.update(ALIASES_6.get(name, ()))
    return frozenset(names)


def wire_names(event_7x: str, version: KmsVersion) -> tuple[str, ...]:
    """Every name an occurrence of ``event_7x`` is delivered under on this version."""
    if not version.is_6:
        return (event_7x,)
    if event_7x in SEVEN_ONLY:
        return ()
    return (event_7x, *ALIASES_6.get(event_7x, ()))


def tag_struct(key: str, value: str) -> dict[str, Any]:
    return {"__module__": "kurento", "__type__": "Tag", "key": key, "value": value}


def build_data(
    event_name: str,
    source: str,
    fields: dict[str, Any],
    version: KmsVersion,
    tags: list[tuple[str, str]] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The ``data`` member of an ``onEvent`` for one delivered name."""
    stamp = time.time() if now is None else now
    data: dict[str, Any] = dict(fields)
    data["source"] = source
    data["tags"] = [tag_struct(k, v) for k, v in (tags or [])]
    data["timestampMillis"] = str(int(stamp * 1000))
    if version.is_6:
        data["timestamp"] = str(int(stamp))
    if event_name not in RAISE_BASE_ONLY and event_name not in OWN_TYPE_FIELD:
        data["type"] = event_name
    return data
