"""A raw JSON-RPC websocket client speaking like openvidu-browser (ids from 0, ping with interval first).

Used by the signaling integration tests and by benchmarks/signaling.py. It keeps every notification it receives
so tests can wait for one; responses are matched by id.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import ssl
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

DEFAULT_TIMEOUT = 10.0


class RpcFailure(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.error = error
        self.code = error.get("code")


_INSECURE: ssl.SSLContext | None = None


def insecure_ssl() -> ssl.SSLContext:
    """One shared client context that accepts the server's self-signed certificate (no CA bundle loaded)."""
    global _INSECURE
    if _INSECURE is None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        _INSECURE = ctx
    return _INSECURE


class RpcClient:
    def __init__(self, url: str, keep_frames: bool = True) -> None:
        """``keep_frames=False`` (the benchmark): notifications and raw frames are not kept."""
        self.url = url
        self.keep_frames = keep_frames
        self.ws: ClientConnection | None = None
        self.ids = itertools.count(0)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.raw: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason: str | None = None

    async def open(self) -> RpcClient:
        ctx = insecure_ssl() if self.url.startswith("wss:") else None
        self.ws = await connect(self.url, ssl=ctx, max_size=None, open_timeout=DEFAULT_TIMEOUT)
        self.closed.clear()
        self._reader = asyncio.create_task(self._read(self.ws))
        return self

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                msg = json.loads(frame)
                if self.keep_frames:
                    self.raw.append(msg)
                if "id" in msg and ("result" in msg or "error" in msg):
                    fut = self.pending.pop(msg["id"], None)
                    if fut is not None and not fut.done():
                        fut.set_result(msg)
                elif "method" in msg and self.keep_frames:
                    self.notifications.append(msg)
                    self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = ws.close_code
            self.close_reason = ws.close_reason
            self.closed.set()
            self._changed.set()

    async def send_raw(self, message: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(message))

    async def _send_request(
        self, method: str, params: dict[str, Any] | None
    ) -> tuple[int, asyncio.Future[dict[str, Any]]]:
        """Send a request with the next id; its id and the future its answer will resolve."""
        req_id = next(self.ids)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[req_id] = fut
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": req_id}
        if params is not None:
            message["params"] = params
        await self.send_raw(message)
        return req_id, fut

    async def request(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """Send a request and return the whole response message (result or error)."""
        req_id, fut = await self._send_request(method, params)
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self.pending.pop(req_id, None)

    async def request_unanswered(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any] | None:
        """Send a request expected to get no answer before the server closes the socket: returns None when the
        socket closed unanswered, the response message if one came; TimeoutError if neither happened."""
        req_id, fut = await self._send_request(method, params)
        closed = asyncio.ensure_future(self.closed.wait())
        try:
            done, _ = await asyncio.wait({fut, closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if fut in done:
                return fut.result()
            if closed in done:
                return None
            raise TimeoutError(f"{method}: neither an answer nor a close within {timeout} s")
        finally:
            closed.cancel()
            self.pending.pop(req_id, None)

    async def call(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> Any:
        """Send a request; return ``result`` or raise RpcFailure with the error object."""
        msg = await self.request(method, params, timeout)
        if "error" in msg:
            raise RpcFailure(msg["error"])
        return msg["result"]

    async def ping(self, interval: int | None = 5000) -> Any:
        return await self.call("ping", {"interval": interval} if interval is not None else None)

    async def join(self, token: str, session: str, metadata: str = "", **extra: Any) -> dict[str, Any]:
        params = {
            "token": token,
            "session": session,
            "platform": "Python test client",
            "metadata": metadata,
            "secret": "",
            "recorder": False,
            **extra,
        }
        result: dict[str, Any] = await self.call("joinRoom", params)
        return result

    async def wait_notification(
        self,
        method: str,
        where: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """The params of the first (already received or coming) notification ``method`` matching ``where``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for note in self.notifications:
                if note["method"] == method and (where is None or where(note["params"])):
                    params: dict[str, Any] = note["params"]
                    return params
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [n["method"] for n in self.notifications]
                raise TimeoutError(f"no {method} notification in {timeout} s (got {seen})")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def notifications_of(self, method: str) -> list[dict[str, Any]]:
        return [n["params"] for n in self.notifications if n["method"] == method]

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (a network failure)."""
        if self.ws is not None:
            transport = self.ws.transport
            transport.abort()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
