"""A raw Kurento JSON-RPC client for protocol tests: sends exact frames, keeps replies and events apart."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from types import TracebackType
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

# Generous waits: tests share two cores with other engineers' suites.
REPLY_TIMEOUT = 20.0
EVENT_TIMEOUT = 20.0
QUIET_PERIOD = 0.5


class RawKms:
    def __init__(self, uri: str, first_id: int = 1) -> None:
        self.uri = uri
        self.ws: ClientConnection | None = None
        self.frames: list[str | bytes] = []  # every frame received, verbatim
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.unmatched: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._ids = itertools.count(first_id)
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RawKms:
        self.ws = await websockets.connect(self.uri, max_size=None, ping_interval=None)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    @staticmethod
    def _key(request_id: Any) -> str:
        return json.dumps(request_id)

    async def _read(self) -> None:
        assert self.ws is not None
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in self.ws:
                self.frames.append(frame)
                message = json.loads(frame)
                if "id" not in message:
                    self.events.put_nowait(message)
                    continue
                future = self.replies.pop(self._key(message["id"]), None)
                if future is not None and not future.done():
                    future.set_result(message)
                else:
                    self.unmatched.put_nowait(message)

    def next_id(self) -> int:
        return next(self._ids)

    async def send_frame(self, frame: str | bytes) -> None:
        assert self.ws is not None
        await self.ws.send(frame)

    async def request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        request_id: Any = None,
        binary: bool = False,
        timeout: float = REPLY_TIMEOUT,
    ) -> dict[str, Any]:
        """Send one request and return the whole reply message."""
        rid = self.next_id() if request_id is None else request_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            message["params"] = params
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.replies[self._key(rid)] = future
        text = json.dumps(message)
        await self.send_frame(text.encode() if binary else text)
        return await asyncio.wait_for(future, timeout)

    async def result(self, method: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        reply = await self.request(method, params, **kwargs)
        assert "error" not in reply, reply
        return reply["result"]

    async def value(self, method: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return (await self.result(method, params, **kwargs))["value"]

    async def error(self, method: str, params: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        reply = await self.request(method, params, **kwargs)
        assert "error" in reply, reply
        return reply["error"]

    async def invoke(self, object_id: str, operation: str, **operation_params: Any) -> Any:
        params: dict[str, Any] = {"object": object_id, "operation": operation}
        if operation_params:
            params["operationParams"] = operation_params
        return await self.value("invoke", params)

    async def create(self, type_name: str, **constructor_params: Any) -> str:
        value = await self.value("create", {"type": type_name, "constructorParams": constructor_params})
        assert isinstance(value, str)
        return value

    async def next_event(self, timeout: float = EVENT_TIMEOUT) -> dict[str, Any]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def event_of(self, event_type: str, timeout: float = EVENT_TIMEOUT) -> dict[str, Any]:
        """The next ``onEvent`` value of ``event_type`` (others are skipped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.next_event(max(deadline - loop.time(), 0.01))
            value = message["params"]["value"]
            if value["type"] == event_type:
                return dict(value)

    async def drain_events(self, quiet: float = QUIET_PERIOD) -> list[dict[str, Any]]:
        """Every event that arrives until none has come for ``quiet`` seconds."""
        out = []
        while True:
            try:
                out.append(await asyncio.wait_for(self.events.get(), quiet))
            except TimeoutError:
                return out
