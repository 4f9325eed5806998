"""The local COMPOSED recorder: one process group per recording (spec recording.md part 2, recipe A).

Xvfb (a virtual display of the recording's resolution) + PulseAudio (a null sink, private socket) + Chromium in
kiosk mode on the layout page + ffmpeg capturing the display (x11grab) and the sink's monitor into an H.264/AAC
mp4. Xvfb leads a new process group; the others join it, so one ``killpg`` ends everything, and each child dies
with the server (``PR_SET_PDEATHSIG``) even if the server itself is killed. ffmpeg stops gracefully on ``q``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
FRAMERATE = 30  # hard-coded by openvidu-recording 2.11 (2.18+: the recording's frameRate)
FIRST_DISPLAY = 99
LAST_DISPLAY = 599
READY_POLL = 0.05
DISPLAY_READY_TIMEOUT = 10.0
PULSE_READY_TIMEOUT = 10.0
PAGE_SETTLE_SECONDS = 1.0
KILL_GRACE_SECONDS = 3.0

# program -> Debian package that provides it
PROGRAMS: dict[str, str] = {
    "Xvfb": "xvfb",
    "pulseaudio": "pulseaudio",
    "pactl": "pulseaudio-utils",
    "chromium": "chromium",
    "ffmpeg": "ffmpeg",
    "ffprobe": "ffmpeg",
}


def missing_programs() -> dict[str, str]:
    """The programs the local recorder needs that are not on PATH, with their Debian packages."""
    return {name: package for name, package in PROGRAMS.items() if shutil.which(name) is None}


def _die_with_parent() -> None:
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _child_setup(pgid: int) -> Callable[[], None]:
    """What a child runs before exec: join the recording's process group (0: lead a new one) and die with its
    parent. Done here rather than with ``process_group=``, which uvloop's subprocess_exec does not take."""

    def setup() -> None:
        os.setpgid(0, pgid)
        _die_with_parent()

    return setup


_displays_in_use: set[int] = set()


def _free_display() -> int:
    for number in range(FIRST_DISPLAY, LAST_DISPLAY):
        if number in _displays_in_use:
            continue
        if Path(f"/tmp/.X{number}-lock").exists() or Path(f"/tmp/.X11-unix/X{number}").exists():
            continue
        _displays_in_use.add(number)
        return number
    raise RuntimeError("no free X display number")


@dataclass(frozen=True, slots=True)
class CaptureSpec:
    url: str
    width: int
    height: int
    audio: bool
    output: Path
    frame_rate: int = FRAMERATE
    stream_url: str | None = None
    """Broadcast: stream FLV to this ``rtmp(s)://`` URL instead of writing ``output``."""


