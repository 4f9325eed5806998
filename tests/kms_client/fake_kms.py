"""A tiny in-process Kurento-protocol server, used only to unit-test kms_client.connection alone.

It speaks the session rules of the spec (connect / 40007 / serverId, sessionId binding,
duplicate-request cache) over a real loopback WebSocket, and adds knobs the tests need:
``restart()`` (new serverId, sessions forgotten), ``drop()`` (close every socket),
``freeze`` (stop answering), an ``emitFirst`` operation that sends an event before its reply,
and a ``sleep`` operation that answers late.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import uuid
from collections import Counter
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve

from tests.support.procs import LOOPBACK


class FakeKms:
    def __init__(self, version: str = "7.3.0", ssl_context: ssl.SSLContext | None = None) -> None:
        self.version = version
        self.ssl_context = ssl_context
        self.server_id = str(uuid.uuid4())
        self.known_sessions: set[str] = set()
        self.objects: dict[str, str] = {}  # id -> type
        self.props: dict[tuple[str, str], Any] = {}  # (id, property) -> value
        self.subscriptions: dict[tuple[str, str, str], str] = {}  # (session, object, type) -> sub id
        self.bound: dict[str, ServerConnection] = {}  # session -> socket
        self.cache: dict[tuple[str, Any], dict[str, Any]] = {}
        self.executed: Counter[str] = Counter()
        self.received: list[dict[str, Any]] = []
        self.freeze = False
        self.sockets: set[ServerConnection] = set()
        self._server: Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def uri(self) -> str:
        scheme = "wss" if self.ssl_context is not None else "ws"
        return f"{scheme}://{LOOPBACK}:{self.port}/kurento"

    async def start(self, port: int = 0) -> FakeKms:
        self._server = await serve(self._handler, LOOPBACK, port, compression=None, ssl=self.ssl_context)
        self.port = next(iter(self._server.sockets)).getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def restart(self) -> None:
        """Forget everything, as a new media server process would."""
        self.server_id = str(uuid.uuid4())
        self.known_sessions.clear()
        self.objects.clear()
        self.subscriptions.clear()
        self.cache.clear()

    async def drop(self) -> None:
        for ws in list(self.sockets):
            ws.transport.abort()
        await asyncio.sleep(0)

    async def emit(self, object_id: str, event_type: str, data: dict[str, Any]) -> int:
        """Send an onEvent to every session subscribed; returns how many were sent."""
        sent = 0
        for (sid, obj, etype), _sub in list(self.subscriptions.items()):
            if obj == object_id and etype == event_type and sid in self.bound:
                await self.bound[sid].send(_event(object_id, event_type, data))
                sent += 1
        return sent

    async def _handler(self, ws: ServerConnection) -> None:
        self.sockets.add(ws)
        bound: list[str | None] = [None]
        try:
            async for frame in ws:
                msg = json.loads(frame)
                self.received.append(msg)
                if self.freeze:
                    continue
                task = asyncio.ensure_future(self._answer(ws, msg, bound))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        except Exception:  # a dropped socket ends the loop
            pass
        finally:
            self.sockets.discard(ws)
            for sid, sock in list(self.bound.items()):
                if sock is ws:
                    del self.bound[sid]

    async def _answer(self, ws: ServerConnection, msg: dict[str, Any], bound: list[str | None]) -> None:
        params = msg.get("params") or {}
        sid = params.get("sessionId") or bound[0]
        key = (sid or "", msg.get("id"))
        if sid is not None and key in self.cache:
            reply = self.cache[key]
        else:
            reply = await self._execute(ws, msg, params, sid)
            rsid = (
                (reply.get("result") or {}).get("sessionId")
                if isinstance(reply.get("result"), dict)
                else None
            )
            if rsid is not None:
                self.cache[(rsid, msg.get("id"))] = reply
        result = reply.get("result")
        if isinstance(result, dict) and isinstance(result.get("sessionId"), str):
            new_sid = result["sessionId"]
            bound[0] = new_sid
            self.bound[new_sid] = ws
        with contextlib.suppress(Exception):
            await ws.send(json.dumps(reply, sort_keys=True, separators=(",", ":")))

    async def _execute(
        self, ws: ServerConnection, msg: dict[str, Any], params: dict[str, Any], sid: str | None
    ) -> dict[str, Any]:
        method = msg.get("method")
        rid = msg.get("id")
        if method == "connect":
            asked = params.get("sessionId")
            if asked is None:
                return _ok(rid, {"serverId": self.server_id, "sessionId": str(uuid.uuid4())})
            if asked not in self.known_sessions:
                return _err(rid, 40007, "Invalid session", "INVALID_SESSION")
            return _ok(rid, {"serverId": self.server_id, "sessionId": asked})
        if method == "ping":
            result: dict[str, Any] = {"value": "pong"}
            if sid:
                result["sessionId"] = sid
            return _ok(rid, result)
        sid = sid or str(uuid.uuid4())
        self.known_sessions.add(sid)
        self.executed[str(method)] += 1
        if method == "create":
            obj_type = params["type"]
            parent = (params.get("constructorParams") or {}).get("mediaPipeline")
            obj_id = f"{uuid.uuid4()}_kurento.{obj_type}"
            if parent:
                obj_id = f"{parent}/{obj_id}"
            self.objects[obj_id] = obj_type
            return _ok(rid, {"sessionId": sid, "value": obj_id})
        if method == "release":
            for known in [
                o for o in self.objects if o == params["object"] or o.startswith(params["object"] + "/")
            ]:
                del self.objects[known]
            return _ok(rid, {"sessionId": sid})
        if method == "subscribe":
            obj = params["object"]
            if obj not in self.objects:
                return _err(rid, 40101, f"Object '{obj}' not found", "MEDIA_OBJECT_NOT_FOUND")
            sub = self.subscriptions.setdefault((sid, obj, params["type"]), str(uuid.uuid4()))
            if params["type"] == "Early":
                # the event of a fresh subscription may overtake the subscribe reply
                await ws.send(_event(obj, "Early", {"source": obj, "tags": [], "timestampMillis": "2"}))
            return _ok(rid, {"sessionId": sid, "value": sub})
        if method == "unsubscribe":
            for k, v in list(self.subscriptions.items()):
                if v == params["subscription"]:
                    del self.subscriptions[k]
            return _ok(rid, {"sessionId": sid})
        if method == "invoke":
            return await self._invoke(ws, rid, sid, params)
        return {"error": {"code": -32601, "message": "Method not found."}, "id": rid, "jsonrpc": "2.0"}

    async def _invoke(
        self, ws: ServerConnection, rid: Any, sid: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        obj = params["object"]
        op = params["operation"]
        op_params = params.get("operationParams") or {}
        if obj == "manager_ServerManager" and op == "getInfo":
            info = {
                "__module__": "kurento",
                "__type__": "ServerInfo",
                "capabilities": ["transactions"],
                "modules": [],
                "type": "KMS",
                "version": self.version,
            }
            return _ok(rid, {"sessionId": sid, "value": info})
        if obj == "manager_ServerManager" and op == "getUsedMemory":
            return _ok(rid, {"sessionId": sid, "value": 187392})
        if obj == "manager_ServerManager" and op == "getUsedCpu":
            await asyncio.sleep(op_params["interval"] / 1000)
            return _ok(rid, {"sessionId": sid, "value": 12.5})
        if obj not in self.objects:
            return _err(rid, 40101, f"Object '{obj}' not found", "MEDIA_OBJECT_NOT_FOUND")
        if op == "getName":
            return _ok(rid, {"sessionId": sid, "value": self.props.get((obj, "Name"), obj)})
        if op.startswith("set") and len(op_params) == 1:  # generic property setter
            self.props[(obj, op[3:])] = next(iter(op_params.values()))
            return _ok(rid, {"sessionId": sid, "value": None})
        if op.startswith("get") and not op_params and (obj, op[3:]) in self.props:
            return _ok(rid, {"sessionId": sid, "value": self.props[(obj, op[3:])]})
        if op == "addIceCandidate":
            return _ok(rid, {"sessionId": sid, "value": None})
        if op == "generateOffer":
            return _ok(rid, {"sessionId": sid, "value": "v=0\r\n"})
        if op == "echo":
            return _ok(rid, {"sessionId": sid, "value": op_params})
        if op == "sleep":
            await asyncio.sleep(op_params["seconds"])
            return _ok(rid, {"sessionId": sid, "value": None})
        if op == "emitFirst":
            # event first, reply second: the client must route it although the reply is not there yet
            await ws.send(_event(obj, op_params["type"], {"source": obj, "tags": [], "timestampMillis": "1"}))
            return _ok(rid, {"sessionId": sid, "value": None})
        return _err(
            rid, 40008, f"Method '{op}' with {len(op_params)} parameters not found", "MALFORMED_TRANSACTION"
        )


def _ok(rid: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"id": rid, "jsonrpc": "2.0", "result": result}


def _err(rid: Any, code: int, message: str, data_type: str) -> dict[str, Any]:
    return {
        "error": {"code": code, "data": {"type": data_type}, "message": message},
        "id": rid,
        "jsonrpc": "2.0",
    }


def _event(object_id: str, event_type: str, data: dict[str, Any]) -> str:
    payload = {
        "jsonrpc": "2.0",
        "method": "onEvent",
        "params": {"value": {"data": data, "object": object_id, "type": event_type}},
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))
