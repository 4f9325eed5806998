"""Unit tests of the recording module's pure parts: JSON shapes, ids, layout URLs, ffprobe parsing, the sync
file, the agent's input checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from server.api.recordings import usable_file_name
from server.core.enums import EndReason, OutputMode, RecordingLayout
from server.core.events import RecordingStatusChanged
from server.recording.agent import BadBody, parse_start
from server.recording.composed import layout_url
from server.recording.kurento import profile_for
from server.recording.model import Recording, RecordingProperties, Status
from server.recording.probe import parse_probe
from server.recording.recorder import StreamSource
from server.recording.store import RecordingStore
from server.recording.zipper import sync_document
from server.settings import Settings


def composed(**changes: Any) -> Recording:
    props = RecordingProperties(name="", output_mode=OutputMode.COMPOSED, resolution="1280x720", **changes)
    return Recording.new("ses1", "ses1", 1564400010000, props)


def test_recording_json_keys_follow_2_11() -> None:
    video = composed(recording_layout=RecordingLayout.CUSTOM, custom_layout="")
    assert list(video.to_json()) == [
        "id", "name", "outputMode", "resolution", "recordingLayout", "customLayout", "sessionId", "createdAt",
        "size", "duration", "url", "hasAudio", "hasVideo", "status",
    ]  # fmt: skip
    assert video.to_json()["duration"] == 0.0 and isinstance(video.to_json()["duration"], float)
    assert video.to_json(Status.STARTING)["status"] == "starting"
    audio = composed(has_video=False)
    assert "resolution" not in audio.to_json() and audio.extension == "webm"
    assert composed().extension == "mp4"
    individual = Recording.new("s", "s", 1, RecordingProperties(output_mode=OutputMode.INDIVIDUAL))
    assert individual.extension == "zip" and "recordingLayout" not in individual.to_json()


def test_status_event_keys_and_custom_layout_only_when_set() -> None:
    rec = composed(recording_layout=RecordingLayout.CUSTOM, custom_layout="")
    event = RecordingStatusChanged("ses1", 2, rec.created_at, EndReason.AUTOMATIC_STOP, rec.info())
    props = event.properties()
    assert list(props) == [
        "sessionId", "timestamp", "startTime", "duration", "reason", "id", "name", "outputMode", "resolution",
        "recordingLayout", "hasAudio", "hasVideo", "size", "status",
    ]  # fmt: skip
    assert isinstance(props["duration"], float)
    named = composed(recording_layout=RecordingLayout.CUSTOM, custom_layout="mine").info()
    assert named.custom_layout == "mine"


def test_free_ids(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    assert store.free_id("ses", set()) == "ses"
    store.write("ses", {"id": "ses"})
    store.write("ses-1", {"id": "ses-1"})
    assert store.free_id("ses", set()) == "ses-2"
    assert store.free_id("ses", {"ses-2"}) == "ses-3"
    assert [r["id"] for r in store.read_all()] == ["ses", "ses-1"]
    assert store.read("../ses") is None and store.delete("nope") is False


def test_layout_urls() -> None:
    settings = Settings(openvidu_secret="S/ECRET")
    rec = composed()
    url = layout_url(settings, "https://example.org:4443/", rec)
    assert url.startswith("https://OPENVIDUAPP:S%2FECRET@example.org:4443/layouts/best-fit/index.html?")
    assert "sessionId=ses1" in url and "onlyVideo=false" in url
    local = Settings(openvidu_secret="x", openvidu_recording_composed_url="http://ov:5443")
    assert layout_url(local, "https://example.org/", composed(has_audio=False)).startswith(
        "http://OPENVIDUAPP:x@ov:5443/layouts/best-fit/index.html?"
    )
    custom = layout_url(
        settings, "https://h/", composed(recording_layout=RecordingLayout.CUSTOM, custom_layout="a/b")
    )
    assert "/layouts/custom/a/b/index.html?sessionId=ses1&secret=S%2FECRET" in custom
    root = layout_url(settings, "https://h/", composed(recording_layout=RecordingLayout.CUSTOM))
    assert "@h/layouts/custom/index.html?" in root


def test_probe_parsing() -> None:
    info = parse_probe(
        {
            "format": {"duration": "4.970000", "size": "120000"},
            "streams": [{"codec_type": "video", "width": 640, "height": 480}, {"codec_type": "audio"}],
        }
    )
    assert (info.duration, info.size, info.width, info.height) == (4.97, 120000, 640, 480)
    assert info.has_audio and info.has_video
    empty = parse_probe({"format": {}, "streams": []})
    assert not empty.has_video and empty.width is None and empty.duration == 0.0


def source(has_audio: bool, has_video: bool) -> StreamSource:
    return StreamSource("c", "c_CAMERA_ABCDE", "", "", has_audio, has_video, "CAMERA" if has_video else None)


@pytest.mark.parametrize(
    ("stream", "want", "expected"),
    [
        ((True, True), (True, True), ("WEBM", True, True)),
        ((True, True), (True, False), ("WEBM_AUDIO_ONLY", True, False)),
        ((True, True), (False, True), ("WEBM_VIDEO_ONLY", False, True)),
        ((True, False), (False, True), None),
        ((False, True), (True, False), None),
        ((False, True), (True, True), ("WEBM_VIDEO_ONLY", False, True)),
    ],
)
def test_individual_profiles(
    stream: tuple[bool, bool], want: tuple[bool, bool], expected: tuple[str, bool, bool] | None
) -> None:
    assert profile_for(source(*stream), *want) == expected


@dataclass
class _Stream:
    path: Path
    start_time: int
    end_time: int
    size: int
    audio_only: bool = False

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "connectionId": "c1", "streamId": "c1_CAMERA_AAAAA", "clientData": "d", "serverData": "s",
            "hasAudio": True, "hasVideo": not self.audio_only,
        }  # fmt: skip
        if not self.audio_only:
            doc["typeOfVideo"] = "CAMERA"
        return doc


def test_sync_document_offsets() -> None:
    rec = Recording.new("r", "s", 1000, RecordingProperties(output_mode=OutputMode.INDIVIDUAL))
    doc = sync_document(rec, [_Stream(Path("x"), 1321, 5870, 99), _Stream(Path("y"), 2000, 3000, 5, True)])
    assert list(doc) == ["createdAt", "id", "name", "sessionId", "files"]
    first, second = doc["files"]
    assert (first["startTimeOffset"], first["endTimeOffset"], first["size"]) == (321, 4870, 99)
    assert first["typeOfVideo"] == "CAMERA" and "typeOfVideo" not in second


def test_agent_refuses_bad_bodies(tmp_path: Path) -> None:
    good = {"id": "ses-1", "url": "https://h/x", "width": 640, "height": 480, "audio": True,
            "output": "ses-1/ses-1.mp4", "startTimeout": 20}  # fmt: skip
    capture_id, spec, timeout = parse_start(good, tmp_path)
    assert capture_id == "ses-1" and spec.output == tmp_path / "ses-1" / "ses-1.mp4" and timeout == 20.0
    for change in (
        {"output": "../x.mp4"}, {"output": "a/../b.mp4"}, {"output": "a/b.txt"}, {"width": 99},
        {"height": True}, {"url": "file:///etc/passwd"}, {"id": "a/b"}, {"audio": "yes"}, {"startTimeout": 0},
    ):  # fmt: skip
        with pytest.raises(BadBody):
            parse_start({**good, **change}, tmp_path)


def test_names_that_cannot_be_file_names() -> None:
    assert usable_file_name("my meeting 2019-07-29")
    for bad in ("a/b", "a\\b", ".", "..", "a\0b", "x" * 201):
        assert not usable_file_name(bad)


def test_recorder_image_installs_every_program_and_runs_the_agent() -> None:
    from server.recording.local import PROGRAMS
    from tests.support.procs import REPO_ROOT

    dockerfile = (REPO_ROOT / "docker" / "recorder.Dockerfile").read_text()
    install = dockerfile[dockerfile.index("apt-get install") : dockerfile.index("rm -rf /var/lib/apt/lists")]
    assert set(PROGRAMS.values()) <= set(install.split())
    assert 'ENTRYPOINT ["openvidu-recorder"]' in dockerfile
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert 'openvidu-recorder = "server.recording.agent:main"' in pyproject
    assert '"recording/layouts/*.html"' in pyproject


def test_two_shapes_of_one_stored_recording() -> None:
    """The 2.11 JSON of the stored document is exactly what 2.11's toJson gives; 2.32 adds object/frameRate."""
    from server.core.sessions import RecordingDefaults
    from server.recording.model import from_232
    from server.recording.shapes import as_211, as_232

    for props in (
        RecordingProperties(name="n", recording_layout=RecordingLayout.CUSTOM, custom_layout="c"),
        RecordingProperties(output_mode=OutputMode.INDIVIDUAL),
        RecordingProperties(has_video=False),
    ):
        recording = Recording.new("r1", "s1", 1, props)
        assert as_211(recording.stored_json()) == recording.to_json()
        assert list(as_211(recording.stored_json())) == list(recording.to_json())
    quick = Recording.new(
        "r2", "s2", 2, from_232(RecordingDefaults(output_mode="COMPOSED_QUICK_START", frame_rate=12))
    )
    quick.status = Status.READY
    shaped = as_232(quick.stored_json(), "https://h:1/")
    assert (shaped["outputMode"], shaped["frameRate"], shaped["resolution"]) == (
        "COMPOSED_QUICK_START",
        12,
        "1280x720",
    )
    assert shaped["url"] == "https://h:1/openvidu/recordings/r2/r2.mp4"
    assert as_211(quick.stored_json())["outputMode"] == "COMPOSED" and "frameRate" not in as_211(
        quick.stored_json()
    )
