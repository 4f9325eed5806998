"""A small RTSP server for the IP-camera tests: ffmpeg encodes a live test pattern to RTP (VP8, one keyframe a
second) on a loopback UDP port, and this server offers it to one RTSP client at a time over TCP
(``RTP/AVP/TCP;interleaved``): OPTIONS, DESCRIBE (ffmpeg's SDP plus control attributes), SETUP, PLAY,
GET_PARAMETER and TEARDOWN. ffmpeg alone cannot serve RTSP playback (its listen mode only receives).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType

from tests.support.procs import LOOPBACK, free_port

SDP_TIMEOUT = 15.0


class RtspCamera:
    def __init__(self, workdir: Path) -> None:
        self.rtp_port = free_port()
        self.port = free_port()
        self.sdp_path = workdir / "camera.sdp"
        self.url = f"rtsp://{LOOPBACK}:{self.port}/camera"
        self._ffmpeg: subprocess.Popen[bytes] | None = None
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._udp.bind((LOOPBACK, self.rtp_port))
        self._listener = socket.create_server((LOOPBACK, self.port))
        self._client: socket.socket | None = None
        self._playing = threading.Event()
        self._lock = threading.Lock()
        self._stopped = False
        self.sessions_served = 0

    def __enter__(self) -> RtspCamera:
        self._ffmpeg = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
             "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
             "-c:v", "libvpx", "-g", "15", "-deadline", "realtime", "-b:v", "300k",
             "-f", "rtp", f"rtp://{LOOPBACK}:{self.rtp_port}", "-sdp_file", str(self.sdp_path)],
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + SDP_TIMEOUT
        while not (self.sdp_path.exists() and self.sdp_path.stat().st_size > 0):
            if time.monotonic() > deadline:
                raise RuntimeError("ffmpeg wrote no SDP")
            time.sleep(0.05)
        threading.Thread(target=self._relay, daemon=True).start()
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stopped = True
        if self._ffmpeg is not None:
            self._ffmpeg.kill()
            self._ffmpeg.wait(timeout=10)
        for sock in (self._listener, self._udp, self._client):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()

    def _sdp(self) -> bytes:
        lines = [
            line for line in self.sdp_path.read_text().splitlines() if line and not line.startswith("SDP:")
        ]
        out: list[str] = []
        for line in lines:
            out.append(line)
            if line.startswith("s="):
                out.append("a=control:*")
            if line.startswith("m="):
                out.append("a=control:trackID=0")
        return ("\r\n".join(out) + "\r\n").encode()

    def _relay(self) -> None:
        """RTP packets from ffmpeg to the playing client, interleaved on channel 0."""
        while not self._stopped:
            try:
                packet = self._udp.recv(65535)
            except OSError:
                return
            if not self._playing.is_set():
                continue
            with self._lock:
                client = self._client
                if client is None:
                    continue
                try:
                    client.sendall(b"$\x00" + struct.pack("!H", len(packet)) + packet)
                except OSError:
                    self._playing.clear()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        buffer = b""
        with client:
            while not self._stopped:
                try:
                    chunk = client.recv(4096)
                except OSError:
                    break
                if not chunk:
                    break
                buffer += chunk
                while b"\r\n\r\n" in buffer:
                    if buffer.startswith(b"$"):  # interleaved RTCP from the client: skip it
                        if len(buffer) < 4:
                            break
                        size = struct.unpack("!H", buffer[2:4])[0]
                        if len(buffer) < 4 + size:
                            break
                        buffer = buffer[4 + size :]
                        continue
                    head, buffer = buffer.split(b"\r\n\r\n", 1)
                    self._answer(client, head.decode("latin-1"))
        with self._lock:
            if self._client is client:
                self._client = None
                self._playing.clear()

    def _answer(self, client: socket.socket, head: str) -> None:
        lines = head.split("\r\n")
        method = lines[0].split(" ", 1)[0]
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        extra: list[str] = []
        body = b""
        if method == "OPTIONS":
            extra.append("Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER")
        elif method == "DESCRIBE":
            body = self._sdp()
            extra += ["Content-Type: application/sdp", f"Content-Base: {self.url}/"]
        elif method == "SETUP":
            extra += ["Transport: RTP/AVP/TCP;unicast;interleaved=0-1", "Session: 4242;timeout=60"]
        elif method == "PLAY":
            extra.append("Session: 4242")
            with self._lock:
                self._client = client
                self.sessions_served += 1
            self._playing.set()
        elif method == "TEARDOWN":
            self._playing.clear()
        reply = [
            "RTSP/1.0 200 OK",
            f"CSeq: {headers.get('cseq', '0')}",
            *extra,
            f"Content-Length: {len(body)}",
        ]
        with self._lock, contextlib.suppress(OSError):  # the client may be gone (TEARDOWN then close)
            client.sendall(("\r\n".join(reply) + "\r\n\r\n").encode() + body)
