"""Start-up checks with ``openvidu.recording=true`` (OpenVidu 2.11 initializeRecordingManager): a folder the
server cannot use, a missing program of the local COMPOSED recorder, a media server that cannot write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from server.recording.local import PROGRAMS
from tests.support.procs import LOOPBACK, REPO_ROOT, free_port, wait_port
from tests.support.server import ServerProcess, run_server_once

CONFIG_ERROR_STATUS = 2


def test_a_folder_that_cannot_be_made_stops_the_start(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = run_server_once(
        ["--openvidu.recording=true", f"--openvidu.recording.path={blocker / 'recordings'}", "--kms.uris=[]"]
    )
    assert done.returncode == CONFIG_ERROR_STATUS
    assert "openvidu.recording.path" in done.stderr and "a folder the server can create" in done.stderr


def test_missing_recorder_programs_are_named_with_their_debian_packages(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in PROGRAMS:
        if program not in ("Xvfb", "pactl"):
            found = subprocess.run(
                ["which", program], capture_output=True, text=True, check=True
            ).stdout.strip()
            (bin_dir / program).symlink_to(found)
    done = run_server_once(
        ["--openvidu.recording=true", f"--openvidu.recording.path={tmp_path / 'rec'}", "--kms.uris=[]"],
        env={"PATH": str(bin_dir)},
    )
    assert done.returncode == CONFIG_ERROR_STATUS, done.stderr
    assert "Xvfb, pactl missing" in done.stderr
    assert "apt-get install pulseaudio-utils xvfb" in done.stderr
    # with recording off nothing is required
    off = run_server_once(["--help"], env={"PATH": str(bin_dir)})
    assert off.returncode == 0


def test_a_media_server_that_cannot_write_stops_the_start(tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    port = free_port()
    # minikms in its own mount namespace where the recordings folder is read-only: its RecorderEndpoint
    # fails with Kurento's error code 6, as a KMS whose user has no permission.
    script = (
        f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
        f"exec {sys.executable} -m minikms --address {LOOPBACK} --port {port} --kms-version 7.3.0"
    )
    kms = subprocess.Popen(["unshare", "-m", "sh", "-c", script], cwd=REPO_ROOT, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc=kms)  # type: ignore[arg-type]
        server = ServerProcess(
            {
                "kms.uris": [f"ws://{LOOPBACK}:{port}/kurento"],
                "openvidu.recording": True,
                "openvidu.recording.path": str(folder),
            },
            wait_ready=False,
        )
        try:
            server.start()
            status = server.wait_exit(60)
            assert status != 0
            assert "has no permission to write in" in server.log_text()
            assert not [p for p in os.listdir(folder) if p.startswith("TEST_RECORDING_PATH_")]
        finally:
            server.stop()
            server.cleanup()
        # the same folder writable by the media server: the server starts, and the test folder is gone
        with (
            ServerProcess(
                {"kms.uris": ["embedded"], "openvidu.recording": True, "openvidu.recording.path": str(folder)}
            ) as ok,
            ok.client() as http,
        ):
            assert http.get("/api/recordings").json() == {"count": 0, "items": []}
        assert os.listdir(folder) == []
    finally:
        kms.kill()
        kms.wait(10)