class LocalCapture:
    """One recording's process group."""

    def __init__(self, spec: CaptureSpec) -> None:
        self.spec = spec
        self.display: int | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix="ov-recorder-"))
        self.pgid: int | None = None
        self.procs: list[asyncio.subprocess.Process] = []
        self.ffmpeg: asyncio.subprocess.Process | None = None
        self.log_path = self.workdir / "recorder.log"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            HOME=str(self.workdir / "home"),
            XDG_RUNTIME_DIR=str(self.workdir / "xdg"),
            XDG_CONFIG_HOME=str(self.workdir / "config"),
            PULSE_SERVER=f"unix:{self.workdir / 'pulse.sock'}",
        )
        if self.display is not None:
            env["DISPLAY"] = f":{self.display}"
        return env

    async def _spawn(self, *args: str, stdin: int | None = None) -> asyncio.subprocess.Process:
        logfile = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        try:
            proc = await asyncio.create_subprocess_exec(
                *args,
                stdin=stdin if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=logfile,
                stderr=logfile,
                env=self._env(),
                cwd=self.workdir,
                preexec_fn=_child_setup(0 if self.pgid is None else self.pgid),
            )
        finally:
            logfile.close()
        if self.pgid is None:
            self.pgid = proc.pid
        self.procs.append(proc)
        return proc

    async def start(self, start_timeout: float) -> None:
        """Start everything and wait until the mp4 has data; raises RuntimeError (after cleaning up)."""
        try:
            await self._start(start_timeout)
        except BaseException:
            await self.kill()
            raise

    async def _start(self, start_timeout: float) -> None:
        spec = self.spec
        for sub in ("home", "xdg", "config", "profile"):
            (self.workdir / sub).mkdir(mode=0o700)
        self.display = _free_display()
        xvfb = await self._spawn(
            "Xvfb", f":{self.display}", "-ac", "-screen", "0", f"{spec.width}x{spec.height}x24",
            "-noreset", "-nolisten", "tcp",
        )  # fmt: skip
        await self._wait(
            lambda: Path(f"/tmp/.X11-unix/X{self.display}").exists(), xvfb, DISPLAY_READY_TIMEOUT
        )
        if spec.audio:
            pulse = await self._spawn(
                "pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "-n",
                "--use-pid-file=no", "--disable-shm=yes",
                f"--load=module-native-protocol-unix auth-anonymous=1 socket={self.workdir / 'pulse.sock'}",
                "--load=module-null-sink sink_name=rec sink_properties=device.description=rec",
                "--load=module-always-sink",
            )  # fmt: skip
            await self._wait(lambda: (self.workdir / "pulse.sock").exists(), pulse, PULSE_READY_TIMEOUT)
            await self._run_quiet("pactl", "set-default-sink", "rec")
        await self._spawn(
            "chromium", "--no-sandbox", "--test-type", "--no-first-run", "--disable-infobars", "--kiosk",
            "--start-maximized", "--window-position=0,0", f"--window-size={spec.width},{spec.height}",
            "--autoplay-policy=no-user-gesture-required", "--ignore-certificate-errors", "--disable-gpu",
            "--disable-dev-shm-usage", f"--user-data-dir={self.workdir / 'profile'}",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns,Translate",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--password-store=basic", "--noerrdialogs", "--enable-logging=stderr", spec.url,
        )  # fmt: skip
        await asyncio.sleep(PAGE_SETTLE_SECONDS)
        inputs = ["-f", "x11grab", "-draw_mouse", "0", "-framerate", str(spec.frame_rate)]
        inputs += ["-video_size", f"{spec.width}x{spec.height}", "-i", f":{self.display}"]
        codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", "-pix_fmt", "yuv420p"]
        codecs += ["-r", str(spec.frame_rate)]
        if spec.audio:
            inputs += ["-f", "pulse", "-i", "rec.monitor"]
            codecs += ["-c:a", "aac", "-b:a", "128k"]
        if spec.stream_url is not None:
            # a live stream: a keyframe every 2 s, no B-frames, FLV over RTMP; "-progress" tells when it flows
            codecs += ["-tune", "zerolatency", "-g", str(2 * spec.frame_rate), "-f", "flv"]
            progress = self.workdir / "progress"
            self.ffmpeg = await self._spawn(
                "ffmpeg", "-loglevel", "error", "-nostats", "-progress", str(progress), *inputs, *codecs,
                spec.stream_url, stdin=asyncio.subprocess.PIPE,
            )  # fmt: skip
            ffmpeg = self.ffmpeg
            await self._wait(lambda: _streaming(progress), ffmpeg, start_timeout)
            return
        self.ffmpeg = await self._spawn(
            "ffmpeg", "-y", "-loglevel", "error", "-nostats", *inputs, *codecs, str(spec.output),
            stdin=asyncio.subprocess.PIPE,
        )  # fmt: skip
        ffmpeg = self.ffmpeg
        await self._wait(lambda: _size(spec.output) > 0, ffmpeg, start_timeout)

    async def _wait(self, ready: object, proc: asyncio.subprocess.Process, timeout: float) -> None:
        assert callable(ready)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not ready():
            if proc.returncode is not None:
                raise RuntimeError(
                    f"{self._name(proc)} exited with status {proc.returncode}: {self.log_tail()}"
                )
            if loop.time() > deadline:
                raise RuntimeError(f"{self._name(proc)} not ready after {timeout} s: {self.log_tail()}")
            await asyncio.sleep(READY_POLL)

    def _name(self, proc: asyncio.subprocess.Process) -> str:
        names = ["Xvfb", "pulseaudio", "chromium", "ffmpeg"]
        index = self.procs.index(proc) if proc in self.procs else -1
        if not self.spec.audio and index >= 1:
            index += 1
        return names[index] if 0 <= index < len(names) else "process"

    async def _run_quiet(self, *args: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, env=self._env()
        )
        await proc.wait()

    def log_tail(self, limit: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    async def stop(self, timeout: float) -> bool:
        """ffmpeg quits on ``q`` and finishes the mp4; True if it did within ``timeout``."""
        ffmpeg = self.ffmpeg
        if ffmpeg is None or ffmpeg.returncode is not None:
            return ffmpeg is not None and ffmpeg.returncode == 0
        with contextlib.suppress(Exception):
            assert ffmpeg.stdin is not None
            ffmpeg.stdin.write(b"q")
            await ffmpeg.stdin.drain()
            ffmpeg.stdin.close()
        try:
            await asyncio.wait_for(ffmpeg.wait(), timeout)
        except TimeoutError:
            log.error("ffmpeg did not finish %s in %s s", self.spec.output, timeout)
            return False
        return ffmpeg.returncode == 0

    async def kill(self) -> None:
        """End the whole process group (SIGTERM, then SIGKILL) and remove the work folder."""
        if self.pgid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pgid, signal.SIGTERM)
            waits = [p.wait() for p in self.procs if p.returncode is None]
            if waits:
                _done, pending = await asyncio.wait(
                    [asyncio.ensure_future(w) for w in waits], timeout=KILL_GRACE_SECONDS
                )
                if pending:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(self.pgid, signal.SIGKILL)
                    await asyncio.wait(pending, timeout=KILL_GRACE_SECONDS)
            self.pgid = None
        if self.display is not None:
            _displays_in_use.discard(self.display)
            self.display = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def kill_now(self) -> None:
        """Synchronous last resort (server exit): SIGKILL the group."""
        if self.pgid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pgid, signal.SIGKILL)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _streaming(progress: Path) -> bool:
    """ffmpeg's ``-progress`` file shows bytes written to the stream."""
    try:
        text = progress.read_text(errors="replace")
    except OSError:
        return False
    return any(
        line.startswith("total_size=") and line[11:].strip().isdigit() and int(line[11:]) > 0
        for line in text.splitlines()
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
