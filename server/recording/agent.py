"""The recorder agent: runs COMPOSED captures (:mod:`.local` process groups) for a server in another container.

In docker-compose the server delegates COMPOSED video to this agent (``openvidu.recording.composed-recorder``
= its URL); both mount the same recordings volume, so the agent writes ``<id>/<name>.mp4`` where the server
probes it. HTTP API (Basic auth ``OPENVIDUAPP:<secret>``, JSON bodies):

- ``POST /captures`` ``{id, url, width, height, audio, output, startTimeout}``: start; 200 once the mp4 has
  data, 409 if the id runs already, 429 over ``--max-captures``, 400 bad body, 500 ``{"error"}`` on failure;
- ``POST /captures/<id>/stop`` ``{timeout}``: ffmpeg finishes the file, the group ends; ``{"finished": bool}``;
- ``DELETE /captures/<id>``: end the group at once; ``GET /health``.

usage: python -m server.recording.agent --recordings-path /opt/openvidu/recordings [--host 0.0.0.0]
       [--port 4500] [--max-captures 4]   (the secret comes from OPENVIDU_SECRET)
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.recording.local import FRAMERATE, CaptureSpec, LocalCapture

log = logging.getLogger(__name__)

DEFAULT_PORT = 4500
MAX_BODY_BYTES = 16 * 1024
ID_RE = re.compile(r"^[A-Za-z0-9_.:@~-]{1,200}$")
MIN_SIDE, MAX_SIDE = 100, 1999


class BadBody(ValueError):
    pass


def parse_start(body: Any, folder: Path) -> tuple[str, CaptureSpec, float]:
    if not isinstance(body, dict):
        raise BadBody("the body must be a JSON object")
    capture_id, url, output = body.get("id"), body.get("url"), body.get("output")
    width, height, audio, timeout = (
        body.get("width"),
        body.get("height"),
        body.get("audio"),
        body.get("startTimeout"),
    )
    if not isinstance(capture_id, str) or not ID_RE.match(capture_id):
        raise BadBody("id: a recording id")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 4096:
        raise BadBody("url: an http(s) URL")
    for name, side in (("width", width), ("height", height)):
        if not isinstance(side, int) or isinstance(side, bool) or not MIN_SIDE <= side <= MAX_SIDE:
            raise BadBody(f"{name}: an integer from {MIN_SIDE} to {MAX_SIDE}")
    if not isinstance(audio, bool):
        raise BadBody("audio: a boolean")
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not 0 < timeout <= 300:
        raise BadBody("startTimeout: seconds from 0 to 300")
    if not isinstance(output, str) or not output.endswith(".mp4"):
        raise BadBody("output: <id>/<name>.mp4 inside the recordings folder")
    parts = output.split("/")
    if len(parts) != 2 or any(p in ("", ".", "..") or "\\" in p for p in parts):
        raise BadBody("output: <id>/<name>.mp4 inside the recordings folder")
    frame_rate = body.get("frameRate", FRAMERATE)
    if not isinstance(frame_rate, int) or isinstance(frame_rate, bool) or not 1 <= frame_rate <= 120:
        raise BadBody("frameRate: an integer from 1 to 120")
    assert isinstance(width, int) and isinstance(height, int)
    spec = CaptureSpec(url, width, height, audio, folder / parts[0] / parts[1], frame_rate)
    return capture_id, spec, float(timeout)


class Agent:
    def __init__(self, folder: Path, secret: str, max_captures: int) -> None:
        self.folder = folder
        self.secret = secret
        self.max_captures = max_captures
        self.captures: dict[str, LocalCapture] = {}

    def authorized(self, request: Request) -> bool:
        expected = "Basic " + base64.b64encode(f"OPENVIDUAPP:{self.secret}".encode()).decode()
        return hmac.compare_digest(request.headers.get("authorization", "").encode(), expected.encode())

    async def start(self, request: Request) -> Response:
        if not self.authorized(request):
            return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="recorder"'})
        raw = await request.body()
        try:
            if len(raw) > MAX_BODY_BYTES:
                raise BadBody("body too large")
            capture_id, spec, timeout = parse_start(json.loads(raw or b"null"), self.folder)
        except (BadBody, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if capture_id in self.captures:
            return JSONResponse({"error": f"{capture_id} is running"}, status_code=409)
        if len(self.captures) >= self.max_captures:
            return JSONResponse({"error": f"{len(self.captures)} captures are running"}, status_code=429)
        spec.output.parent.mkdir(parents=True, exist_ok=True)
        capture = LocalCapture(spec)
        self.captures[capture_id] = capture
        try:
            await capture.start(timeout)
        except (RuntimeError, OSError) as exc:
            self.captures.pop(capture_id, None)
            return JSONResponse({"error": str(exc)}, status_code=500)
        log.info("capture %s started", capture_id)
        return JSONResponse({"id": capture_id})

    async def stop(self, request: Request) -> Response:
        if not self.authorized(request):
            return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="recorder"'})
        capture = self.captures.pop(request.path_params["capture_id"], None)
        if capture is None:
            return Response(status_code=404)
        try:
            body = json.loads((await request.body())[:MAX_BODY_BYTES] or b"{}")
            timeout = float(body.get("timeout", 30)) if isinstance(body, dict) else 30.0
        except (ValueError, TypeError):
            timeout = 30.0
        try:
            finished = await capture.stop(min(max(timeout, 1.0), 300.0))
        finally:
            await capture.kill()
        return JSONResponse({"finished": finished})

    async def kill(self, request: Request) -> Response:
        if not self.authorized(request):
            return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="recorder"'})
        capture = self.captures.pop(request.path_params["capture_id"], None)
        if capture is None:
            return Response(status_code=404)
        await capture.kill()
        return Response(status_code=204)

    async def close(self) -> None:
        for capture in list(self.captures.values()):
            await capture.kill()
        self.captures.clear()


def create_agent_app(agent: Agent) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await agent.close()

    async def health(request: Request) -> Response:
        return JSONResponse({"captures": len(agent.captures)})

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/captures", agent.start, methods=["POST"]),
            Route("/captures/{capture_id}/stop", agent.stop, methods=["POST"]),
            Route("/captures/{capture_id}", agent.kill, methods=["DELETE"]),
        ],
        lifespan=lifespan,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OpenVidu COMPOSED recorder agent")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--recordings-path", default=os.environ.get("OPENVIDU_RECORDING_PATH", "/opt/openvidu/recordings")
    )
    parser.add_argument("--max-captures", type=int, default=4)
    args = parser.parse_args(argv)
    secret = os.environ.get("OPENVIDU_SECRET", "")
    if not secret:
        parser.error("OPENVIDU_SECRET must be set (the server's secret)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    agent = Agent(Path(args.recordings_path).expanduser(), secret, max(1, args.max_captures))
    uvicorn.run(
        create_agent_app(agent), host=args.host, port=args.port, log_level="warning", access_log=False
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
