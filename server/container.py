"""``python -m server.container [server arguments]``: the image's entrypoint.

Started as root (the image has no ``USER``), it prepares the folders the server writes, so that a first
``docker compose up`` works on bind mounts Docker has just created as ``root:root``, then drops root for good and
replaces itself with ``openvidu-server`` running as the image's ``openvidu`` user (uid 10001):

- the state folder (``openvidu.state.path``: self-signed certificate, overrides file), the recordings folder
  (``openvidu.recording.path``) and the CDR folder (``openvidu.cdr.path``) are created when missing, and each one
  whose owner is not the server user is handed to it (the folder itself, not its content: a large recordings
  tree is never walked at start; files written by Kurento belong to the same uid when the KMS containers run
  with ``KMS_UID=10001``, as the compose file sets);
- the custom-layout folder is only read, and is left alone;
- an own certificate (``server.ssl.certificate`` and ``server.ssl.key``) is read as root and copied, private to
  the server user, into ``<state>/owncert/``, and the server is pointed at the copies: a key readable by root
  only (the usual ``0600 root``) works, and a renewed certificate is picked up at the next start.

Started as any other user (``docker run --user``), it changes nothing and runs the server as that user. A
configuration error is left to the server, which reports it and exits with status 2.
"""

from __future__ import annotations

import os
import pwd
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from server.settings import Settings, SettingsError, load_settings
from server.settings.loader import state_path

SERVER_USER = "openvidu"
OWN_CERT_FOLDER = "owncert"
SERVER_COMMAND = "openvidu-server"


def writable_folders(settings: Settings) -> list[Path]:
    """The folders the server writes into."""
    return [
        state_path(settings),
        Path(settings.openvidu_recording_path).expanduser(),
        Path(settings.openvidu_cdr_path).expanduser(),
    ]


def hand_over(folders: Iterable[Path], uid: int, gid: int) -> list[Path]:
    """Create each folder and give it to ``uid:gid`` when it belongs to someone else; returns those changed."""
    changed = []
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            info = folder.stat()
            if info.st_uid != uid or info.st_gid != gid:
                os.chown(folder, uid, gid)
                changed.append(folder)
        except OSError as exc:  # e.g. a read-only mount: the server reports what it cannot write
            print(f"container: cannot prepare {folder}: {exc}", file=sys.stderr)
    return changed


def private_certificate(settings: Settings, uid: int, gid: int) -> list[str]:
    """Copy an own certificate and key into the state folder for ``uid``; the flags that point the server there.

    Nothing is done (no flags) without both files set, or when one cannot be read: the server then reports it.
    """
    sources = (settings.server_ssl_certificate, settings.server_ssl_key)
    if not all(sources):
        return []
    try:
        contents = [Path(source).expanduser().read_bytes() for source in sources]
    except OSError:
        return []
    folder = state_path(settings) / OWN_CERT_FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chown(folder, uid, gid)
    copies = [folder / "certificate.pem", folder / "key.pem"]
    for copy, content in zip(copies, contents, strict=True):
        fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.chmod(copy, 0o600)
        os.chown(copy, uid, gid)
    return [f"--server.ssl.certificate={copies[0]}", f"--server.ssl.key={copies[1]}"]


def drop_root(uid: int, gid: int) -> None:
    """Become ``uid:gid`` for good (supplementary groups cleared first, then the group, then the user)."""
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    os.environ["HOME"] = pwd.getpwuid(uid).pw_dir


def main(argv: Sequence[str] | None = None, user_name: str = SERVER_USER) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if os.geteuid() == 0:
        user = pwd.getpwnam(user_name)
        try:
            settings = load_settings(args, os.environ)
        except SettingsError:
            settings = None  # the server itself reports it (exit status 2)
        if settings is not None:
            for folder in hand_over(writable_folders(settings), user.pw_uid, user.pw_gid):
                print(f"container: {folder} handed to {user_name} ({user.pw_uid})", file=sys.stderr)
            args += private_certificate(settings, user.pw_uid, user.pw_gid)
        drop_root(user.pw_uid, user.pw_gid)
    os.execvp(SERVER_COMMAND, [SERVER_COMMAND, *args])
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
