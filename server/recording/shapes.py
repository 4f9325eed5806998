"""One stored Recording, two wire shapes: 2.11's ``/api/recordings`` and 2.32's ``/openvidu/api/recordings``.

The metadata file holds :meth:`server.recording.model.Recording.stored_json` (a superset of both). 2.11 drops the
2.16+ keys (``object``, ``frameRate``, ``mediaNode``, ``uniqueSessionId``) and knows no
``COMPOSED_QUICK_START``; 2.32 (``Recording.toJson`` of ``CE@v2.32.2``) rebuilds its key order, shows the
layout keys (with ``frameRate``) only for a COMPOSED video recording and sets ``url`` once ``ready``/``failed``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

COMPOSED_MODES = ("COMPOSED", "COMPOSED_QUICK_START")
ONLY_232 = ("object", "frameRate", "mediaNode", "uniqueSessionId")
FRAME_RATE_211 = 30
"""What a recording made through ``/api`` was captured at (2.11's fixed frame rate)."""
URL_STATUSES = ("ready", "failed")


def as_211(doc: dict[str, Any]) -> dict[str, Any]:
    """The 2.11 JSON of a stored recording (the stored key order kept)."""
    shaped = {key: value for key, value in doc.items() if key not in ONLY_232}
    if shaped.get("outputMode") == "COMPOSED_QUICK_START":
        shaped["outputMode"] = "COMPOSED"
    return shaped


def extension_of(doc: dict[str, Any]) -> str:
    if doc.get("outputMode") == "INDIVIDUAL":
        return "zip"
    return "mp4" if "recordingLayout" in doc or "resolution" in doc else "webm"


def file_url(doc: dict[str, Any], public_url: str) -> str:
    """``<public url>/openvidu/recordings/<id>/<name>.<ext>``."""
    base = public_url.rstrip("/")
    rid, name = quote(str(doc.get("id")), safe=""), quote(str(doc.get("name")), safe="")
    return f"{base}/openvidu/recordings/{rid}/{name}.{extension_of(doc)}"


def as_232(doc: dict[str, Any], public_url: str) -> dict[str, Any]:
    """``Recording.toJson(false)`` of 2.32."""
    shaped: dict[str, Any] = {"id": doc.get("id"), "object": "recording", "name": doc.get("name")}
    mode = doc.get("outputMode")
    shaped["outputMode"] = mode
    if mode in COMPOSED_MODES and ("resolution" in doc or "recordingLayout" in doc):
        shaped["resolution"] = doc.get("resolution")
        shaped["frameRate"] = doc.get("frameRate", FRAME_RATE_211)
        shaped["recordingLayout"] = doc.get("recordingLayout")
        if doc.get("recordingLayout") == "CUSTOM":
            shaped["customLayout"] = doc.get("customLayout", "")
    shaped["sessionId"] = doc.get("sessionId")
    if doc.get("mediaNode") is not None:
        shaped["mediaNode"] = doc["mediaNode"]
    status = doc.get("status")
    url = doc.get("url")
    if url is None and status in URL_STATUSES:
        url = file_url(doc, public_url)
    shaped.update(
        createdAt=doc.get("createdAt"),
        size=doc.get("size"),
        duration=doc.get("duration"),
        url=url,
        hasAudio=doc.get("hasAudio"),
        hasVideo=doc.get("hasVideo"),
        status=status,
    )
    return shaped
