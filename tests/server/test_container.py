"""The image's entrypoint (server/container.py) and healthcheck (server/healthcheck.py), without Docker.

The entrypoint runs for real in a child process: as root it hands the folders over and drops to an unprivileged
user before exec'ing ``openvidu-server`` (here a stand-in script first on PATH that reports who it runs as).
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from server.container import hand_over, private_certificate, writable_folders
from server.healthcheck import probe, probe_url
from server.settings import Settings
from tests.support.procs import REPO_ROOT

ROOT = os.geteuid() == 0
UNPRIVILEGED = pwd.getpwnam("nobody")


def test_writable_folders_are_state_recordings_and_cdr(tmp_path: Path) -> None:
    settings = Settings(
        openvidu_state_path=str(tmp_path / "s"),
        openvidu_recording_path=str(tmp_path / "r"),
        openvidu_cdr_path=str(tmp_path / "c"),
    )
    assert writable_folders(settings) == [tmp_path / "s", tmp_path / "r", tmp_path / "c"]


def test_hand_over_creates_folders_and_changes_only_foreign_owners(tmp_path: Path) -> None:
    uid, gid = (UNPRIVILEGED.pw_uid, UNPRIVILEGED.pw_gid) if ROOT else (os.getuid(), os.getgid())
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "old.webm").write_bytes(b"x")
    missing = tmp_path / "deep" / "missing"
    changed = hand_over([existing, missing], uid, gid)
    for folder in (existing, missing):
        assert folder.is_dir() and (folder.stat().st_uid, folder.stat().st_gid) == (uid, gid)
    # The content is never walked: only the folders themselves change hands.
    assert (existing / "old.webm").stat().st_uid == os.getuid()
    assert changed == ([existing, missing] if ROOT else [])
    assert hand_over([existing, missing], uid, gid) == []


def test_private_certificate_copies_are_owned_by_the_server_user(tmp_path: Path) -> None:
    uid, gid = (UNPRIVILEGED.pw_uid, UNPRIVILEGED.pw_gid) if ROOT else (os.getuid(), os.getgid())
    cert, key = tmp_path / "certificate.cert", tmp_path / "certificate.key"
    cert.write_text("CERT")
    key.write_text("KEY")
    key.chmod(0o600)
    state = tmp_path / "state"
    settings = Settings(
        openvidu_state_path=str(state), server_ssl_certificate=str(cert), server_ssl_key=str(key)
    )
    flags = private_certificate(settings, uid, gid)
    copies = state / "owncert" / "certificate.pem", state / "owncert" / "key.pem"
    assert flags == [f"--server.ssl.certificate={copies[0]}", f"--server.ssl.key={copies[1]}"]
    for copy, content in zip(copies, ("CERT", "KEY"), strict=True):
        info = copy.stat()
        assert copy.read_text() == content and stat.S_IMODE(info.st_mode) == 0o600
        assert (info.st_uid, info.st_gid) == (uid, gid)
    assert private_certificate(Settings(openvidu_state_path=str(state)), uid, gid) == []
    unreadable = Settings(server_ssl_certificate=str(tmp_path / "none"), server_ssl_key=str(key))
    assert private_certificate(unreadable, uid, gid) == []


def _fake_server(folder: Path) -> Path:
    """An ``openvidu-server`` stand-in (plain sh, reachable by any user) reporting who runs it and its arguments."""
    folder.mkdir(exist_ok=True)
    script = folder / "openvidu-server"
    script.write_text(
        "#!/bin/sh\n"
        'printf "%s\\n" "$(id -u)" "$(id -g)" "$(id -G)" "$HOME"\n'
        'for arg in "$@"; do printf "ARG %s\\n" "$arg"; done\n'
    )
    script.chmod(0o755)
    return folder


def test_entrypoint_hands_folders_over_drops_root_and_execs_the_server() -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:  # reachable by the unprivileged user
        root = Path(tmp)
        root.chmod(0o755)
        bin_dir = _fake_server(root / "bin")
        folders = {name: root / name for name in ("state", "recordings", "cdr")}
        key = root / "own.key"
        key.write_text("KEY")
        key.chmod(0o600)
        (root / "own.cert").write_text("CERT")
        args = [
            f"--openvidu.state.path={folders['state']}",
            f"--openvidu.recording.path={folders['recordings']}",
            f"--openvidu.cdr.path={folders['cdr']}",
            f"--server.ssl.certificate={root / 'own.cert'}",
            f"--server.ssl.key={key}",
        ]
        code = "import sys; from server.container import main; main(sys.argv[1:], user_name='nobody')"
        env = {"PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", "HOME": "/root"}
        result = subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        uid, gid, groups, home = int(lines[0]), int(lines[1]), lines[2].split(), lines[3]
        argv = [line.removeprefix("ARG ") for line in lines[4:]]
        if ROOT:
            assert (uid, gid, groups) == (
                UNPRIVILEGED.pw_uid,
                UNPRIVILEGED.pw_gid,
                [str(UNPRIVILEGED.pw_gid)],
            )
            assert home == UNPRIVILEGED.pw_dir
            for folder in folders.values():
                assert folder.stat().st_uid == UNPRIVILEGED.pw_uid
            owncert = folders["state"] / "owncert"
            assert argv == [
                *args,
                f"--server.ssl.certificate={owncert / 'certificate.pem'}",
                f"--server.ssl.key={owncert / 'key.pem'}",
            ]
        else:  # not root: nothing is changed, the server runs as the caller with its own arguments
            assert (uid, argv) == (os.getuid(), args)


def test_healthcheck_url_follows_the_listener_settings() -> None:
    assert probe_url(Settings()) == "https://127.0.0.1:4443/health"
    assert probe_url(Settings(server_address="::", server_port=5443)) == "https://[::1]:5443/health"
    plain = Settings(server_address="10.0.0.5", server_port=8080, server_ssl_enabled=False)
    assert probe_url(plain) == "http://10.0.0.5:8080/health"


def test_healthcheck_reports_an_unreachable_server() -> None:
    from tests.support.procs import free_port

    problem = probe(f"http://127.0.0.1:{free_port()}/health", timeout=2)
    assert problem is not None and "unreachable" in problem


@pytest.mark.parametrize("argv", [["--server.port=0"], ["--no-such.property=1"]])
def test_healthcheck_configuration_error_is_status_2(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server.healthcheck", *argv],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert result.returncode == 2 and "healthcheck:" in result.stderr


def test_hand_over_reports_a_folder_it_cannot_make(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    good = tmp_path / "good"
    assert hand_over([blocker / "sub", good], os.getuid(), os.getgid()) == []
    assert good.is_dir()
    assert f"cannot prepare {blocker / 'sub'}" in capsys.readouterr().err
